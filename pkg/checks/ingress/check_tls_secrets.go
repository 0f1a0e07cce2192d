package ingress

import (
	"errors"
	"fmt"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/tlscert"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkTLSSecrets (ING012): every TLS entry's secret exists in the
// Ingress's namespace, is of type kubernetes.io/tls, and holds tls.crt and
// a tls.key that matches it. An unusable secret makes the controller serve
// its default certificate, which clients reject. Key material is never
// read into the report, not even its length.
func checkTLSSecrets(f *facts, a *analysis) report.Check {
	code := checks.IngTLSSecrets
	if len(a.tls) == 0 {
		return code.Skipped("not applicable: the ingress has no TLS section (HTTP only)")
	}
	var facts []report.Fact
	var worst *tlsEntry
	for _, e := range a.tls {
		name := "secret " + e.secretName
		if e.secretName == "" {
			name = "TLS entry"
		}
		v := "hosts " + tlscert.HostsLabel(e.hosts)
		if s := e.secret; s != nil && s.Found {
			v += fmt.Sprintf("; type %s; keys %s", s.Type, orNone(s.Keys))
		}
		if e.secretStatus != report.Pass {
			v += "; " + e.secretMsg
		}
		facts = append(facts, report.Fact{Name: name, Value: v})
		if worst == nil || e.secretStatus.Worse(worst.secretStatus) {
			worst = e
		}
	}
	var c report.Check
	switch worst.secretStatus {
	case report.Skip:
		var fe *kube.ForbiddenError
		if errors.As(worst.secret.Err, &fe) {
			c = code.FromError("reading the TLS secrets", worst.secret.Err)
		} else {
			c = code.New(report.Error, "reading TLS secret %s failed: %v", worst.secretName, worst.secret.Err)
		}
	case report.Fail:
		c = code.New(report.Fail, "%s: %s for %s, which clients reject", worst.secretMsg, a.kind.defaultCertificate(), tlscert.HostsLabel(worst.hosts))
		c.Next = []string{
			fmt.Sprintf("kubectl -n %s create secret tls %s --cert=tls.crt --key=tls.key", f.namespace, orDash(worst.secretName)),
			fmt.Sprintf("kubectl -n %s get certificates", f.namespace),
		}
	case report.Warn:
		c = code.New(report.Warn, "%s", worst.secretMsg)
	default:
		c = code.New(report.Pass, "%d TLS secret(s) exist, are of type kubernetes.io/tls and hold a matching key", len(secretNames(f.ing)))
	}
	c.Facts = facts
	for _, n := range secretNames(f.ing) {
		c.Objects = append(c.Objects, report.Object{Kind: "Secret", Namespace: f.namespace, Name: n})
	}
	return c
}
