package ingress

import (
	"fmt"
	"strings"
	"time"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/tlscert"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkTLSCertificates (ING013): every certificate parses, covers the hosts
// of its TLS entry (SANs, one-label wildcards, as clients check), and is
// valid now and for the next two weeks. Rule hosts without a TLS entry get
// the controller's default certificate over HTTPS.
func checkTLSCertificates(f *facts, a *analysis, now time.Time) report.Check {
	code := checks.IngTLSCertificates
	if len(a.tls) == 0 {
		return code.Skipped("not applicable: the ingress has no TLS section (HTTP only)")
	}
	var facts []report.Fact
	var worst *tlsEntry
	for _, e := range a.tls {
		if e.certStatus == "" {
			continue
		}
		v := e.certMsg
		if e.cert != nil {
			v = tlscert.Describe(e.cert)
			if e.certStatus != report.Pass {
				v += "; " + e.certMsg
			}
		}
		facts = append(facts, report.Fact{Name: "certificate in " + e.secretName, Value: v})
		if worst == nil || e.certStatus.Worse(worst.certStatus) {
			worst = e
		}
	}
	uncovered := hostsWithoutTLS(f, a)
	if len(uncovered) > 0 {
		facts = append(facts, report.Fact{Name: "hosts without TLS", Value: strings.Join(uncovered, ", ") + ": HTTPS gets the controller's default certificate"})
	}
	if worst == nil {
		if len(uncovered) > 0 {
			c := code.New(report.Warn, "hosts %s have rules but no TLS entry: HTTPS to them gets the controller's default certificate", strings.Join(uncovered, ", "))
			c.Facts = facts
			return c
		}
		return code.Skipped("no certificate to check: the TLS secrets are missing or unreadable")
	}
	var c report.Check
	switch worst.certStatus {
	case report.Fail:
		c = code.New(report.Fail, "%s", worst.certMsg)
		if worst.certAll && worst.cert != nil && !now.Before(worst.cert.NotBefore) {
			c.Next = []string{fmt.Sprintf("renew the certificate and update secret %s (cert-manager: kubectl -n %s describe certificate)", worst.secretName, f.namespace)}
		} else if len(worst.uncovered) > 0 {
			c.Next = []string{fmt.Sprintf("reissue the certificate in secret %s for %s, or list those hosts in a TLS entry whose secret covers them", worst.secretName, strings.Join(worst.uncovered, ", "))}
		}
	case report.Warn:
		c = code.New(report.Warn, "%s", worst.certMsg)
		c.Next = []string{fmt.Sprintf("renew the certificate in secret %s before it expires (cert-manager renews 30 days ahead: kubectl -n %s describe certificate)", worst.secretName, f.namespace)}
	default:
		if len(uncovered) > 0 {
			c = code.New(report.Warn, "hosts %s have rules but no TLS entry: HTTPS to them gets the controller's default certificate", strings.Join(uncovered, ", "))
		} else {
			c = code.New(report.Pass, "every certificate covers its hosts and is valid for more than %d days", int(ExpiryWarning.Hours()/24))
		}
	}
	c.Facts = facts
	return c
}

// hostsWithoutTLS are rule hosts that no TLS entry lists, when the Ingress
// has TLS at all.
func hostsWithoutTLS(f *facts, a *analysis) []string {
	var out []string
	for _, r := range f.ing.Spec.Rules {
		if r.Host == "" || contains(out, r.Host) {
			continue
		}
		if has, _ := tlsFor(a, strings.ToLower(r.Host)); !has && !tlsListsExactly(a, r.Host) {
			out = append(out, r.Host)
		}
	}
	return out
}

// tlsListsExactly: a TLS entry lists host as written (a wildcard rule host
// listed as the same wildcard).
func tlsListsExactly(a *analysis, host string) bool {
	for _, e := range a.tls {
		for _, h := range e.hosts {
			if strings.EqualFold(h, host) {
				return true
			}
		}
	}
	return false
}
