package route

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// This file exports the static checks of the route procedure for callers
// that have already read everything (the cluster scan): whether each
// parent accepts the route (RT002), and each backend's chain (RT005
// Service and port, RT006 ReferenceGrant, RT007 ready endpoints), judged
// exactly as `netdebug route` judges them.

// NamespaceObjects are the objects of one namespace the backends of routes
// are judged with.
type NamespaceObjects struct {
	Namespace   string
	Services    map[string]*corev1.Service
	ServicesErr error
	// Slices by Service name.
	Slices    map[string][]discoveryv1.EndpointSlice
	SlicesErr error
	// Pods of the namespace (trimmed as the scan trims them).
	Pods    []corev1.Pod
	PodsErr error
	Now     time.Time
}

// ScanObjects is one route and what judging it statically needs.
type ScanObjects struct {
	Route gateway.Route
	// Gateways by namespace/name; GatewaysErr when they could not be
	// listed.
	Gateways    map[string]*gwv1.Gateway
	GatewaysErr error
	// ListenerSets by namespace/name, nil when they could not be read
	// (a parentRef naming one is then not judged); ListenerSetsServed:
	// the cluster serves ListenerSet; ListenerSetsScope: the namespace
	// whose ListenerSets alone were read, "" when every namespace's were.
	ListenerSets       map[string]*gwv1.ListenerSet
	ListenerSetsServed bool
	ListenerSetsScope  string
	Namespaces         gateway.Namespaces
	// Grants are every ReferenceGrant of the cluster (or of the scope).
	Grants    []gwv1.ReferenceGrant
	GrantsErr error
	// Local: the objects of the route's namespace.
	Local NamespaceObjects
}

// Backend is a backend of another namespace, permitted by a grant, that
// the caller judges once it has read that namespace (Remote).
type Backend struct {
	Route     report.Object
	Namespace string
	Name      string
	Port      int32
}

// Remote is the judgement of a Backend: its state ("" when fine) and why.
type Remote struct {
	Invalid, NoEndpoints bool
	Why                  string
}

// ScanChecks judges a route: RT002 for its parents, and one RT005, RT006
// or RT007 check per broken backend of its namespace (a pass of a code
// when none is broken). Backends of other namespaces that a grant permits
// are returned, to be judged with JudgeRemote once their namespace is read.
func ScanChecks(o ScanObjects) ([]report.Check, []Backend) {
	rt := o.Route
	obj := report.Object{Kind: rt.Kind, Namespace: rt.Namespace, Name: rt.Name}
	out := []report.Check{scanParents(o)}
	f := &facts{kind: rt.Kind, namespace: rt.Namespace, name: rt.Name, now: o.Local.Now, route: &rt,
		services: map[string]map[string]*corev1.Service{}, servicesErr: map[string]error{},
		slices: map[string]map[string][]discoveryv1.EndpointSlice{}, slicesErr: map[string]error{},
		pods: map[string]podList{}, grants: o.Grants, grantsErr: map[string]error{}, serviceNames: map[string][]string{}}
	ns := o.Local.Namespace
	f.services[ns], f.servicesErr[ns] = o.Local.Services, o.Local.ServicesErr
	f.slices[ns], f.slicesErr[ns] = o.Local.Slices, o.Local.SlicesErr
	for name := range o.Local.Services {
		f.serviceNames[ns] = append(f.serviceNames[ns], name)
	}
	a := &analysis{}
	a.collectBackends(f)
	var remote []Backend
	counts := map[checks.Code]int{}
	for _, b := range a.backends {
		if svc := o.Local.Services[b.name]; b.namespace == ns && svc != nil && len(svc.Spec.Selector) > 0 {
			f.pods[ns+"/"+b.name] = selectPods(svc, o.Local.Pods, o.Local.PodsErr)
		}
		if b.isService() && b.namespace != ns {
			if o.GrantsErr != nil {
				out = append(out, checks.RtGrants.FromError("reading the ReferenceGrants", o.GrantsErr))
				counts[checks.RtGrants]++
				continue
			}
			analyzeGrantOnly(f, b)
			if b.state == backendOK {
				remote = append(remote, Backend{Route: obj, Namespace: b.namespace, Name: b.name, Port: *b.port})
				continue
			}
		} else {
			analyzeBackend(f, b)
		}
		code, ok := scanCode(b)
		if !ok {
			continue
		}
		counts[code]++
		out = append(out, code.New(report.Fail, "%s", b.why))
	}
	for _, code := range []checks.Code{checks.RtBackends, checks.RtGrants, checks.RtEndpoints} {
		if counts[code] == 0 {
			out = append(out, code.New(report.Pass, "backends fine"))
		}
	}
	return out, remote
}

// analyzeGrantOnly judges the ReferenceGrant of a backend of another
// namespace.
func analyzeGrantOnly(f *facts, b *backend) {
	ns := b.namespace
	f.servicesErr[ns] = nil
	f.services[ns] = nil
	analyzeBackend(f, b)
	if b.state != backendNoService {
		return
	}
	// The Service is judged with its namespace: not found here only
	// because that namespace is not read yet.
	b.state, b.why, b.reason = backendOK, "", ""
	if b.port == nil {
		b.state, b.reason = backendNoPort, gwv1.RouteReasonBackendNotFound
		b.why = fmt.Sprintf("backendRef to service %s/%s names no port, which a Service backend requires", b.namespace, b.name)
	}
}

// scanCode is the code a broken backend is reported under.
func scanCode(b *backend) (checks.Code, bool) {
	switch b.state {
	case backendNoService, backendNoPort:
		return checks.RtBackends, true
	case backendNoGrant:
		return checks.RtGrants, true
	case backendNoEndpoint:
		return checks.RtEndpoints, true
	}
	return "", false
}

// JudgeRemote judges the backends of other namespaces' routes that name
// Services of namespace o (a grant permits them), as RT005 or RT007
// findings, "" code when the backend is fine.
func JudgeRemote(o NamespaceObjects, b Backend) (checks.Code, string) {
	f := &facts{namespace: o.Namespace, now: o.Now,
		services: map[string]map[string]*corev1.Service{o.Namespace: o.Services}, servicesErr: map[string]error{o.Namespace: o.ServicesErr},
		slices: map[string]map[string][]discoveryv1.EndpointSlice{o.Namespace: o.Slices}, slicesErr: map[string]error{o.Namespace: o.SlicesErr},
		pods: map[string]podList{}, serviceNames: map[string][]string{}}
	for name := range o.Services {
		f.serviceNames[o.Namespace] = append(f.serviceNames[o.Namespace], name)
	}
	if svc := o.Services[b.Name]; svc != nil && len(svc.Spec.Selector) > 0 {
		f.pods[o.Namespace+"/"+b.Name] = selectPods(svc, o.Pods, o.PodsErr)
	}
	port := b.Port
	be := &backend{fromKind: b.Route.Kind, fromNamespace: o.Namespace, kind: "Service", namespace: o.Namespace, name: b.Name, port: &port}
	analyzeBackend(f, be)
	code, ok := scanCode(be)
	if !ok {
		return "", ""
	}
	return code, be.why
}

// scanParents is RT002 for the scan: every parentRef naming a Gateway or
// a ListenerSet accepts the route, as netdebug judges it and as the
// controller says.
func scanParents(o ScanObjects) report.Check {
	code := checks.RtParents
	rt := o.Route
	if len(rt.ParentRefs) == 0 {
		return code.New(report.Warn, "%s names no parentRef: it serves nothing", rt.Label())
	}
	if o.GatewaysErr != nil {
		return code.FromError("listing the gateways", o.GatewaysErr)
	}
	for i, ref := range rt.ParentRefs {
		if lns, lname, ok := routing.ParentListenerSet(ref, rt.Namespace); ok {
			if c, failed := scanListenerSetParent(o, i, ref, lns, lname); failed {
				return c
			}
			continue
		}
		ns, name, ok := parentGatewayOf(ref, rt.Namespace)
		if !ok {
			continue
		}
		if st := gateway.ParentStatus(rt.Status, ref, rt.Namespace); st != nil {
			if c := condOf(st.Conditions, gwv1.RouteConditionAccepted); c != nil && c.Status == "False" {
				return code.New(report.Fail, "parentRef %d (gateway %s/%s): the controller did not accept the route: %s (%s)", i+1, ns, name, oneLineMsg(c.Message, c.Reason), c.Reason)
			}
		}
		gw := o.Gateways[ns+"/"+name]
		if gw == nil {
			return code.New(report.Fail, "parentRef %d: gateway %s/%s does not exist (NoMatchingParent)", i+1, ns, name)
		}
		att := gateway.AttachmentsTo(gw, []gateway.Route{rt}, o.Namespaces)
		for _, pa := range att {
			if pa.Index == i && !pa.Accepted && !pa.Undecided {
				return code.New(report.Fail, "parentRef %d (gateway %s/%s) does not accept the route: %s (%s)", i+1, ns, name, pa.Message, pa.Reason)
			}
		}
	}
	return code.New(report.Pass, "every parent accepts the route")
}

// scanListenerSetParent judges parentRef i, which names ListenerSet
// lns/lname: failed when it does not accept the route. A ListenerSet that
// could not be read, or whose parentRef names no Gateway, is not judged.
func scanListenerSetParent(o ScanObjects, i int, ref gwv1.ParentReference, lns, lname string) (report.Check, bool) {
	code := checks.RtParents
	rt := o.Route
	key := lns + "/" + lname
	if !o.ListenerSetsServed {
		return code.New(report.Fail, "parentRef %d: the cluster does not serve ListenerSet (%s.%s): listenerset %s cannot exist (NoMatchingParent)",
			i+1, gatewayapi.ListenerSets, gatewayapi.Group, key), true
	}
	if o.ListenerSets == nil || (o.ListenerSetsScope != "" && lns != o.ListenerSetsScope) {
		return report.Check{}, false // not read: the inventory says so
	}
	if st := gateway.ParentStatus(rt.Status, ref, rt.Namespace); st != nil {
		if c := condOf(st.Conditions, gwv1.RouteConditionAccepted); c != nil && c.Status == "False" {
			return code.New(report.Fail, "parentRef %d (listenerset %s): the controller did not accept the route: %s (%s)", i+1, key, oneLineMsg(c.Message, c.Reason), c.Reason), true
		}
	}
	ls := o.ListenerSets[key]
	if ls == nil {
		return code.New(report.Fail, "parentRef %d: listenerset %s does not exist (NoMatchingParent)", i+1, key), true
	}
	gns, gname, ok := routing.ListenerSetParent(ls)
	if !ok {
		return report.Check{}, false
	}
	gw := o.Gateways[gns+"/"+gname]
	if gw == nil {
		return code.New(report.Fail, "parentRef %d (listenerset %s): its gateway %s/%s does not exist (NoMatchingParent)", i+1, key, gns, gname), true
	}
	st := gateway.ListenerSetsOf(gw, []gwv1.ListenerSet{*ls}, o.Namespaces)
	if len(st) == 0 {
		return report.Check{}, false
	}
	for _, pa := range gateway.AttachmentsToListenerSet(st[0], []gateway.Route{rt}, o.Namespaces) {
		if pa.Index == i && !pa.Accepted && !pa.Undecided {
			return code.New(report.Fail, "parentRef %d (listenerset %s of gateway %s/%s) does not accept the route: %s (%s)", i+1, key, gns, gname, pa.Message, pa.Reason), true
		}
	}
	return report.Check{}, false
}

func parentGatewayOf(ref gwv1.ParentReference, routeNS string) (string, string, bool) {
	if ref.Kind != nil && *ref.Kind != "Gateway" {
		return "", "", false
	}
	ns := routeNS
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	return ns, string(ref.Name), true
}

func selectPods(svc *corev1.Service, pods []corev1.Pod, err error) podList {
	if err != nil {
		return podList{err: err}
	}
	s := labels.SelectorFromSet(svc.Spec.Selector)
	var out []corev1.Pod
	for i := range pods {
		if s.Matches(labels.Set(pods[i].Labels)) {
			out = append(out, pods[i])
		}
	}
	return podList{pods: out}
}

// String is the backend as findings name it.
func (b Backend) String() string { return fmt.Sprintf("%s/%s:%d", b.Namespace, b.Name, b.Port) }
