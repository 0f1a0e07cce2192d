package tlscert

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestJudgeCertificate(t *testing.T) {
	cert := func(hosts []string, from, to time.Time) []byte {
		c, _, err := testenv.Certificate(hosts, from, to)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	valid := cert([]string{"shop.example.com", "*.api.example.com"}, now.AddDate(0, -1, 0), now.AddDate(0, 3, 0))
	tests := []struct {
		name   string
		pem    []byte
		hosts  []string
		status report.Status
		msg    string
	}{
		{"covers", valid, []string{"shop.example.com", "v1.api.example.com", "*.api.example.com"}, report.Pass, "covers shop.example.com, v1.api.example.com, *.api.example.com until 2027-02-27"},
		{"SAN mismatch", valid, []string{"www.example.com", "*.example.com"}, report.Fail, "does not cover www.example.com, *.example.com"},
		{"expired", cert([]string{"a.example.com"}, now.AddDate(0, -2, 0), now.AddDate(0, 0, -1)), []string{"a.example.com"}, report.Fail, "expired on 2026-11-26 (24h ago)"},
		{"not yet valid", cert([]string{"a.example.com"}, now.AddDate(0, 0, 3), now.AddDate(1, 0, 0)), nil, report.Fail, "is not valid before 2026-11-30 (in 3 days)"},
		{"expiring soon", cert([]string{"a.example.com"}, now.AddDate(0, -2, 0), now.AddDate(0, 0, 5)), []string{"a.example.com"}, report.Warn, "expires on 2026-12-02, in 5 days"},
		{"not a certificate", []byte("garbage"), nil, report.Fail, "no PEM CERTIFICATE block"},
	}
	for _, tt := range tests {
		c := JudgeCertificate("s", tt.pem, tt.hosts, now)
		if c.Status != tt.status || !strings.Contains(c.Msg, tt.msg) {
			t.Errorf("%s: %s %q, want %s containing %q", tt.name, c.Status, c.Msg, tt.status, tt.msg)
		}
	}
}

func TestJudgeSecret(t *testing.T) {
	for _, tt := range []struct {
		s      Secret
		status report.Status
		msg    string
	}{
		{Secret{Namespace: "ns", Name: "x"}, report.Fail, "TLS secret x does not exist in namespace ns"},
		{Secret{Name: "x", Found: true, Type: corev1.SecretTypeOpaque, Keys: []string{"a"}}, report.Fail, "is of type Opaque, not kubernetes.io/tls, and has no tls.crt and no tls.key (keys: a)"},
		{Secret{Name: "x", Found: true, Type: corev1.SecretTypeTLS, Cert: []byte("c"), HasKey: true, KeyPairErr: "mismatch"}, report.Fail, "tls.key does not match tls.crt"},
		{Secret{Name: "x", Found: true, Type: corev1.SecretTypeTLS, Cert: []byte("c"), HasKey: true}, report.Pass, "with a matching key"},
	} {
		st, msg := JudgeSecret(&tt.s)
		if st != tt.status || !strings.Contains(msg, tt.msg) {
			t.Errorf("%+v: %s %q", tt.s, st, msg)
		}
	}
}
