package ingress

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// tlsEntry is one entry of spec.tls, judged: its secret (ING012) and its
// certificate (ING013). Nothing of the private key is kept.
type tlsEntry struct {
	secretName string
	hosts      []string
	secret     *tlsSecret

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
		judgeSecret(f, e)
		if e.secret != nil && len(e.secret.cert) > 0 && e.secretStatus != report.Skip {
			judgeCertificate(e, now)
		}
		out = append(out, e)
	}
	return out
}

func judgeSecret(f *facts, e *tlsEntry) {
	s := e.secret
	name := e.secretName
	switch {
	case name == "":
		e.secretStatus = report.Warn
		e.secretMsg = fmt.Sprintf("the TLS entry for %s names no secret: the controller's default certificate is used", hostsLabel(e.hosts))
	case s.err != nil:
		e.secretStatus = report.Skip
		e.secretMsg = s.err.Error()
	case !s.found:
		e.secretStatus = report.Fail
		e.secretMsg = fmt.Sprintf("TLS secret %s does not exist in namespace %s", name, f.namespace)
	case len(s.cert) == 0 || !s.hasKey:
		e.secretStatus = report.Fail
		missing := []string{}
		if len(s.cert) == 0 {
			missing = append(missing, corev1.TLSCertKey)
		}
		if !s.hasKey {
			missing = append(missing, corev1.TLSPrivateKeyKey)
		}
		e.secretMsg = fmt.Sprintf("secret %s has no %s", name, strings.Join(missing, " and no "))
		if s.typ != corev1.SecretTypeTLS {
			e.secretMsg = fmt.Sprintf("secret %s is of type %s, not %s, and has no %s (keys: %s)",
				name, s.typ, corev1.SecretTypeTLS, strings.Join(missing, " and no "), orNone(s.keys))
		}
	case s.keyPairErr != "":
		e.secretStatus = report.Fail
		e.secretMsg = fmt.Sprintf("in secret %s, tls.key does not match tls.crt (%s)", name, s.keyPairErr)
	case s.typ != corev1.SecretTypeTLS:
		e.secretStatus = report.Warn
		e.secretMsg = fmt.Sprintf("secret %s is of type %s, not %s: some controllers (Contour) reject it, ingress-nginx uses its tls.crt and tls.key anyway",
			name, s.typ, corev1.SecretTypeTLS)
	default:
		e.secretStatus = report.Pass
		e.secretMsg = fmt.Sprintf("secret %s is a %s secret with a matching key", name, corev1.SecretTypeTLS)
	}
}

func judgeCertificate(e *tlsEntry, now time.Time) {
	cert, err := leafCertificate(e.secret.cert)
	if err != nil {
		e.certStatus, e.certAll = report.Fail, true
		e.certMsg = fmt.Sprintf("tls.crt of secret %s is not a usable certificate: %v", e.secretName, err)
		return
	}
	e.cert = cert
	for _, h := range e.hosts {
		if !certCovers(cert, h) {
			e.uncovered = append(e.uncovered, h)
		}
	}
	left := cert.NotAfter.Sub(now)
	switch {
	case now.Before(cert.NotBefore):
		e.certStatus, e.certAll = report.Fail, true
		e.certMsg = fmt.Sprintf("the certificate in secret %s is not valid before %s (in %s)", e.secretName, day(cert.NotBefore), days(cert.NotBefore.Sub(now)))
	case left <= 0:
		e.certStatus, e.certAll = report.Fail, true
		e.certMsg = fmt.Sprintf("the certificate in secret %s expired on %s (%s ago): clients reject it", e.secretName, day(cert.NotAfter), days(-left))
	case len(e.uncovered) > 0:
		e.certStatus = report.Fail
		e.certMsg = fmt.Sprintf("the certificate in secret %s does not cover %s (it covers %s): clients reject it for %s",
			e.secretName, strings.Join(e.uncovered, ", "), covers(cert), plural(len(e.uncovered), "that host", "those hosts"))
	case left < ExpiryWarning:
		e.certStatus = report.Warn
		e.certMsg = fmt.Sprintf("the certificate in secret %s expires on %s, in %s", e.secretName, day(cert.NotAfter), days(left))
	default:
		e.certStatus = report.Pass
		e.certMsg = fmt.Sprintf("the certificate in secret %s covers %s until %s", e.secretName, hostsLabel(e.hosts), day(cert.NotAfter))
	}
}

// leafCertificate is the first certificate of a PEM bundle.
func leafCertificate(data []byte) (*x509.Certificate, error) {
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

// certCovers says whether cert is valid for host as a TLS client checks it
// (Go's VerifyHostname: SANs only, RFC 6125 wildcards of one label). A
// wildcard host is covered only by the same wildcard name.
func certCovers(cert *x509.Certificate, host string) bool {
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

// covers lists what a certificate is valid for.
func covers(cert *x509.Certificate) string {
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

func describeCertificate(cert *x509.Certificate) string {
	issuer := cert.Issuer.CommonName
	if issuer == "" {
		issuer = cert.Issuer.String()
	}
	if issuer == cert.Subject.CommonName && cert.Subject.CommonName != "" {
		issuer += " (self-signed)"
	}
	return fmt.Sprintf("names %s; issuer %s; valid %s to %s", covers(cert), issuer, day(cert.NotBefore), day(cert.NotAfter))
}

func hostsLabel(hosts []string) string {
	if len(hosts) == 0 {
		return "no hosts"
	}
	return strings.Join(hosts, ", ")
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// days is a duration in whole days, or hours below two days.
func days(d time.Duration) string {
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
