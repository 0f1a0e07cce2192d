//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"

	"github.com/netdebug/kubectl-netdebug/pkg/plugin"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// The test cluster runs Traefik (hack/cluster/manifests/traefik.yaml) as its
// Ingress and Gateway API controller: Service traefik/traefik, IngressClass
// and GatewayClass "traefik". These tests send real HTTP requests through it
// from a client pod and compare the status Traefik answers with the one the
// plugin predicts.

const (
	traefikNamespace = "traefik"
	traefikService   = "traefik"
	traefikClass     = "traefik"
	traefikGateway   = "traefik.io/gateway-controller"
)

var (
	gatewayGVR        = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	httpRouteGVR      = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	referenceGrantGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1beta1", Resource: "referencegrants"}
)

// requireTraefik returns the address of Traefik's Service, once its pod is
// ready. Without Traefik (a cluster made with NETDEBUG_TRAEFIK=0) the test
// is skipped when NETDEBUG_TRAEFIK=0 is set here too, and fails otherwise.
func requireTraefik(ctx context.Context, t *testing.T) string {
	t.Helper()
	if os.Getenv("NETDEBUG_TRAEFIK") == "0" {
		t.Skip("NETDEBUG_TRAEFIK=0: the test cluster runs no Traefik")
	}
	svc, err := client.CoreV1().Services(traefikNamespace).Get(ctx, traefikService, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Traefik's Service %s/%s: %v (hack/cluster/cluster.sh deploys it unless NETDEBUG_TRAEFIK=0)", traefikNamespace, traefikService, err)
	}
	eventually(ctx, t, 60*time.Second, "Traefik ready", func(ctx context.Context) error {
		d, err := client.AppsV1().Deployments(traefikNamespace).Get(ctx, "traefik", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.ReadyReplicas < 1 {
			return errorf("deployment traefik/traefik: %d ready replicas", d.Status.ReadyReplicas)
		}
		return nil
	})
	return svc.Spec.ClusterIP
}

// httpRequest is one request sent through Traefik: GET, or POST when
// Method says so (busybox wget sends no other method).
type httpRequest struct {
	Method, Host, Path string
	Headers            map[string]string
}

func (r httpRequest) String() string {
	s := fmt.Sprintf("%s http://%s%s", r.method(), r.Host, r.Path)
	for _, k := range sortedKeys(r.Headers) {
		s += fmt.Sprintf(" %s=%s", k, r.Headers[k])
	}
	return s
}

func (r httpRequest) method() string {
	if r.Method == "" {
		return "GET"
	}
	return r.Method
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var statusLine = regexp.MustCompile(`HTTP/[0-9.]+ ([0-9]{3})`)

// sendThrough sends the request from the client pod to addr:80 with busybox
// wget (Host and headers as given, -S prints the answer's status line, also
// for 4xx and 5xx) and returns the status code of the answer.
//
// Not nc: busybox nc half-closes the connection when its input ends, and
// Go's HTTP server (Traefik) takes that for a client that went away; it
// answers 499 unless the backend was faster.
func sendThrough(ctx context.Context, ns, pod, addr string, r httpRequest) (int, error) {
	cmd := []string{"timeout", "10", "wget", "-S", "-O", "/dev/null", "--header", "Host: " + r.Host}
	for _, k := range sortedKeys(r.Headers) {
		cmd = append(cmd, "--header", k+": "+r.Headers[k])
	}
	switch r.method() {
	case "GET":
	case "POST":
		cmd = append(cmd, "--post-data", "netdebug")
	default:
		return 0, fmt.Errorf("%s: busybox wget sends GET or POST only", r)
	}
	cmd = append(cmd, "http://"+addr+r.Path)
	res := execIn(ctx, ns, pod, "main", cmd...)
	// wget exits 1 on an error status: the status line is what counts.
	m := statusLine.FindStringSubmatch(res.Stderr)
	if m == nil {
		return 0, fmt.Errorf("%s: no HTTP status in wget's output (%v): %s", r, res.Err, strings.TrimSpace(res.Stderr))
	}
	return strconv.Atoi(m[1])
}

// routePrediction is the data of RT010 (`route ... --host --path -o json`):
// the answer the plugin predicts for one request.
type routePrediction struct {
	Status   int      `json:"status"`
	Reason   string   `json:"reason"`
	Route    string   `json:"route"`
	Rule     int      `json:"rule"`
	Backends []string `json:"backends"`
}

// commandExists tells whether the plugin has the command (`route` is being
// written at the same time as these tests).
func commandExists(name string) bool {
	root := plugin.NewRootCmd(plugin.Config{Streams: genericiooptions.NewTestIOStreamsDiscard()})
	c, _, err := root.Find([]string{name})
	return err == nil && c != nil && c != root && c.Name() == name
}

// predictRoute runs `route httproute/NAME -n NS --host --path [--method]
// [--header K=V]...` and returns RT010's data.
func predictRoute(ctx context.Context, t *testing.T, ns, route string, r httpRequest) (routePrediction, report.Check, error) {
	t.Helper()
	args := []string{"route", "httproute/" + route, "-n", ns, "--host", r.Host, "--path", r.Path}
	if r.Method != "" {
		args = append(args, "--method", r.Method)
	}
	for _, k := range sortedKeys(r.Headers) {
		args = append(args, "--header", k+"="+r.Headers[k])
	}
	rep, _, _ := netdebug(ctx, t, args...)
	var c report.Check
	for _, x := range rep.Checks {
		if x.Code == "RT010" {
			c = x
		}
	}
	if c.Code == "" {
		return routePrediction{}, c, errorf("%v: no RT010 in the report (verdict %+v)", args, rep.Verdict)
	}
	var p routePrediction
	b, err := json.Marshal(c.Data)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		return p, c, errorf("%v: RT010 data %s: %v", args, b, err)
	}
	return p, c, nil
}

// gatewayCase is one request through the Gateway: what Traefik answers, and
// what the plugin predicts for it.
type gatewayCase struct {
	name  string
	route string // the HTTPRoute the plugin is asked about
	req   httpRequest
	// real is the status Traefik v3.6 answers (measured). RT010's
	// data.status must equal it: the Gateway API spec's answer (404 no
	// route, 500 invalid backend, 503 no ready endpoint, 502 when the probe
	// from Traefik's pod is refused, 200 forwarded to a ready endpoint), or
	// Traefik's own where it departs from the spec (note says how; RT010's
	// reason must then name Traefik).
	real int
	note string
	// The winning rule (from 1) and its backends, when a route matches.
	rule     int
	backends []string
}

// TestGatewayTraefik: a Gateway of class traefik with HTTPRoutes to healthy,
// empty, unready, refusing, zero-weight, missing, selector-less and
// cross-namespace backends, and rules that win by method and by header. Each request goes through the real Traefik from a client pod; its
// status must be the one the `route` command predicts.
func TestGatewayTraefik(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 6*time.Minute)
	addr := requireTraefik(ctx, t)
	ns := newNamespace(ctx, t)
	other := newNamespace(ctx, t)
	dyn, err := dynamic.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}

	// Backends: web (ready, httpd on 8080), sick (a pod that never becomes
	// ready), empty (selects no pod), refused (ready endpoint, nothing
	// listens on its targetPort), and web in the other namespace.
	createPod(ctx, t, ns, toolsPod("client", map[string]string{"app": "client"}))
	createPod(ctx, t, ns, serverPod("web-1", map[string]string{"app": "web"}))
	createPod(ctx, t, other, serverPod("web-2", map[string]string{"app": "web"}))
	sick := serverPod("sick-1", map[string]string{"app": "sick"})
	sick.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"false"}}},
		PeriodSeconds: 1,
	}
	if _, err := client.CoreV1().Pods(ns).Create(ctx, sick, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	service(ctx, t, ns, "web", "web", intstr.FromString("http"))
	service(ctx, t, ns, "sick", "sick", intstr.FromString("http"))
	service(ctx, t, ns, "empty", "nothing", intstr.FromString("http"))
	service(ctx, t, ns, "refused", "web", intstr.FromString("metrics"))
	service(ctx, t, other, "web", "web", intstr.FromString("http"))
	// A Service without a selector has no EndpointSlice until someone writes one.
	if _, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "manual"}, Spec: corev1.ServiceSpec{
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The unready pod's endpoint must exist, as not ready, before the case
	// means "no ready endpoint" rather than "no endpoint".
	eventually(ctx, t, 60*time.Second, "sick's endpoint listed as not ready", func(ctx context.Context) error {
		list, err := client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=sick"})
		if err != nil {
			return err
		}
		for _, s := range list.Items {
			for _, e := range s.Endpoints {
				if e.Conditions.Ready != nil && !*e.Conditions.Ready {
					return nil
				}
			}
		}
		return errorf("no not-ready endpoint in %d EndpointSlice(s) of sick", len(list.Items))
	})

	create(ctx, t, dyn, gatewayGVR, ns, map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "gw"},
		"spec": map[string]any{
			"gatewayClassName": traefikClass,
			"listeners":        []any{map[string]any{"name": "http", "protocol": "HTTP", "port": int64(80)}},
		},
	})
	// shop: rule 1 /api -> empty, rule 2 /www -> web, rule 3 POST /www ->
	// empty, rule 4 /www with header X-Canary: yes -> nope (no such
	// Service). For a request to /www, rule 3 wins by its method and rule 4
	// by its header (the spec's precedence: path, method, headers). The other
	// routes each claim a host of their own and send / to one backend.
	httpRoute(ctx, t, dyn, ns, "shop", "shop.example.test",
		rule(match("/api", "", nil), backendRef("", "empty", nil)),
		rule(match("/www", "", nil), backendRef("", "web", nil)),
		rule(match("/www", "POST", nil), backendRef("", "empty", nil)),
		rule(match("/www", "", map[string]string{"X-Canary": "yes"}), backendRef("", "nope", nil)))
	httpRoute(ctx, t, dyn, ns, "sick", "sick.example.test", rule(match("/", "", nil), backendRef("", "sick", nil)))
	httpRoute(ctx, t, dyn, ns, "refused", "refused.example.test", rule(match("/", "", nil), backendRef("", "refused", nil)))
	zero := int64(0)
	httpRoute(ctx, t, dyn, ns, "zero", "zero.example.test", rule(match("/", "", nil), backendRef("", "web", &zero)))
	httpRoute(ctx, t, dyn, ns, "cross", "cross.example.test", rule(match("/", "", nil), backendRef(other, "web", nil)))
	httpRoute(ctx, t, dyn, ns, "manual", "manual.example.test", rule(match("/", "", nil), backendRef("", "manual", nil)))

	eventually(ctx, t, 90*time.Second, "Gateway gw programmed by Traefik", func(ctx context.Context) error {
		return conditionTrue(ctx, dyn, gatewayGVR, ns, "gw", "Programmed")
	})
	for _, r := range []string{"shop", "sick", "refused", "zero", "cross", "manual"} {
		eventually(ctx, t, 60*time.Second, "HTTPRoute "+r+" accepted by Traefik", func(ctx context.Context) error {
			return routeAccepted(ctx, dyn, ns, r)
		})
	}
	logGatewayStatus(ctx, t, dyn, ns)

	web := ns + "/web:80"
	cases := []gatewayCase{
		{name: "ready backend", route: "shop", req: httpRequest{Host: "shop.example.test", Path: "/www/index.html"},
			real: 200, rule: 2, backends: []string{web}},
		{name: "another header does not matter", route: "shop", req: httpRequest{Host: "shop.example.test", Path: "/www/index.html", Headers: map[string]string{"X-Canary": "no"}},
			real: 200, rule: 2, backends: []string{web}},
		{name: "method match wins", route: "shop", req: httpRequest{Method: "POST", Host: "shop.example.test", Path: "/www/index.html"},
			real: 503, rule: 3, backends: []string{ns + "/empty:80"}},
		{name: "header match wins, backend Service missing", route: "shop", req: httpRequest{Host: "shop.example.test", Path: "/www/index.html", Headers: map[string]string{"X-Canary": "yes"}},
			real: 500, rule: 4, backends: []string{ns + "/nope:80"}},
		{name: "no rule matches the path", route: "shop", req: httpRequest{Host: "shop.example.test", Path: "/nothing"},
			real: 404},
		{name: "no route claims the host", route: "shop", req: httpRequest{Host: "nobody.example.test", Path: "/www/index.html"},
			real: 404},
		{name: "selector matches no pod", route: "shop", req: httpRequest{Host: "shop.example.test", Path: "/api/v1"},
			real: 503, rule: 1, backends: []string{ns + "/empty:80"}},
		{name: "endpoint not ready", route: "sick", req: httpRequest{Host: "sick.example.test", Path: "/www/index.html"},
			real: 503, rule: 1, backends: []string{ns + "/sick:80"}},
		{name: "endpoint refuses", route: "refused", req: httpRequest{Host: "refused.example.test", Path: "/www/index.html"},
			real: 502, rule: 1, backends: []string{ns + "/refused:80"}},
		{name: "all weights zero", route: "zero", req: httpRequest{Host: "zero.example.test", Path: "/www/index.html"},
			real: 503, rule: 1, backends: []string{web},
			note: "Traefik's weighted round robin skips weight-0 backends and answers 503 \"no available server\"; the spec only says no traffic is forwarded"},
		{name: "Service without EndpointSlices", route: "manual", req: httpRequest{Host: "manual.example.test", Path: "/www/index.html"},
			real: 500, rule: 1, backends: []string{ns + "/manual:80"},
			note: "Traefik takes a Service without any EndpointSlice for a missing backend (BackendNotFound \"endpointslices not found\") and answers 500; with an empty EndpointSlice it answers 503"},
		{name: "cross-namespace backend without ReferenceGrant", route: "cross", req: httpRequest{Host: "cross.example.test", Path: "/www/index.html"},
			real: 500, rule: 1, backends: []string{other + "/web:80"}},
	}
	// The first case proves the Gateway's configuration is loaded, so that
	// a 404 later is Traefik's answer to a loaded configuration.
	runGatewayCases(ctx, t, ns, addr, cases)

	// A ReferenceGrant in the backend's namespace permits the cross-namespace
	// backend: the same request then gets 200.
	create(ctx, t, dyn, referenceGrantGVR, other, map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
		"metadata": map[string]any{"name": "routes-from-" + ns},
		"spec": map[string]any{
			"from": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": ns}},
			"to":   []any{map[string]any{"group": "", "kind": "Service"}},
		},
	})
	runGatewayCases(ctx, t, ns, addr, []gatewayCase{
		{name: "cross-namespace backend with ReferenceGrant", route: "cross", req: httpRequest{Host: "cross.example.test", Path: "/www/index.html"},
			real: 200, rule: 1, backends: []string{other + "/web:80"}},
	})

	// The same requests from this machine to the Gateway's status address:
	// the answer agrees with the inside, or the same failure is put on the
	// backend (the route's prediction) and a 404 on routing.
	runExternal(ctx, t, "GW013", []string{"gateway", "gw", "-n", ns}, []externalCase{
		{name: "ready backend", host: "shop.example.test", path: "/www/index.html", status: 200, verdict: "agrees"},
		{name: "no ready endpoint", host: "sick.example.test", path: "/www/index.html", status: 503, verdict: "backend"},
		{name: "endpoint refuses", host: "refused.example.test", path: "/www/index.html", status: 502, verdict: "backend"},
		{name: "no route claims the host", host: "nobody.example.test", path: "/", status: 404, verdict: "routing"},
	})
}

// traefikAnswers waits, bounded, until Traefik answers want to r sent from
// the client pod of ns: Traefik reconfigures a moment after an object
// changes.
func traefikAnswers(ctx context.Context, t *testing.T, ns, addr string, r httpRequest, want int) {
	t.Helper()
	var got int
	eventually(ctx, t, 60*time.Second, fmt.Sprintf("Traefik answers %d to %s", want, r), func(ctx context.Context) error {
		var err error
		if got, err = sendThrough(ctx, ns, "client", addr, r); err != nil {
			return err
		}
		if got != want {
			return errorf("got %d", got)
		}
		return nil
	})
	t.Logf("Traefik: %s -> %d", r, got)
}

func runGatewayCases(ctx context.Context, t *testing.T, ns, addr string, cases []gatewayCase) {
	t.Helper()
	haveRoute := commandExists("route")
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			traefikAnswers(ctx, t, ns, addr, c.req, c.real)
			if !haveRoute {
				t.Skipf("the plugin has no `route` command yet: the prediction (RT010 data.status %d) was not checked", c.real)
			}
			var p routePrediction
			var chk report.Check
			eventually(ctx, t, 60*time.Second, fmt.Sprintf("RT010 predicts %d for %s", c.real, c.req), func(ctx context.Context) error {
				var err error
				p, chk, err = predictRoute(ctx, t, ns, c.route, c.req)
				if err != nil {
					return err
				}
				if p.Status != c.real {
					return errorf("RT010 data.status %d (%s: %s)", p.Status, chk.Status, chk.Message)
				}
				return nil
			})
			t.Logf("netdebug route: %s -> RT010 %d (route %s, rule %d, backends %v)", c.req, p.Status, p.Route, p.Rule, p.Backends)
			if c.note != "" && !strings.Contains(p.Reason, "Traefik answers") {
				t.Errorf("RT010 reason %q does not name Traefik's answer (%s)", p.Reason, c.note)
			}
			if c.rule == 0 {
				return
			}
			if want := ns + "/" + c.route; p.Route != want || p.Rule != c.rule || !slices.Equal(p.Backends, c.backends) {
				t.Errorf("RT010 data: route %q rule %d backends %v; want %q rule %d backends %v (%s)",
					p.Route, p.Rule, p.Backends, want, c.rule, c.backends, chk.Message)
			}
		})
	}
}

// TestIngressTraefik: an Ingress of class traefik, served by the real
// Traefik. The `ingress` command's answer for --host/--path (ING015's
// data.request.response, with ING016's probe from the Traefik pod for a 502)
// must be the status Traefik returns.
func TestIngressTraefik(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 5*time.Minute)
	addr := requireTraefik(ctx, t)
	ns := newNamespace(ctx, t)
	createPod(ctx, t, ns, toolsPod("client", map[string]string{"app": "client"}))
	createPod(ctx, t, ns, serverPod("web-1", map[string]string{"app": "web"}))
	service(ctx, t, ns, "web", "web", intstr.FromString("http"))
	service(ctx, t, ns, "empty", "nothing", intstr.FromString("http"))
	service(ctx, t, ns, "refused", "web", intstr.FromString("metrics"))
	prefix := networkingv1.PathTypePrefix
	class := traefikClass
	path := func(p, svc string) networkingv1.HTTPIngressPath {
		return networkingv1.HTTPIngressPath{Path: p, PathType: &prefix, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}},
		}}
	}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "shop"}, Spec: networkingv1.IngressSpec{
		IngressClassName: &class,
		Rules: []networkingv1.IngressRule{{Host: "ing.example.test", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{path("/www", "web"), path("/api", "empty"), path("/refused", "refused")},
		}}}},
	}}
	if _, err := client.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, 60*time.Second, "Ingress shop published by Traefik", func(ctx context.Context) error {
		i, err := client.NetworkingV1().Ingresses(ns).Get(ctx, "shop", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(i.Status.LoadBalancer.Ingress) == 0 || i.Status.LoadBalancer.Ingress[0].IP != addr {
			return errorf("status.loadBalancer %+v, want %s", i.Status.LoadBalancer, addr)
		}
		return nil
	})

	cases := []struct {
		name string
		req  httpRequest
		real int
		note string
	}{
		{name: "ready backend", req: httpRequest{Host: "ing.example.test", Path: "/www/index.html"}, real: 200},
		{name: "no path matches", req: httpRequest{Host: "ing.example.test", Path: "/nothing"}, real: 404},
		{name: "no rule for the host", req: httpRequest{Host: "nobody.example.test", Path: "/www/index.html"}, real: 404},
		{name: "backend without endpoints", req: httpRequest{Host: "ing.example.test", Path: "/api/v1"}, real: 404,
			note: "Traefik drops the router of a backend without endpoints (no allowEmptyServices): 404, where ingress-nginx answers 503"},
		{name: "endpoint refuses", req: httpRequest{Host: "ing.example.test", Path: "/refused"}, real: 502},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			traefikAnswers(ctx, t, ns, addr, c.req, c.real)
			// The prediction (ingressPrediction, up to the first space) is
			// Traefik's answer: "ok" for a backend that answers itself.
			predicted := strconv.Itoa(c.real)
			if c.real == 200 {
				predicted = "ok"
			}
			var resp string
			eventually(ctx, t, 60*time.Second, fmt.Sprintf("ingress predicts %s for %s", predicted, c.req), func(ctx context.Context) error {
				r, _, _ := netdebug(ctx, t, "ingress", "shop", "-n", ns, "--host", c.req.Host, "--path", c.req.Path, "--probe-timeout", "3s")
				var err error
				resp, err = ingressPrediction(r)
				if err != nil {
					return err
				}
				if first, _, _ := strings.Cut(resp, " "); first != predicted {
					return errorf("ING015 request response %q", resp)
				}
				return nil
			})
			t.Logf("netdebug ingress: %s -> %s", c.req, resp)
			if c.note != "" && !strings.Contains(resp, "Traefik") {
				t.Errorf("ING015 request response %q does not name Traefik (%s)", resp, c.note)
			}
		})
	}
	runExternal(ctx, t, "ING017", []string{"ingress", "shop", "-n", ns}, []externalCase{
		{name: "ready backend", host: "ing.example.test", path: "/www/index.html", status: 200, verdict: "agrees"},
		{name: "endpoint refuses", host: "ing.example.test", path: "/refused", status: 502, verdict: "backend"},
		{name: "no path matches", host: "ing.example.test", path: "/nothing", status: 404, verdict: "routing"},
	})
}

// ingressPrediction is what the `ingress` command predicts for its request:
// ING015's data.request.response, except that a route it sends to a backend
// with ready endpoints ("ok") gets the 502 or 504 that ING016 found by
// connecting from the controller pod to that backend.
func ingressPrediction(r report.Report) (string, error) {
	var routes struct {
		Request *struct {
			Backend  string `json:"backend"`
			Response string `json:"response"`
		} `json:"request"`
	}
	var probes []struct {
		Backend string `json:"backend"`
		Result  struct {
			Outcome string `json:"outcome"`
		} `json:"result"`
	}
	for _, c := range r.Checks {
		var into any
		switch c.Code {
		case "ING015":
			into = &routes
		case "ING016":
			into = &probes
		default:
			continue
		}
		if c.Data == nil {
			continue
		}
		b, err := json.Marshal(c.Data)
		if err == nil {
			err = json.Unmarshal(b, into)
		}
		if err != nil {
			return "", errorf("%s data %s: %v", c.Code, b, err)
		}
	}
	if routes.Request == nil {
		return "", errorf("ING015 has no data.request")
	}
	resp := routes.Request.Response
	if resp != "ok" {
		return resp, nil
	}
	for _, p := range probes {
		if p.Backend != routes.Request.Backend {
			continue
		}
		switch p.Result.Outcome {
		case "refused":
			return "502 (ING016: the endpoint refuses the controller's connections)", nil
		case "timeout", "unreachable":
			return "504 (ING016: the controller's connections to the endpoint are dropped)", nil
		}
	}
	return resp, nil
}

// service creates a Service NAME on port 80 selecting app=APP.
func service(ctx context.Context, t *testing.T, ns, name, app string, target intstr.IntOrString) {
	t.Helper()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": app},
		Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: target}},
	}}
	if _, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating service %s/%s: %v", ns, name, err)
	}
}

func create(ctx context.Context, t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns string, obj map[string]any) {
	t.Helper()
	u := &unstructured.Unstructured{Object: obj}
	if _, err := dyn.Resource(gvr).Namespace(ns).Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating %s %s/%s: %v", u.GetKind(), ns, u.GetName(), err)
	}
}

func backendRef(ns, name string, weight *int64) map[string]any {
	ref := map[string]any{"name": name, "port": int64(80)}
	if ns != "" {
		ref["namespace"] = ns
	}
	if weight != nil {
		ref["weight"] = *weight
	}
	return ref
}

// match is an HTTPRoute match: a PathPrefix, and a method and exact header
// matches when given.
func match(prefix, method string, headers map[string]string) map[string]any {
	m := map[string]any{"path": map[string]any{"type": "PathPrefix", "value": prefix}}
	if method != "" {
		m["method"] = method
	}
	var hs []any
	for _, k := range sortedKeys(headers) {
		hs = append(hs, map[string]any{"type": "Exact", "name": k, "value": headers[k]})
	}
	if hs != nil {
		m["headers"] = hs
	}
	return m
}

func rule(m map[string]any, backends ...map[string]any) map[string]any {
	refs := make([]any, len(backends))
	for i, b := range backends {
		refs[i] = b
	}
	return map[string]any{"matches": []any{m}, "backendRefs": refs}
}

func httpRoute(ctx context.Context, t *testing.T, dyn dynamic.Interface, ns, name, host string, rules ...map[string]any) {
	t.Helper()
	rs := make([]any, len(rules))
	for i, r := range rules {
		rs[i] = r
	}
	create(ctx, t, dyn, httpRouteGVR, ns, map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "gw"}},
			"hostnames":  []any{host},
			"rules":      rs,
		},
	})
}

// conditionTrue: status.conditions[type] is True for the current generation.
func conditionTrue(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name, typ string) error {
	u, err := dyn.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	return hasCondition(conds, typ, u.GetGeneration())
}

func hasCondition(conds []any, typ string, generation int64) error {
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != typ {
			continue
		}
		gen, _, _ := unstructured.NestedInt64(m, "observedGeneration")
		if m["status"] == "True" && gen == generation {
			return nil
		}
		return errorf("%s=%v (%v: %v), observed generation %d of %d", typ, m["status"], m["reason"], m["message"], gen, generation)
	}
	return errorf("no %s condition yet", typ)
}

// routeAccepted: Traefik has written Accepted=True for the route's parent.
func routeAccepted(ctx context.Context, dyn dynamic.Interface, ns, name string) error {
	u, err := dyn.Resource(httpRouteGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	parents, _, _ := unstructured.NestedSlice(u.Object, "status", "parents")
	for _, p := range parents {
		m, _ := p.(map[string]any)
		if m["controllerName"] != traefikGateway {
			continue
		}
		conds, _, _ := unstructured.NestedSlice(m, "conditions")
		return hasCondition(conds, "Accepted", u.GetGeneration())
	}
	return errorf("no status from %s yet", traefikGateway)
}

// logGatewayStatus records what Traefik wrote in the objects' status, for
// whoever reads the test's log next to the plugin's diagnosis.
func logGatewayStatus(ctx context.Context, t *testing.T, dyn dynamic.Interface, ns string) {
	t.Helper()
	gw, err := dyn.Resource(gatewayGVR).Namespace(ns).Get(ctx, "gw", metav1.GetOptions{})
	if err == nil {
		st, _ := json.Marshal(gw.Object["status"])
		t.Logf("Gateway gw status: %s", st)
	}
	routes, err := dyn.Resource(httpRouteGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, r := range routes.Items {
		parents, _, _ := unstructured.NestedSlice(r.Object, "status", "parents")
		var conds []string
		for _, p := range parents {
			m, _ := p.(map[string]any)
			cs, _, _ := unstructured.NestedSlice(m, "conditions")
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				conds = append(conds, fmt.Sprintf("%v=%v(%v)", cm["type"], cm["status"], cm["reason"]))
			}
		}
		t.Logf("HTTPRoute %s: %s", r.GetName(), strings.Join(conds, " "))
	}
}
