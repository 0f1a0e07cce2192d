package routing

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// GatewayGroup is the API group of the Gateway API.
const GatewayGroup = gwv1.GroupName

// RouteInfo is what attaching a route to a Gateway looks at.
type RouteInfo struct {
	// Kind is HTTPRoute or GRPCRoute (any kind of the Gateway API group).
	Kind      string
	Namespace string
	Name      string
	Hostnames []gwv1.Hostname
	// NamespaceLabels are the labels of the route's namespace, for
	// listeners that admit namespaces by selector; NamespaceKnown is false
	// when they could not be read.
	NamespaceLabels map[string]string
	NamespaceKnown  bool
}

// RefersTo says whether a route's parentRef names gw: group
// gateway.networking.k8s.io and kind Gateway unless set, namespace the
// route's unless set.
func RefersTo(ref gwv1.ParentReference, routeNamespace string, gw *gwv1.Gateway) bool {
	ns, name, ok := ParentGateway(ref, routeNamespace)
	return ok && ns == gw.Namespace && name == gw.Name
}

// ParentGateway is the namespace and name of the Gateway a parentRef
// names; ok is false when it names another kind of parent.
func ParentGateway(ref gwv1.ParentReference, routeNamespace string) (ns, name string, ok bool) {
	if ref.Group != nil && string(*ref.Group) != GatewayGroup {
		return "", "", false
	}
	if ref.Kind != nil && string(*ref.Kind) != "Gateway" {
		return "", "", false
	}
	ns = routeNamespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	return ns, string(ref.Name), true
}

// DescribeParentRef is a parentRef as reports show it:
// "gateway infra/shop, listener https, port 443".
func DescribeParentRef(ref gwv1.ParentReference, routeNamespace string) string {
	kind := "gateway"
	if _, _, ok := ParentListenerSet(ref, routeNamespace); ok {
		kind = "listenerset"
	} else if ref.Kind != nil && *ref.Kind != "Gateway" {
		kind = string(*ref.Kind)
		if ref.Group != nil && *ref.Group != "" {
			kind += "." + string(*ref.Group)
		}
	}
	ns := routeNamespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	s := fmt.Sprintf("%s %s/%s", kind, ns, ref.Name)
	if ref.SectionName != nil {
		s += ", listener " + string(*ref.SectionName)
	}
	if ref.Port != nil {
		s += fmt.Sprintf(", port %d", *ref.Port)
	}
	return s
}

// ListenerVerdict is how one listener of the parent Gateway treats a route.
type ListenerVerdict struct {
	Listener string
	Port     int32
	Protocol gwv1.ProtocolType
	// Selected: the parentRef's sectionName and port select the listener.
	Selected bool
	// KindAllowed: allowedRoutes.kinds, or the protocol's default kinds,
	// include the route's kind.
	KindAllowed bool
	// NamespaceAllowed: allowedRoutes.namespaces admits the route's
	// namespace; NamespaceUndecided when the selector needs labels that
	// could not be read.
	NamespaceAllowed   bool
	NamespaceUndecided bool
	// Hostnames the route serves on the listener (IntersectHostnames), ""
	// for any host; empty when none intersects.
	Hostnames []string
	// Accepted: selected, kind and namespace allowed, hostnames intersect.
	Accepted bool
	// Why the listener does not accept the route, one line.
	Why string
}

// Attachment is whether a route attaches to a Gateway through one
// parentRef, as a conformant controller decides it (ParentReference,
// AllowedRoutes, HTTPRouteSpec.Hostnames): the route is accepted when at
// least one listener the parentRef selects accepts it.
type Attachment struct {
	Accepted bool
	// Reason is the Accepted condition's reason a controller would set:
	// Accepted, NoMatchingParent (no listener has the sectionName or
	// port), NotAllowedByListeners (kind or namespace not allowed) or
	// NoMatchingListenerHostname.
	Reason  gwv1.RouteConditionReason
	Message string
	// Undecided: a listener admits namespaces by a selector and the route
	// namespace's labels are unknown.
	Undecided bool
	Listeners []ListenerVerdict
}

// DefaultRouteKinds are the route kinds a listener admits when its
// allowedRoutes.kinds is empty, by protocol: HTTP and HTTPS admit
// HTTPRoute and GRPCRoute, TLS TLSRoute, TCP TCPRoute, UDP UDPRoute.
func DefaultRouteKinds(p gwv1.ProtocolType) []string {
	switch p {
	case gwv1.HTTPProtocolType, gwv1.HTTPSProtocolType:
		return []string{"HTTPRoute", "GRPCRoute"}
	case gwv1.TLSProtocolType:
		return []string{"TLSRoute"}
	case gwv1.TCPProtocolType:
		return []string{"TCPRoute"}
	case gwv1.UDPProtocolType:
		return []string{"UDPRoute"}
	}
	return nil
}

// AllowedKinds are the route kinds a listener admits, "group/Kind" for
// kinds outside the Gateway API group.
func AllowedKinds(l *gwv1.Listener) []string {
	if l.AllowedRoutes == nil || len(l.AllowedRoutes.Kinds) == 0 {
		return DefaultRouteKinds(l.Protocol)
	}
	var out []string
	for _, k := range l.AllowedRoutes.Kinds {
		if k.Group != nil && string(*k.Group) != GatewayGroup {
			out = append(out, string(*k.Group)+"/"+string(k.Kind))
			continue
		}
		out = append(out, string(k.Kind))
	}
	return out
}

// AllowedFrom is where a listener admits routes from: Same (the default),
// All, Selector or None.
func AllowedFrom(l *gwv1.Listener) gwv1.FromNamespaces {
	if l.AllowedRoutes == nil || l.AllowedRoutes.Namespaces == nil || l.AllowedRoutes.Namespaces.From == nil {
		return gwv1.NamespacesFromSame
	}
	return *l.AllowedRoutes.Namespaces.From
}

// NamespaceSelector is the selector of a listener that admits namespaces
// by selector; an invalid or missing selector selects nothing.
func NamespaceSelector(l *gwv1.Listener) (labels.Selector, error) {
	if l.AllowedRoutes == nil || l.AllowedRoutes.Namespaces == nil || l.AllowedRoutes.Namespaces.Selector == nil {
		return labels.Nothing(), fmt.Errorf("from: Selector without a selector")
	}
	return metav1.LabelSelectorAsSelector(l.AllowedRoutes.Namespaces.Selector)
}

// DescribeAllowedNamespaces says in words which namespaces a listener of
// a Gateway in namespace gwNamespace admits routes from.
func DescribeAllowedNamespaces(l *gwv1.Listener, gwNamespace string) string {
	switch AllowedFrom(l) {
	case gwv1.NamespacesFromAll:
		return "all namespaces"
	case gwv1.NamespacesFromSelector:
		sel, err := NamespaceSelector(l)
		if err != nil {
			return "namespaces selected by an invalid selector (" + err.Error() + "): none"
		}
		return "namespaces labelled " + selectorString(sel)
	case gwv1.NamespacesFromNone:
		return "no namespace (from: None)"
	case gwv1.NamespacesFromSame:
		return "namespace " + gwNamespace + " only (from: Same)"
	}
	return fmt.Sprintf("unknown from %q: none", AllowedFrom(l))
}

func selectorString(s labels.Selector) string {
	if s.Empty() {
		return "anything (an empty selector)"
	}
	return s.String()
}

// Attach decides whether route attaches to gw through ref, listener by
// listener. ref must name gw (RefersTo). Only the Gateway's own listeners
// are relevant: those of its ListenerSets take routes that name the
// ListenerSet (AttachListenerSet).
func Attach(gw *gwv1.Gateway, ref gwv1.ParentReference, route RouteInfo) Attachment {
	return attach(fmt.Sprintf("gateway %s/%s", gw.Namespace, gw.Name), gw.Namespace, gw.Spec.Listeners, ref, route)
}

// attach decides whether route attaches through ref to the listeners of
// its direct parent (parent, of namespace parentNS: a Gateway or a
// ListenerSet).
func attach(parent, parentNS string, listeners []gwv1.Listener, ref gwv1.ParentReference, route RouteInfo) Attachment {
	a := Attachment{}
	var selected, kindNS []ListenerVerdict
	for i := range listeners {
		l := &listeners[i]
		v := ListenerVerdict{Listener: string(l.Name), Port: l.Port, Protocol: l.Protocol}
		v.Selected = (ref.SectionName == nil || *ref.SectionName == l.Name) && (ref.Port == nil || *ref.Port == l.Port)
		if !v.Selected {
			v.Why = "not selected by the parentRef's sectionName or port"
			a.Listeners = append(a.Listeners, v)
			continue
		}
		selected = append(selected, v)
		kinds := AllowedKinds(l)
		v.KindAllowed = containsString(kinds, route.Kind)
		v.NamespaceAllowed, v.NamespaceUndecided = namespaceAllowed(l, parentNS, route)
		for _, rh := range routeHostnames(route.Hostnames) {
			if h, ok := IntersectHostnames(ListenerHostname(l), rh); ok && !containsString(v.Hostnames, h) {
				v.Hostnames = append(v.Hostnames, h)
			}
		}
		switch {
		case !v.KindAllowed:
			v.Why = fmt.Sprintf("admits route kinds %s, not %s", orNone(kinds), route.Kind)
		case v.NamespaceUndecided:
			v.Why = fmt.Sprintf("admits %s, and the labels of namespace %s could not be read", DescribeAllowedNamespaces(l, parentNS), route.Namespace)
		case !v.NamespaceAllowed:
			v.Why = fmt.Sprintf("admits routes from %s, not from namespace %s", DescribeAllowedNamespaces(l, parentNS), route.Namespace)
		case len(v.Hostnames) == 0:
			v.Why = fmt.Sprintf("has hostname %s, which does not intersect the route's hostnames %s", hostnameLabel(ListenerHostname(l)), joinHostnames(route.Hostnames))
		default:
			v.Accepted = true
		}
		if v.KindAllowed && (v.NamespaceAllowed || v.NamespaceUndecided) {
			kindNS = append(kindNS, v)
		}
		a.Listeners = append(a.Listeners, v)
		if v.Accepted {
			a.Accepted = true
		}
		if v.NamespaceUndecided && v.KindAllowed && len(v.Hostnames) > 0 {
			a.Undecided = true
		}
	}
	switch {
	case a.Accepted:
		a.Reason, a.Undecided = gwv1.RouteReasonAccepted, false
		var names []string
		for _, v := range a.Listeners {
			if v.Accepted {
				names = append(names, v.Listener)
			}
		}
		a.Message = fmt.Sprintf("accepted by listener(s) %s", strings.Join(names, ", "))
	case len(selected) == 0:
		a.Reason = gwv1.RouteReasonNoMatchingParent
		a.Message = fmt.Sprintf("%s has no listener %s", parent, describeSection(ref))
	case len(kindNS) == 0:
		a.Reason = gwv1.RouteReasonNotAllowedByListeners
		a.Message = firstWhy(a.Listeners)
	case a.Undecided:
		a.Reason = gwv1.RouteReasonNotAllowedByListeners
		a.Message = "undecided: " + firstWhy(a.Listeners)
	default:
		a.Reason = gwv1.RouteReasonNoMatchingListenerHostname
		a.Message = firstWhy(kindNS)
	}
	return a
}

func describeSection(ref gwv1.ParentReference) string {
	var parts []string
	if ref.SectionName != nil {
		parts = append(parts, "named "+string(*ref.SectionName))
	}
	if ref.Port != nil {
		parts = append(parts, fmt.Sprintf("on port %d", *ref.Port))
	}
	return strings.Join(parts, " ")
}

// firstWhy is why the first selected listener refuses the route, and how
// many others refuse it too.
func firstWhy(vs []ListenerVerdict) string {
	first, others := "", 0
	for _, v := range vs {
		if v.Selected && !v.Accepted && v.Why != "" {
			if first == "" {
				first = "listener " + v.Listener + " " + v.Why
			} else {
				others++
			}
		}
	}
	if others > 0 {
		first += fmt.Sprintf(" (and %d other listener(s) refuse it)", others)
	}
	return first
}

// namespaceAllowed applies allowedRoutes.namespaces to the route.
func namespaceAllowed(l *gwv1.Listener, gwNamespace string, route RouteInfo) (allowed, undecided bool) {
	switch AllowedFrom(l) {
	case gwv1.NamespacesFromAll:
		return true, false
	case gwv1.NamespacesFromSame:
		return route.Namespace == gwNamespace, false
	case gwv1.NamespacesFromSelector:
		sel, err := NamespaceSelector(l)
		if err != nil {
			return false, false
		}
		if !route.NamespaceKnown {
			return false, true
		}
		return sel.Matches(labels.Set(route.NamespaceLabels)), false
	}
	return false, false
}

// routeHostnames are a route's hostnames, [""] (any) when it has none.
func routeHostnames(hs []gwv1.Hostname) []string {
	if len(hs) == 0 {
		return []string{""}
	}
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		out = append(out, strings.ToLower(string(h)))
	}
	return out
}

func joinHostnames(hs []gwv1.Hostname) string {
	if len(hs) == 0 {
		return "(none: any host)"
	}
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		out = append(out, string(h))
	}
	return strings.Join(out, ", ")
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func orNone(items []string) string {
	if len(items) == 0 {
		return "(none)"
	}
	return strings.Join(items, ", ")
}

// ReferenceFrom is the object making a cross-namespace reference.
type ReferenceFrom struct {
	Group, Kind, Namespace string
}

// ReferenceTo is the object referred to.
type ReferenceTo struct {
	Group, Kind, Namespace, Name string
}

// GrantFor returns the ReferenceGrant of to's namespace that permits the
// reference, or nil: a grant lives in the referent's namespace, names the
// referring group, kind and namespace in one of its from entries, and the
// referent's group, kind and, when set, name in one of its to entries.
// grants may hold grants of any namespace.
func GrantFor(grants []gwv1.ReferenceGrant, from ReferenceFrom, to ReferenceTo) *gwv1.ReferenceGrant {
	for i := range grants {
		g := &grants[i]
		if g.Namespace != to.Namespace {
			continue
		}
		fromOK := false
		for _, f := range g.Spec.From {
			if string(f.Group) == from.Group && string(f.Kind) == from.Kind && string(f.Namespace) == from.Namespace {
				fromOK = true
				break
			}
		}
		if !fromOK {
			continue
		}
		for _, t := range g.Spec.To {
			if string(t.Group) == to.Group && string(t.Kind) == to.Kind && (t.Name == nil || *t.Name == "" || string(*t.Name) == to.Name) {
				return g
			}
		}
	}
	return nil
}
