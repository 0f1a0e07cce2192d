package plugin_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/scan"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// The Gateway API tests share one Envoy Gateway installation: GatewayClass
// eg, accepted, and the controller's pod in gw-system on a loopback-only
// node (reading its logs fails fast, never leaving the machine). Each
// Gateway gets its data-plane pod and LoadBalancer Service in gw-system,
// labelled as Envoy Gateway labels them. Scenarios have namespaces of
// their own (gw-*) and hostnames of their own (*.<namespace>.example).
const (
	gwSystem     = "gw-system"
	gwNode       = "gw-node"
	gwClassName  = "eg"
	egController = "gateway.envoyproxy.io/gatewayclass-controller"
)

var (
	gwOnce sync.Once
	gwErr  error
)

func cond(t string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: t, Status: status, Reason: reason, Message: message, ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(now)}
}

func gatewaySystem(t *testing.T) {
	t.Helper()
	gwOnce.Do(func() {
		c, cancel := testenv.Context()
		defer cancel()
		if gwErr = testenv.CreateNode(c, env.Client, gwNode); gwErr != nil {
			return
		}
		if gwErr = testenv.CreateNamespace(c, env.Client, gwSystem, nil); gwErr != nil {
			return
		}
		class := &gwv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: gwClassName}, Spec: gwv1.GatewayClassSpec{ControllerName: egController}}
		class.Status.Conditions = []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", "Valid GatewayClass")}
		if gwErr = env.CreateGatewayAPI(c, class); gwErr != nil {
			return
		}
		_, gwErr = testenv.CreateControllerPod(c, env.Client, gwSystem, testenv.ControllerPod{
			Pod: testenv.Pod{Name: "envoy-gateway-5d8f9", Labels: map[string]string{"control-plane": "envoy-gateway", "app.kubernetes.io/name": "gateway-helm"},
				Node: gwNode, IP: "10.244.60.2", Ready: true},
			Image: "docker.io/envoyproxy/gateway:v1.6.0",
		})
	})
	if gwErr != nil {
		t.Fatalf("setting up the shared Envoy Gateway: %v", gwErr)
	}
}

// gwDataPlane creates the Envoy pod of gateway ns/name in gw-system and its
// LoadBalancer Service (ClusterIP clusterIP, load-balancer address lbIP).
func gwDataPlane(t *testing.T, ns, name, podIP, clusterIP, lbIP string, ready bool) {
	t.Helper()
	c := ctx(t)
	labels := map[string]string{"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy",
		"gateway.envoyproxy.io/owning-gateway-name": name, "gateway.envoyproxy.io/owning-gateway-namespace": ns}
	podName := fmt.Sprintf("envoy-%s-%s-7f6d4", ns, name)
	must[*corev1.Pod](t)(testenv.CreateControllerPod(c, env.Client, gwSystem, testenv.ControllerPod{
		Pod: testenv.Pod{Name: podName, Labels: labels, Node: gwNode, IP: podIP, Ready: ready,
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 10080}, {Name: "https", ContainerPort: 10443}}},
		Image: "docker.io/envoyproxy/envoy:distroless-v1.36.2",
	}))
	svc := must[*corev1.Service](t)(env.Client.CoreV1().Services(gwSystem).Create(c, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("envoy-%s-%s", ns, name), Labels: labels},
		// No node ports: randomly allocated ones would collide, now and
		// then, with the fixed ones of the ingress and service tests.
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: clusterIP, Selector: labels, AllocateLoadBalancerNodePorts: ptr(false),
			Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP},
				{Name: "https", Port: 443, TargetPort: intstr.FromString("https"), Protocol: corev1.ProtocolTCP},
			}},
	}, metav1.CreateOptions{}))
	if lbIP != "" {
		check(t, testenv.SetLoadBalancerIP(c, env.Client, svc, lbIP))
	}
}

// gwApp creates namespace ns (with labels) and Services web and api (port
// 80 -> targetPort http, 8080 on the pods), one pod each, ready unless
// listed in notReady, with their EndpointSlices.
func gwApp(t *testing.T, ns string, nsLabels map[string]string, ipPrefix string, notReady ...string) {
	t.Helper()
	gatewaySystem(t)
	c := ctx(t)
	check(t, testenv.CreateNamespace(c, env.Client, ns, nsLabels))
	for i, name := range []string{"web", "api"} {
		gwService(t, ns, name, fmt.Sprintf("%s.%d", ipPrefix, i+1), !contains(notReady, name))
	}
}

// gwService creates Service name (port 80 -> http) with one pod.
func gwService(t *testing.T, ns, name, podIP string, ready bool) {
	t.Helper()
	c := ctx(t)
	labels := map[string]string{"app": name}
	svc := must[*corev1.Service](t)(env.Client.CoreV1().Services(ns).Create(c, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{Selector: labels,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}}},
	}, metav1.CreateOptions{}))
	p := readyPod(name+"-1", podIP, labels)
	p.Node, p.Ready = gwNode, ready
	pod := must[*corev1.Pod](t)(testenv.CreatePod(c, env.Client, ns, p))
	must[*discoveryv1.EndpointSlice](t)(testenv.CreateEndpointSlice(c, env.Client, svc, []*corev1.Pod{pod},
		[]discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}}))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// listener is an HTTP(S) listener; from sets allowedRoutes.namespaces.from
// when not empty.
func listener(name string, proto gwv1.ProtocolType, port int32, host string, from gwv1.FromNamespaces) gwv1.Listener {
	l := gwv1.Listener{Name: gwv1.SectionName(name), Protocol: proto, Port: port}
	if host != "" {
		l.Hostname = ptr(gwv1.Hostname(host))
	}
	if from != "" {
		l.AllowedRoutes = &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: ptr(from)}}
	}
	return l
}

func withCert(l gwv1.Listener, ns, secret string) gwv1.Listener {
	ref := gwv1.SecretObjectReference{Name: gwv1.ObjectName(secret)}
	if ns != "" {
		ref.Namespace = ptr(gwv1.Namespace(ns))
	}
	l.TLS = &gwv1.ListenerTLSConfig{CertificateRefs: []gwv1.SecretObjectReference{ref}}
	return l
}

// programmedGateway is a Gateway of class eg as Envoy Gateway leaves it
// when it accepted and programmed it at address lbIP; attached gives each
// listener's attachedRoutes, in order.
func programmedGateway(ns, name, lbIP string, attached []int32, listeners ...gwv1.Listener) *gwv1.Gateway {
	gw := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gwv1.GatewaySpec{GatewayClassName: gwClassName, Listeners: listeners}}
	gw.Status.Conditions = []metav1.Condition{
		cond("Accepted", metav1.ConditionTrue, "Accepted", "The Gateway has been scheduled by Envoy Gateway"),
		cond("Programmed", metav1.ConditionTrue, "Programmed", "Address assigned to the Gateway, 1/1 envoy replicas available"),
	}
	if lbIP != "" {
		gw.Status.Addresses = []gwv1.GatewayStatusAddress{{Type: ptr(gwv1.IPAddressType), Value: lbIP}}
	}
	for i, l := range listeners {
		ls := gwv1.ListenerStatus{Name: l.Name, SupportedKinds: []gwv1.RouteGroupKind{{Group: ptr(gwv1.Group(gwv1.GroupName)), Kind: "HTTPRoute"}, {Group: ptr(gwv1.Group(gwv1.GroupName)), Kind: "GRPCRoute"}},
			Conditions: []metav1.Condition{
				cond("Programmed", metav1.ConditionTrue, "Programmed", "Sending translated listener configuration to the data plane"),
				cond("Accepted", metav1.ConditionTrue, "Accepted", "Listener is accepted"),
				cond("ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs", "Listener references have been resolved"),
			}}
		if i < len(attached) {
			ls.AttachedRoutes = attached[i]
		}
		gw.Status.Listeners = append(gw.Status.Listeners, ls)
	}
	return gw
}

func parentRef(ns, name, section string) gwv1.ParentReference {
	ref := gwv1.ParentReference{Name: gwv1.ObjectName(name)}
	if ns != "" {
		ref.Namespace = ptr(gwv1.Namespace(ns))
	}
	if section != "" {
		ref.SectionName = ptr(gwv1.SectionName(section))
	}
	return ref
}

func backendRef(ns, name string, port int32, weight *int32) gwv1.HTTPBackendRef {
	ref := gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: gwv1.ObjectName(name), Port: ptr(port)}, Weight: weight}}
	if ns != "" {
		ref.Namespace = ptr(gwv1.Namespace(ns))
	}
	return ref
}

func prefixRule(path string, refs ...gwv1.HTTPBackendRef) gwv1.HTTPRouteRule {
	return gwv1.HTTPRouteRule{Matches: []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptr(gwv1.PathMatchPathPrefix), Value: ptr(path)}}}, BackendRefs: refs}
}

// httpRoute is an HTTPRoute; when accepted is set, the controller's status
// for each parent says Accepted and ResolvedRefs.
func httpRoute(ns, name string, parents []gwv1.ParentReference, hosts []string, accepted bool, rules ...gwv1.HTTPRouteRule) *gwv1.HTTPRoute {
	r := &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	r.Spec.ParentRefs = parents
	for _, h := range hosts {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gwv1.Hostname(h))
	}
	r.Spec.Rules = rules
	if accepted {
		for _, p := range parents {
			r.Status.Parents = append(r.Status.Parents, gwv1.RouteParentStatus{ParentRef: p, ControllerName: egController, Conditions: []metav1.Condition{
				cond("Accepted", metav1.ConditionTrue, "Accepted", "Route is accepted"),
				cond("ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs", "Resolved all the Object references for the Route"),
			}})
		}
	}
	return r
}

var gwFixtures sync.Map // name -> *sync.Once

// once runs a fixture shared by several tests the first time one needs it.
func once(t *testing.T, name string, fixture func(*testing.T)) {
	t.Helper()
	o, _ := gwFixtures.LoadOrStore(name, &sync.Once{})
	o.(*sync.Once).Do(func() { fixture(t) })
}

func createGW(t *testing.T, objs ...any) {
	t.Helper()
	for _, o := range objs {
		check(t, env.CreateGatewayAPI(ctx(t), o))
	}
}

// answer is RT010's data.
type answer struct {
	Status   int      `json:"status"`
	Reason   string   `json:"reason"`
	Route    string   `json:"route"`
	Rule     int      `json:"rule"`
	Backends []string `json:"backends"`
}

func rt010(t *testing.T, r report.Report) answer {
	t.Helper()
	var a answer
	remarshal(t, checkByCode(t, r, "RT010").Data, &a)
	return a
}

func wantAnswer(t *testing.T, r report.Report, status int, route string, rule int, backends string, reason string) {
	t.Helper()
	a := rt010(t, r)
	if a.Status != status || a.Route != route || a.Rule != rule || strings.Join(a.Backends, ",") != backends || !strings.Contains(a.Reason, reason) {
		t.Errorf("RT010 = %+v\nwant status %d route %q rule %d backends %q reason containing %q", a, status, route, rule, backends, reason)
	}
}

func wantCheck(t *testing.T, r report.Report, code string, status report.Status, contains string) report.Check {
	t.Helper()
	c := checkByCode(t, r, code)
	if c.Status != status || !strings.Contains(c.Message, contains) {
		t.Errorf("%s = %s %q\nwant %s containing %q", code, c.Status, c.Message, status, contains)
	}
	return c
}

// gwHealthy: gateway gw-healthy/shop with an HTTP listener for
// *.gw-healthy.example and an HTTPS one for shop.gw-healthy.example, and
// HTTPRoute shop: /api -> api, / -> web.
func gwHealthy(t *testing.T) { once(t, "healthy", gwHealthyFixture) }

func gwHealthyFixture(t *testing.T) {
	t.Helper()
	ns := "gw-healthy"
	gwApp(t, ns, nil, "10.244.61")
	gwDataPlane(t, ns, "shop", "10.244.60.11", "10.0.0.2", "192.0.2.21", true)
	tlsSecret(t, ns, "shop-tls", []string{"shop.gw-healthy.example"}, now.AddDate(0, -1, 0), now.AddDate(0, 3, 0))
	createGW(t,
		programmedGateway(ns, "shop", "192.0.2.21", []int32{1, 1},
			listener("http", gwv1.HTTPProtocolType, 80, "*.gw-healthy.example", ""),
			withCert(listener("https", gwv1.HTTPSProtocolType, 443, "shop.gw-healthy.example", ""), "", "shop-tls")),
		httpRoute(ns, "shop", []gwv1.ParentReference{parentRef("", "shop", "")}, []string{"shop.gw-healthy.example"}, true,
			prefixRule("/api", backendRef("", "api", 80, nil)),
			prefixRule("/", backendRef("", "web", 80, nil))),
	)
}

func TestGatewayHealthy(t *testing.T) {
	gwHealthy(t)
	r := expect(t, 0, "gateway-healthy", "gateway", "gw-healthy/shop")
	wantVerdict(t, r, "", "No problem found: gateway gw-healthy/shop serves 2 listener(s) with 2 route attachment(s)")
	ctrl := wantCheck(t, r, "GW003", report.Pass, "2 Envoy Gateway pod(s) ready in namespace gw-system")
	if len(ctrl.Objects) != 2 {
		t.Errorf("GW003 objects %v", ctrl.Objects)
	}
	wantCheck(t, r, "GW006", report.Pass, "gateway address 192.0.2.21; service gw-system/envoy-gw-healthy-shop (address 192.0.2.21)")
	wantCheck(t, r, "GW010", report.Pass, "every certificate covers its listener's hostnames")
	wantCheck(t, r, "GW004", report.Skip, "could not read the controller's logs")

	// The namespace by flag works as well as NS/NAME.
	if res := run(t, "gateway", "shop", "-n", "gw-healthy", "-o", "json"); res.code != 0 {
		t.Errorf("-n: exit %d\n%s", res.code, res.stderr)
	}
}

func TestRouteHealthy(t *testing.T) {
	gwApp(t, "gw-route", nil, "10.244.62")
	ns := "gw-route"
	gwDataPlane(t, ns, "front", "10.244.60.12", "10.0.0.3", "192.0.2.22", true)
	createGW(t,
		programmedGateway(ns, "front", "192.0.2.22", []int32{1}, listener("http", gwv1.HTTPProtocolType, 80, "", "")),
		httpRoute(ns, "shop", []gwv1.ParentReference{parentRef("", "front", "")}, []string{"shop.gw-route.example"}, true,
			prefixRule("/api", backendRef("", "api", 80, nil)),
			prefixRule("/", backendRef("", "web", 80, nil))),
	)
	// No request given: the one rule 1 describes.
	r := expect(t, 0, "route-healthy", "route", "shop", "-n", ns, "--probe", "none")
	wantAnswer(t, r, 200, "gw-route/shop", 1, "gw-route/api:80", "forwarded to gw-route/api:80 (1 ready endpoint(s))")
	wantVerdict(t, r, "RT010", "request http://shop.gw-route.example/api gets 200 from gateway gw-route/front (gw-route/shop rule 1)")

	r = expect(t, 0, "", "route", "httproute/shop", "-n", ns, "--host", "shop.gw-route.example", "--path", "/products/42", "--probe", "none")
	wantAnswer(t, r, 200, "gw-route/shop", 2, "gw-route/web:80", "forwarded")
	wantCheck(t, r, "RT011", report.Skip, "--probe=none")

	// With probes: the data-plane pod's node has no kubelet, so the exec
	// fails and the probe is a skip that says why.
	r = expect(t, 0, "", "route", "shop", "-n", ns, "--host", "shop.gw-route.example")
	wantCheck(t, r, "RT011", report.Skip, "could not exec")
	// NetworkPolicy from the data plane to the backend pods: no policy.
	wantCheck(t, r, "RT012", report.Pass, "from data-plane pod gw-system/envoy-gw-route-front-7f6d4")

	// A host no route serves: 404.
	r = expect(t, 1, "", "route", "shop", "-n", ns, "--host", "blog.gw-route.example", "--probe", "none")
	wantAnswer(t, r, 404, "", 0, "", "no rule of the 1 route(s) attached to listener http matches")
	wantVerdict(t, r, "RT010", "request http://blog.gw-route.example/ gets 404 from gateway gw-route/front")
}

// gwAttach: gateway gw-attach-infra/edge with listeners that admit routes
// of their own namespace only (same), of namespaces labelled team=blue
// (team), of any namespace for one hostname (strict); routes of namespace
// gw-attach (team=red) try each, and one names a listener that does not
// exist. No route attaches: Envoy Gateway counts 0 on every listener.
func gwAttach(t *testing.T) { once(t, "attach", gwAttachFixture) }

func gwAttachFixture(t *testing.T) {
	t.Helper()
	infra, ns := "gw-attach-infra", "gw-attach"
	gwApp(t, infra, nil, "10.244.63")
	gwApp(t, ns, map[string]string{"team": "red"}, "10.244.64")
	gwDataPlane(t, infra, "edge", "10.244.60.13", "10.0.0.4", "192.0.2.23", true)
	team := listener("team", gwv1.HTTPProtocolType, 8080, "", gwv1.NamespacesFromSelector)
	team.AllowedRoutes.Namespaces.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "blue"}}
	edge := programmedGateway(infra, "edge", "192.0.2.23", []int32{0, 0, 0},
		listener("same", gwv1.HTTPProtocolType, 80, "*.attach.example", ""),
		team,
		listener("strict", gwv1.HTTPProtocolType, 8081, "only.attach.example", gwv1.NamespacesFromAll))
	web := prefixRule("/", backendRef("", "web", 80, nil))
	otherNS := httpRoute(ns, "other-ns", []gwv1.ParentReference{parentRef(infra, "edge", "same")}, []string{"www.attach.example"}, false, web)
	// Envoy Gateway's own word on it.
	otherNS.Status.Parents = []gwv1.RouteParentStatus{{ParentRef: parentRef(infra, "edge", "same"), ControllerName: egController, Conditions: []metav1.Condition{
		cond("Accepted", metav1.ConditionFalse, "NotAllowedByListeners", "No listeners included by this parent ref allowed this attachment."),
		cond("ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs", "Resolved all the Object references for the Route"),
	}}}
	createGW(t, edge, otherNS,
		httpRoute(ns, "hostname", []gwv1.ParentReference{parentRef(infra, "edge", "strict")}, []string{"www.attach.example"}, false, web),
		httpRoute(ns, "selector", []gwv1.ParentReference{parentRef(infra, "edge", "team")}, nil, false, web),
		httpRoute(ns, "nolistener", []gwv1.ParentReference{parentRef(infra, "edge", "htps")}, nil, false, web),
	)
}

func TestGatewayAttachedRoutesZero(t *testing.T) {
	gwAttach(t)
	r := expect(t, 1, "gateway-attach", "gateway", "gw-attach-infra/edge")
	wantVerdict(t, r, "GW012", "listener same has no attached route: HTTPRoute gw-attach/other-ns tries to attach, but the listener admits routes from namespace gw-attach-infra only (from: Same), not from namespace gw-attach (NotAllowedByListeners)")
	c := checkByCode(t, r, "GW012")
	var data []struct {
		Listener string `json:"listener"`
		Status   int32  `json:"status"`
		Computed int    `json:"computed"`
		Rejected []struct {
			Route, Reason, Why string
		} `json:"rejected"`
	}
	remarshal(t, c.Data, &data)
	reasons := map[string]string{}
	for _, d := range data {
		if d.Status != 0 || d.Computed != 0 || len(d.Rejected) != 1 {
			t.Errorf("listener %+v", d)
			continue
		}
		reasons[d.Listener] = d.Rejected[0].Route + " " + d.Rejected[0].Reason
	}
	for l, want := range map[string]string{
		"same":   "HTTPRoute gw-attach/other-ns NotAllowedByListeners",
		"team":   "HTTPRoute gw-attach/selector NotAllowedByListeners",
		"strict": "HTTPRoute gw-attach/hostname NoMatchingListenerHostname",
	} {
		if reasons[l] != want {
			t.Errorf("listener %s: %q, want %q", l, reasons[l], want)
		}
	}
	// The route naming a listener that does not exist attaches nowhere.
	found := false
	for _, f := range c.Facts {
		if f.Name == "not attached" && strings.Contains(f.Value, "HTTPRoute gw-attach/nolistener") && strings.Contains(f.Value, "NoMatchingParent") {
			found = true
		}
	}
	if !found {
		t.Errorf("GW012 facts do not name the route without a listener: %+v", c.Facts)
	}
	wantCheck(t, r, "GW011", report.Warn, "listener team admits namespaces labelled team=blue, and no namespace has those labels")
}

func TestRouteNotAccepted(t *testing.T) {
	gwAttach(t)
	ns := "gw-attach"
	for _, tt := range []struct {
		route, golden, verdict, reason string
	}{
		{"other-ns", "route-not-allowed", "parentRef 1 (gateway gw-attach-infra/edge, listener same) does not accept the route: listener same admits routes from namespace gw-attach-infra only (from: Same), not from namespace gw-attach (NotAllowedByListeners)", "NotAllowedByListeners"},
		{"hostname", "route-no-hostname", "listener strict has hostname only.attach.example, which does not intersect the route's hostnames www.attach.example (NoMatchingListenerHostname)", "NoMatchingListenerHostname"},
		{"nolistener", "", "gateway gw-attach-infra/edge has no listener named htps (NoMatchingParent)", "NoMatchingParent"},
		{"selector", "", "admits routes from namespaces labelled team=blue, not from namespace gw-attach (NotAllowedByListeners)", "NotAllowedByListeners"},
	} {
		t.Run(tt.route, func(t *testing.T) {
			r := expect(t, 1, tt.golden, "route", tt.route, "-n", ns, "--probe", "none")
			c := wantCheck(t, r, "RT002", report.Fail, tt.verdict)
			var parents []struct {
				Reason             string `json:"reason"`
				ControllerAccepted string `json:"controllerAccepted"`
				AcceptedReason     string `json:"acceptedReason"`
			}
			remarshal(t, c.Data, &parents)
			if len(parents) != 1 || parents[0].Reason != tt.reason {
				t.Errorf("RT002 data %+v, want reason %s", parents, tt.reason)
			}
			if tt.route == "other-ns" && (parents[0].ControllerAccepted != "False" || parents[0].AcceptedReason != "NotAllowedByListeners") {
				t.Errorf("the controller's status is not reported: %+v", parents)
			}
			// Not attached: the request through the gateway finds no route.
			a := rt010(t, r)
			if a.Status != 404 && a.Status != 0 {
				t.Errorf("RT010 = %+v, want 404 (or no answer without a listener)", a)
			}
		})
	}
}

// TestGatewayListenersAndTLS: one gateway per listener problem, so that
// each is the verdict of its own report.
func TestGatewayListenersAndTLS(t *testing.T) {
	ns, certs := "gw-tls", "gw-tls-certs"
	gwApp(t, ns, nil, "10.244.65")
	check(t, testenv.CreateNamespace(ctx(t), env.Client, certs, nil))
	tlsSecret(t, ns, "old", []string{"expired.gw-tls.example"}, now.AddDate(0, -3, 0), now.AddDate(0, 0, -2))
	tlsSecret(t, ns, "other", []string{"other.gw-tls.example"}, now.AddDate(0, -1, 0), now.AddDate(0, 3, 0))
	tlsSecret(t, certs, "shared", []string{"cross.gw-tls.example"}, now.AddDate(0, -1, 0), now.AddDate(0, 3, 0))
	tlsSecret(t, certs, "granted", []string{"granted.gw-tls.example"}, now.AddDate(0, -1, 0), now.AddDate(0, 3, 0))
	https := func(gw, host, secretNS, secret string) *gwv1.Gateway {
		return programmedGateway(ns, gw, "", []int32{0}, withCert(listener("https", gwv1.HTTPSProtocolType, 443, host, ""), secretNS, secret))
	}
	// The CRD refuses listeners with the same port, protocol and hostname
	// (HostnameConflict, tested in pkg/routing); protocols that cannot
	// share a port still conflict.
	conflict := programmedGateway(ns, "conflict", "", []int32{0, 0, 0},
		listener("web", gwv1.HTTPProtocolType, 80, "a.gw-tls.example", ""),
		listener("raw", gwv1.TCPProtocolType, 80, "", ""),
		withCert(listener("secure", gwv1.HTTPSProtocolType, 80, "b.gw-tls.example", ""), "", "other"))
	// What a controller writes for conflicted listeners.
	for i := range conflict.Status.Listeners {
		conflict.Status.Listeners[i].Conditions = append(conflict.Status.Listeners[i].Conditions,
			cond("Conflicted", metav1.ConditionTrue, "ProtocolConflict", "All listeners for a given port must use a compatible protocol"))
	}
	grant := &gwv1.ReferenceGrant{ObjectMeta: metav1.ObjectMeta{Namespace: certs, Name: "gateways"}, Spec: gwv1.ReferenceGrantSpec{
		From: []gwv1.ReferenceGrantFrom{{Group: gwv1.GroupName, Kind: "Gateway", Namespace: gwv1.Namespace(ns)}},
		To:   []gwv1.ReferenceGrantTo{{Group: "", Kind: "Secret", Name: ptr(gwv1.ObjectName("granted"))}},
	}}
	createGW(t, conflict,
		https("missing", "missing.gw-tls.example", "", "nosuch"),
		https("expired", "expired.gw-tls.example", "", "old"),
		https("san", "san.gw-tls.example", "", "other"),
		https("cross", "cross.gw-tls.example", certs, "shared"),
		https("granted", "granted.gw-tls.example", certs, "granted"),
		grant)
	for _, tt := range []struct {
		gw, golden, code, verdict string
	}{
		{"conflict", "gateway-conflict", "GW007", "listeners web (HTTP) and raw (TCP) share port 80, which one data plane cannot serve with both protocols (ProtocolConflict): a conformant controller accepts neither listener; 2 more conflict(s)"},
		{"missing", "gateway-tls-missing", "GW009", "listener https: TLS secret nosuch does not exist in namespace gw-tls (InvalidCertificateRef)"},
		{"expired", "", "GW010", "listener https: the certificate in secret old expired on 2026-11-25 (2 days ago): clients reject it"},
		{"san", "", "GW010", "listener https: the certificate in secret other does not cover san.gw-tls.example (it covers other.gw-tls.example)"},
		{"cross", "", "GW009", "certificateRef gw-tls-certs/shared of listener https is in another namespace and no ReferenceGrant in namespace gw-tls-certs lets gateways of namespace gw-tls use it (RefNotPermitted)"},
	} {
		t.Run(tt.gw, func(t *testing.T) {
			r := expect(t, 1, tt.golden, "gateway", ns+"/"+tt.gw)
			wantVerdict(t, r, tt.code, tt.verdict)
		})
	}
	r := expect(t, 0, "", "gateway", ns+"/granted")
	wantCheck(t, r, "GW009", report.Pass, "1 certificate reference(s)")
	wantCheck(t, r, "GW010", report.Pass, "every certificate covers")
	// The Conflicted conditions are quoted.
	r = expect(t, 1, "", "gateway", ns+"/conflict")
	c := checkByCode(t, r, "GW007")
	if !strings.Contains(fmt.Sprint(c.Facts), "Conflicted True (ProtocolConflict)") || !strings.Contains(fmt.Sprint(c.Facts), "listeners web (HTTP) and raw (TCP) share port 80") {
		t.Errorf("GW007 facts %v", c.Facts)
	}
}

// gwBack: gateway gw-back/front, one HTTP listener for any host from any
// namespace, and a route per backend problem, each with a host of its
// own.
func gwBack(t *testing.T) { once(t, "back", gwBackFixture) }

func gwBackFixture(t *testing.T) {
	t.Helper()
	ns, other := "gw-back", "gw-back-other"
	gwApp(t, ns, nil, "10.244.66")
	gwService(t, ns, "down", "10.244.66.9", false)
	gwApp(t, other, nil, "10.244.67")
	gwService(t, other, "granted", "10.244.67.9", true)
	gwDataPlane(t, ns, "front", "10.244.60.14", "10.0.0.5", "192.0.2.24", true)
	front := []gwv1.ParentReference{parentRef("", "front", "")}
	zero := int32(0)
	redirect := gwv1.HTTPRouteRule{Filters: []gwv1.HTTPRouteFilter{{Type: gwv1.HTTPRouteFilterRequestRedirect,
		RequestRedirect: &gwv1.HTTPRequestRedirectFilter{Scheme: ptr("https"), StatusCode: ptr(301)}}}}
	route := func(name string, rules ...gwv1.HTTPRouteRule) *gwv1.HTTPRoute {
		return httpRoute(ns, name, front, []string{name + ".gw-back.example"}, true, rules...)
	}
	createGW(t,
		programmedGateway(ns, "front", "192.0.2.24", []int32{7}, listener("http", gwv1.HTTPProtocolType, 80, "", gwv1.NamespacesFromAll)),
		route("missing", prefixRule("/", backendRef("", "apix", 80, nil))),
		route("badport", prefixRule("/", backendRef("", "api", 8080, nil))),
		route("zero", prefixRule("/", backendRef("", "web", 80, &zero), backendRef("", "api", 80, &zero))),
		route("noeps", prefixRule("/", backendRef("", "down", 80, nil))),
		route("cross", prefixRule("/", backendRef(other, "web", 80, nil))),
		route("granted", prefixRule("/", backendRef(other, "granted", 80, nil))),
		route("split", prefixRule("/", backendRef("", "web", 80, ptr(int32(3))), backendRef("", "apix", 80, ptr(int32(1))))),
		route("redirect", redirect),
		&gwv1.ReferenceGrant{ObjectMeta: metav1.ObjectMeta{Namespace: other, Name: "from-gw-back"}, Spec: gwv1.ReferenceGrantSpec{
			From: []gwv1.ReferenceGrantFrom{{Group: gwv1.GroupName, Kind: "HTTPRoute", Namespace: gwv1.Namespace(ns)}},
			To:   []gwv1.ReferenceGrantTo{{Group: "", Kind: "Service", Name: ptr(gwv1.ObjectName("granted"))}},
		}},
	)
}

func TestRouteBackends(t *testing.T) {
	gwBack(t)
	ns := "gw-back"
	for _, tt := range []struct {
		route, golden  string
		status         int
		backends, code string
		reason         string
	}{
		{"missing", "route-backend-not-found", 500, "gw-back/apix:80", "RT005", "service apix does not exist in namespace gw-back (did you mean api?) (BackendNotFound)"},
		{"badport", "", 500, "gw-back/api:8080", "RT005", "service gw-back/api has no port 8080 (ports: http 80/TCP->http) (BackendNotFound)"},
		{"zero", "route-zero-weights", 500, "gw-back/web:80,gw-back/api:80", "RT008", "every backendRef of rule 1 has weight 0"},
		{"noeps", "route-no-endpoints", 503, "gw-back/down:80", "RT007", "service gw-back/down has no ready endpoints for port 80 (none of its 1 pod(s) is ready"},
		{"cross", "route-ref-not-permitted", 500, "gw-back-other/web:80", "RT006", "no ReferenceGrant in namespace gw-back-other lets HTTPRoutes of namespace gw-back refer to it (RefNotPermitted)"},
		{"granted", "", 200, "gw-back-other/granted:80", "", "forwarded to gw-back-other/granted:80 (1 ready endpoint(s))"},
		{"split", "", 200, "gw-back/web:80,gw-back/apix:80", "", "but 25% get 500 (service apix does not exist"},
		{"redirect", "", 301, "", "RT004", "redirected by the rule's filter: RequestRedirect 301 to scheme https"},
	} {
		t.Run(tt.route, func(t *testing.T) {
			code := 1
			if tt.status < 400 && tt.route != "split" {
				code = 0
			}
			r := expect(t, code, tt.golden, "route", tt.route, "-n", ns, "--probe", "none")
			wantAnswer(t, r, tt.status, ns+"/"+tt.route, 1, tt.backends, tt.reason)
			if tt.code != "" {
				if a := checkByCode(t, r, "RT010"); !strings.Contains(fmt.Sprint(a.Data), tt.code) {
					t.Errorf("RT010 does not name %s: %v", tt.code, a.Data)
				}
			}
		})
	}
	// The failing check of each reason.
	r := expect(t, 1, "", "route", "cross", "-n", ns, "--probe", "none")
	wantCheck(t, r, "RT006", report.Fail, "RefNotPermitted")
	r = expect(t, 1, "", "route", "zero", "-n", ns, "--probe", "none")
	wantCheck(t, r, "RT008", report.Fail, "rule 1: every backendRef has weight 0: the gateway answers 500")
	r = expect(t, 0, "", "route", "granted", "-n", ns, "--probe", "none")
	wantCheck(t, r, "RT006", report.Pass, "permitted by a ReferenceGrant")
	// A request for a host no route claims on the gateway: 404.
	r = expect(t, 1, "", "route", "granted", "-n", ns, "--host", "nothing.gw-back.example", "--probe", "none")
	wantAnswer(t, r, 404, "", 0, "", "no rule of the 8 route(s) attached to listener http matches")
}

// TestRoutePrecedence routes requests through several routes of one
// listener, as the Gateway API's precedence orders them (the cases are
// unit-tested one by one in pkg/routing; these go through the API).
func TestRoutePrecedence(t *testing.T) {
	ns := "gw-prec"
	gwApp(t, ns, nil, "10.244.68")
	gwService(t, ns, "v2", "10.244.68.9", true)
	gwDataPlane(t, ns, "front", "10.244.60.15", "10.0.0.6", "192.0.2.25", true)
	front := []gwv1.ParentReference{parentRef("", "front", "")}
	exact := gwv1.HTTPRouteRule{Matches: []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptr(gwv1.PathMatchExact), Value: ptr("/api")}}},
		BackendRefs: []gwv1.HTTPBackendRef{backendRef("", "web", 80, nil)}}
	header := gwv1.HTTPRouteRule{Matches: []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptr(gwv1.PathMatchPathPrefix), Value: ptr("/api")},
		Headers: []gwv1.HTTPHeaderMatch{{Name: "X-Version", Value: "2"}}}}, BackendRefs: []gwv1.HTTPBackendRef{backendRef("", "v2", 80, nil)}}
	post := gwv1.HTTPRouteRule{Matches: []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptr(gwv1.PathMatchPathPrefix), Value: ptr("/api")},
		Method: ptr(gwv1.HTTPMethodPost), QueryParams: []gwv1.HTTPQueryParamMatch{{Name: "dry", Value: "1"}}}}, BackendRefs: []gwv1.HTTPBackendRef{backendRef("", "v2", 80, nil)}}
	createGW(t,
		programmedGateway(ns, "front", "192.0.2.25", []int32{4}, listener("http", gwv1.HTTPProtocolType, 80, "", "")),
		httpRoute(ns, "older", front, []string{"*.gw-prec.example"}, true, prefixRule("/", backendRef("", "web", 80, nil))),
	)
	// Creation times have a one-second resolution: "newer" is younger.
	sleepASecond()
	createGW(t,
		httpRoute(ns, "newer", front, []string{"*.gw-prec.example"}, true, prefixRule("/", backendRef("", "api", 80, nil))),
		httpRoute(ns, "shop", front, []string{"shop.gw-prec.example"}, true,
			prefixRule("/api", backendRef("", "api", 80, nil)), exact, header, post),
	)
	for _, tt := range []struct {
		name, host, path, method string
		headers                  []string
		route                    string
		rule                     int
	}{
		// The spec ranks every matching rule: the route of the exact
		// hostname has no rule for /, the wildcard's takes it (a caveat
		// says Envoy-based gateways answer 404).
		{"a less specific hostname serves paths the exact one lacks", "shop.gw-prec.example", "/", "", nil, "gw-prec/older", 1},
		{"Exact before a PathPrefix of the same path", "shop.gw-prec.example", "/api", "", nil, "gw-prec/shop", 2},
		{"PathPrefix when the Exact path does not match", "shop.gw-prec.example", "/api/v1", "", nil, "gw-prec/shop", 1},
		{"a header match beats none", "shop.gw-prec.example", "/api/v1", "", []string{"x-version=2"}, "gw-prec/shop", 3},
		{"a method match beats a header match", "shop.gw-prec.example", "/api/v1?dry=1", "POST", []string{"X-Version=2"}, "gw-prec/shop", 4},
		{"the query must match too", "shop.gw-prec.example", "/api/v1?dry=0", "POST", nil, "gw-prec/shop", 1},
		{"a wildcard hostname covers any number of labels", "a.b.gw-prec.example", "/x", "", nil, "gw-prec/older", 1},
		{"equal matches: the oldest route", "blog.gw-prec.example", "/", "", nil, "gw-prec/older", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"route", "shop", "-n", ns, "--probe", "none", "--host", tt.host, "--path", tt.path}
			if tt.method != "" {
				args = append(args, "--method", tt.method)
			}
			for _, h := range tt.headers {
				args = append(args, "--header", h)
			}
			res := run(t, append(args, "-o", "json")...)
			r := decode(t, res.stdout)
			a := rt010(t, r)
			if a.Route != tt.route || a.Rule != tt.rule {
				t.Errorf("RT010 = %+v, want %s rule %d\n%s", a, tt.route, tt.rule, res.stderr)
			}
		})
	}
	// RT009 names the other matching rules and why they come after.
	// (Not with -v 1: klog's verbosity is global and would leak into the
	// other tests' output.)
	res := run(t, "route", "shop", "-n", ns, "--probe", "none", "--host", "shop.gw-prec.example", "--path", "/api", "-o", "json")
	c := checkByCode(t, decode(t, res.stdout), "RT009")
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\n", c.Status, c.Code, c.Message)
	for _, f := range c.Facts {
		fmt.Fprintf(&b, "    %s: %s\n", f.Name, f.Value)
	}
	golden(t, "route-precedence", b.String())
}

func sleepASecond() { time.Sleep(1100 * time.Millisecond) }

func TestGatewayAndRouteNotFoundAndBadInput(t *testing.T) {
	gwHealthy(t)
	res := run(t, "gateway", "gw-healthy/shopp")
	if res.code != 1 || !strings.Contains(res.stdout, "gateway shopp not found in namespace gw-healthy; did you mean shop?") {
		t.Errorf("typo: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = run(t, "gateway", "shop", "-n", "gw-elsewhere")
	if res.code != 1 || !strings.Contains(res.stdout, "namespace gw-elsewhere does not exist") {
		t.Errorf("missing namespace: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = run(t, "gateway", "shop", "-n", "default")
	if res.code != 1 || !strings.Contains(res.stdout, "gateway shop is not in namespace default but exists in namespace gw-healthy") {
		t.Errorf("other namespace: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = run(t, "route", "shoop", "-n", "gw-healthy")
	if res.code != 1 || !strings.Contains(res.stdout, "httproute shoop not found in namespace gw-healthy; did you mean shop?") ||
		!strings.Contains(res.stdout, "kubectl netdebug route httproute/shop -n gw-healthy") {
		t.Errorf("route typo: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, args := range [][]string{
		{"gateway"},
		{"gateway", "Not_A_Name"},
		{"gateway", "a/b/c"},
		{"route", "shop", "--path", "api"},
		{"route", "shop", "--header", "noequals"},
		{"route", "shop", "--gateway", "In/Valid"},
		{"route", "grpcroute/cart", "--method", "POST"},
		{"route", "grpcroute/cart", "--path", "/a/b/c"},
		{"route", "shop", "--probe", "sometimes"},
		{"route", "shop", "--server", "https://127.0.0.1:1", "--request-timeout", "5s"},
	} {
		res := run(t, args...)
		if res.code != 2 || !strings.HasPrefix(res.stderr, "error: ") || strings.Count(res.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one error line", args, res.code, res.stderr)
		}
	}
}

// A user who may read the namespace's core objects but none of the
// Gateway API gets the missing permission named; one who may read the
// Gateway and routes of the namespace only gets skips naming what else
// is needed.
func TestGatewayAndRouteRBAC(t *testing.T) {
	gwBack(t)
	ns := "gw-back"
	c := ctx(t)
	bind := func(user string, rules []rbacv1.PolicyRule) {
		must[*rbacv1.Role](t)(env.Client.RbacV1().Roles(ns).Create(c, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: rules}, metav1.CreateOptions{}))
		must[*rbacv1.RoleBinding](t)(env.Client.RbacV1().RoleBindings(ns).Create(c, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: user},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: user},
			Subjects:   []rbacv1.Subject{{Kind: "User", Name: user}},
		}, metav1.CreateOptions{}))
	}
	core := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"services", "pods", "namespaces"}, Verbs: []string{"get", "list"}}
	slices := rbacv1.PolicyRule{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list"}}
	bind("gw-core-only", []rbacv1.PolicyRule{core, slices})
	bind("gw-ns-reader", []rbacv1.PolicyRule{core, slices, {APIGroups: []string{gwv1.GroupName}, Resources: []string{"gateways", "httproutes"}, Verbs: []string{"get", "list"}}})

	coreOnly := must[string](t)(env.UserKubeconfig("gw-core-only"))
	res := runAs(t, coreOnly, "gateway", "gw-back/front")
	if res.code != 2 || !strings.Contains(res.stdout, "not allowed to get gateways.gateway.networking.k8s.io in namespace gw-back") {
		t.Errorf("no Gateway API access: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = runAs(t, coreOnly, "route", "cross", "-n", ns)
	if res.code != 2 || !strings.Contains(res.stdout, "not allowed to get httproutes.gateway.networking.k8s.io in namespace gw-back") {
		t.Errorf("no route access: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	reader := must[string](t)(env.UserKubeconfig("gw-ns-reader"))
	res = runAs(t, reader, "gateway", "gw-back/front", "-o", "json")
	r := decode(t, res.stdout)
	for code, perm := range map[string]string{
		"GW002": "list gatewayclasses.gateway.networking.k8s.io (cluster-wide)",
		"GW003": "list gatewayclasses.gateway.networking.k8s.io (cluster-wide)",
	} {
		c := checkByCode(t, r, code)
		if c.Status != report.Skip || c.Forbidden == nil || c.Forbidden.String() != perm {
			t.Errorf("%s = %s %q (forbidden %v), want a skip naming %q", code, c.Status, c.Message, c.Forbidden, perm)
		}
	}
	// Routes of other namespaces may not be listed: those of the
	// gateway's namespace are, with a caveat.
	if c := checkByCode(t, r, "GW012"); !strings.Contains(fmt.Sprint(c.Facts), "only the routes of namespace gw-back were read: forbidden: cannot list httproutes.gateway.networking.k8s.io (cluster-wide)") {
		t.Errorf("GW012 = %+v", c)
	}
	if c := checkByCode(t, r, "GW012"); !strings.Contains(fmt.Sprint(c.Facts), "TLSRoutes were not read: forbidden: cannot list tlsroutes.gateway.networking.k8s.io (cluster-wide)") {
		t.Errorf("GW012 facts %v, want the TLSRoutes not read", c.Facts)
	}
	// The route's cross-namespace backend needs the grants of namespace
	// gw-back-other, which may not be read.
	res = runAs(t, reader, "route", "cross", "-n", ns, "--probe", "none", "-o", "json")
	r = decode(t, res.stdout)
	if c := checkByCode(t, r, "RT006"); c.Status != report.Skip || c.Forbidden == nil || c.Forbidden.String() != "list referencegrants.gateway.networking.k8s.io in namespace gw-back-other" {
		t.Errorf("RT006 = %s %q %v", c.Status, c.Message, c.Forbidden)
	}
}

func TestGRPCRoute(t *testing.T) {
	ns := "gw-grpc"
	gwApp(t, ns, nil, "10.244.69")
	gwDataPlane(t, ns, "front", "10.244.60.16", "10.0.0.7", "192.0.2.26", true)
	grpc := &gwv1.GRPCRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cart"}}
	grpc.Spec.ParentRefs = []gwv1.ParentReference{parentRef("", "front", "")}
	grpc.Spec.Hostnames = []gwv1.Hostname{"grpc.gw-grpc.example"}
	grpc.Spec.Rules = []gwv1.GRPCRouteRule{
		{Matches: []gwv1.GRPCRouteMatch{{Method: &gwv1.GRPCMethodMatch{Service: ptr("shop.v1.Cart")}}},
			BackendRefs: []gwv1.GRPCBackendRef{{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: "api", Port: ptr(int32(80))}}}}},
		{Matches: []gwv1.GRPCRouteMatch{{Method: &gwv1.GRPCMethodMatch{Service: ptr("shop.v1.Cart"), Method: ptr("Checkout")}}},
			BackendRefs: []gwv1.GRPCBackendRef{{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: "web", Port: ptr(int32(80))}}}}},
	}
	createGW(t, programmedGateway(ns, "front", "192.0.2.26", []int32{1}, listener("http", gwv1.HTTPProtocolType, 80, "", "")), grpc)
	r := expect(t, 0, "", "route", "grpcroute/cart", "-n", ns, "--probe", "none", "--host", "grpc.gw-grpc.example", "--path", "/shop.v1.Cart/Checkout")
	wantAnswer(t, r, 200, "gw-grpc/cart", 2, "gw-grpc/web:80", "forwarded")
	r = expect(t, 1, "", "route", "grpcroute/cart", "-n", ns, "--probe", "none", "--host", "grpc.gw-grpc.example", "--path", "/shop.v1.Orders/List")
	wantAnswer(t, r, 404, "", 0, "", "no rule")
}

// scanFindings are the findings of code in namespace ns, "object: message".
func scanFindings(t *testing.T, r report.Report, code, ns string) []string {
	t.Helper()
	var d scan.CodeData
	remarshal(t, checkByCode(t, r, code).Data, &d)
	var out []string
	for _, f := range d.Findings {
		if f.Object.Namespace == ns {
			out = append(out, f.Object.Name+": "+f.Message)
		}
	}
	return out
}

func TestScanGatewayAPI(t *testing.T) {
	gwBack(t)
	gwAttach(t)
	ns := "gw-scan"
	gwApp(t, ns, nil, "10.244.70")
	// A gateway no controller has processed (the CRD's default status),
	// with listeners that conflict.
	pending := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pending"}, Spec: gwv1.GatewaySpec{GatewayClassName: "no-such-class",
		Listeners: []gwv1.Listener{listener("web", gwv1.HTTPProtocolType, 80, "", ""), listener("raw", gwv1.TCPProtocolType, 80, "", "")}}}
	createGW(t, pending)

	res := run(t, "scan", "-A", "-o", "json", "--max-findings", "10000")
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	r := decode(t, res.stdout)
	if inv := checkByCode(t, r, "SCAN001"); !strings.Contains(inv.Message, "gateways") || !strings.Contains(inv.Message, "routes") {
		t.Errorf("SCAN001: %s", inv.Message)
	}
	want := map[string]map[string][]string{
		"GW005": {ns: {"pending: no controller has processed gateway gw-scan/pending (no Accepted or Programmed condition): is the controller of class no-such-class running?"}},
		"GW007": {ns: {"pending: listeners web (HTTP) and raw (TCP) share port 80, which one data plane cannot serve with both protocols (ProtocolConflict): a conformant controller accepts neither listener"}},
		"RT002": {"gw-attach": {
			"hostname: parentRef 1 (gateway gw-attach-infra/edge) does not accept the route: listener strict has hostname only.attach.example, which does not intersect the route's hostnames www.attach.example (NoMatchingListenerHostname)",
			"nolistener: parentRef 1 (gateway gw-attach-infra/edge) does not accept the route: gateway gw-attach-infra/edge has no listener named htps (NoMatchingParent)",
			"other-ns: parentRef 1 (gateway gw-attach-infra/edge): the controller did not accept the route: No listeners included by this parent ref allowed this attachment. (NotAllowedByListeners)",
			"selector: parentRef 1 (gateway gw-attach-infra/edge) does not accept the route: listener team admits routes from namespaces labelled team=blue, not from namespace gw-attach (NotAllowedByListeners)",
		}},
		"RT005": {"gw-back": {
			"badport: service gw-back/api has no port 8080 (ports: http 80/TCP->http) (BackendNotFound)",
			"missing: service apix does not exist in namespace gw-back (did you mean api?) (BackendNotFound)",
			"split: service apix does not exist in namespace gw-back (did you mean api?) (BackendNotFound)",
		}},
		"RT006": {"gw-back": {"cross: backendRef to service gw-back-other/web from HTTPRoute in namespace gw-back is not permitted: no ReferenceGrant in namespace gw-back-other lets HTTPRoutes of namespace gw-back refer to it (RefNotPermitted)"}},
		"RT007": {"gw-back": {"noeps: service gw-back/down has no ready endpoints for port 80 (none of its 1 pod(s) is ready; down-1: Ready condition is not true)"}},
	}
	for code, byNS := range want {
		for n, findings := range byNS {
			got := scanFindings(t, r, code, n)
			slices.Sort(got)
			if strings.Join(got, "\n") != strings.Join(findings, "\n") {
				t.Errorf("%s findings in %s:\n%s\nwant\n%s", code, n, strings.Join(got, "\n"), strings.Join(findings, "\n"))
			}
		}
	}
	// The granted backend of another namespace is judged there: fine.
	for _, f := range scanFindings(t, r, "RT005", "gw-back") {
		if strings.HasPrefix(f, "granted:") {
			t.Errorf("granted backend reported: %s", f)
		}
	}
	// One namespace: the same findings of its own.
	res = run(t, "scan", "-n", "gw-back", "-o", "json")
	r = decode(t, res.stdout)
	if got := scanFindings(t, r, "RT007", "gw-back"); len(got) != 1 {
		t.Errorf("-n gw-back RT007: %v", got)
	}
}

// ingress --host notes an HTTPRoute that claims the same host.
func TestIngressNotesHTTPRoute(t *testing.T) {
	gwHealthy(t)
	ingressSystem(t)
	ns := "gw-healthy"
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "legacy", Namespace: ns}, Spec: networkingv1.IngressSpec{
		IngressClassName: ptr("nginx"),
		Rules: []networkingv1.IngressRule{{Host: "shop.gw-healthy.example", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{ingPath("/", "web", networkingv1.ServiceBackendPort{Number: 80})}}}}},
	}}
	createIngress(t, ing, true)
	r := expect(t, 0, "", "ingress", "legacy", "-n", ns, "--host", "shop.gw-healthy.example", "--probe", "none")
	c := wantCheck(t, r, "ING015", report.Pass, "; HTTPRoute gw-healthy/shop also claims host shop.gw-healthy.example")
	if !strings.Contains(fmt.Sprint(c.Facts), "also claimed by HTTPRoute gw-healthy/shop (hostname shop.gw-healthy.example; parents: gateway gw-healthy/shop)") {
		t.Errorf("ING015 facts %v", c.Facts)
	}
}

// A data plane whose pods are all down answers nothing.
func TestRouteDataPlaneDown(t *testing.T) {
	ns := "gw-down"
	gwApp(t, ns, nil, "10.244.71")
	gwDataPlane(t, ns, "front", "10.244.60.17", "10.0.0.8", "192.0.2.27", false)
	createGW(t,
		programmedGateway(ns, "front", "192.0.2.27", []int32{1}, listener("http", gwv1.HTTPProtocolType, 80, "", "")),
		httpRoute(ns, "shop", []gwv1.ParentReference{parentRef("", "front", "")}, nil, true, prefixRule("/", backendRef("", "web", 80, nil))),
	)
	r := expect(t, 1, "", "route", "shop", "-n", ns, "--probe", "none")
	wantAnswer(t, r, 0, ns+"/shop", 1, ns+"/web:80", "no answer: none of the 1 data-plane pod(s) of gateway gw-down/front is ready")
	r = expect(t, 1, "", "gateway", ns+"/front")
	wantVerdict(t, r, "GW003", "none of the 1 Envoy Gateway data-plane pod(s) is ready, so requests to the gateway get no answer")
}

// A route with two parents is routed through each, one check per parent,
// unless --gateway picks one.
func TestRouteTwoParents(t *testing.T) {
	ns := "gw-two"
	gwApp(t, ns, nil, "10.244.72")
	gwDataPlane(t, ns, "public", "10.244.60.18", "10.0.0.9", "192.0.2.28", true)
	gwDataPlane(t, ns, "internal", "10.244.60.19", "10.0.0.11", "192.0.2.29", true)
	createGW(t,
		programmedGateway(ns, "public", "192.0.2.28", []int32{1}, listener("http", gwv1.HTTPProtocolType, 80, "*.gw-two.example", "")),
		programmedGateway(ns, "internal", "192.0.2.29", []int32{0}, listener("http", gwv1.HTTPProtocolType, 80, "*.internal.example", "")),
		httpRoute(ns, "shop", []gwv1.ParentReference{parentRef("", "public", ""), parentRef("", "internal", "")}, []string{"shop.gw-two.example"}, true,
			prefixRule("/", backendRef("", "web", 80, nil))),
	)
	r := expect(t, 1, "", "route", "shop", "-n", ns, "--probe", "none")
	var answers []string
	for _, c := range r.Checks {
		if c.Code == "RT010" {
			var a answer
			remarshal(t, c.Data, &a)
			answers = append(answers, fmt.Sprintf("%s %d", c.Subject, a.Status))
		}
	}
	if strings.Join(answers, ", ") != "gateway gw-two/public 200, gateway gw-two/internal 404" {
		t.Errorf("answers: %v", answers)
	}
	wantCheck(t, r, "RT002", report.Fail, "parentRef 2 (gateway gw-two/internal) does not accept the route: listener http has hostname *.internal.example, which does not intersect the route's hostnames shop.gw-two.example (NoMatchingListenerHostname)")
	// --gateway picks the public one: a single answer, 200.
	r = expect(t, 0, "", "route", "shop", "-n", ns, "--probe", "none", "--gateway", "public")
	wantAnswer(t, r, 200, ns+"/shop", 1, ns+"/web:80", "forwarded")
	if c := checkByCode(t, r, "RT010"); c.Subject != "" {
		t.Errorf("one parent: subject %q", c.Subject)
	}
}

// TestRouteTraefikAnswers: a Gateway whose class is Traefik's
// (traefik.io/gateway-controller) gets Traefik's answers where Traefik
// departs from the spec: 503 when every weight is 0, 500 for a Service
// without any EndpointSlice; a Service with an EndpointSlice but no ready
// endpoint still gets 503.
func TestRouteTraefikAnswers(t *testing.T) {
	gatewaySystem(t)
	ns, class := "gw-traefik", "gw-traefik"
	c := ctx(t)
	gwApp(t, ns, nil, "10.244.68")
	gwService(t, ns, "down", "10.244.68.9", false)
	must[*corev1.Service](t)(env.Client.CoreV1().Services(ns).Create(c, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "manual", Namespace: ns},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}},
	}, metav1.CreateOptions{}))
	gc := &gwv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: class}, Spec: gwv1.GatewayClassSpec{ControllerName: "traefik.io/gateway-controller"}}
	gc.Status.Conditions = []metav1.Condition{cond("Accepted", metav1.ConditionTrue, "Accepted", "Handled by Traefik controller")}
	gw := programmedGateway(ns, "front", "192.0.2.25", []int32{3}, listener("http", gwv1.HTTPProtocolType, 80, "", gwv1.NamespacesFromSame))
	gw.Spec.GatewayClassName = gwv1.ObjectName(class)
	front := []gwv1.ParentReference{parentRef("", "front", "")}
	route := func(name string, rules ...gwv1.HTTPRouteRule) *gwv1.HTTPRoute {
		return httpRoute(ns, name, front, []string{name + ".gw-traefik.example"}, true, rules...)
	}
	zero := int32(0)
	createGW(t, gc, gw,
		route("zero", prefixRule("/", backendRef("", "web", 80, &zero), backendRef("", "api", 80, &zero))),
		route("manual", prefixRule("/", backendRef("", "manual", 80, nil))),
		route("noeps", prefixRule("/", backendRef("", "down", 80, nil))),
	)
	for _, tt := range []struct {
		route    string
		status   int
		backends string
		reason   string
	}{
		{"zero", 503, "gw-traefik/web:80,gw-traefik/api:80", `every backendRef of rule 1 has weight 0: Traefik answers 503 ("no available server") here; the spec leaves it to the implementation`},
		{"manual", 500, "gw-traefik/manual:80", "service gw-traefik/manual has no ready endpoints for port 80"},
		{"noeps", 503, "gw-traefik/down:80", "service gw-traefik/down has no ready endpoints for port 80 (none of its 1 pod(s) is ready"},
	} {
		t.Run(tt.route, func(t *testing.T) {
			r := expect(t, 1, "", "route", tt.route, "-n", ns, "--probe", "none")
			wantAnswer(t, r, tt.status, ns+"/"+tt.route, 1, tt.backends, tt.reason)
			if a := rt010(t, r); (tt.route == "noeps") == strings.Contains(a.Reason, "Traefik") {
				t.Errorf("RT010 reason %q: Traefik named only where it departs from the spec", a.Reason)
			}
		})
	}
	r := expect(t, 1, "", "route", "zero", "-n", ns, "--probe", "none")
	wantCheck(t, r, "RT008", report.Fail, "rule 1: every backendRef has weight 0: the gateway answers 503 for every request it takes: Traefik answers 503")
	r = expect(t, 1, "", "route", "manual", "-n", ns, "--probe", "none")
	wantCheck(t, r, "RT007", report.Fail, "the gateway answers 500 for the requests rule 1 sends there: Traefik answers 500 here")
}

// TestGatewayStreamRoutes: TLSRoutes and TCPRoutes attach to the TLS and
// TCP listeners and are listed with the HTTPRoutes, their matching not
// modelled; one whose hostname no listener serves cannot attach.
func TestGatewayStreamRoutes(t *testing.T) {
	ns := "gw-stream"
	gwApp(t, ns, nil, "10.244.69")
	tls := listener("tls", gwv1.TLSProtocolType, 443, "*.gw-stream.example", gwv1.NamespacesFromSame)
	tls.TLS = &gwv1.ListenerTLSConfig{Mode: ptr(gwv1.TLSModePassthrough)}
	gw := programmedGateway(ns, "front", "192.0.2.26", []int32{1, 1}, tls, listener("tcp", gwv1.TCPProtocolType, 9000, "", gwv1.NamespacesFromSame))
	gw.Status.Listeners[0].SupportedKinds = []gwv1.RouteGroupKind{{Group: ptr(gwv1.Group(gwv1.GroupName)), Kind: "TLSRoute"}}
	gw.Status.Listeners[1].SupportedKinds = []gwv1.RouteGroupKind{{Group: ptr(gwv1.Group(gwv1.GroupName)), Kind: "TCPRoute"}}
	backend := gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: "web", Port: ptr(gwv1.PortNumber(80))}}
	// The status the controller writes, from the HTTPRoute's of a route
	// accepted by its parent.
	accepted := func(parent gwv1.ParentReference) gwv1.RouteStatus {
		return httpRoute(ns, "x", []gwv1.ParentReference{parent}, nil, true).Status.RouteStatus
	}
	tlsRoute := func(name, host string) *gwv1.TLSRoute {
		r := &gwv1.TLSRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		r.Spec.ParentRefs = []gwv1.ParentReference{parentRef("", "front", "tls")}
		r.Spec.Hostnames = []gwv1.Hostname{gwv1.Hostname(host)}
		r.Spec.Rules = []gwv1.TLSRouteRule{{BackendRefs: []gwv1.BackendRef{backend}}}
		if name == "db" {
			r.Status.RouteStatus = accepted(r.Spec.ParentRefs[0])
		}
		return r
	}
	tcp := &gwv1.TCPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "raw"}}
	tcp.Spec.ParentRefs = []gwv1.ParentReference{parentRef("", "front", "tcp")}
	tcp.Spec.Rules = []gwv1.TCPRouteRule{{BackendRefs: []gwv1.BackendRef{backend}}}
	tcp.Status.RouteStatus = accepted(tcp.Spec.ParentRefs[0])
	createGW(t, gw, tlsRoute("db", "db.gw-stream.example"), tlsRoute("elsewhere", "db.other.example"), tcp)

	r := expect(t, 0, "", "gateway", ns+"/front")
	c := checkByCode(t, r, "GW012")
	facts := fmt.Sprint(c.Facts)
	for _, want := range []string{
		"1 attached (the controller counts 1): TLSRoute gw-stream/db; 1 TLSRoute/TCPRoute(s): attachment only, matching not modelled",
		"1 attached (the controller counts 1): TCPRoute gw-stream/raw; 1 TLSRoute/TCPRoute(s): attachment only, matching not modelled",
		"TLSRoute gw-stream/elsewhere: has hostname *.gw-stream.example, which does not intersect the route's hostnames db.other.example (NoMatchingListenerHostname)",
	} {
		if !strings.Contains(facts, want) {
			t.Errorf("GW012 facts lack %q:\n%s", want, facts)
		}
	}
	if c.Status != report.Pass || c.Message != "every listener has routes attached (2 attachment(s))" {
		t.Errorf("GW012 = %s %s", c.Status, c.Message)
	}
	// `route` checks their parents, attachment and backends, and routes no
	// request.
	for _, arg := range []string{"tlsroute/db", "tcproute/raw"} {
		r := expect(t, 0, "", "route", arg, "-n", ns, "--probe", "none")
		wantCheck(t, r, "RT002", report.Pass, "")
		wantCheck(t, r, "RT007", report.Pass, "every backend has ready endpoints")
		for _, code := range []string{"RT009", "RT010"} {
			wantCheck(t, r, code, report.Skip, "is not modelled: its parents, attachment and backends are checked")
		}
		if !strings.Contains(r.Verdict.Message, "is not modelled") {
			t.Errorf("%s: verdict %q", arg, r.Verdict.Message)
		}
	}
	r = expect(t, 1, "", "route", "tlsroute/elsewhere", "-n", ns, "--probe", "none")
	wantCheck(t, r, "RT002", report.Fail, "NoMatchingListenerHostname")
	res := run(t, "route", "tlsroute/db", "-n", ns, "--host", "db.gw-stream.example")
	if res.code != 2 || !strings.Contains(res.stderr, "the matching of a TLSRoute is not modelled") {
		t.Errorf("route tlsroute/db --host: exit %d, stderr %q", res.code, res.stderr)
	}
	// The verdict's next step names no TLSRoute or TCPRoute: `route` does
	// not match them.
	if strings.Contains(fmt.Sprint(r.Verdict.Next), "tlsroute") || strings.Contains(fmt.Sprint(r.Verdict.Next), "tcproute") {
		t.Errorf("verdict next %v", r.Verdict.Next)
	}
}

// createListenerSet creates a ListenerSet and then writes its status, as
// its controller would.
func createListenerSet(t *testing.T, ls *gwv1.ListenerSet) {
	t.Helper()
	c := ctx(t)
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ls)
	check(t, err)
	st := m["status"]
	delete(m, "status")
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(gwv1.GroupVersion.String())
	u.SetKind("ListenerSet")
	dyn := must[*dynamic.DynamicClient](t)(dynamic.NewForConfig(env.Config))
	ri := dyn.Resource(schema.GroupVersionResource{Group: gwv1.GroupName, Version: "v1", Resource: "listenersets"}).Namespace(ls.Namespace)
	created := must[*unstructured.Unstructured](t)(ri.Create(c, u, metav1.CreateOptions{}))
	if len(ls.Status.Conditions) > 0 || len(ls.Status.Listeners) > 0 {
		created.Object["status"] = st
		must[*unstructured.Unstructured](t)(ri.UpdateStatus(c, created, metav1.UpdateOptions{}))
	}
}

// listenerSet is a ListenerSet whose parentRef is gateway gwNS/gwName;
// when accepted is set, its controller accepted and programmed it and
// each listener, attached giving each listener's attachedRoutes.
func listenerSet(ns, name, gwNS, gwName string, accepted bool, attached []int32, listeners ...gwv1.Listener) *gwv1.ListenerSet {
	ls := &gwv1.ListenerSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	ls.Spec.ParentRef = gwv1.ParentGatewayReference{Name: gwv1.ObjectName(gwName), Namespace: ptr(gwv1.Namespace(gwNS))}
	for i, l := range listeners {
		ls.Spec.Listeners = append(ls.Spec.Listeners, gwv1.ListenerEntry{Name: l.Name, Hostname: l.Hostname, Port: l.Port, Protocol: l.Protocol, TLS: l.TLS, AllowedRoutes: l.AllowedRoutes})
		if !accepted {
			continue
		}
		es := gwv1.ListenerEntryStatus{Name: l.Name, Conditions: []metav1.Condition{
			cond("Accepted", metav1.ConditionTrue, "Accepted", "Listener is accepted"),
			cond("Programmed", metav1.ConditionTrue, "Programmed", "Listener is programmed"),
			cond("ResolvedRefs", metav1.ConditionTrue, "ResolvedRefs", "Listener references have been resolved"),
		}}
		if i < len(attached) {
			es.AttachedRoutes = attached[i]
		}
		ls.Status.Listeners = append(ls.Status.Listeners, es)
	}
	if accepted {
		ls.Status.Conditions = []metav1.Condition{
			cond("Accepted", metav1.ConditionTrue, "Accepted", "ListenerSet is accepted"),
			cond("Programmed", metav1.ConditionTrue, "Programmed", "ListenerSet is programmed"),
		}
	}
	return ls
}

func listenerSetRef(ns, name, section string) gwv1.ParentReference {
	ref := parentRef(ns, name, section)
	ref.Group, ref.Kind = ptr(gwv1.Group(gwv1.GroupName)), ptr(gwv1.Kind("ListenerSet"))
	return ref
}

// gwListenerSets: gateway gw-lset/edge (HTTP *.gw-lset.example on 80)
// admits the ListenerSets of its own namespace (allowedListeners from:
// Same). ListenerSet gw-lset/extra adds listener web (HTTP
// app.gw-lset.example on 80), which HTTPRoute app names, and listener dup,
// which repeats the gateway's listener: conflicted, the gateway's wins by
// precedence. ListenerSet gw-lset-team/other names the gateway from
// another namespace: not allowed; HTTPRoute blocked names it.
func gwListenerSets(t *testing.T) { once(t, "listenersets", gwListenerSetsFixture) }

func gwListenerSetsFixture(t *testing.T) {
	t.Helper()
	ns, team := "gw-lset", "gw-lset-team"
	gwApp(t, ns, nil, "10.244.71")
	gwApp(t, team, nil, "10.244.72")
	gwDataPlane(t, ns, "edge", "10.244.60.31", "10.0.0.12", "192.0.2.31", true)
	edge := programmedGateway(ns, "edge", "192.0.2.31", []int32{0}, listener("http", gwv1.HTTPProtocolType, 80, "*.gw-lset.example", ""))
	edge.Spec.AllowedListeners = &gwv1.AllowedListeners{Namespaces: &gwv1.ListenerNamespaces{From: ptr(gwv1.NamespacesFromSame)}}
	edge.Status.AttachedListenerSets = ptr(int32(1))
	createGW(t, edge)
	createListenerSet(t, listenerSet(ns, "extra", ns, "edge", true, []int32{1, 0},
		listener("web", gwv1.HTTPProtocolType, 80, "app.gw-lset.example", ""),
		listener("dup", gwv1.HTTPProtocolType, 80, "*.gw-lset.example", "")))
	other := listenerSet(team, "other", ns, "edge", false, nil, listener("api", gwv1.HTTPProtocolType, 80, "api.gw-lset.example", ""))
	other.Status.Conditions = []metav1.Condition{
		cond("Accepted", metav1.ConditionFalse, "NotAllowed", "ListenerSet is not allowed by the parent Gateway"),
		cond("Programmed", metav1.ConditionFalse, "NotAllowed", "ListenerSet is not allowed by the parent Gateway"),
	}
	createListenerSet(t, other)
	createGW(t,
		httpRoute(ns, "app", []gwv1.ParentReference{listenerSetRef("", "extra", "web")}, []string{"app.gw-lset.example"}, true,
			prefixRule("/", backendRef("", "web", 80, nil))),
		httpRoute(team, "blocked", []gwv1.ParentReference{listenerSetRef("", "other", "")}, []string{"api.gw-lset.example"}, false,
			prefixRule("/", backendRef("", "api", 80, nil))),
		httpRoute(ns, "ghost", []gwv1.ParentReference{listenerSetRef("", "nope", "")}, nil, false,
			prefixRule("/", backendRef("", "web", 80, nil))),
	)
}

// TestGatewayListenerSets: `gateway` merges the listeners of the
// ListenerSet it admits, finds the one that conflicts with its own
// listener (the gateway's wins by precedence), reports the ListenerSet it
// does not admit, and counts the route attached through the ListenerSet.
func TestGatewayListenerSets(t *testing.T) {
	gwListenerSets(t)
	r := expect(t, 1, "", "gateway", "gw-lset/edge")
	wantCheck(t, r, "GW007", report.Fail, "listeners http and dup (listenerset gw-lset/extra) are both HTTP on port 80 with hostname *.gw-lset.example (HostnameConflict): by precedence (the gateway's own listeners, then ListenerSets oldest first) listener http is accepted and listener dup (listenerset gw-lset/extra) is Conflicted")
	if c := checkByCode(t, r, "GW007"); len(c.Facts) != 1 {
		t.Errorf("GW007: %d conflicts, want 1 (web differs by hostname): %+v", len(c.Facts), c.Facts)
	}
	c := wantCheck(t, r, "GW014", report.Fail, "listenerset gw-lset-team/other names gateway gw-lset/edge, which does not admit it: gateway gw-lset/edge admits ListenerSets of namespace gw-lset only (allowedListeners from: Same), not from namespace gw-lset-team (NotAllowed)")
	var data []struct {
		ListenerSet string `json:"listenerSet"`
		Allowed     bool   `json:"allowed"`
		Accepted    string `json:"accepted"`
		Listeners   []struct {
			Listener string   `json:"listener"`
			Status   int32    `json:"status"`
			Computed int      `json:"computed"`
			Routes   []string `json:"routes"`
			Rejected []struct {
				Route, Reason string
			} `json:"rejected"`
		} `json:"listeners"`
	}
	remarshal(t, c.Data, &data)
	got := map[string]string{}
	for _, d := range data {
		for _, l := range d.Listeners {
			var rejected []string
			for _, rj := range l.Rejected {
				rejected = append(rejected, rj.Route+" "+rj.Reason)
			}
			got[d.ListenerSet+" "+l.Listener] = fmt.Sprintf("allowed=%t accepted=%s status=%d computed=%d routes=%v rejected=%v", d.Allowed, d.Accepted, l.Status, l.Computed, l.Routes, rejected)
		}
	}
	want := map[string]string{
		"gw-lset/extra web":      "allowed=true accepted=True (Accepted): ListenerSet is accepted status=1 computed=1 routes=[HTTPRoute gw-lset/app] rejected=[]",
		"gw-lset/extra dup":      "allowed=true accepted=True (Accepted): ListenerSet is accepted status=0 computed=0 routes=[] rejected=[]",
		"gw-lset-team/other api": "allowed=false accepted=False (NotAllowed): ListenerSet is not allowed by the parent Gateway status=-1 computed=0 routes=[] rejected=[HTTPRoute gw-lset-team/blocked NoMatchingParent]",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("GW014 %s:\n%s\nwant\n%s", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("GW014 listeners %v", got)
	}
	// The gateway's own listener has no route: the route names the
	// ListenerSet, not the gateway.
	wantCheck(t, r, "GW012", report.Warn, "listener http has no attached route and no route names it")
}

// TestRouteThroughListenerSet: `route` follows a parentRef to a
// ListenerSet to its gateway; the request reaches the ListenerSet's
// listener (an exact hostname beats the gateway's wildcard) and the route
// attached there answers. A ListenerSet the gateway does not admit, or
// that does not exist, serves nothing.
func TestRouteThroughListenerSet(t *testing.T) {
	gwListenerSets(t)
	r := expect(t, 0, "", "route", "app", "-n", "gw-lset", "--probe", "none")
	c := wantCheck(t, r, "RT002", report.Pass, "every parent accepts the route (listenerset gw-lset/extra, listener web (of gateway gw-lset/edge): web)")
	if len(c.Facts) == 0 || !strings.Contains(c.Facts[0].Value, "controller "+egController+": Accepted True") {
		t.Errorf("RT002 facts %+v", c.Facts)
	}
	wantAnswer(t, r, 200, "gw-lset/app", 1, "gw-lset/web:80", "forwarded")
	req := checkByCode(t, r, "RT009")
	if !strings.Contains(fmt.Sprint(req.Facts), "web (listenerset gw-lset/extra)") {
		t.Errorf("RT009 does not name the ListenerSet's listener: %+v", req.Facts)
	}
	// --gateway names the ListenerSet's parent.
	expect(t, 0, "", "route", "app", "-n", "gw-lset", "--probe", "none", "--gateway", "gw-lset/edge")

	r = expect(t, 1, "", "route", "blocked", "-n", "gw-lset-team", "--probe", "none")
	wantCheck(t, r, "RT002", report.Fail, "does not accept the route: listenerset gw-lset-team/other is not attached to its gateway: gateway gw-lset/edge admits ListenerSets of namespace gw-lset only (allowedListeners from: Same), not from namespace gw-lset-team (NoMatchingParent)")
	r = expect(t, 1, "", "route", "ghost", "-n", "gw-lset", "--probe", "none")
	wantCheck(t, r, "RT002", report.Fail, "parentRef 1: listenerset gw-lset/nope does not exist (NoMatchingParent)")
}

// TestGatewayListenerSetTLS: GW009 and GW010 judge the certificates of the
// listeners of the ListenerSets a gateway admits. The ListenerSet's
// reference without namespace resolves in its own namespace; one to
// another namespace needs a ReferenceGrant from ListenerSet: the grant
// that lets the gateway use the Secret does not extend to it. Once the
// grant for ListenerSets exists, the reference passes and the
// certificate's coverage is judged.
func TestGatewayListenerSetTLS(t *testing.T) {
	gatewaySystem(t)
	ns, team, certs := "gw-lstls", "gw-lstls-team", "gw-lstls-certs"
	c := ctx(t)
	for _, n := range []string{ns, team, certs} {
		check(t, testenv.CreateNamespace(c, env.Client, n, nil))
	}
	tlsSecret(t, team, "web-tls", []string{"web.gw-lstls.example"}, now.AddDate(0, -1, 0), now.AddDate(0, 3, 0))
	tlsSecret(t, certs, "shared", []string{"shared.gw-lstls.example"}, now.AddDate(0, -1, 0), now.AddDate(0, 3, 0))
	gw := programmedGateway(ns, "edge", "", []int32{0},
		withCert(listener("https", gwv1.HTTPSProtocolType, 443, "shared.gw-lstls.example", ""), certs, "shared"))
	gw.Spec.AllowedListeners = &gwv1.AllowedListeners{Namespaces: &gwv1.ListenerNamespaces{From: ptr(gwv1.NamespacesFromAll)}}
	grant := func(name, kind, from string) *gwv1.ReferenceGrant {
		return &gwv1.ReferenceGrant{ObjectMeta: metav1.ObjectMeta{Namespace: certs, Name: name}, Spec: gwv1.ReferenceGrantSpec{
			From: []gwv1.ReferenceGrantFrom{{Group: gwv1.GroupName, Kind: gwv1.Kind(kind), Namespace: gwv1.Namespace(from)}},
			To:   []gwv1.ReferenceGrantTo{{Group: "", Kind: "Secret", Name: ptr(gwv1.ObjectName("shared"))}},
		}}
	}
	createGW(t, gw, grant("gateways", "Gateway", ns))
	createListenerSet(t, listenerSet(team, "extra", ns, "edge", true, nil,
		withCert(listener("web", gwv1.HTTPSProtocolType, 443, "web.gw-lstls.example", ""), "", "web-tls"),
		withCert(listener("api", gwv1.HTTPSProtocolType, 443, "api.gw-lstls.example", ""), certs, "shared")))

	r := expect(t, 1, "", "gateway", ns+"/edge")
	gw009 := wantCheck(t, r, "GW009", report.Fail, "certificateRef gw-lstls-certs/shared of listener api (listenerset gw-lstls-team/extra) is in another namespace and no ReferenceGrant in namespace gw-lstls-certs lets ListenerSets of namespace gw-lstls-team use it (RefNotPermitted): the listener serves no certificate; the ReferenceGrant for gateways of namespace gw-lstls does not extend to ListenerSets")
	if next := strings.Join(gw009.Next, ";"); next != "create a ReferenceGrant in namespace gw-lstls-certs from ListenerSet (group gateway.networking.k8s.io) in namespace gw-lstls-team to Secret shared" {
		t.Errorf("GW009 next %q", next)
	}
	facts := fmt.Sprint(gw009.Facts)
	for _, want := range []string{"listener https secret gw-lstls-certs/shared type kubernetes.io/tls", "listener web (listenerset gw-lstls-team/extra) secret gw-lstls-team/web-tls type kubernetes.io/tls"} {
		if !strings.Contains(facts, want) {
			t.Errorf("GW009 facts %s\nwant %q", facts, want)
		}
	}

	// The grant for ListenerSets of the team: the reference passes, and
	// the certificate does not cover the listener's hostname.
	createGW(t, grant("listenersets", "ListenerSet", team))
	r = expect(t, 1, "", "gateway", ns+"/edge")
	wantCheck(t, r, "GW009", report.Pass, "3 certificate reference(s)")
	wantCheck(t, r, "GW010", report.Fail, "listener api (listenerset gw-lstls-team/extra): the certificate in secret shared does not cover api.gw-lstls.example (it covers shared.gw-lstls.example)")
}

// TestRouteListenerSetsForbidden: when the ListenerSets may not be listed,
// `route` builds its parent's merged list from the ListenerSets the route
// names, and a note says which permission is missing and what may be
// missed.
func TestRouteListenerSetsForbidden(t *testing.T) {
	gwListenerSets(t)
	ns := "gw-lset"
	c := ctx(t)
	user := "gw-lset-no-list"
	must[*rbacv1.Role](t)(env.Client.RbacV1().Roles(ns).Create(c, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"services", "pods", "namespaces"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{gwv1.GroupName}, Resources: []string{"gateways", "httproutes", "referencegrants"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{gwv1.GroupName}, Resources: []string{"listenersets"}, Verbs: []string{"get"}},
	}}, metav1.CreateOptions{}))
	must[*rbacv1.RoleBinding](t)(env.Client.RbacV1().RoleBindings(ns).Create(c, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: user},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: user}},
	}, metav1.CreateOptions{}))
	kubeconfig := must[string](t)(env.UserKubeconfig(user))
	res := runAs(t, kubeconfig, "route", "app", "-n", ns, "--probe", "none", "-o", "json")
	r := decode(t, res.stdout)
	want := "ListenerSets could not be listed (missing permission: list listenersets.gateway.networking.k8s.io (cluster-wide)): gateway gw-lset/edge admits ListenerSets of namespace gw-lset only (allowedListeners from: Same); only the ListenerSets the route names were read"
	if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.HasPrefix(n, want) }) {
		t.Errorf("notes %q\nwant one starting %q", r.Notes, want)
	}
	// The route still reaches the listener of the ListenerSet it names.
	wantCheck(t, r, "RT002", report.Pass, "every parent accepts the route")
	// With the permission, no note.
	r = expect(t, 0, "", "route", "app", "-n", ns, "--probe", "none")
	if slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "ListenerSets could not be listed") }) {
		t.Errorf("notes with every permission: %q", r.Notes)
	}
}
