package gateway

import (
	"errors"
	"fmt"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/tlscert"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkTLSRefs (GW009): every certificateRef of a listener that terminates
// TLS names a usable Secret, in another namespace only with a
// ReferenceGrant. Key material is never read into the report.
func checkTLSRefs(f *facts, a *analysis) report.Check {
	code := checks.GwTLSRefs
	if len(a.tls) == 0 {
		return code.Skipped("not applicable: no listener terminates TLS")
	}
	var facts []report.Fact
	var worst *tlsEntry
	for _, e := range a.tls {
		name := "listener " + string(e.listener.Name)
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
		} else if f.grantsErr != nil {
			err = f.grantsErr
		}
		if errors.As(err, &fe) {
			c = code.FromError("reading the listeners' certificates", err)
		} else {
			c = code.New(report.Error, "reading the certificate of listener %s failed: %v", worst.listener.Name, err)
		}
	case report.Fail:
		msg := worst.refMsg
		if !strings.Contains(msg, "listener "+string(worst.listener.Name)) {
			msg = fmt.Sprintf("listener %s: %s", worst.listener.Name, msg)
		}
		c = code.New(report.Fail, "%s: TLS handshakes on it fail or get a default certificate, which clients reject", msg)
		switch {
		case worst.ref.name == "":
			c.Next = []string{fmt.Sprintf("kubectl -n %s edit gateway %s   # add tls.certificateRefs to listener %s", f.namespace, f.name, worst.listener.Name)}
		case worst.ref.namespace != f.namespace && worst.secret == nil:
			c.Next = []string{fmt.Sprintf("create a ReferenceGrant in namespace %s from Gateway in namespace %s to Secret %s", worst.ref.namespace, f.namespace, worst.ref.name)}
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
		if e.ref.name != "" && e.ref.other == "" {
			c.Objects = append(c.Objects, report.Object{Kind: "Secret", Namespace: e.ref.namespace, Name: e.ref.name})
		}
	}
	return c
}

// checkTLSCertificates (GW010): every certificate parses, is valid now and
// covers the hostnames its listener serves.
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
		facts = append(facts, report.Fact{Name: fmt.Sprintf("listener %s certificate %s/%s", e.listener.Name, e.ref.namespace, e.ref.name), Value: v})
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
		c = code.New(report.Fail, "listener %s: %s", worst.listener.Name, worst.cert.Msg)
		c.Next = []string{fmt.Sprintf("reissue or renew the certificate in secret %s/%s (cert-manager: kubectl -n %s describe certificate)", worst.ref.namespace, worst.ref.name, worst.ref.namespace)}
	case report.Warn:
		c = code.New(report.Warn, "listener %s: %s", worst.listener.Name, worst.cert.Msg)
		c.Next = []string{fmt.Sprintf("renew the certificate in secret %s/%s before it expires", worst.ref.namespace, worst.ref.name)}
	default:
		c = code.New(report.Pass, "every certificate covers its listener's hostnames and is valid for more than %d days", int(tlscert.ExpiryWarning.Hours()/24))
	}
	c.Facts = facts
	return c
}
