package gateway

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/tlscert"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// checkTLSRefs (GW009): every certificateRef of a listener that terminates
// TLS names a usable Secret, in another namespace only with a
// ReferenceGrant: the Gateway's listeners and those of the ListenerSets it
// admits, whose references resolve in the ListenerSet's namespace and need
// a grant from ListenerSet. Key material is never read into the report.
func checkTLSRefs(f *facts, a *analysis) report.Check {
	code := checks.GwTLSRefs
	if len(a.tls) == 0 {
		return code.Skipped("not applicable: no listener terminates TLS")
	}
	var facts []report.Fact
	var worst *tlsEntry
	for _, e := range a.tls {
		name := "listener " + e.label()
		if e.ref.name != "" {
			name += " secret " + e.ref.namespace + "/" + e.ref.name
		}
		v := e.refMsg
		if s := e.secret; s != nil && s.Found {
			v = fmt.Sprintf("type %s; keys %s", s.Type, orNone(s.Keys))
			if e.refStatus != report.Pass {
				v += "; " + e.refMsg
			}
		}
		facts = append(facts, report.Fact{Name: name, Value: v})
		if worst == nil || e.refStatus.Worse(worst.refStatus) {
			worst = e
		}
	}
	var c report.Check
	switch worst.refStatus {
	case report.Skip:
		var fe *kube.ForbiddenError
		err := errors.New(worst.refMsg)
		if worst.secret != nil && worst.secret.Err != nil {
			err = worst.secret.Err
		} else if gerr := f.grantsErr[worst.ref.namespace]; gerr != nil {
			err = gerr
		}
		if errors.As(err, &fe) {
			c = code.FromError("reading the listeners' certificates", err)
		} else {
			c = code.New(report.Error, "reading the certificate of listener %s failed: %v", worst.label(), err)
		}
	case report.Fail:
		msg := worst.refMsg
		if !strings.Contains(msg, "listener "+worst.label()) {
			msg = fmt.Sprintf("listener %s: %s", worst.label(), msg)
		}
		c = code.New(report.Fail, "%s: TLS handshakes on it fail or get a default certificate, which clients reject", msg)
		kind, edit := "Gateway", fmt.Sprintf("kubectl -n %s edit gateway %s", f.namespace, f.name)
		if set := worst.cl.set; set != "" {
			ns, name, _ := strings.Cut(set, "/")
			kind, edit = "ListenerSet (group "+routing.GatewayGroup+")", fmt.Sprintf("kubectl -n %s edit listenerset %s", ns, name)
		}
		switch {
		case worst.ref.name == "":
			c.Next = []string{edit}
		case worst.ref.namespace != worst.ref.from && worst.secret == nil:
			c.Next = []string{fmt.Sprintf("create a ReferenceGrant in namespace %s from %s in namespace %s to Secret %s", worst.ref.namespace, kind, worst.ref.from, worst.ref.name)}
		default:
			c.Next = []string{fmt.Sprintf("kubectl -n %s create secret tls %s --cert=tls.crt --key=tls.key", worst.ref.namespace, worst.ref.name)}
		}
	case report.Warn:
		c = code.New(report.Warn, "%s", worst.refMsg)
	default:
		c = code.New(report.Pass, "%d certificate reference(s) name kubernetes.io/tls secrets with a matching key", len(a.tls))
	}
	c.Facts = facts
	for _, e := range a.tls {
		o := report.Object{Kind: "Secret", Namespace: e.ref.namespace, Name: e.ref.name}
		if e.ref.name != "" && e.ref.other == "" && !slices.Contains(c.Objects, o) {
			c.Objects = append(c.Objects, o)
		}
	}
	return c
}

// checkTLSCertificates (GW010): every certificate parses, is valid now and
// covers the hostnames its listener serves, the ListenerSets' listeners
// included.
func checkTLSCertificates(f *facts, a *analysis) report.Check {
	code := checks.GwTLSCertificates
	if len(a.tls) == 0 {
		return code.Skipped("not applicable: no listener terminates TLS")
	}
	var facts []report.Fact
	var worst *tlsEntry
	for _, e := range a.tls {
		if e.cert == nil {
			continue
		}
		v := e.cert.Msg
		if e.cert.Cert != nil {
			v = tlscert.Describe(e.cert.Cert)
			if e.cert.Status != report.Pass {
				v += "; " + e.cert.Msg
			}
		}
		if len(e.hosts) == 0 {
			v += "; the listener has no hostname and no route hostname attached: coverage not checked"
		} else {
			v += fmt.Sprintf("; must cover %s (%s)", strings.Join(e.hosts, ", "), e.hostsFrom)
		}
		facts = append(facts, report.Fact{Name: fmt.Sprintf("listener %s certificate %s/%s", e.label(), e.ref.namespace, e.ref.name), Value: v})
		if worst == nil || e.cert.Status.Worse(worst.cert.Status) {
			worst = e
		}
	}
	if worst == nil {
		return code.Skipped("no certificate to check: the certificate references are missing, not permitted or unreadable")
	}
	var c report.Check
	switch worst.cert.Status {
	case report.Fail:
		c = code.New(report.Fail, "listener %s: %s", worst.label(), worst.cert.Msg)
		c.Next = []string{fmt.Sprintf("reissue or renew the certificate in secret %s/%s (cert-manager: kubectl -n %s describe certificate)", worst.ref.namespace, worst.ref.name, worst.ref.namespace)}
	case report.Warn:
		c = code.New(report.Warn, "listener %s: %s", worst.label(), worst.cert.Msg)
		c.Next = []string{fmt.Sprintf("renew the certificate in secret %s/%s before it expires", worst.ref.namespace, worst.ref.name)}
	default:
		c = code.New(report.Pass, "every certificate covers its listener's hostnames and is valid for more than %d days", int(tlscert.ExpiryWarning.Hours()/24))
	}
	c.Facts = facts
	return c
}
