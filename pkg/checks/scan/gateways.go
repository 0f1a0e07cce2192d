package scan

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/route"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

var (
	gatewayCodes = []checks.Code{checks.GwStatus, checks.GwConflicts}
	routeCodes   = []checks.Code{checks.RtParents, checks.RtBackends, checks.RtGrants, checks.RtEndpoints}
	// remoteCodes are the codes a backend of another namespace decides.
	remoteCodes = []checks.Code{checks.RtBackends, checks.RtEndpoints}
)

// gatewayScan reports, when the cluster serves the Gateway API, the
// Gateway procedure's static checks on every Gateway (GW005 accepted and
// programmed, GW007 listener conflicts of its merged list: its listeners
// and those of the ListenerSets it admits) and the route procedure's on
// every route (RT002 parents, Gateways and ListenerSets, RT005 backends,
// RT006 ReferenceGrants, RT007 endpoints), one namespace at a time as the
// routes stream by.
//
// A route's backend in another namespace that a ReferenceGrant permits is
// judged with that namespace's objects: the namespaces holding grants to
// Services are summarised as they stream by (each Service port, judged),
// and a route naming a namespace still to come waits for it.
type gatewayScan struct {
	agg     *aggregator
	cluster *clusterObjects
	all     bool
	now     time.Time

	gateways map[string]*gwv1.Gateway
	// sets: the ListenerSets by namespace/name; nil when they are not
	// served or could not be read.
	sets    map[string]*gwv1.ListenerSet
	ns      gateway.Namespaces
	granted map[string]bool
	// seen: granted namespaces already streamed; their Services' names
	// and judged ports.
	seen      map[string]map[string]bool
	summaries map[string]remoteResult
	pending   map[string][]pendingBackend
}

type remoteResult struct {
	code checks.Code
	why  string
}

type pendingBackend struct {
	b  route.Backend
	st *routeState
}

// routeState is a route whose backends of other namespaces are not all
// judged yet.
type routeState struct {
	obj     report.Object
	waiting int
	failed  map[checks.Code]bool
}

func newGatewayScan(agg *aggregator, cluster *clusterObjects, all bool, now time.Time) *gatewayScan {
	s := &gatewayScan{agg: agg, cluster: cluster, all: all, now: now, gateways: map[string]*gwv1.Gateway{}, granted: map[string]bool{},
		seen: map[string]map[string]bool{}, summaries: map[string]remoteResult{}, pending: map[string][]pendingBackend{}}
	if cluster.gwAPI == nil {
		return s
	}
	agg.expect("gateway", gatewayCodes...)
	agg.expect("route", routeCodes...)
	for i := range cluster.gateways {
		g := &cluster.gateways[i]
		s.gateways[g.Namespace+"/"+g.Name] = g
	}
	if cluster.gwAPI.Serves(gatewayapi.ListenerSets) && cluster.setsErr == nil {
		s.sets = map[string]*gwv1.ListenerSet{}
		for i := range cluster.sets {
			ls := &cluster.sets[i]
			s.sets[ls.Namespace+"/"+ls.Name] = ls
		}
	}
	switch {
	case cluster.namespacesErr != nil:
		s.ns = gateway.Namespaces{Err: cluster.namespacesErr}
	case all:
		s.ns = gateway.Namespaces{Labels: map[string]map[string]string{}}
		for _, n := range cluster.namespaces {
			l := n.Labels
			if l == nil {
				l = map[string]string{}
			}
			s.ns.Labels[n.Name] = l
		}
	}
	for _, g := range cluster.grants {
		for _, to := range g.Spec.To {
			if to.Group == "" && to.Kind == "Service" {
				s.granted[g.Namespace] = true
			}
		}
	}
	return s
}

func (s *gatewayScan) enabled() bool { return s.cluster.gwAPI != nil }

// gatewaysOf checks the Gateways of the scope once, held whole.
func (s *gatewayScan) start(scope string) {
	if !s.enabled() {
		return
	}
	if err := s.cluster.gwErr; err != nil {
		for _, code := range gatewayCodes {
			s.agg.skipAll(code, "gateway", "listing the gateways", err)
		}
		return
	}
	for i := range s.cluster.gateways {
		g := &s.cluster.gateways[i]
		if scope != "" && g.Namespace != scope {
			continue
		}
		// Without the ListenerSets (not served, or forbidden: the
		// inventory says so once), the Gateway's own listeners.
		sets := gateway.ListenerSetsOf(g, s.cluster.sets, s.ns)
		s.agg.add(report.Object{Kind: "Gateway", Namespace: g.Namespace, Name: g.Name}, gateway.StatusCheck(g), gateway.ConflictsCheckMerged(g, sets))
	}
}

func (s *gatewayScan) namespace(v *namespaceView) {
	if !s.enabled() {
		return
	}
	local := route.NamespaceObjects{Namespace: v.namespace, Services: map[string]*corev1.Service{}, ServicesErr: v.servicesErr,
		Slices: map[string][]discoveryv1.EndpointSlice{}, SlicesErr: v.slicesErr, Pods: v.pods, PodsErr: v.podsErr, Now: s.now}
	for _, svc := range v.services {
		local.Services[svc.Name] = svc
	}
	for _, sl := range v.slices {
		name := sl.Labels[discoveryv1.LabelServiceName]
		local.Slices[name] = append(local.Slices[name], sl)
	}
	if s.granted[v.namespace] {
		names := map[string]bool{}
		for _, svc := range v.services {
			names[svc.Name] = true
			for _, p := range svc.Spec.Ports {
				b := route.Backend{Namespace: v.namespace, Name: svc.Name, Port: p.Port}
				code, why := route.JudgeRemote(local, b)
				s.summaries[b.String()] = remoteResult{code, why}
			}
		}
		s.seen[v.namespace] = names
	}
	for _, p := range s.pending[v.namespace] {
		code, why := route.JudgeRemote(local, p.b)
		s.resolve(p.st, code, why)
	}
	delete(s.pending, v.namespace)
	for i := range v.routes {
		rt := v.routes[i]
		list, remote := route.ScanChecks(route.ScanObjects{Route: rt, Gateways: s.gateways, GatewaysErr: s.cluster.gwErr, Namespaces: s.ns,
			ListenerSetsServed: s.cluster.gwAPI.Serves(gatewayapi.ListenerSets), ListenerSets: s.sets, ListenerSetsScope: s.cluster.setsScope,
			Grants: s.cluster.grants, GrantsErr: s.cluster.grantsErr, Local: local})
		obj := report.Object{Kind: rt.Kind, Namespace: rt.Namespace, Name: rt.Name}
		if len(remote) == 0 {
			s.agg.add(obj, list...)
			continue
		}
		st := &routeState{obj: obj, waiting: len(remote), failed: map[checks.Code]bool{}}
		for _, c := range list {
			if c.Status == report.Pass && isRemoteCode(c.Code) {
				continue // decided once the other namespaces are read
			}
			if c.Status != report.Pass {
				st.failed[checks.Code(c.Code)] = true
			}
			s.agg.add(obj, c)
		}
		for _, b := range remote {
			if names, ok := s.seen[b.Namespace]; ok {
				r, judged := s.summaries[b.String()]
				if !judged || !names[b.Name] {
					r.code, r.why = route.JudgeRemote(route.NamespaceObjects{Namespace: b.Namespace, Now: s.now}, b)
				}
				s.resolve(st, r.code, r.why)
				continue
			}
			s.pending[b.Namespace] = append(s.pending[b.Namespace], pendingBackend{b: b, st: st})
		}
	}
}

func isRemoteCode(code string) bool {
	for _, c := range remoteCodes {
		if string(c) == code {
			return true
		}
	}
	return false
}

// resolve records the judgement of one backend of another namespace; once
// every one of the route's is judged, the codes without a failure pass.
func (s *gatewayScan) resolve(st *routeState, code checks.Code, why string) {
	if code != "" {
		st.failed[code] = true
		s.agg.add(st.obj, code.New(report.Fail, "%s", why))
	}
	st.waiting--
	if st.waiting > 0 {
		return
	}
	for _, c := range remoteCodes {
		if !st.failed[c] {
			s.agg.add(st.obj, c.New(report.Pass, "backends fine"))
		}
	}
}

// finish judges the backends whose namespace never streamed by (with every
// namespace in scope: it holds no Service, so they do not exist; with one
// namespace in scope, they are outside it) and notes the route kinds that
// could not be listed.
func (s *gatewayScan) finish(src *sources) {
	if !s.enabled() {
		return
	}
	for ns, list := range s.pending {
		for _, p := range list {
			if s.all {
				code, why := route.JudgeRemote(route.NamespaceObjects{Namespace: ns, Now: s.now}, p.b)
				s.resolve(p.st, code, why)
				continue
			}
			s.resolve(p.st, "", "")
		}
	}
	for _, r := range src.routes() {
		if r.err != nil {
			for _, code := range routeCodes {
				s.agg.skipAll(code, "route", "listing the "+r.name, r.err)
			}
		}
	}
}
