package route

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// backendState is the first broken link of a backend's chain.
type backendState int

const (
	backendOK backendState = iota
	backendExternalName
	backendOtherKind  // not a core Service: implementation-specific, not followed
	backendUnknown    // a read failed
	backendNoGrant    // RefNotPermitted
	backendNoService  // BackendNotFound
	backendNoPort     // BackendNotFound: no port, or not a port of the Service
	backendNoEndpoint // 503
)

// invalid says whether the gateway answers 500 for the backend's share.
func (s backendState) invalid() bool {
	return s == backendNoGrant || s == backendNoService || s == backendNoPort
}

// backend is one distinct backendRef target, as referred to from one
// namespace.
type backend struct {
	fromKind, fromNamespace string
	group, kind             string
	namespace, name         string
	port                    *int32

	svc     *corev1.Service
	svcPort *corev1.ServicePort
	grant   *gwv1.ReferenceGrant
	// endpoints carrying the port, and how many are ready.
	endpoints []service.Endpoint
	ready     int
	pods      []corev1.Pod
	podsErr   error
	targets   *service.TargetPortResolution
	// noSlices: no EndpointSlice of the Service exists (read without error).
	noSlices bool

	state  backendState
	reason gwv1.RouteConditionReason
	why    string
	// unknownErr: the read that failed, and the check it concerns.
	unknownErr error
	unknownAt  checks.Code
}

func (b *backend) isService() bool { return b.group == "" && b.kind == "Service" }

// label is "namespace/name:port", as RT010's data names backends.
func (b *backend) label() string {
	s := b.namespace + "/" + b.name
	if !b.isService() {
		s = b.kind + " " + s
		if b.group != "" {
			s = b.kind + "." + b.group + " " + b.namespace + "/" + b.name
		}
	}
	if b.port != nil {
		s += fmt.Sprintf(":%d", *b.port)
	}
	return s
}

// ruleBackend is one backendRef of a rule: its backend and weight.
type ruleBackend struct {
	b      *backend
	weight int32
	// filters of the backendRef itself.
	filters int
}

// ruleOf is a rule of a route, whatever its kind.
type ruleOf struct {
	backendRefs []gwv1.BackendRef
	refFilters  []int
	filters     []filter
	name        *gwv1.SectionName
}

// filter is a filter in words; redirect is its status code when it
// answers the request itself.
type filter struct {
	kind     string
	text     string
	redirect int
}

func rulesOf(rt *gateway.Route) []ruleOf {
	var out []ruleOf
	if rt.HTTP != nil {
		for _, r := range rt.HTTP.Spec.Rules {
			ro := ruleOf{name: r.Name}
			for _, br := range r.BackendRefs {
				ro.backendRefs = append(ro.backendRefs, br.BackendRef)
				ro.refFilters = append(ro.refFilters, len(br.Filters))
			}
			for _, fl := range r.Filters {
				ro.filters = append(ro.filters, describeHTTPFilter(fl))
			}
			out = append(out, ro)
		}
	}
	if rt.TLS != nil {
		for _, r := range rt.TLS.Spec.Rules {
			out = append(out, ruleOf{name: r.Name, backendRefs: r.BackendRefs, refFilters: make([]int, len(r.BackendRefs))})
		}
	}
	if rt.TCP != nil {
		for _, r := range rt.TCP.Spec.Rules {
			out = append(out, ruleOf{name: r.Name, backendRefs: r.BackendRefs, refFilters: make([]int, len(r.BackendRefs))})
		}
	}
	if rt.GRPC != nil {
		for _, r := range rt.GRPC.Spec.Rules {
			ro := ruleOf{name: r.Name}
			for _, br := range r.BackendRefs {
				ro.backendRefs = append(ro.backendRefs, br.BackendRef)
				ro.refFilters = append(ro.refFilters, len(br.Filters))
			}
			for _, fl := range r.Filters {
				ro.filters = append(ro.filters, describeGRPCFilter(fl))
			}
			out = append(out, ro)
		}
	}
	return out
}

// backendKey identifies a backend as referred to from a namespace.
func backendKey(fromNS string, ref gwv1.BackendRef) string {
	group, kind, ns := refTarget(fromNS, ref)
	port := ""
	if ref.Port != nil {
		port = fmt.Sprint(*ref.Port)
	}
	return strings.Join([]string{fromNS, group, kind, ns, string(ref.Name), port}, "\x00")
}

func refTarget(fromNS string, ref gwv1.BackendRef) (group, kind, ns string) {
	kind, ns = "Service", fromNS
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	return group, kind, ns
}

// collectBackends registers the backends of this route's rules and of
// every parent's winning rule.
func (a *analysis) collectBackends(f *facts) {
	byKey := map[string]*backend{}
	get := func(rt *gateway.Route, ref gwv1.BackendRef) *backend {
		k := backendKey(rt.Namespace, ref)
		if b, ok := byKey[k]; ok {
			return b
		}
		group, kind, ns := refTarget(rt.Namespace, ref)
		b := &backend{fromKind: rt.Kind, fromNamespace: rt.Namespace, group: group, kind: kind, namespace: ns, name: string(ref.Name), port: ref.Port}
		byKey[k] = b
		a.backends = append(a.backends, b)
		return b
	}
	for _, r := range rulesOf(f.route) {
		for _, ref := range r.backendRefs {
			get(f.route, ref)
		}
	}
	for _, p := range a.parents {
		w := p.winner
		if w == nil || w.route == nil {
			continue
		}
		rules := rulesOf(w.route)
		if w.rule >= len(rules) {
			continue
		}
		for i, ref := range rules[w.rule].backendRefs {
			weight := int32(1)
			if ref.Weight != nil {
				weight = *ref.Weight
			}
			w.refs = append(w.refs, ruleBackend{b: get(w.route, ref), weight: weight, filters: rules[w.rule].refFilters[i]})
		}
	}
}

// ruleBackends are the backends of rule i of route rt, with weights.
func (a *analysis) ruleBackends(rt *gateway.Route, i int) []ruleBackend {
	rules := rulesOf(rt)
	if i >= len(rules) {
		return nil
	}
	var out []ruleBackend
	for j, ref := range rules[i].backendRefs {
		k := backendKey(rt.Namespace, ref)
		for _, b := range a.backends {
			if backendKeyOf(b) == k {
				weight := int32(1)
				if ref.Weight != nil {
					weight = *ref.Weight
				}
				out = append(out, ruleBackend{b: b, weight: weight, filters: rules[i].refFilters[j]})
			}
		}
	}
	return out
}

func backendKeyOf(b *backend) string {
	port := ""
	if b.port != nil {
		port = fmt.Sprint(*b.port)
	}
	return strings.Join([]string{b.fromNamespace, b.group, b.kind, b.namespace, b.name, port}, "\x00")
}

// analyzeBackends follows each backend's chain: kind, ReferenceGrant,
// Service, port, endpoints.
func analyzeBackends(f *facts, a *analysis) {
	for _, b := range a.backends {
		analyzeBackend(f, b)
	}
}

func analyzeBackend(f *facts, b *backend) {
	if !b.isService() {
		b.state, b.reason = backendOtherKind, gwv1.RouteReasonInvalidKind
		b.why = fmt.Sprintf("backendRef %s is a %s, not a Service: implementation-specific (ServiceImport, a backend of the implementation's own), not followed", b.label(), b.kind)
		return
	}
	if b.namespace != b.fromNamespace {
		if err := f.grantsErr[b.namespace]; err != nil {
			b.state, b.unknownErr, b.unknownAt = backendUnknown, err, checks.RtGrants
			return
		}
		from := routing.ReferenceFrom{Group: routing.GatewayGroup, Kind: b.fromKind, Namespace: b.fromNamespace}
		to := routing.ReferenceTo{Group: "", Kind: "Service", Namespace: b.namespace, Name: b.name}
		b.grant = routing.GrantFor(f.grants, from, to)
		if b.grant == nil {
			b.state, b.reason = backendNoGrant, gwv1.RouteReasonRefNotPermitted
			b.why = fmt.Sprintf("backendRef to service %s/%s from %s in namespace %s is not permitted: no ReferenceGrant in namespace %s lets %ss of namespace %s refer to it (RefNotPermitted)",
				b.namespace, b.name, b.fromKind, b.fromNamespace, b.namespace, b.fromKind, b.fromNamespace)
			return
		}
	}
	if err := f.servicesErr[b.namespace]; err != nil {
		b.state, b.unknownErr, b.unknownAt = backendUnknown, err, checks.RtBackends
		return
	}
	b.svc = f.services[b.namespace][b.name]
	if b.svc == nil {
		b.state, b.reason = backendNoService, gwv1.RouteReasonBackendNotFound
		b.why = fmt.Sprintf("service %s does not exist in namespace %s (BackendNotFound)", b.name, b.namespace)
		if similar := checks.SimilarNames(b.name, f.serviceNames[b.namespace], 2); len(similar) > 0 {
			b.why = fmt.Sprintf("service %s does not exist in namespace %s (did you mean %s?) (BackendNotFound)", b.name, b.namespace, strings.Join(similar, " or "))
		}
		return
	}
	if b.port == nil {
		b.state, b.reason = backendNoPort, gwv1.RouteReasonBackendNotFound
		b.why = fmt.Sprintf("backendRef to service %s/%s names no port, which a Service backend requires (ports: %s)", b.namespace, b.name, service.DescribePorts(b.svc))
		return
	}
	sp, ok := service.FindServicePort(b.svc, "", *b.port)
	if !ok {
		b.state, b.reason = backendNoPort, gwv1.RouteReasonBackendNotFound
		b.why = fmt.Sprintf("service %s/%s has no port %d (ports: %s) (BackendNotFound)", b.namespace, b.name, *b.port, service.DescribePorts(b.svc))
		return
	}
	b.svcPort = &sp
	if b.svc.Spec.Type == corev1.ServiceTypeExternalName {
		b.state = backendExternalName
		return
	}
	key := b.namespace + "/" + b.name
	if pl, ok := f.pods[key]; ok {
		b.pods, b.podsErr = pl.pods, pl.err
		if pl.err == nil && len(pl.pods) > 0 {
			t := service.ResolveTargetPort(sp, pl.pods)
			b.targets = &t
		}
	}
	if err := f.slicesErr[b.namespace]; err != nil {
		b.state, b.unknownErr, b.unknownAt = backendUnknown, err, checks.RtEndpoints
		return
	}
	slices := f.slices[b.namespace][b.name]
	b.noSlices = len(slices) == 0
	b.endpoints = service.EndpointsForPort(slices, sp.Name)
	for _, e := range b.endpoints {
		if e.Ready {
			b.ready++
		}
	}
	if b.ready == 0 {
		b.state = backendNoEndpoint
		b.why = fmt.Sprintf("service %s/%s has no ready endpoints for port %d%s", b.namespace, b.name, *b.port, service.NoEndpointsWhy(b.svc, slices, b.pods, b.podsErr, b.targets, f.now))
	}
}
