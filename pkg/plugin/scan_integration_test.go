package plugin_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/scan"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// scanFixture fills scan-shop with one fault of each kind the scan looks
// for, and scan-blog with a healthy Service.
func scanFixture(t *testing.T) {
	t.Helper()
	c := ctx(t)
	for _, ns := range []string{"scan-shop", "scan-blog"} {
		check(t, testenv.CreateNamespace(c, env.Client, ns, nil))
	}
	pods := map[string]*corev1.Pod{}
	for _, p := range []struct {
		ns string
		p  testenv.Pod
	}{
		{"scan-shop", readyPod("web-1", "10.244.9.1", map[string]string{"app": "web-frontend"})},
		{"scan-shop", readyPod("api-1", "10.244.9.2", map[string]string{"app": "api"})},
		{"scan-shop", testenv.Pod{Name: "db-1", Labels: map[string]string{"app": "db"}, Ports: httpPort, Node: "node-1", IP: "10.244.9.3"}},
		{"scan-blog", readyPod("blog-1", "10.244.9.4", map[string]string{"app": "blog"})},
	} {
		pods[p.ns+"/"+p.p.Name] = must[*corev1.Pod](t)(testenv.CreatePod(c, env.Client, p.ns, p.p))
	}
	services := []struct {
		ns, name, app string
		target        intstr.IntOrString
		slice         []string // pods of the EndpointSlice; nil: no slice
	}{
		{"scan-shop", "web", "web", intstr.FromString("http"), nil},                  // selector matches nothing
		{"scan-shop", "api", "api", intstr.FromString("http"), []string{"api-1"}},    // healthy
		{"scan-shop", "db", "db", intstr.FromString("http"), []string{"db-1"}},       // no ready endpoint
		{"scan-shop", "grpc", "api", intstr.FromString("grpc"), nil},                 // named port missing
		{"scan-blog", "blog", "blog", intstr.FromString("http"), []string{"blog-1"}}, // healthy
	}
	for i, s := range services {
		svc := must[*corev1.Service](t)(env.Client.CoreV1().Services(s.ns).Create(c, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: s.ns},
			Spec: corev1.ServiceSpec{
				ClusterIP: fmt.Sprintf("10.0.0.%d", 240+i),
				Selector:  map[string]string{"app": s.app},
				Ports:     []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: s.target, Protocol: corev1.ProtocolTCP}},
			},
		}, metav1.CreateOptions{}))
		if s.slice == nil {
			continue
		}
		var sel []*corev1.Pod
		for _, p := range s.slice {
			sel = append(sel, pods[s.ns+"/"+p])
		}
		must[*discoveryv1.EndpointSlice](t)(testenv.CreateEndpointSlice(c, env.Client, svc, sel,
			[]discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}}))
	}
	pt := networkingv1.PathTypePrefix
	for _, i := range []struct {
		name, class, backend string
		port                 int32
	}{
		{"front", "scan-no-such-class", "api", 80}, // class missing
		{"typo", "scan-no-such-class", "apii", 80}, // service missing
		{"port", "scan-no-such-class", "api", 81},  // port missing
		{"down", "scan-no-such-class", "db", 80},   // no ready endpoints
	} {
		ing := &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: i.name, Namespace: "scan-shop"},
			Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: i.name + ".scan.example", IngressRuleValue: networkingv1.IngressRuleValue{
				HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pt,
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: i.backend, Port: networkingv1.ServiceBackendPort{Number: i.port}}}}}}}}}},
		}
		ing.Spec.IngressClassName = ptr(i.class)
		must[*networkingv1.Ingress](t)(env.Client.NetworkingV1().Ingresses("scan-shop").Create(c, ing, metav1.CreateOptions{}))
	}
	for _, np := range []*networkingv1.NetworkPolicy{
		{ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: "scan-shop"},
			Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "cache"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "api-from-client", Namespace: "scan-shop"},
			Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "clinet"}}}}}}}},
	} {
		must[*networkingv1.NetworkPolicy](t)(env.Client.NetworkingV1().NetworkPolicies("scan-shop").Create(c, np, metav1.CreateOptions{}))
	}
}

// scanText renders the namespace-scoped codes of a scan report (services,
// ingresses, policies) with their findings: DNS and CNI checks, and the
// ingress class names, depend on what other tests left in the shared API
// server.
// With ranked false the codes are sorted by name: across every namespace
// the ranking depends on the other tests' objects too.
func scanText(t *testing.T, r report.Report, ranked bool, namespaces ...string) string {
	t.Helper()
	var b strings.Builder
	checks := slices.Clone(r.Checks)
	if ranked {
		fmt.Fprintf(&b, "%s: %s (%s)\n", r.Title, r.Verdict.Outcome, r.Verdict.Code)
	} else {
		fmt.Fprintf(&b, "%s: %s\n", r.Title, r.Verdict.Outcome)
		slices.SortFunc(checks, func(a, b report.Check) int { return strings.Compare(a.Code, b.Code) })
	}
	for _, c := range checks {
		if !strings.HasPrefix(c.Code, "SVC") && !strings.HasPrefix(c.Code, "ING") && !strings.HasPrefix(c.Code, "NP") {
			continue
		}
		var d scan.CodeData
		remarshal(t, c.Data, &d)
		var lines []string
		for _, f := range d.Findings {
			for _, ns := range namespaces {
				if f.Object.Namespace == ns && c.Code == "ING002" {
					// Its "did you mean" depends on other tests' classes.
					lines = append(lines, fmt.Sprintf("    %s %s", f.Status, f.Object))
				} else if f.Object.Namespace == ns {
					lines = append(lines, fmt.Sprintf("    %s %s: %s", f.Status, f.Object, f.Message))
				}
			}
		}
		fmt.Fprintf(&b, "%-4s %s %d finding(s) in scope\n", c.Status, c.Code, len(lines))
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestScan(t *testing.T) {
	scanFixture(t)

	// One namespace: only its objects, counted and ranked; human output.
	res := run(t, "scan", "-n", "scan-shop")
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	if strings.Contains(res.stdout, "scan-blog") {
		t.Errorf("-n scan-shop reported scan-blog:\n%s", res.stdout)
	}
	res = run(t, "scan", "-n", "scan-shop", "-o", "json")
	r := decode(t, res.stdout)
	if r.Command != "scan" || r.Verdict.Outcome != report.Problems {
		t.Errorf("command %s verdict %+v", r.Command, r.Verdict)
	}
	inv := checkByCode(t, r, "SCAN001")
	if inv.Status != report.Pass || !strings.Contains(inv.Message, "3 pods, 4 services, 4 ingresses, 2 networkpolicies") {
		t.Errorf("SCAN001: %s", inv.Message)
	}
	golden(t, "scan-namespace", scanText(t, r, true, "scan-shop"))

	// Every namespace: the same findings (peers are checked too), and
	// scan-blog's healthy Service adds none.
	res = run(t, "scan", "-A", "-o", "json", "--max-findings", "10000")
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1\n%s", res.code, res.stderr)
	}
	r = decode(t, res.stdout)
	golden(t, "scan-all", scanText(t, r, false, "scan-shop", "scan-blog"))
	// One object per page: every namespace is split across pages and
	// continue tokens, and the findings are the same.
	res = run(t, "scan", "-A", "-o", "json", "--max-findings", "10000", "--page-size", "1")
	if got, want := scanText(t, decode(t, res.stdout), false, "scan-shop", "scan-blog"), scanText(t, r, false, "scan-shop", "scan-blog"); res.code != 1 || got != want {
		t.Errorf("--page-size 1: exit %d, findings\n%s\nwant\n%s", res.code, got, want)
	}
	for i := 1; i < len(r.Checks); i++ {
		if r.Checks[i].Status.Worse(r.Checks[i-1].Status) {
			t.Errorf("%s (%s) ranked after %s (%s)", r.Checks[i].Code, r.Checks[i].Status, r.Checks[i-1].Code, r.Checks[i-1].Status)
		}
	}

	res = run(t, "scan", "-A", "-n", "scan-shop")
	if res.code != 2 || !strings.Contains(res.stderr, "not both") {
		t.Errorf("-A with -n: exit %d, %s", res.code, res.stderr)
	}
}

// TestScanStreamRoutes: `scan` judges TLSRoutes and TCPRoutes like
// HTTPRoutes: a parent that does not accept one (RT002), a backend
// Service that does not exist (RT005), one of another namespace without a
// ReferenceGrant (RT006), one without ready endpoints (RT007).
func TestScanStreamRoutes(t *testing.T) {
	ns, other := "gw-scan-stream", "gw-scan-stream-other"
	gwApp(t, ns, nil, "10.244.73", "api") // api's pod is not ready
	gwApp(t, other, nil, "10.244.74")
	tls := listener("tls", gwv1.TLSProtocolType, 443, "*.gw-scan-stream.example", "")
	tls.TLS = &gwv1.ListenerTLSConfig{Mode: ptr(gwv1.TLSModePassthrough)}
	gw := programmedGateway(ns, "front", "192.0.2.32", []int32{1, 3}, tls, listener("tcp", gwv1.TCPProtocolType, 9000, "", ""))
	backend := func(bns, name string, port int32) gwv1.BackendRef {
		ref := gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: gwv1.ObjectName(name), Port: ptr(port)}}
		if bns != "" {
			ref.Namespace = ptr(gwv1.Namespace(bns))
		}
		return ref
	}
	tlsRoute := func(name, host string, b gwv1.BackendRef) *gwv1.TLSRoute {
		r := &gwv1.TLSRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		r.Spec.ParentRefs = []gwv1.ParentReference{parentRef("", "front", "tls")}
		r.Spec.Hostnames = []gwv1.Hostname{gwv1.Hostname(host)}
		r.Spec.Rules = []gwv1.TLSRouteRule{{BackendRefs: []gwv1.BackendRef{b}}}
		return r
	}
	tcpRoute := func(name string, b gwv1.BackendRef) *gwv1.TCPRoute {
		r := &gwv1.TCPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		r.Spec.ParentRefs = []gwv1.ParentReference{parentRef("", "front", "tcp")}
		r.Spec.Rules = []gwv1.TCPRouteRule{{BackendRefs: []gwv1.BackendRef{b}}}
		return r
	}
	createGW(t, gw,
		tlsRoute("db", "db.gw-scan-stream.example", backend("", "dbx", 80)),
		tlsRoute("elsewhere", "db.other.example", backend("", "web", 80)),
		tcpRoute("raw", backend("", "web", 80)),
		tcpRoute("cross", backend(other, "web", 80)),
		tcpRoute("down", backend("", "api", 80)),
	)

	res := run(t, "scan", "-A", "-o", "json", "--max-findings", "10000")
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	r := decode(t, res.stdout)
	want := map[string][]string{
		"RT002": {"elsewhere: parentRef 1 (gateway gw-scan-stream/front) does not accept the route: listener tls has hostname *.gw-scan-stream.example, which does not intersect the route's hostnames db.other.example (NoMatchingListenerHostname)"},
		"RT005": {"db: service dbx does not exist in namespace gw-scan-stream"},
		"RT006": {"cross: backendRef to service gw-scan-stream-other/web from TCPRoute in namespace gw-scan-stream is not permitted: no ReferenceGrant in namespace gw-scan-stream-other lets TCPRoutes of namespace gw-scan-stream refer to it (RefNotPermitted)"},
		"RT007": {"down: service gw-scan-stream/api has no ready endpoints for port 80"},
	}
	for code, findings := range want {
		got := scanFindings(t, r, code, ns)
		slices.Sort(got)
		ok := len(got) == len(findings)
		for i := 0; ok && i < len(got); i++ {
			ok = strings.HasPrefix(got[i], findings[i])
		}
		if !ok {
			t.Errorf("%s findings in %s:\n%s\nwant (prefixes)\n%s", code, ns, strings.Join(got, "\n"), strings.Join(findings, "\n"))
		}
	}
	// One namespace: its TLSRoutes and TCPRoutes are counted and judged.
	res = run(t, "scan", "-n", ns, "-o", "json")
	r = decode(t, res.stdout)
	if inv := checkByCode(t, r, "SCAN001"); !strings.Contains(inv.Message, ", 5 routes") {
		t.Errorf("-n %s SCAN001: %s", ns, inv.Message)
	}
	if got := scanFindings(t, r, "RT005", ns); len(got) != 1 || !strings.HasPrefix(got[0], "db: service dbx does not exist") {
		t.Errorf("-n %s RT005: %v", ns, got)
	}
}

// TestScanListenerSets: `scan` reads the ListenerSets, judges each
// gateway's merged list of listeners (GW007: the ListenerSet's listener
// that repeats the gateway's is conflicted) and the routes attached
// through ListenerSets (RT002: one the gateway does not admit, one that
// does not exist). Without permission to list ListenerSets, the inventory
// says so once and those parentRefs are not judged.
func TestScanListenerSets(t *testing.T) {
	gwListenerSets(t)
	ns, team := "gw-lset", "gw-lset-team"
	res := run(t, "scan", "-A", "-o", "json", "--max-findings", "10000")
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	r := decode(t, res.stdout)
	if inv := checkByCode(t, r, "SCAN001"); !strings.Contains(fmt.Sprint(inv.Facts), "{listenersets ") || !strings.Contains(inv.Message, " listenersets") {
		t.Errorf("SCAN001: %s %v", inv.Message, inv.Facts)
	}
	want := map[string]map[string][]string{
		"GW007": {ns: {"edge: listeners http and dup (listenerset gw-lset/extra) are both HTTP on port 80 with hostname *.gw-lset.example (HostnameConflict): by precedence"}},
		"RT002": {
			ns:   {"ghost: parentRef 1: listenerset gw-lset/nope does not exist (NoMatchingParent)"},
			team: {"blocked: parentRef 1 (listenerset gw-lset-team/other of gateway gw-lset/edge) does not accept the route: listenerset gw-lset-team/other is not attached to its gateway: gateway gw-lset/edge admits ListenerSets of namespace gw-lset only (allowedListeners from: Same), not from namespace gw-lset-team (NoMatchingParent)"},
		},
	}
	for code, byNS := range want {
		for n, findings := range byNS {
			got := scanFindings(t, r, code, n)
			slices.Sort(got)
			ok := len(got) == len(findings)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.HasPrefix(got[i], findings[i])
			}
			if !ok {
				t.Errorf("%s findings in %s:\n%s\nwant (prefixes)\n%s", code, n, strings.Join(got, "\n"), strings.Join(findings, "\n"))
			}
		}
	}

	// A user of namespace gw-lset who may not list ListenerSets.
	c := ctx(t)
	user := "scan-no-listenersets"
	must[*rbacv1.Role](t)(env.Client.RbacV1().Roles(ns).Create(c, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"services", "pods", "endpoints"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses", "networkpolicies"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{gwv1.GroupName}, Resources: []string{"gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "referencegrants"}, Verbs: []string{"get", "list"}},
	}}, metav1.CreateOptions{}))
	must[*rbacv1.RoleBinding](t)(env.Client.RbacV1().RoleBindings(ns).Create(c, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: user},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: user}},
	}, metav1.CreateOptions{}))
	res = runAs(t, must[string](t)(env.UserKubeconfig(user)), "scan", "-n", ns, "-o", "json", "--max-findings", "10000")
	r = decode(t, res.stdout)
	inv := checkByCode(t, r, "SCAN001")
	if !strings.Contains(inv.Message, "listenersets") || !strings.Contains(fmt.Sprint(inv.Facts), "{listenersets not read: forbidden: cannot list listenersets.gateway.networking.k8s.io in namespace gw-lset}") ||
		!strings.Contains(fmt.Sprint(inv.Facts), "parentRefs of routes that name a ListenerSet are not judged") {
		t.Errorf("SCAN001 without ListenerSets: %s %v", inv.Message, inv.Facts)
	}
	// Said once: the route naming a ListenerSet is not judged, and the
	// gateway's own listeners do not conflict.
	if got := scanFindings(t, r, "RT002", ns); len(got) != 0 {
		t.Errorf("RT002 without ListenerSets: %v", got)
	}
	if got := scanFindings(t, r, "GW007", ns); len(got) != 0 {
		t.Errorf("GW007 without ListenerSets: %v", got)
	}
}
