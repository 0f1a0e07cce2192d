package gateway

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// ListenerSetState is a ListenerSet whose parentRef names a Gateway,
// judged against the Gateway's allowedListeners (GEP-1713): only an
// allowed one adds its listeners to the Gateway's merged list.
type ListenerSetState struct {
	Set *gwv1.ListenerSet
	// Key is "namespace/name".
	Key string
	// Allowed: the Gateway's allowedListeners admits its namespace;
	// Undecided when that needs namespace labels that could not be read.
	Allowed, Undecided bool
	// Why it is not allowed, one line.
	Why string
}

// ReadListenerSets lists the ListenerSets of every namespace, or, when
// that is forbidden, of ns: scope is then ns and err says what was
// forbidden. A cluster that does not serve ListenerSet has none: no error.
// Only an error that is not the API's answer needs to stop a diagnosis.
func ReadListenerSets(ctx context.Context, r gatewayapi.Reader, ns string) (sets []gwv1.ListenerSet, scope string, err error) {
	if !r.API.Serves(gatewayapi.ListenerSets) {
		return nil, "", nil
	}
	sets, err = r.ListenerSets(ctx, metav1.NamespaceAll)
	var fe *kube.ForbiddenError
	if err != nil && errors.As(err, &fe) {
		local, lerr := r.ListenerSets(ctx, ns)
		if lerr == nil {
			return local, ns, err
		}
	}
	if err != nil {
		return nil, "", err
	}
	return sets, "", nil
}

// ListenerSetsOf are the ListenerSets of sets whose parentRef names gw, in
// the precedence of the merged list (oldest first, then namespace/name),
// each judged against gw's allowedListeners with the namespaces' labels
// of ns.
func ListenerSetsOf(gw *gwv1.Gateway, sets []gwv1.ListenerSet, ns Namespaces) []ListenerSetState {
	var mine []gwv1.ListenerSet
	for i := range sets {
		if pns, name, ok := routing.ListenerSetParent(&sets[i]); ok && pns == gw.Namespace && name == gw.Name {
			mine = append(mine, sets[i])
		}
	}
	routing.SortListenerSets(mine)
	out := make([]ListenerSetState, 0, len(mine))
	for i := range mine {
		ls := &mine[i]
		st := ListenerSetState{Set: ls, Key: routing.ListenerSetKey(ls)}
		var labels map[string]string
		known := false
		if ns.Labels != nil {
			labels, known = ns.Labels[ls.Namespace]
		}
		st.Allowed, st.Undecided, st.Why = routing.ListenerSetAllowed(gw, ls.Namespace, labels, known)
		out = append(out, st)
	}
	return out
}

// AttachedSets are the ListenerSets of states that the Gateway admits:
// those whose listeners join its merged list.
func AttachedSets(states []ListenerSetState) []gwv1.ListenerSet {
	var out []gwv1.ListenerSet
	for _, st := range states {
		if st.Allowed {
			out = append(out, *st.Set)
		}
	}
	return out
}

// AttachmentsToListenerSet judges every parentRef of routes that names the
// ListenerSet of st: against its listeners, and, when its Gateway does
// not admit it, as attaching to no listener at all.
func AttachmentsToListenerSet(st ListenerSetState, routes []Route, ns Namespaces) []ParentAttachment {
	var out []ParentAttachment
	for i := range routes {
		r := &routes[i]
		for j, ref := range r.ParentRefs {
			if !routing.RefersToListenerSet(ref, r.Namespace, st.Set) {
				continue
			}
			att := routing.AttachListenerSet(st.Set, ref, r.Info(ns))
			if !st.Allowed {
				att = notAttachedSet(st, att)
			}
			out = append(out, ParentAttachment{Route: r, Index: j, Ref: ref, ListenerSet: st.Key, Attachment: att, Status: ParentStatus(r.Status, ref, r.Namespace)})
		}
	}
	return out
}

// notAttachedSet: the ListenerSet's listeners are not the Gateway's, so
// none accepts the route.
func notAttachedSet(st ListenerSetState, att routing.Attachment) routing.Attachment {
	why := fmt.Sprintf("listenerset %s is not attached to its gateway: %s", st.Key, st.Why)
	out := routing.Attachment{Reason: gwv1.RouteReasonNoMatchingParent, Message: why, Undecided: st.Undecided}
	if st.Undecided {
		out.Reason, out.Message = gwv1.RouteReasonNotAllowedByListeners, "undecided: "+why
	}
	for _, v := range att.Listeners {
		if v.Accepted {
			v.Accepted, v.Why = false, why
		}
		out.Listeners = append(out.Listeners, v)
	}
	return out
}

// NeedsNamespaceLabels: a selector of gw (its listeners' allowedRoutes,
// its allowedListeners) or of a listener of sets needs the namespaces'
// labels.
func NeedsNamespaceLabels(gw *gwv1.Gateway, sets []gwv1.ListenerSet) bool {
	if needsNamespaces(gw) || routing.AllowedListenersFrom(gw) == gwv1.NamespacesFromSelector {
		return true
	}
	for i := range sets {
		for _, l := range routing.ListenerSetListeners(&sets[i]) {
			if routing.AllowedFrom(&l) == gwv1.NamespacesFromSelector {
				return true
			}
		}
	}
	return false
}
