package ingress

import (
	"crypto/x509"
	"fmt"
	"time"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/tlscert"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// tlsEntry is one entry of spec.tls, judged: its secret (ING012) and its
// certificate (ING013), by package tlscert. Nothing of the private key is
// kept.
type tlsEntry struct {
	secretName string
	hosts      []string
	secret     *tlscert.Secret

	// secretCheck is the entry's finding about the secret.
	secretStatus report.Status
	secretMsg    string
	// cert is the leaf certificate, when it parses.
	cert       *x509.Certificate
	certStatus report.Status
	certMsg    string
	// uncovered: hosts of the entry the certificate does not cover; when
	// certAll is set the certificate problem concerns every host.
	uncovered []string
	certAll   bool
}

// problemFor is what an HTTPS request to host gets from this entry, nil
// when nothing is known to be wrong.
func (e *tlsEntry) problemFor(host string, k *controllerKind) *outcome {
	switch {
	case e.secretStatus == report.Fail:
		return &outcome{response: "certificate error", reason: e.secretMsg + "; " + k.defaultCertificate(), code: checks.IngTLSSecrets}
	case e.certStatus == report.Fail && (e.certAll || contains(e.uncovered, host)):
		return &outcome{response: "certificate error", reason: e.certMsg, code: checks.IngTLSCertificates}
	}
	return nil
}

func evaluateTLS(f *facts, now time.Time) []*tlsEntry {
	var out []*tlsEntry
	for _, t := range f.ing.Spec.TLS {
		e := &tlsEntry{secretName: t.SecretName, hosts: t.Hosts, secret: f.secrets[t.SecretName]}
		judgeSecret(e)
		if e.secret != nil && len(e.secret.Cert) > 0 && e.secretStatus != report.Skip {
			c := tlscert.JudgeCertificate(e.secretName, e.secret.Cert, e.hosts, now)
			e.cert, e.certStatus, e.certMsg, e.uncovered, e.certAll = c.Cert, c.Status, c.Msg, c.Uncovered, c.All
		}
		out = append(out, e)
	}
	return out
}

func judgeSecret(e *tlsEntry) {
	if e.secretName == "" {
		e.secretStatus = report.Warn
		e.secretMsg = fmt.Sprintf("the TLS entry for %s names no secret: the controller's default certificate is used", tlscert.HostsLabel(e.hosts))
		return
	}
	e.secretStatus, e.secretMsg = tlscert.JudgeSecret(e.secret)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
