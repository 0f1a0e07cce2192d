package gateway

import (
	"fmt"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// ListenerSetData is one entry of GW014's Data: a ListenerSet that names
// the Gateway, and its listeners.
type ListenerSetData struct {
	ListenerSet string `json:"listenerSet"`
	// Allowed: the Gateway's allowedListeners admits it; Why says why not.
	Allowed bool   `json:"allowed"`
	Why     string `json:"why,omitempty"`
	// Accepted and Programmed are the controller's conditions, "Status
	// (Reason)", "none" when it wrote none.
	Accepted   string           `json:"accepted"`
	Programmed string           `json:"programmed"`
	Listeners  []AttachedRoutes `json:"listeners"`
}

// checkListenerSets (GW014): the ListenerSets that name the Gateway, as
// its allowedListeners and its controller treat them, with their
// listeners shown like the Gateway's own. ok is false when there is
// nothing to say (no ListenerSet names the Gateway and it admits none):
// the check is then left out.
func checkListenerSets(f *facts, a *analysis) (c report.Check, ok bool) {
	code := checks.GwListenerSets
	gw := f.gw
	if len(f.listenerSets) == 0 && routing.AllowedListenersFrom(gw) == gwv1.NamespacesFromNone {
		return c, false
	}
	if !f.lsServed {
		return code.Skipped("gateway %s/%s admits %s, but the cluster does not serve ListenerSet (%s.%s): it has only its own listeners",
			gw.Namespace, gw.Name, routing.DescribeAllowedListeners(gw), gatewayapi.ListenerSets, gatewayapi.Group), true
	}
	if f.lsErr != nil && f.lsScope == "" {
		return code.FromError("listing the ListenerSets", f.lsErr), true
	}
	facts := []report.Fact{{Name: "allowedListeners", Value: "admits " + routing.DescribeAllowedListeners(gw)}}
	if n := gw.Status.AttachedListenerSets; n != nil {
		facts = append(facts, report.Fact{Name: "attachedListenerSets", Value: fmt.Sprintf("the controller counts %d", *n)})
	}
	if f.lsScope != "" {
		facts = append(facts, report.Fact{Name: "caveat", Value: fmt.Sprintf("only the ListenerSets of namespace %s were read: %s", f.lsScope, f.lsErr)})
	}
	if len(f.listenerSets) == 0 {
		c = code.New(report.Pass, "gateway %s/%s admits %s; no ListenerSet names it", gw.Namespace, gw.Name, routing.DescribeAllowedListeners(gw))
		c.Facts = facts
		return c, true
	}
	var data []ListenerSetData
	var fails, warns, nexts []string
	listeners, attachments := 0, 0
	for _, st := range f.listenerSets {
		ls := st.Set
		acc := condition(ls.Status.Conditions, string(gwv1.ListenerSetConditionAccepted))
		prog := condition(ls.Status.Conditions, string(gwv1.ListenerSetConditionProgrammed))
		d := ListenerSetData{ListenerSet: st.Key, Allowed: st.Allowed, Why: st.Why, Accepted: describeCondition(acc), Programmed: describeCondition(prog)}
		describe := fmt.Sprintf("kubectl -n %s describe listenerset %s", ls.Namespace, ls.Name)
		v := "attached: admitted by allowedListeners"
		switch {
		case st.Undecided:
			v = "undecided: " + st.Why
			warns = append(warns, fmt.Sprintf("listenerset %s: %s", st.Key, st.Why))
		case !st.Allowed:
			v = "not allowed: " + st.Why
			fails = append(fails, fmt.Sprintf("listenerset %s names gateway %s/%s, which does not admit it: %s (NotAllowed): its %d listener(s) are not served",
				st.Key, gw.Namespace, gw.Name, st.Why, len(ls.Spec.Listeners)))
			nexts = append(nexts, fmt.Sprintf("kubectl -n %s edit gateway %s", gw.Namespace, gw.Name))
		}
		v += fmt.Sprintf("; Accepted %s; Programmed %s", d.Accepted, d.Programmed)
		facts = append(facts, report.Fact{Name: "listenerset " + st.Key, Value: v})
		switch {
		case pending(acc) && pending(prog):
			if st.Allowed {
				warns = append(warns, fmt.Sprintf("no controller has processed listenerset %s (no Accepted or Programmed condition)", st.Key))
				nexts = append(nexts, describe)
			}
		case acc != nil && acc.Status == "False":
			if st.Allowed || acc.Reason != string(gwv1.ListenerSetReasonNotAllowed) {
				fails = append(fails, fmt.Sprintf("listenerset %s is not accepted: %s", st.Key, describeCondition(acc)))
				nexts = append(nexts, describe)
			}
		case prog != nil && prog.Status == "False":
			fails = append(fails, fmt.Sprintf("listenerset %s is not programmed: %s", st.Key, describeCondition(prog)))
			nexts = append(nexts, describe)
		}
		for _, l := range routing.ListenerSetListeners(ls) {
			ld := AttachedRoutes{Listener: string(l.Name), Status: -1}
			var parts []string
			if l.TLS != nil {
				parts = append(parts, describeTLS(ls.Namespace, l.TLS))
			}
			parts = append(parts, fmt.Sprintf("kinds %s; from %s", orNone(routing.AllowedKinds(&l)), routing.DescribeAllowedNamespaces(&l, ls.Namespace)))
			if es := entryStatus(ls, l.Name); es != nil {
				ld.Status = es.AttachedRoutes
				for _, t := range []gwv1.ListenerEntryConditionType{gwv1.ListenerEntryConditionAccepted, gwv1.ListenerEntryConditionProgrammed, gwv1.ListenerEntryConditionResolvedRefs, gwv1.ListenerEntryConditionConflicted} {
					cond := condition(es.Conditions, string(t))
					if cond == nil {
						continue
					}
					parts = append(parts, string(t)+" "+describeCondition(cond))
					if cond.Status == "False" && t != gwv1.ListenerEntryConditionConflicted && st.Allowed {
						fails = append(fails, fmt.Sprintf("listener %s of listenerset %s is not %s: %s", l.Name, st.Key, strings.ToLower(string(t)), describeCondition(cond)))
						nexts = append(nexts, describe)
					}
				}
			} else {
				parts = append(parts, "no status")
			}
			for _, r := range a.setRoutes[st.Key][string(l.Name)] {
				ld.Routes = append(ld.Routes, r.Label())
			}
			ld.Computed = len(ld.Routes)
			attachments += ld.Computed
			at := fmt.Sprintf("%d attached", ld.Computed)
			if ld.Status >= 0 {
				at += fmt.Sprintf(" (the controller counts %d)", ld.Status)
			}
			if len(ld.Routes) > 0 {
				at += ": " + checks.ListSome(ld.Routes, 5)
			}
			parts = append(parts, at)
			for _, att := range a.setAttachments[st.Key] {
				for _, lv := range att.Listeners {
					if lv.Listener == string(l.Name) && lv.Selected && !lv.Accepted {
						reason := listenerReason(lv)
						if !st.Allowed {
							reason = att.Reason // the ListenerSet's, not the listener's
						}
						ld.Rejected = append(ld.Rejected, Reject{Route: att.Route.Label(), Reason: string(reason), Why: lv.Why})
					}
				}
			}
			facts = append(facts, report.Fact{Name: "  listener " + describeListener(&l), Value: strings.Join(parts, "; ")})
			for _, r := range ld.Rejected {
				facts = append(facts, report.Fact{Name: "    cannot attach", Value: fmt.Sprintf("%s: %s (%s)", r.Route, r.Why, r.Reason)})
			}
			d.Listeners = append(d.Listeners, ld)
			listeners++
		}
		for _, att := range a.setAttachments[st.Key] {
			if !att.Accepted && st.Allowed {
				warns = append(warns, fmt.Sprintf("%s names listenerset %s but attaches to none of its listeners: %s (%s)", att.Route.Label(), st.Key, att.Message, att.Reason))
				nexts = append(nexts, fmt.Sprintf("kubectl netdebug route %s", routeArg(att.Route.Label())))
			}
		}
		data = append(data, d)
	}
	switch {
	case len(fails) > 0:
		c = code.New(report.Fail, "%s", fails[0])
		if len(fails) > 1 {
			c.Message += fmt.Sprintf("; %d more problem(s) with ListenerSets", len(fails)-1)
		}
	case len(warns) > 0:
		c = code.New(report.Warn, "%s", warns[0])
		if len(warns) > 1 {
			c.Message += fmt.Sprintf(" (and %d more)", len(warns)-1)
		}
	default:
		c = code.New(report.Pass, "%d ListenerSet(s) attached, accepted and programmed, adding %d listener(s) with %d route attachment(s)", len(f.listenerSets), listeners, attachments)
	}
	if len(nexts) > 0 {
		c.Next = nexts[:1]
	}
	for _, st := range f.listenerSets {
		c.Objects = append(c.Objects, report.Object{Kind: "ListenerSet", Namespace: st.Set.Namespace, Name: st.Set.Name})
	}
	c.Facts = facts
	c.Data = data
	return c, true
}

// entryStatus is the status of a ListenerSet's listener, or nil.
func entryStatus(ls *gwv1.ListenerSet, name gwv1.SectionName) *gwv1.ListenerEntryStatus {
	for i := range ls.Status.Listeners {
		if ls.Status.Listeners[i].Name == name {
			return &ls.Status.Listeners[i]
		}
	}
	return nil
}

// describeTLS is "tls Terminate, certificateRefs team/shop-tls" (refs
// resolved against the namespace ns of the listener's resource).
func describeTLS(ns string, t *gwv1.ListenerTLSConfig) string {
	mode := gwv1.TLSModeTerminate
	if t.Mode != nil {
		mode = *t.Mode
	}
	var refs []string
	for _, ref := range t.CertificateRefs {
		rns := ns
		if ref.Namespace != nil && *ref.Namespace != "" {
			rns = string(*ref.Namespace)
		}
		s := rns + "/" + string(ref.Name)
		if ref.Kind != nil && *ref.Kind != "Secret" {
			s = string(*ref.Kind) + " " + s
		}
		refs = append(refs, s)
	}
	return fmt.Sprintf("tls %s, certificateRefs %s", mode, orNone(refs))
}
