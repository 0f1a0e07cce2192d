package routing

import (
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// ListenerSetKind is the kind of a ListenerSet (GEP-1713): listeners of
// their own that a Gateway merges into its list when its allowedListeners
// admits them.
const ListenerSetKind = "ListenerSet"

// ListenerSetKey is "namespace/name".
func ListenerSetKey(ls *gwv1.ListenerSet) string { return ls.Namespace + "/" + ls.Name }

// ListenerSetParent is the namespace and name of the Gateway a
// ListenerSet's parentRef names (group gateway.networking.k8s.io and kind
// Gateway unless set, namespace the ListenerSet's unless set); ok is false
// when it names another kind of parent.
func ListenerSetParent(ls *gwv1.ListenerSet) (ns, name string, ok bool) {
	ref := ls.Spec.ParentRef
	if ref.Group != nil && *ref.Group != "" && string(*ref.Group) != GatewayGroup {
		return "", "", false
	}
	if ref.Kind != nil && *ref.Kind != "" && string(*ref.Kind) != "Gateway" {
		return "", "", false
	}
	ns = ls.Namespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	return ns, string(ref.Name), true
}

// ParentListenerSet is the namespace and name of the ListenerSet a route's
// parentRef names (kind ListenerSet, group gateway.networking.k8s.io);
// ok is false when it names another kind of parent.
func ParentListenerSet(ref gwv1.ParentReference, routeNamespace string) (ns, name string, ok bool) {
	if ref.Group != nil && string(*ref.Group) != GatewayGroup {
		return "", "", false
	}
	if ref.Kind == nil || string(*ref.Kind) != ListenerSetKind {
		return "", "", false
	}
	ns = routeNamespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	return ns, string(ref.Name), true
}

// RefersToListenerSet says whether a route's parentRef names ls.
func RefersToListenerSet(ref gwv1.ParentReference, routeNamespace string, ls *gwv1.ListenerSet) bool {
	ns, name, ok := ParentListenerSet(ref, routeNamespace)
	return ok && ns == ls.Namespace && name == ls.Name
}

// AllowedListenersFrom is where a Gateway admits ListenerSets from:
// None (the default), Same, All or Selector.
func AllowedListenersFrom(gw *gwv1.Gateway) gwv1.FromNamespaces {
	al := gw.Spec.AllowedListeners
	if al == nil || al.Namespaces == nil || al.Namespaces.From == nil {
		return gwv1.NamespacesFromNone
	}
	return *al.Namespaces.From
}

// AllowedListenersSelector is the namespace selector of a Gateway that
// admits ListenerSets by selector; an invalid or missing one selects
// nothing.
func AllowedListenersSelector(gw *gwv1.Gateway) (labels.Selector, error) {
	al := gw.Spec.AllowedListeners
	if al == nil || al.Namespaces == nil || al.Namespaces.Selector == nil {
		return labels.Nothing(), fmt.Errorf("from: Selector without a selector")
	}
	return metav1.LabelSelectorAsSelector(al.Namespaces.Selector)
}

// DescribeAllowedListeners says in words which namespaces a Gateway admits
// ListenerSets from.
func DescribeAllowedListeners(gw *gwv1.Gateway) string {
	switch AllowedListenersFrom(gw) {
	case gwv1.NamespacesFromAll:
		return "ListenerSets of all namespaces (allowedListeners from: All)"
	case gwv1.NamespacesFromSame:
		return "ListenerSets of namespace " + gw.Namespace + " only (allowedListeners from: Same)"
	case gwv1.NamespacesFromSelector:
		sel, err := AllowedListenersSelector(gw)
		if err != nil {
			return "ListenerSets of namespaces selected by an invalid selector (" + err.Error() + "): none"
		}
		return "ListenerSets of namespaces labelled " + selectorString(sel) + " (allowedListeners from: Selector)"
	case gwv1.NamespacesFromNone:
		return "no ListenerSet (allowedListeners from: None, the default)"
	}
	return fmt.Sprintf("unknown allowedListeners from %q: no ListenerSet", AllowedListenersFrom(gw))
}

// ListenerSetAllowed applies a Gateway's allowedListeners to a ListenerSet
// of namespace ns, whose labels are nsLabels (known false when they could
// not be read: a selector is then undecided). why says, when it is not
// allowed, what the Gateway admits.
func ListenerSetAllowed(gw *gwv1.Gateway, ns string, nsLabels map[string]string, known bool) (allowed, undecided bool, why string) {
	switch AllowedListenersFrom(gw) {
	case gwv1.NamespacesFromAll:
		return true, false, ""
	case gwv1.NamespacesFromSame:
		if ns == gw.Namespace {
			return true, false, ""
		}
	case gwv1.NamespacesFromSelector:
		sel, err := AllowedListenersSelector(gw)
		if err == nil && !known {
			return false, true, fmt.Sprintf("gateway %s/%s admits %s, and the labels of namespace %s could not be read", gw.Namespace, gw.Name, DescribeAllowedListeners(gw), ns)
		}
		if err == nil && sel.Matches(labels.Set(nsLabels)) {
			return true, false, ""
		}
	}
	return false, false, fmt.Sprintf("gateway %s/%s admits %s, not from namespace %s", gw.Namespace, gw.Name, DescribeAllowedListeners(gw), ns)
}

// SortListenerSets orders ListenerSets by the precedence of a Gateway's
// merged list: the oldest first, then by namespace/name.
func SortListenerSets(sets []gwv1.ListenerSet) {
	sort.SliceStable(sets, func(i, j int) bool {
		a, b := &sets[i], &sets[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return ListenerSetKey(a) < ListenerSetKey(b)
	})
}

// EntryListener is a ListenerSet's listener as a Gateway's: ListenerEntry
// is a copy of Listener.
func EntryListener(e gwv1.ListenerEntry) gwv1.Listener {
	return gwv1.Listener{Name: e.Name, Hostname: e.Hostname, Port: e.Port, Protocol: e.Protocol, TLS: e.TLS, AllowedRoutes: e.AllowedRoutes}
}

// ListenerSetListeners are a ListenerSet's listeners as a Gateway's.
func ListenerSetListeners(ls *gwv1.ListenerSet) []gwv1.Listener {
	out := make([]gwv1.Listener, len(ls.Spec.Listeners))
	for i, e := range ls.Spec.Listeners {
		out[i] = EntryListener(e)
	}
	return out
}

// MergeListeners is a Gateway's merged list of listeners: its own, then
// those of sets (the ListenerSets attached to it) by precedence
// (SortListenerSets; sets is not changed).
func MergeListeners(gw *gwv1.Gateway, sets []gwv1.ListenerSet) []MergedListener {
	out := make([]MergedListener, 0, len(gw.Spec.Listeners))
	for _, l := range gw.Spec.Listeners {
		out = append(out, MergedListener{Listener: l})
	}
	sorted := append([]gwv1.ListenerSet(nil), sets...)
	SortListenerSets(sorted)
	for i := range sorted {
		key := ListenerSetKey(&sorted[i])
		for _, l := range ListenerSetListeners(&sorted[i]) {
			out = append(out, MergedListener{ListenerSet: key, Listener: l})
		}
	}
	return out
}

// AttachListenerSet decides whether route attaches to ls through ref,
// listener by listener: the ListenerSet is the route's direct parent, its
// listeners are the relevant ones, and allowedRoutes from: Same means the
// ListenerSet's namespace (GEP-1713). ref must name ls
// (RefersToListenerSet). Whether ls is attached to its Gateway is not
// judged here.
func AttachListenerSet(ls *gwv1.ListenerSet, ref gwv1.ParentReference, route RouteInfo) Attachment {
	return attach("listenerset "+ListenerSetKey(ls), ls.Namespace, ListenerSetListeners(ls), ref, route)
}
