package gateway

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// Route is an HTTPRoute, a GRPCRoute, a TLSRoute or a TCPRoute as
// attaching it sees it. The matching of TLSRoutes and TCPRoutes (SNI,
// port) is not modelled: they are only attached and listed (Stream).
type Route struct {
	Kind       string // HTTPRoute, GRPCRoute, TLSRoute or TCPRoute
	Namespace  string
	Name       string
	Created    metav1.Time
	Hostnames  []gwv1.Hostname
	ParentRefs []gwv1.ParentReference
	Status     gwv1.RouteStatus
	HTTP       *gwv1.HTTPRoute
	GRPC       *gwv1.GRPCRoute
	TLS        *gwv1.TLSRoute
	TCP        *gwv1.TCPRoute
}

// Stream says whether r is a TLSRoute or a TCPRoute, whose matching
// netdebug does not model.
func (r *Route) Stream() bool { return r.TLS != nil || r.TCP != nil }

// Key is "namespace/name".
func (r *Route) Key() string { return r.Namespace + "/" + r.Name }

// Label is "HTTPRoute namespace/name".
func (r *Route) Label() string { return r.Kind + " " + r.Key() }

// FromHTTP and FromGRPC wrap routes.
func FromHTTP(r *gwv1.HTTPRoute) Route {
	return Route{Kind: "HTTPRoute", Namespace: r.Namespace, Name: r.Name, Created: r.CreationTimestamp,
		Hostnames: r.Spec.Hostnames, ParentRefs: r.Spec.ParentRefs, Status: r.Status.RouteStatus, HTTP: r}
}

func FromGRPC(r *gwv1.GRPCRoute) Route {
	return Route{Kind: "GRPCRoute", Namespace: r.Namespace, Name: r.Name, Created: r.CreationTimestamp,
		Hostnames: r.Spec.Hostnames, ParentRefs: r.Spec.ParentRefs, Status: r.Status.RouteStatus, GRPC: r}
}

func FromTLS(r *gwv1.TLSRoute) Route {
	return Route{Kind: "TLSRoute", Namespace: r.Namespace, Name: r.Name, Created: r.CreationTimestamp,
		Hostnames: r.Spec.Hostnames, ParentRefs: r.Spec.ParentRefs, Status: r.Status.RouteStatus, TLS: r}
}

func FromTCP(r *gwv1.TCPRoute) Route {
	return Route{Kind: "TCPRoute", Namespace: r.Namespace, Name: r.Name, Created: r.CreationTimestamp,
		ParentRefs: r.Spec.ParentRefs, Status: r.Status.RouteStatus, TCP: r}
}

// StreamRoutes wraps TLSRoutes and TCPRoutes, sorted by kind (TLSRoute
// first), namespace and name.
func StreamRoutes(tls []gwv1.TLSRoute, tcp []gwv1.TCPRoute) []Route {
	out := make([]Route, 0, len(tls)+len(tcp))
	for i := range tls {
		out = append(out, FromTLS(&tls[i]))
	}
	for i := range tcp {
		out = append(out, FromTCP(&tcp[i]))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind > out[j].Kind // TLSRoute first
		}
		return out[i].Key() < out[j].Key()
	})
	return out
}

// Routes wraps HTTPRoutes and GRPCRoutes, sorted by kind, namespace and
// name.
func Routes(http []gwv1.HTTPRoute, grpc []gwv1.GRPCRoute) []Route {
	out := make([]Route, 0, len(http)+len(grpc))
	for i := range http {
		out = append(out, FromHTTP(&http[i]))
	}
	for i := range grpc {
		out = append(out, FromGRPC(&grpc[i]))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind > out[j].Kind // HTTPRoute first
		}
		return out[i].Key() < out[j].Key()
	})
	return out
}

// Namespaces are the labels of the cluster's namespaces, for listeners
// that admit routes by a namespace selector.
type Namespaces struct {
	Labels map[string]map[string]string
	// Err: they could not be listed; selectors are then undecided.
	Err error
}

// Info is what attaching r looks at.
func (r *Route) Info(ns Namespaces) routing.RouteInfo {
	info := routing.RouteInfo{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, Hostnames: r.Hostnames}
	if ns.Labels != nil {
		info.NamespaceLabels, info.NamespaceKnown = ns.Labels[r.Namespace]
	}
	return info
}

// ParentAttachment is one parentRef of a route that names a Gateway,
// judged as a controller would judge it, beside what the controller says.
type ParentAttachment struct {
	Route *Route
	Index int // of the parentRef, from 0
	Ref   gwv1.ParentReference
	// ListenerSet is the namespace/name of the ListenerSet the parentRef
	// names, "" when it names the Gateway.
	ListenerSet string
	routing.Attachment
	// Status is the controller's status for this parentRef, nil when none
	// has written one.
	Status *gwv1.RouteParentStatus
}

// Condition is the status condition of type t, or nil.
func (p *ParentAttachment) Condition(t gwv1.RouteConditionType) *metav1.Condition {
	if p.Status == nil {
		return nil
	}
	return meta.FindStatusCondition(p.Status.Conditions, string(t))
}

// AttachmentsTo judges every parentRef of routes that names gw.
func AttachmentsTo(gw *gwv1.Gateway, routes []Route, ns Namespaces) []ParentAttachment {
	var out []ParentAttachment
	for i := range routes {
		r := &routes[i]
		for j, ref := range r.ParentRefs {
			if !routing.RefersTo(ref, r.Namespace, gw) {
				continue
			}
			out = append(out, ParentAttachment{Route: r, Index: j, Ref: ref, Attachment: routing.Attach(gw, ref, r.Info(ns)), Status: ParentStatus(r.Status, ref, r.Namespace)})
		}
	}
	return out
}

// ParentStatus is the status a controller wrote for ref, or nil.
func ParentStatus(st gwv1.RouteStatus, ref gwv1.ParentReference, routeNamespace string) *gwv1.RouteParentStatus {
	want := parentKey(ref, routeNamespace)
	for i := range st.Parents {
		if parentKey(st.Parents[i].ParentRef, routeNamespace) == want {
			return &st.Parents[i]
		}
	}
	return nil
}

func parentKey(ref gwv1.ParentReference, routeNamespace string) string {
	group, kind, ns := routing.GatewayGroup, "Gateway", routeNamespace
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	section, port := "", ""
	if ref.SectionName != nil {
		section = string(*ref.SectionName)
	}
	if ref.Port != nil {
		port = fmt.Sprint(*ref.Port)
	}
	return group + "/" + kind + "/" + ns + "/" + string(ref.Name) + "/" + section + "/" + port
}

// ListenerRoutes are, per listener name, the routes that attach to it.
func ListenerRoutes(atts []ParentAttachment) map[string][]*Route {
	out := map[string][]*Route{}
	for _, a := range atts {
		for _, v := range a.Listeners {
			if v.Accepted && !containsRoute(out[v.Listener], a.Route) {
				out[v.Listener] = append(out[v.Listener], a.Route)
			}
		}
	}
	return out
}

func containsRoute(list []*Route, r *Route) bool {
	for _, x := range list {
		if x == r {
			return true
		}
	}
	return false
}
