// Package tlscert judges the TLS secrets and certificates that a proxy
// serves for hostnames (an Ingress's TLS entries, a Gateway listener's
// certificateRefs): the secret exists and holds a certificate and a
// matching key, the certificate parses, covers the hostnames as clients
// check them, and is valid now and for a while. Key material is used once,
// to check the pair, and never kept or printed.
package tlscert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// ExpiryWarning is how close to its end a certificate gets a warning.
const ExpiryWarning = 14 * 24 * time.Hour

// Secret is what is kept of a TLS Secret: its type, the names of its keys,
// the certificate (public) and whether the private key is present and
// matches it.
type Secret struct {
	Namespace, Name string
	Found           bool
	Err             error // the read failed (forbidden, or another API error)
	Type            corev1.SecretType
	Keys            []string // data keys, sorted; names only
	Cert            []byte   // tls.crt
	// HasKey: tls.key is present and not empty. KeyPairErr: tls.crt and
	// tls.key do not form a pair (the error names no key material).
	HasKey     bool
	KeyPairErr string
}

// Read reads one TLS secret and keeps only what the checks need. A missing
// secret is Found false with no error.
func Read(ctx context.Context, client kubernetes.Interface, ns, name string) *Secret {
	s := &Secret{Namespace: ns, Name: name}
	secret, err := client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if !apierrors.IsNotFound(err) {
			s.Err = kube.Read(kube.Get("", "secrets", ns), err)
		}
		return s
	}
	s.Found = true
	s.Type = secret.Type
	for k := range secret.Data {
		s.Keys = append(s.Keys, k)
	}
	sort.Strings(s.Keys)
	s.Cert = secret.Data[corev1.TLSCertKey]
	key := secret.Data[corev1.TLSPrivateKeyKey]
	s.HasKey = len(key) > 0
	if len(s.Cert) > 0 && s.HasKey {
		if _, err := tls.X509KeyPair(s.Cert, key); err != nil {
			s.KeyPairErr = err.Error()
		}
	}
	return s
}

// JudgeSecret says whether a secret that was read can serve TLS: Skip when
// it could not be read, Fail when it is missing, lacks tls.crt or tls.key,
// or its key does not match, Warn when it is not of type kubernetes.io/tls
// but usable, else Pass.
func JudgeSecret(s *Secret) (report.Status, string) {
	name := s.Name
	switch {
	case s.Err != nil:
		return report.Skip, s.Err.Error()
	case !s.Found:
		return report.Fail, fmt.Sprintf("TLS secret %s does not exist in namespace %s", name, s.Namespace)
	case len(s.Cert) == 0 || !s.HasKey:
		missing := []string{}
		if len(s.Cert) == 0 {
			missing = append(missing, corev1.TLSCertKey)
		}
		if !s.HasKey {
			missing = append(missing, corev1.TLSPrivateKeyKey)
		}
		if s.Type != corev1.SecretTypeTLS {
			return report.Fail, fmt.Sprintf("secret %s is of type %s, not %s, and has no %s (keys: %s)",
				name, s.Type, corev1.SecretTypeTLS, strings.Join(missing, " and no "), orNone(s.Keys))
		}
		return report.Fail, fmt.Sprintf("secret %s has no %s", name, strings.Join(missing, " and no "))
	case s.KeyPairErr != "":
		return report.Fail, fmt.Sprintf("in secret %s, tls.key does not match tls.crt (%s)", name, s.KeyPairErr)
	case s.Type != corev1.SecretTypeTLS:
		return report.Warn, fmt.Sprintf("secret %s is of type %s, not %s: some controllers (Contour) reject it, ingress-nginx uses its tls.crt and tls.key anyway",
			name, s.Type, corev1.SecretTypeTLS)
	}
	return report.Pass, fmt.Sprintf("secret %s is a %s secret with a matching key", name, corev1.SecretTypeTLS)
}

// Certificate is the judgement of one certificate for some hostnames.
type Certificate struct {
	// Cert is the leaf certificate, when it parses.
	Cert   *x509.Certificate
	Status report.Status
	Msg    string
	// Uncovered: hostnames the certificate does not cover; All: the
	// problem concerns every hostname (unparsable, expired, not yet
	// valid).
	Uncovered []string
	All       bool
}

// JudgeCertificate judges the certificate of secret secretName for hosts
// at now: it parses, is valid now, covers every host, and does not expire
// within ExpiryWarning.
func JudgeCertificate(secretName string, certPEM []byte, hosts []string, now time.Time) Certificate {
	var c Certificate
	cert, err := Leaf(certPEM)
	if err != nil {
		c.Status, c.All = report.Fail, true
		c.Msg = fmt.Sprintf("tls.crt of secret %s is not a usable certificate: %v", secretName, err)
		return c
	}
	c.Cert = cert
	for _, h := range hosts {
		if !Covers(cert, h) {
			c.Uncovered = append(c.Uncovered, h)
		}
	}
	left := cert.NotAfter.Sub(now)
	switch {
	case now.Before(cert.NotBefore):
		c.Status, c.All = report.Fail, true
		c.Msg = fmt.Sprintf("the certificate in secret %s is not valid before %s (in %s)", secretName, Day(cert.NotBefore), Days(cert.NotBefore.Sub(now)))
	case left <= 0:
		c.Status, c.All = report.Fail, true
		c.Msg = fmt.Sprintf("the certificate in secret %s expired on %s (%s ago): clients reject it", secretName, Day(cert.NotAfter), Days(-left))
	case len(c.Uncovered) > 0:
		c.Status = report.Fail
		c.Msg = fmt.Sprintf("the certificate in secret %s does not cover %s (it covers %s): clients reject it for %s",
			secretName, strings.Join(c.Uncovered, ", "), Names(cert), plural(len(c.Uncovered), "that host", "those hosts"))
	case left < ExpiryWarning:
		c.Status = report.Warn
		c.Msg = fmt.Sprintf("the certificate in secret %s expires on %s, in %s", secretName, Day(cert.NotAfter), Days(left))
	default:
		c.Status = report.Pass
		c.Msg = fmt.Sprintf("the certificate in secret %s covers %s until %s", secretName, HostsLabel(hosts), Day(cert.NotAfter))
	}
	return c
}

// Leaf is the first certificate of a PEM bundle.
func Leaf(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no PEM CERTIFICATE block")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

// Covers says whether cert is valid for host as a TLS client checks it
// (Go's VerifyHostname: SANs only, RFC 6125 wildcards of one label). A
// wildcard host is covered only by the same wildcard name.
func Covers(cert *x509.Certificate, host string) bool {
	if strings.HasPrefix(host, "*.") {
		for _, n := range cert.DNSNames {
			if strings.EqualFold(n, host) {
				return true
			}
		}
		return false
	}
	return cert.VerifyHostname(host) == nil
}

// Names lists what a certificate is valid for.
func Names(cert *x509.Certificate) string {
	var names []string
	names = append(names, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		if cert.Subject.CommonName != "" {
			return fmt.Sprintf("no names: %s is only its legacy Common Name, which clients ignore", cert.Subject.CommonName)
		}
		return "no names"
	}
	if len(names) > 4 {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:4], ", "), len(names)-4)
	}
	return strings.Join(names, ", ")
}

// Describe is one line about a certificate: names, issuer, validity.
func Describe(cert *x509.Certificate) string {
	issuer := cert.Issuer.CommonName
	if issuer == "" {
		issuer = cert.Issuer.String()
	}
	if issuer == cert.Subject.CommonName && cert.Subject.CommonName != "" {
		issuer += " (self-signed)"
	}
	return fmt.Sprintf("names %s; issuer %s; valid %s to %s", Names(cert), issuer, Day(cert.NotBefore), Day(cert.NotAfter))
}

// HostsLabel lists hosts, "no hosts" when there are none.
func HostsLabel(hosts []string) string {
	if len(hosts) == 0 {
		return "no hosts"
	}
	return strings.Join(hosts, ", ")
}

// Day is a date as reports show it.
func Day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// Days is a duration in whole days, or hours below two days.
func Days(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func orNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}
