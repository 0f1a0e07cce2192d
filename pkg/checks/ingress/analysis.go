package ingress

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// analysis is what the checks share beyond the raw facts: the routes of the
// Ingress, the state of each backend, TLS per host, conflicts, and whether
// anything serves the Ingress at all. Checks render it; ING015 turns it into
// what a request to each route gets.
type analysis struct {
	kind     *controllerKind
	routes   []*route
	backends []*backend
	// blocked, when set, is why no request reaches any backend of this
	// Ingress (no controller picks it up, or its pods are down).
	blocked *outcome
	tls     []*tlsEntry
	// hostTLS: for each host with a TLS entry, the first TLS problem (nil
	// when its certificate is fine).
	hostTLS    map[string]*outcome
	conflicts  []conflict
	controller controllerState
}

// outcome is what a request gets and the check that explains it.
type outcome struct {
	response string // "404", "503", "no answer", "certificate error"...
	reason   string // one line
	code     checks.Code
}

// route is one rule path of the Ingress, or its default backend.
type route struct {
	host      string // "" for any host
	path      networkingv1.HTTPIngressPath
	isDefault bool
	backend   *backend
	// ignored, when set, is why the controller never serves this route.
	ignored string
}

func (r *route) label() string {
	if r.isDefault {
		return "default backend"
	}
	p := r.path.Path
	if p == "" {
		p = "/"
	}
	return hostLabel(r.host) + p
}

// backendState is the first broken link of a backend's chain.
type backendState int

const (
	backendOK backendState = iota
	backendResource
	backendExternalName
	backendUnknown // a read failed: the chain could not be followed
	backendNoService
	backendNoPort
	backendNoEndpoints
)

// backend is one distinct backend (Service and port, or resource).
type backend struct {
	service  string
	port     networkingv1.ServiceBackendPort
	resource *corev1.TypedLocalObjectReference

	svc     *corev1.Service
	svcPort *corev1.ServicePort
	// endpoints carrying the port, and how many are ready.
	endpoints []service.Endpoint
	ready     int
	pods      []corev1.Pod
	podsErr   error
	targets   *service.TargetPortResolution

	state backendState
	// why: one line for a state other than OK.
	why string
	// unknownErr: the read that failed, for backendUnknown.
	unknownErr error
	unknownAt  checks.Code
	routes     []*route
}

func (b *backend) label() string {
	if b.resource != nil {
		kind := b.resource.Kind
		if b.resource.APIGroup != nil && *b.resource.APIGroup != "" {
			kind += "." + *b.resource.APIGroup
		}
		return fmt.Sprintf("resource %s/%s", kind, b.resource.Name)
	}
	return "service " + b.service + ":" + portString(b.port)
}

func portString(p networkingv1.ServiceBackendPort) string {
	if p.Number != 0 {
		return fmt.Sprint(p.Number)
	}
	return p.Name
}

func analyze(f *facts, req Request) *analysis {
	a := &analysis{kind: f.controller.kind, hostTLS: map[string]*outcome{}}
	byKey := map[string]*backend{}
	get := func(b *networkingv1.IngressBackend) *backend {
		var key string
		switch {
		case b.Resource != nil:
			key = "r\x00" + b.Resource.Kind + "\x00" + b.Resource.Name
		case b.Service != nil:
			key = "s\x00" + b.Service.Name + "\x00" + portString(b.Service.Port)
		default:
			return nil
		}
		if be, ok := byKey[key]; ok {
			return be
		}
		be := &backend{resource: b.Resource}
		if b.Service != nil {
			be.service, be.port = b.Service.Name, b.Service.Port
		}
		byKey[key] = be
		a.backends = append(a.backends, be)
		return be
	}
	for _, r := range f.ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			rt := &route{host: r.Host, path: p}
			rt.backend = get(&p.Backend)
			a.routes = append(a.routes, rt)
		}
	}
	if db := f.ing.Spec.DefaultBackend; db != nil {
		rt := &route{isDefault: true}
		rt.backend = get(db)
		if a.kind.routingModel() == routing.IngressTraefik && len(f.ing.Spec.Rules) > 0 {
			// Traefik pkg/provider/kubernetes/ingress/kubernetes.go
			// loadConfigurationFromIngresses reads spec.defaultBackend only
			// when `len(ingress.Spec.Rules) == 0`.
			rt.ignored = "Traefik ignores the default backend of an ingress with rules (only an ingress without rules gives it one)"
		}
		a.routes = append(a.routes, rt)
	}
	for _, rt := range a.routes {
		if rt.backend != nil {
			rt.backend.routes = append(rt.backend.routes, rt)
		}
	}
	for _, b := range a.backends {
		analyzeBackend(f, b)
	}
	a.controller = controllerStatus(f)
	a.blocked = blocked(f, a)
	a.tls = evaluateTLS(f, req.Now())
	for _, e := range a.tls {
		for _, h := range e.hosts {
			if _, seen := a.hostTLS[h]; !seen || a.hostTLS[h] == nil {
				a.hostTLS[h] = e.problemFor(h, a.kind)
			}
		}
	}
	a.conflicts = findConflicts(f)
	return a
}

func analyzeBackend(f *facts, b *backend) {
	if b.resource != nil {
		b.state = backendResource
		return
	}
	if f.servicesErr != nil {
		b.state, b.unknownErr, b.unknownAt = backendUnknown, f.servicesErr, checks.IngBackendServices
		return
	}
	b.svc = f.services[b.service]
	if b.svc == nil {
		b.state = backendNoService
		b.why = fmt.Sprintf("service %s does not exist in namespace %s", b.service, f.namespace)
		return
	}
	sp, ok := service.FindServicePort(b.svc, b.port.Name, b.port.Number)
	if !ok {
		b.state = backendNoPort
		b.why = fmt.Sprintf("service %s has no port %s (ports: %s)", b.service, portString(b.port), service.DescribePorts(b.svc))
		return
	}
	b.svcPort = &sp
	if b.svc.Spec.Type == corev1.ServiceTypeExternalName {
		b.state = backendExternalName
		return
	}
	if pl, ok := f.backendPods[b.service]; ok {
		b.pods, b.podsErr = pl.pods, pl.err
		if pl.err == nil && len(pl.pods) > 0 {
			t := service.ResolveTargetPort(sp, pl.pods)
			b.targets = &t
		}
	}
	if f.slicesErr != nil {
		b.state, b.unknownErr, b.unknownAt = backendUnknown, f.slicesErr, checks.IngBackendEndpoints
		return
	}
	b.endpoints = service.EndpointsForPort(f.slices[b.service], sp.Name)
	for _, e := range b.endpoints {
		if e.Ready {
			b.ready++
		}
	}
	if b.ready == 0 {
		b.state = backendNoEndpoints
		b.why = fmt.Sprintf("service %s has no ready endpoints for port %s%s", b.service, portString(b.port), noEndpointsWhy(f, b))
	}
}

// noEndpointsWhy explains an empty backend from the pods (service.NoEndpointsWhy).
func noEndpointsWhy(f *facts, b *backend) string {
	return service.NoEndpointsWhy(b.svc, f.slices[b.service], b.pods, b.podsErr, b.targets, f.now)
}

// controllerState is the controller's health as far as routing goes.
type controllerState struct {
	// down: nothing answers for the class (pods found, none ready; or a
	// known controller with no pods and no published address).
	down   bool
	reason string
}

func controllerStatus(f *facts) controllerState {
	c := &f.controller
	if c.class.class == nil || (c.kind != nil && c.kind.outside != "") || c.podsErr != nil {
		return controllerState{}
	}
	if len(c.pods) == 0 {
		if c.kind != nil && len(f.ing.Status.LoadBalancer.Ingress) == 0 {
			return controllerState{down: true, reason: fmt.Sprintf("no %s pods were found and the ingress has no address", c.kind.name)}
		}
		return controllerState{}
	}
	if len(c.readyPods()) == 0 {
		return controllerState{down: true, reason: fmt.Sprintf("none of the %d controller pod(s) is ready", len(c.pods))}
	}
	return controllerState{}
}

// blocked says why no request reaches this Ingress's backends, if so.
func blocked(f *facts, a *analysis) *outcome {
	r := f.controller.class
	if f.classesErr == nil {
		switch {
		case r.source == "" && len(r.defaults) > 1:
			return &outcome{response: "404", reason: "no class, several default classes", code: checks.IngClass}
		case r.source == "":
			return &outcome{response: "404", reason: "no controller picks up an ingress without a class", code: checks.IngClass}
		case r.class == nil && r.source == fromSpec:
			return &outcome{response: "404", reason: fmt.Sprintf("no controller serves class %s", r.name), code: checks.IngClass}
		}
	}
	if a.controller.down {
		return &outcome{response: "no answer", reason: a.controller.reason, code: checks.IngController}
	}
	return nil
}

// listRoutes names up to three routes and counts the rest.
func listRoutes(routes []*route) string {
	labels := make([]string, 0, len(routes))
	for _, r := range routes {
		labels = append(labels, r.label())
	}
	if len(labels) <= 3 {
		return strings.Join(labels, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(labels[:3], ", "), len(labels)-3)
}

// describePath is "/api (Prefix)".
func describePath(p networkingv1.HTTPIngressPath) string {
	path := p.Path
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("%s (%s)", path, routing.IngressPathType(p))
}

// hostLabel is the host as shown in reports; a rule without a host serves
// any host.
func hostLabel(host string) string {
	if host == "" {
		return "(any host)"
	}
	return host
}
