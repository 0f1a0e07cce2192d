package plugin_test

import (
	"encoding/json"
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
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/ingress"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// The ingress tests share one ingress-nginx installation: IngressClass
// nginx, a ready controller pod on a loopback-only node (so that reading its
// logs never leaves the machine; the kubelet is not there, and the read
// fails fast) and its LoadBalancer Service. Each scenario has namespaces of
// its own (ing-*) and hosts of its own (<namespace>.example.com), so that
// only the conflicts a test means to create exist.
const (
	ingSystem = "ing-system"
	ingNode   = "ing-node"
	ingLBIP   = "192.0.2.10" // TEST-NET-1: a recorded address, never contacted
)

var (
	ingOnce sync.Once
	ingErr  error
)

// ingNamespaces are the scenarios' namespaces. Each has Services web and
// api at fixed ClusterIPs, and the controller's Service has one too, all
// taken from 10.0.0.17-10.0.0.59 (less 10.0.0.50, the service tests'): below
// the 10.0.0.60-249 of clusterIP(), which the other tests use, and which
// cannot serve here (its hash overflows into negative numbers for keys
// longer than a dozen characters).
var ingNamespaces = []string{
	"ing-healthy", "ing-request", "ing-class", "ing-noclass", "ing-defaults", "ing-nosvc", "ing-port", "ing-noeps",
	"ing-tls-missing", "ing-tls-type", "ing-tls-expired", "ing-tls-soon", "ing-tls-host",
	"ing-conflict", "ing-conflict-new", "ing-rbac", "ing-missing", "ing-external",
}

// ingClusterIP is the i-th ClusterIP of namespace ns (ing-system: 0 only).
func ingClusterIP(t *testing.T, ns string, i int) string {
	t.Helper()
	n := 0 // ing-system
	if ns != ingSystem {
		idx := slices.Index(ingNamespaces, ns)
		if idx < 0 {
			t.Fatalf("namespace %s has no ClusterIPs: add it to ingNamespaces", ns)
		}
		n = 1 + 2*idx + i
	}
	last := 17 + n
	if last >= 50 {
		last++
	}
	if last > 59 {
		t.Fatalf("no ClusterIP left for %s", ns)
	}
	return fmt.Sprintf("10.0.0.%d", last)
}

func ingressSystem(t *testing.T) {
	t.Helper()
	ingOnce.Do(func() {
		c, cancel := testenv.Context()
		defer cancel()
		if ingErr = testenv.CreateNode(c, env.Client, ingNode); ingErr != nil {
			return
		}
		if ingErr = testenv.CreateNamespace(c, env.Client, ingSystem, nil); ingErr != nil {
			return
		}
		if ingErr = testenv.CreateIngressClass(c, env.Client, "nginx", "k8s.io/ingress-nginx", false); ingErr != nil {
			return
		}
		labels := map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx"}
		if _, ingErr = testenv.CreateControllerPod(c, env.Client, ingSystem, testenv.ControllerPod{
			Pod: testenv.Pod{Name: "ingress-nginx-controller-7c9d8", Labels: labels, Node: ingNode, IP: "10.244.0.20", Ready: true,
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 80}, {Name: "https", ContainerPort: 443}}},
			Image: "registry.k8s.io/ingress-nginx/controller:v1.12.0",
			Args:  []string{"/nginx-ingress-controller", "--controller-class=k8s.io/ingress-nginx", "--publish-service=ing-system/ingress-nginx-controller"},
		}); ingErr != nil {
			return
		}
		var svc *corev1.Service
		svc, ingErr = env.Client.CoreV1().Services(ingSystem).Create(c, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "ingress-nginx-controller", Labels: labels},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: ingClusterIP(t, ingSystem, 0), Selector: labels,
				Ports: []corev1.ServicePort{
					{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), NodePort: 31080, Protocol: corev1.ProtocolTCP},
					{Name: "https", Port: 443, TargetPort: intstr.FromString("https"), NodePort: 31443, Protocol: corev1.ProtocolTCP},
				}},
		}, metav1.CreateOptions{})
		if ingErr != nil {
			return
		}
		ingErr = testenv.SetLoadBalancerIP(c, env.Client, svc, ingLBIP)
	})
	if ingErr != nil {
		t.Fatalf("setting up the shared ingress controller: %v", ingErr)
	}
}

// ingApp creates namespace ns with Services web and api (port http 80 ->
// targetPort http), one pod each, ready unless listed in notReady, and the
// EndpointSlices the controller would keep.
func ingApp(t *testing.T, ns string, notReady ...string) {
	t.Helper()
	ingressSystem(t)
	c := ctx(t)
	check(t, testenv.CreateNamespace(c, env.Client, ns, nil))
	for i, name := range []string{"web", "api"} {
		labels := map[string]string{"app": name}
		svc := must[*corev1.Service](t)(env.Client.CoreV1().Services(ns).Create(c, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.ServiceSpec{ClusterIP: ingClusterIP(t, ns, i), Selector: labels,
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}}},
		}, metav1.CreateOptions{}))
		p := readyPod(name+"-1", "10.244.1."+string(rune('1'+i)), labels)
		p.Node = ingNode
		for _, n := range notReady {
			if n == name {
				p.Ready = false
			}
		}
		pod := must[*corev1.Pod](t)(testenv.CreatePod(c, env.Client, ns, p))
		must[*discoveryv1.EndpointSlice](t)(testenv.CreateEndpointSlice(c, env.Client, svc, []*corev1.Pod{pod},
			[]discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}}))
	}
}

func ingPath(p, svc string, port networkingv1.ServiceBackendPort) networkingv1.HTTPIngressPath {
	return networkingv1.HTTPIngressPath{Path: p, PathType: ptr(networkingv1.PathTypePrefix),
		Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: port}}}
}

// shopIngress is ingress shop of ns: host <ns>.example.com, / -> web:80 and
// /api -> api:http, class nginx, with TLS from secret tlsSecret when set.
func shopIngress(ns, tlsSecret string) *networkingv1.Ingress {
	host := ns + ".example.com"
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr("nginx"),
			Rules: []networkingv1.IngressRule{{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{
					ingPath("/", "web", networkingv1.ServiceBackendPort{Number: 80}),
					ingPath("/api", "api", networkingv1.ServiceBackendPort{Name: "http"}),
				},
			}}}},
		},
	}
	if tlsSecret != "" {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: tlsSecret}}
	}
	return ing
}

// createIngress creates ing and, when published, the address the
// controller would publish in its status.
func createIngress(t *testing.T, ing *networkingv1.Ingress, published bool) {
	t.Helper()
	c := ctx(t)
	created := must[*networkingv1.Ingress](t)(env.Client.NetworkingV1().Ingresses(ing.Namespace).Create(c, ing, metav1.CreateOptions{}))
	if published {
		check(t, testenv.SetIngressAddress(c, env.Client, created, ingLBIP))
	}
}

// tlsSecret creates a kubernetes.io/tls secret for hosts, valid from
// notBefore to notAfter.
func tlsSecret(t *testing.T, ns, name string, hosts []string, notBefore, notAfter time.Time) {
	t.Helper()
	cert, key, err := testenv.Certificate(hosts, notBefore, notAfter)
	check(t, err)
	check(t, testenv.CreateSecret(ctx(t), env.Client, ns, name, corev1.SecretTypeTLS,
		map[string][]byte{corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key}))
}

// expect runs the command, checks its exit code and golden file, then runs
// it again with -o json and returns the report.
func expect(t *testing.T, code int, goldenName string, args ...string) report.Report {
	t.Helper()
	res := run(t, args...)
	if res.code != code {
		t.Fatalf("exit code %d, want %d\n%s%s", res.code, code, res.stdout, res.stderr)
	}
	if goldenName != "" {
		golden(t, goldenName, res.stdout)
	}
	res = run(t, append(args, "-o", "json")...)
	if res.code != code {
		t.Fatalf("-o json: exit code %d, want %d\n%s", res.code, code, res.stderr)
	}
	return decode(t, res.stdout)
}

func wantVerdict(t *testing.T, r report.Report, code, contains string) {
	t.Helper()
	if r.Verdict.Code != code || !strings.Contains(r.Verdict.Message, contains) {
		t.Errorf("verdict = %+v\nwant code %s and a message containing %q", r.Verdict, code, contains)
	}
}

func TestIngressHealthy(t *testing.T) {
	ns := "ing-healthy"
	ingApp(t, ns)
	tlsSecret(t, ns, "shop-tls", []string{ns + ".example.com"}, now.AddDate(0, -1, 0), now.AddDate(0, 2, 0))
	createIngress(t, shopIngress(ns, "shop-tls"), true)

	r := expect(t, 0, "ingress-healthy", "ingress", "shop", "-n", ns)
	if r.Verdict.Outcome != report.OK || r.Summary.Fail != 0 || r.Summary.Warn != 0 {
		t.Errorf("verdict %+v summary %+v", r.Verdict, r.Summary)
	}
	if !strings.Contains(r.Verdict.Message, "a 502 now would mean a backend pod does not answer") || len(r.Verdict.Next) != 1 ||
		!strings.HasPrefix(r.Verdict.Next[0], "kubectl -n ing-system exec ingress-nginx-controller-7c9d8 -- curl") {
		t.Errorf("verdict %+v, want the 502 caveat and the probe from the controller pod", r.Verdict)
	}
	// The kubelet of the controller's node is not there: the log read is a
	// skip that says so, not an error, and does not hang.
	if logs := checkByCode(t, r, "ING004"); logs.Status != report.Skip || !strings.Contains(logs.Message, "could not read the controller's logs") {
		t.Errorf("ING004 = %s %s", logs.Status, logs.Message)
	}
	ctrl := checkByCode(t, r, "ING003")
	if ctrl.Status != report.Pass || len(ctrl.Objects) != 1 || ctrl.Objects[0].Name != "ingress-nginx-controller-7c9d8" {
		t.Errorf("ING003 = %+v", ctrl)
	}
	if lb := checkByCode(t, r, "ING005"); !strings.Contains(lb.Message, "address "+ingLBIP) {
		t.Errorf("ING005 = %s", lb.Message)
	}
	r = expect(t, 0, "ingress-request-ok", "ingress", "shop", "-n", ns, "--host", "https://"+ns+".example.com/api/v1?page=2")
	wantVerdict(t, r, "ING015", "request https://ing-healthy.example.com/api/v1 lands on rule ing-healthy.example.com /api (Prefix) -> service api:http (1 ready endpoint(s))")

	routes := checkByCode(t, r, "ING015")
	var data ingress.Routes
	remarshal(t, routes.Data, &data)
	if len(data.Routes) != 2 || data.Routes[0].Response != "ok" || data.Routes[1].Response != "ok" || data.Routes[1].Path != "/api" {
		t.Errorf("ING015 data = %+v", data)
	}
}

func TestIngressRequest(t *testing.T) {
	ns := "ing-request"
	ingApp(t, ns, "api")
	createIngress(t, shopIngress(ns, ""), true)
	host := ns + ".example.com"

	// The request is fine, another route is not: exit 1, and the verdict
	// says both.
	r := expect(t, 1, "ingress-request", "ingress", "shop", "-n", ns, "--host", host, "--path", "/products/42")
	wantVerdict(t, r, "ING010", "request http://ing-request.example.com/products/42 lands on rule ing-request.example.com / (Prefix) -> service web:80 (1 ready endpoint(s))")

	// The same ingress, a request to the backend without ready endpoints:
	// the verdict is about this request.
	r = expect(t, 1, "ingress-request-503", "ingress", "shop", "-n", ns, "--host", host, "--path", "/api/orders")
	wantVerdict(t, r, "ING015", "lands on rule ing-request.example.com /api (Prefix) -> service api:http and gets 503")
	var data ingress.Routes
	remarshal(t, checkByCode(t, r, "ING015").Data, &data)
	if data.Request == nil || data.Request.Code != "ING010" || data.Request.Ingress != ns+"/shop" || !strings.HasPrefix(data.Request.Response, "503") {
		t.Errorf("request = %+v", data.Request)
	}

	r = expect(t, 1, "", "ingress", "shop", "-n", ns, "--host", "www.example.com")
	wantVerdict(t, r, "ING015", "request http://www.example.com/ gets 404 from the controller's default backend")
}

func TestIngressClassProblems(t *testing.T) {
	t.Run("class that does not exist", func(t *testing.T) {
		ns := "ing-class"
		ingApp(t, ns)
		ing := shopIngress(ns, "")
		ing.Spec.IngressClassName = ptr("ngnix")
		createIngress(t, ing, false)
		r := expect(t, 1, "ingress-class-missing", "ingress", "shop", "-n", ns)
		wantVerdict(t, r, "ING002", "ingress class ngnix does not exist: no controller picks this ingress up, so its hosts get 404; did you mean nginx?")
	})
	t.Run("no class and no default", func(t *testing.T) {
		ns := "ing-noclass"
		ingApp(t, ns)
		ing := shopIngress(ns, "")
		ing.Spec.IngressClassName = nil
		createIngress(t, ing, false)
		r := expect(t, 1, "ingress-no-class", "ingress", "shop", "-n", ns)
		wantVerdict(t, r, "ING002", "no IngressClass is the default")
	})
	t.Run("two default classes", func(t *testing.T) {
		ns := "ing-defaults"
		ingApp(t, ns)
		ing := shopIngress(ns, "")
		ing.Spec.IngressClassName = nil
		createIngress(t, ing, false) // before the defaults exist, so it keeps no class
		c := ctx(t)
		for _, name := range []string{"ing-default-a", "ing-default-b"} {
			check(t, testenv.CreateIngressClass(c, env.Client, name, "example.com/"+name, true))
			t.Cleanup(func() {
				c, cancel := testenv.Context()
				defer cancel()
				_ = env.Client.NetworkingV1().IngressClasses().Delete(c, name, metav1.DeleteOptions{})
			})
		}
		r := expect(t, 1, "", "ingress", "shop", "-n", ns)
		wantVerdict(t, r, "ING002", "2 IngressClasses are marked default")
		if !strings.Contains(r.Verdict.Message, "ing-default-a") || !strings.Contains(r.Verdict.Message, "ing-default-b") {
			t.Errorf("verdict does not name both defaults: %s", r.Verdict.Message)
		}
	})
}

func TestIngressBackendProblems(t *testing.T) {
	t.Run("missing service", func(t *testing.T) {
		ns := "ing-nosvc"
		ingApp(t, ns)
		ing := shopIngress(ns, "")
		ing.Spec.Rules[0].HTTP.Paths[1].Backend.Service.Name = "apis"
		createIngress(t, ing, true)
		r := expect(t, 1, "ingress-missing-service", "ingress", "shop", "-n", ns)
		wantVerdict(t, r, "ING008", "service apis does not exist in namespace ing-nosvc (did you mean api?): requests to ing-nosvc.example.com/api get 503")
	})
	t.Run("wrong port name", func(t *testing.T) {
		ns := "ing-port"
		ingApp(t, ns)
		ing := shopIngress(ns, "")
		ing.Spec.Rules[0].HTTP.Paths[1].Backend.Service.Port = networkingv1.ServiceBackendPort{Name: "htpp"}
		createIngress(t, ing, true)
		r := expect(t, 1, "ingress-wrong-port", "ingress", "shop", "-n", ns)
		wantVerdict(t, r, "ING009", "service api has no port htpp (ports: http 80/TCP->http)")
		// The next step is a command only; the fix is its evidence.
		p := checkByCode(t, r, "ING009")
		fix := false
		for _, f := range p.Facts {
			fix = fix || f.Name == "fix" && f.Value == "port name htpp -> http"
		}
		if len(p.Next) == 0 || p.Next[0] != "kubectl -n ing-port edit ingress shop" || !fix {
			t.Errorf("ING009 next = %v, facts %v, want the edit command and the port fix", p.Next, p.Facts)
		}
	})
	t.Run("no ready endpoints", func(t *testing.T) {
		ns := "ing-noeps"
		ingApp(t, ns, "api")
		createIngress(t, shopIngress(ns, ""), true)
		r := expect(t, 1, "ingress-no-endpoints", "ingress", "shop", "-n", ns)
		wantVerdict(t, r, "ING010", "service api has no ready endpoints for port http (none of its 1 pod(s) is ready")
		if c := checkByCode(t, r, "ING010"); len(c.Next) != 1 || c.Next[0] != "kubectl netdebug service api -n ing-noeps" {
			t.Errorf("ING010 next = %v", c.Next)
		}
	})
}

func TestIngressTLSProblems(t *testing.T) {
	t.Run("secret missing", func(t *testing.T) {
		ns := "ing-tls-missing"
		ingApp(t, ns)
		createIngress(t, shopIngress(ns, "shop-tls"), true)
		r := expect(t, 1, "ingress-tls-missing", "ingress", "shop", "-n", ns)
		wantVerdict(t, r, "ING012", `TLS secret shop-tls does not exist in namespace ing-tls-missing: ingress-nginx serves its self-signed "Kubernetes Ingress Controller Fake Certificate"`)
	})
	t.Run("wrong type", func(t *testing.T) {
		ns := "ing-tls-type"
		ingApp(t, ns)
		cert, key, err := testenv.Certificate([]string{ns + ".example.com"}, now.AddDate(0, -1, 0), now.AddDate(0, 2, 0))
		check(t, err)
		check(t, testenv.CreateSecret(ctx(t), env.Client, ns, "shop-tls", corev1.SecretTypeOpaque, map[string][]byte{"cert.pem": cert, "key.pem": key}))
		createIngress(t, shopIngress(ns, "shop-tls"), true)
		res := run(t, "ingress", "shop", "-n", ns, "-o", "yaml")
		if strings.Contains(res.stdout, strings.Split(string(key), "\n")[1]) {
			t.Fatal("the report contains key material")
		}
		r := expect(t, 1, "ingress-tls-type", "ingress", "shop", "-n", ns)
		wantVerdict(t, r, "ING012", "secret shop-tls is of type Opaque, not kubernetes.io/tls, and has no tls.crt and no tls.key (keys: cert.pem, key.pem)")
	})
	t.Run("expired", func(t *testing.T) {
		ns := "ing-tls-expired"
		ingApp(t, ns)
		tlsSecret(t, ns, "shop-tls", []string{ns + ".example.com"}, now.AddDate(0, -3, 0), now.AddDate(0, 0, -2))
		createIngress(t, shopIngress(ns, "shop-tls"), true)
		r := expect(t, 1, "ingress-tls-expired", "ingress", "shop", "-n", ns)
		wantVerdict(t, r, "ING013", "the certificate in secret shop-tls expired on 2026-11-25 (2 days ago): clients reject it")
	})
	t.Run("expiring soon", func(t *testing.T) {
		ns := "ing-tls-soon"
		ingApp(t, ns)
		tlsSecret(t, ns, "shop-tls", []string{ns + ".example.com"}, now.AddDate(0, -3, 0), now.AddDate(0, 0, 9))
		createIngress(t, shopIngress(ns, "shop-tls"), true)
		r := expect(t, 0, "", "ingress", "shop", "-n", ns)
		wantVerdict(t, r, "ING013", "expires on 2026-12-06, in 9 days")
	})
	t.Run("host not covered", func(t *testing.T) {
		ns := "ing-tls-host"
		ingApp(t, ns)
		tlsSecret(t, ns, "shop-tls", []string{"www.example.com", "*.shop.example.com"}, now.AddDate(0, -1, 0), now.AddDate(0, 2, 0))
		createIngress(t, shopIngress(ns, "shop-tls"), true)
		r := expect(t, 1, "ingress-tls-host", "ingress", "shop", "-n", ns)
		wantVerdict(t, r, "ING013", "the certificate in secret shop-tls does not cover ing-tls-host.example.com (it covers www.example.com, *.shop.example.com)")
	})
}

func TestIngressConflict(t *testing.T) {
	old, ns := "ing-conflict", "ing-conflict-new"
	ingApp(t, old)
	ingApp(t, ns)
	legacy := shopIngress(old, "")
	legacy.Name = "legacy"
	legacy.Spec.Rules[0].Host = ns + ".example.com" // the host of the newer ingress
	createIngress(t, legacy, true)
	// Creation times have a one-second resolution: make legacy the older.
	time.Sleep(1100 * time.Millisecond)
	createIngress(t, shopIngress(ns, ""), true)

	r := expect(t, 1, "ingress-conflict", "ingress", "shop", "-n", ns)
	wantVerdict(t, r, "ING014", "ingress ing-conflict/legacy of class nginx also claims ing-conflict-new.example.com / (Prefix) and takes precedence (it is older)")

	// From the older ingress's side it is only a warning: it wins.
	r = expect(t, 0, "", "ingress", "legacy", "-n", old)
	if c := checkByCode(t, r, "ING014"); c.Status != report.Warn {
		t.Errorf("ING014 of the older ingress = %s %s, want warn", c.Status, c.Message)
	}
	// A request for the contested path lands on the older ingress.
	r = expect(t, 1, "", "ingress", "shop", "-n", ns, "--host", ns+".example.com", "--path", "/api/x")
	wantVerdict(t, r, "ING014", "lands on ingress ing-conflict/legacy (rule ing-conflict-new.example.com /api (Prefix) -> service api:http), not on this one")
}

// A user who may read the namespace's objects and the IngressClasses, but
// no secrets, no pods outside the namespace and no ingresses cluster-wide,
// gets the checks it may run and skips naming each missing permission.
func TestIngressRBAC(t *testing.T) {
	ns := "ing-rbac"
	ingApp(t, ns)
	createIngress(t, shopIngress(ns, "shop-tls"), true)
	c := ctx(t)
	must[*rbacv1.Role](t)(env.Client.RbacV1().Roles(ns).Create(c, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "ingress-reader"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"services", "pods"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: []string{"get", "list"}},
		},
	}, metav1.CreateOptions{}))
	must[*rbacv1.RoleBinding](t)(env.Client.RbacV1().RoleBindings(ns).Create(c, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ingress-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "ingress-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "ing-reader"}},
	}, metav1.CreateOptions{}))
	must[*rbacv1.ClusterRole](t)(env.Client.RbacV1().ClusterRoles().Create(c, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "ing-rbac-classes"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingressclasses"}, Verbs: []string{"get", "list"}}},
	}, metav1.CreateOptions{}))
	must[*rbacv1.ClusterRoleBinding](t)(env.Client.RbacV1().ClusterRoleBindings().Create(c, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ing-rbac-classes"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "ing-rbac-classes"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "ing-reader"}},
	}, metav1.CreateOptions{}))
	kubeconfig := must[string](t)(env.UserKubeconfig("ing-reader"))

	res := runAs(t, kubeconfig, "ingress", "shop", "-n", ns)
	if res.code != 0 {
		t.Fatalf("exit code %d, want 0 (nothing failed, some steps skipped)\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "ingress-rbac", res.stdout)
	r := decode(t, runAs(t, kubeconfig, "ingress", "shop", "-n", ns, "-o", "json").stdout)
	for code, perm := range map[string]string{
		"ING003": "list pods (cluster-wide)",
		"ING012": "get secrets in namespace ing-rbac",
		"ING014": "list ingresses.networking.k8s.io (cluster-wide)",
	} {
		c := checkByCode(t, r, code)
		if c.Status != report.Skip || c.Forbidden == nil || c.Forbidden.String() != perm {
			t.Errorf("%s = %s %q (forbidden %v), want a skip naming %q", code, c.Status, c.Message, c.Forbidden, perm)
		}
	}
	if c := checkByCode(t, r, "ING010"); c.Status != report.Pass {
		t.Errorf("ING010 = %s %s, want pass (endpointslices are readable)", c.Status, c.Message)
	}

	// Without even the ingress, nothing can be judged: exit 2.
	nobody := must[string](t)(env.UserKubeconfig("ing-nobody"))
	res = runAs(t, nobody, "ingress", "shop", "-n", ns)
	if res.code != 2 || !strings.Contains(res.stdout, "not allowed to get ingresses.networking.k8s.io in namespace ing-rbac") {
		t.Errorf("no access: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

func TestIngressNotFoundAndBadInput(t *testing.T) {
	ns := "ing-missing"
	ingApp(t, ns)
	createIngress(t, shopIngress(ns, ""), true)
	res := run(t, "ingress", "shopp", "-n", ns)
	if res.code != 1 || !strings.Contains(res.stdout, "ingress shopp not found in namespace ing-missing; did you mean shop?") {
		t.Errorf("typo: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = run(t, "ingress", "shop", "-n", "ing-nowhere")
	if res.code != 1 || !strings.Contains(res.stdout, "namespace ing-nowhere does not exist") {
		t.Errorf("missing namespace: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, args := range [][]string{
		{"ingress"},
		{"ingress", "Not_A_Name"},
		{"ingress", "shop", "--path", "api"},
		{"ingress", "shop", "--host", "shop example"},
		{"ingress", "shop", "--server", "https://127.0.0.1:1", "--request-timeout", "5s"},
	} {
		res := run(t, args...)
		if res.code != 2 || !strings.HasPrefix(res.stderr, "error: ") || strings.Count(res.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one error line", args, res.code, res.stderr)
		}
	}
}

// remarshal decodes a check's Data (a generic JSON value after decode) into
// the type the procedure documents.
func remarshal(t *testing.T, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	check(t, err)
	check(t, json.Unmarshal(b, out))
}
