package gateway

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/tlscert"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// analysis is what the checks share beyond the raw facts.
type analysis struct {
	// conflicts of the merged list: the Gateway's listeners and those of
	// the ListenerSets it admits.
	conflicts      []routing.ListenerConflict
	attachments    []ParentAttachment
	listenerRoutes map[string][]*Route
	tls            []*tlsEntry
	// merged is the Gateway's merged list of listeners.
	merged []routing.MergedListener
	// setAttachments are the parentRefs naming each ListenerSet (by key),
	// judged; setRoutes the routes attached to each of its listeners.
	setAttachments map[string][]ParentAttachment
	setRoutes      map[string]map[string][]*Route
}

func analyze(f *facts) *analysis {
	a := &analysis{setAttachments: map[string][]ParentAttachment{}, setRoutes: map[string]map[string][]*Route{}}
	a.merged = routing.MergeListeners(f.gw, AttachedSets(f.listenerSets))
	a.conflicts = routing.MergedListenerConflicts(a.merged)
	a.attachments = AttachmentsTo(f.gw, f.routes, f.namespaces)
	a.listenerRoutes = ListenerRoutes(a.attachments)
	for _, st := range f.listenerSets {
		atts := AttachmentsToListenerSet(st, f.routes, f.namespaces)
		a.setAttachments[st.Key] = atts
		a.setRoutes[st.Key] = ListenerRoutes(atts)
	}
	a.tls = evaluateTLS(f, a)
	return a
}

// tlsEntry is one certificateRef of one listener, judged.
type tlsEntry struct {
	// cl is the listener: the Gateway's or a ListenerSet's.
	cl  certListener
	ref secretRef
	// hosts the certificate must cover, and where they come from.
	hosts     []string
	hostsFrom string
	secret    *tlscert.Secret
	// refStatus/refMsg judge the reference and the secret (GW009); cert
	// the certificate (GW010) once the secret is usable.
	refStatus report.Status
	refMsg    string
	cert      *tlscert.Certificate
}

// label is the entry's listener as reports name it.
func (e *tlsEntry) label() string { return e.cl.label() }

// terminates says whether a listener terminates TLS, and so needs
// certificates.
func terminates(l *gwv1.Listener) bool {
	switch l.Protocol {
	case gwv1.HTTPSProtocolType:
		return true
	case gwv1.TLSProtocolType:
		return l.TLS != nil && l.TLS.Mode != nil && *l.TLS.Mode == gwv1.TLSModeTerminate
	}
	return false
}

// evaluateTLS judges the certificateRefs of the listeners of the merged
// list that terminate TLS: the Gateway's, and those of the ListenerSets it
// admits (resolved in the ListenerSet's namespace, GEP-1713).
func evaluateTLS(f *facts, a *analysis) []*tlsEntry {
	var out []*tlsEntry
	for _, cl := range certListeners(f.gw, AttachedSets(f.listenerSets)) {
		l := cl.listener
		if !terminates(l) {
			continue
		}
		hosts, from := certificateHosts(cl, a)
		refs := certificateRefs(cl)
		if len(refs) == 0 {
			out = append(out, &tlsEntry{cl: cl, hosts: hosts, hostsFrom: from, refStatus: report.Fail,
				refMsg: fmt.Sprintf("listener %s (%s) has no certificateRefs: it has no certificate to terminate TLS with (InvalidCertificateRef)", cl.label(), l.Protocol)})
			continue
		}
		for _, ref := range refs {
			e := &tlsEntry{cl: cl, ref: ref, hosts: hosts, hostsFrom: from}
			judgeRef(f, e)
			if e.refStatus != report.Fail && e.refStatus != report.Skip && e.secret != nil && len(e.secret.Cert) > 0 {
				c := tlscert.JudgeCertificate(ref.name, e.secret.Cert, e.hosts, f.now)
				e.cert = &c
			}
			out = append(out, e)
		}
	}
	return out
}

// certificateHosts are the hostnames a listener's certificate must cover:
// its hostname, or, without one, the hostnames of the routes attached to
// it (through the Gateway, or through its ListenerSet).
func certificateHosts(cl certListener, a *analysis) ([]string, string) {
	l := cl.listener
	if h := routing.ListenerHostname(l); h != "" {
		return []string{h}, "listener hostname"
	}
	atts := a.attachments
	if cl.set != "" {
		atts = a.setAttachments[cl.set]
	}
	var hosts []string
	for _, att := range atts {
		for _, v := range att.Listeners {
			if v.Listener != string(l.Name) || !v.Accepted {
				continue
			}
			for _, h := range v.Hostnames {
				if h != "" && !contains(hosts, h) {
					hosts = append(hosts, h)
				}
			}
		}
	}
	if len(hosts) == 0 {
		return nil, ""
	}
	return hosts, "hostnames of the attached routes"
}

// judgeRef judges one certificateRef. One in another namespace than its
// listener's resource needs a ReferenceGrant there from that resource:
// from Gateway for the Gateway's listeners, from ListenerSet (in the
// ListenerSet's namespace) for a ListenerSet's; neither inherits the
// other's grants (GEP-1713).
func judgeRef(f *facts, e *tlsEntry) {
	ref := e.ref
	switch {
	case ref.other != "":
		e.refStatus = report.Warn
		e.refMsg = fmt.Sprintf("certificateRef %s/%s of listener %s is a %s, not a Secret: implementation-specific, not checked", ref.namespace, ref.name, ref.listener, ref.other)
		return
	case ref.namespace != ref.from:
		if err := f.grantsErr[ref.namespace]; err != nil {
			e.refStatus = report.Skip
			e.refMsg = "the ReferenceGrants of namespace " + ref.namespace + " could not be read: " + err.Error()
			return
		}
		kind, plural := "Gateway", "gateways"
		if ref.set != "" {
			kind, plural = routing.ListenerSetKind, "ListenerSets"
		}
		from := routing.ReferenceFrom{Group: routing.GatewayGroup, Kind: kind, Namespace: ref.from}
		to := routing.ReferenceTo{Group: "", Kind: "Secret", Namespace: ref.namespace, Name: ref.name}
		if routing.GrantFor(f.grants, from, to) == nil {
			e.refStatus = report.Fail
			e.refMsg = fmt.Sprintf("certificateRef %s/%s of listener %s is in another namespace and no ReferenceGrant in namespace %s lets %s of namespace %s use it (RefNotPermitted): the listener serves no certificate",
				ref.namespace, ref.name, ref.listener, ref.namespace, plural, ref.from)
			gwFrom := routing.ReferenceFrom{Group: routing.GatewayGroup, Kind: "Gateway", Namespace: f.gw.Namespace}
			if ref.set != "" && routing.GrantFor(f.grants, gwFrom, to) != nil {
				e.refMsg += fmt.Sprintf("; the ReferenceGrant for gateways of namespace %s does not extend to ListenerSets", f.gw.Namespace)
			}
			return
		}
	}
	e.secret = f.secrets[ref.namespace+"/"+ref.name]
	if e.secret == nil {
		e.refStatus, e.refMsg = report.Skip, "secret not read"
		return
	}
	e.refStatus, e.refMsg = tlscert.JudgeSecret(e.secret)
	if e.refStatus == report.Fail {
		e.refMsg += " (InvalidCertificateRef)"
	}
}

// condition is the condition of type t, or nil.
func condition(conds []metav1.Condition, t string) *metav1.Condition {
	return meta.FindStatusCondition(conds, t)
}

// describeCondition is "True (Programmed)" with the message when it says
// more than the reason.
func describeCondition(c *metav1.Condition) string {
	if c == nil {
		return "none"
	}
	s := fmt.Sprintf("%s (%s)", c.Status, c.Reason)
	if m := strings.TrimSpace(c.Message); m != "" && m != c.Reason {
		s += ": " + m
	}
	return s
}

// pending says whether a condition is the CRDs' default, written before
// any controller: Unknown, reason Pending.
func pending(c *metav1.Condition) bool {
	return c == nil || (c.Status == metav1.ConditionUnknown && c.Reason == "Pending")
}

// listenerStatus is the status of the listener named name, or nil.
func listenerStatus(gw *gwv1.Gateway, name gwv1.SectionName) *gwv1.ListenerStatus {
	for i := range gw.Status.Listeners {
		if gw.Status.Listeners[i].Name == name {
			return &gw.Status.Listeners[i]
		}
	}
	return nil
}

// describeListener is "https (HTTPS :443, shop.example.com)".
func describeListener(l *gwv1.Listener) string {
	h := routing.ListenerHostname(l)
	if h == "" {
		h = "any host"
	}
	return fmt.Sprintf("%s (%s :%d, %s)", l.Name, l.Protocol, l.Port, h)
}

func labelSet(m map[string]string) labels.Set { return labels.Set(m) }
