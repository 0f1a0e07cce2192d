package plugin_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

var httpPort = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}

// shop creates namespace ns with Service web (port 80 -> targetPort) and
// the given pods; when slice is true, the EndpointSlice the controller would
// keep for the pods that match the selector.
func shop(t *testing.T, ns string, selector map[string]string, target intstr.IntOrString, pods []testenv.Pod, slice bool) {
	t.Helper()
	c := ctx(t)
	check(t, testenv.CreateNamespace(c, env.Client, ns, nil))
	svc := must[*corev1.Service](t)(env.Client.CoreV1().Services(ns).Create(c, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.ServiceSpec{
			ClusterIP: clusterIP(ns),
			Selector:  selector,
			Ports:     []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: target, Protocol: corev1.ProtocolTCP}},
		},
	}, metav1.CreateOptions{}))
	var selected []*corev1.Pod
	for _, p := range pods {
		created := must[*corev1.Pod](t)(testenv.CreatePod(c, env.Client, ns, p))
		if matches(selector, p.Labels) {
			selected = append(selected, created)
		}
	}
	if slice {
		must[*discoveryv1.EndpointSlice](t)(testenv.CreateEndpointSlice(c, env.Client, svc, selected,
			[]discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}}))
	}
}

func matches(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func ptr[T any](v T) *T { return &v }

func intstrHTTP() intstr.IntOrString { return intstr.FromString("http") }

// clusterIP gives each test namespace a fixed ClusterIP so that golden files
// do not depend on the API server's allocator.
func clusterIP(ns string) string {
	var sum uint32
	for _, r := range ns {
		sum = sum*31 + uint32(r)
	}
	return fmt.Sprintf("10.0.0.%d", 60+sum%190) // envtest's service range is 10.0.0.0/24
}

func readyPod(name, ip string, labels map[string]string) testenv.Pod {
	return testenv.Pod{Name: name, Labels: labels, Ports: httpPort, Node: "node-1", IP: ip, Ready: true}
}

func decode(t *testing.T, out string) report.Report {
	t.Helper()
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not a JSON report: %v\n%s", err, out)
	}
	if r.APIVersion != report.APIVersion || r.Kind != report.Kind {
		t.Errorf("apiVersion/kind = %s/%s", r.APIVersion, r.Kind)
	}
	return r
}

func checkByCode(t *testing.T, r report.Report, code string) report.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Code == code {
			return c
		}
	}
	t.Fatalf("no check %s in report", code)
	return report.Check{}
}

func TestServiceHealthy(t *testing.T) {
	app := map[string]string{"app": "web"}
	shop(t, "svc-healthy", app, intstr.FromString("http"), []testenv.Pod{
		readyPod("web-1", "10.244.1.11", app),
		readyPod("web-2", "10.244.1.12", app),
	}, true)
	res := run(t, "service", "web", "-n", "svc-healthy")
	if res.code != 0 {
		t.Fatalf("exit code %d, want 0\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "service-healthy", res.stdout)

	res = run(t, "service", "web", "-n", "svc-healthy", "-o", "json")
	r := decode(t, res.stdout)
	if r.Verdict.Outcome != report.OK || r.Summary.Fail != 0 || r.Summary.Pass != 6 {
		t.Errorf("verdict %+v summary %+v", r.Verdict, r.Summary)
	}
	if eps := checkByCode(t, r, "SVC006"); !strings.Contains(eps.Message, "2 ready endpoint(s)") {
		t.Errorf("SVC006: %s", eps.Message)
	}
}

func TestServiceSelectorTypo(t *testing.T) {
	webapp := map[string]string{"app": "webapp", "tier": "frontend"}
	shop(t, "svc-typo", map[string]string{"app": "web", "tier": "frontend"}, intstr.FromString("http"), []testenv.Pod{
		readyPod("webapp-1", "10.244.2.11", webapp),
		readyPod("webapp-2", "10.244.2.12", webapp),
		readyPod("webapp-3", "10.244.2.13", webapp),
		readyPod("db-1", "10.244.2.20", map[string]string{"app": "db"}),
	}, false)
	res := run(t, "service", "web", "-n", "svc-typo")
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "service-selector-typo", res.stdout)

	r := decode(t, run(t, "service", "web", "-n", "svc-typo", "-o", "json").stdout)
	if r.Verdict.Code != "SVC003" || !strings.Contains(r.Verdict.Message, "3 pod(s) have app=webapp") {
		t.Errorf("verdict = %+v, want the selector typo named", r.Verdict)
	}
	if c := checkByCode(t, r, "SVC006"); c.Status != report.Fail {
		t.Errorf("SVC006 = %s, want fail (no endpoints)", c.Status)
	}
}

func TestServiceNotReady(t *testing.T) {
	app := map[string]string{"app": "web"}
	c := ctx(t)
	notReady := func(name, ip string) testenv.Pod {
		p := readyPod(name, ip, app)
		p.Ready, p.Readiness, p.Restarts = false, "/healthz", 2
		return p
	}
	shop(t, "svc-notready", app, intstr.FromString("http"), []testenv.Pod{
		notReady("web-1", "10.244.3.11"),
		notReady("web-2", "10.244.3.12"),
	}, true)
	for _, name := range []string{"web-1", "web-2"} {
		pod := must[*corev1.Pod](t)(env.Client.CoreV1().Pods("svc-notready").Get(c, name, metav1.GetOptions{}))
		check(t, testenv.CreateReadinessFailure(c, env.Client, pod,
			`HTTP probe failed with statuscode: 503`, 12, now.Add(-3*time.Minute)))
	}
	res := run(t, "service", "web", "-n", "svc-notready")
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "service-not-ready", res.stdout)
	r := decode(t, run(t, "service", "web", "-n", "svc-notready", "-o", "json").stdout)
	if r.Verdict.Code != "SVC004" || !strings.Contains(r.Verdict.Message, "readiness probe failed: HTTP probe failed with statuscode: 503 (3m ago, 12 times)") {
		t.Errorf("verdict = %+v, want the readiness failure", r.Verdict)
	}
}

func TestServiceNamedPortMissingOnSomePods(t *testing.T) {
	app := map[string]string{"app": "web"}
	old := readyPod("web-old", "10.244.4.13", app)
	old.Ports = []corev1.ContainerPort{{Name: "web", ContainerPort: 8080}}
	shop(t, "svc-ports", app, intstr.FromString("http"), []testenv.Pod{
		readyPod("web-1", "10.244.4.11", app),
		readyPod("web-2", "10.244.4.12", app),
		old,
	}, true)
	res := run(t, "service", "web", "-n", "svc-ports")
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "service-named-port", res.stdout)
	r := decode(t, run(t, "service", "web", "-n", "svc-ports", "-o", "json").stdout)
	if r.Verdict.Code != "SVC005" || !strings.Contains(r.Verdict.Message, `"http" (TCP) is not a container port of pod(s) web-old`) {
		t.Errorf("verdict = %+v, want the pod without the named port", r.Verdict)
	}
}

func TestServiceNotFound(t *testing.T) {
	app := map[string]string{"app": "web"}
	shop(t, "svc-missing", app, intstr.FromInt32(8080), []testenv.Pod{readyPod("web-1", "10.244.5.11", app)}, true)

	res := run(t, "service", "wbe", "-n", "svc-missing")
	if res.code != 1 || !strings.Contains(res.stdout, "did you mean web?") {
		t.Errorf("typo: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "service-not-found", res.stdout)

	check(t, testenv.CreateNamespace(ctx(t), env.Client, "svc-elsewhere", nil))
	res = run(t, "service", "web", "-n", "svc-elsewhere")
	if res.code != 1 || !strings.Contains(res.stdout, "exists in namespace") || !strings.Contains(res.stdout, "svc-missing") {
		t.Errorf("other namespace: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	res = run(t, "service", "web", "-n", "no-such-namespace")
	if res.code != 1 || !strings.Contains(res.stdout, "namespace no-such-namespace does not exist") {
		t.Errorf("missing namespace: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

func TestServiceTypes(t *testing.T) {
	c := ctx(t)
	ns := "svc-types"
	check(t, testenv.CreateNamespace(c, env.Client, ns, nil))
	create := func(svc *corev1.Service) {
		svc.Namespace = ns
		must[*corev1.Service](t)(env.Client.CoreV1().Services(ns).Create(c, svc, metav1.CreateOptions{}))
	}
	create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "external"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com"}})
	create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "manual"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 5432}}}})
	create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "lb"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "lb"}, ClusterIP: "10.0.0.50",
			Ports: []corev1.ServicePort{{Port: 443, TargetPort: intstr.FromInt32(8443), NodePort: 30443}}}})
	lbPod := must[*corev1.Pod](t)(testenv.CreatePod(c, env.Client, ns, testenv.Pod{Name: "lb-1", Labels: map[string]string{"app": "lb"},
		Ports: []corev1.ContainerPort{{ContainerPort: 8443}}, Node: "node-1", IP: "10.244.6.11", Ready: true}))
	lb := must[*corev1.Service](t)(env.Client.CoreV1().Services(ns).Get(c, "lb", metav1.GetOptions{}))
	must[*discoveryv1.EndpointSlice](t)(testenv.CreateEndpointSlice(c, env.Client, lb, []*corev1.Pod{lbPod},
		[]discoveryv1.EndpointPort{{Port: ptr(int32(8443)), Protocol: ptr(corev1.ProtocolTCP)}}))

	res := run(t, "service", "external", "-n", ns)
	if res.code != 0 || !strings.Contains(res.stdout, "CNAME to db.example.com") {
		t.Errorf("ExternalName: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = run(t, "service", "manual", "-n", ns)
	if res.code != 1 || !strings.Contains(res.stdout, "no selector and no EndpointSlices") {
		t.Errorf("selector-less: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = run(t, "service", "lb", "-n", ns)
	if res.code != 0 || !strings.Contains(res.stdout, "LoadBalancer has no external address yet") {
		t.Errorf("LoadBalancer pending: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "service-lb-pending", res.stdout)
}

// A user who may read services and EndpointSlices but not pods or events
// gets the checks it may run, and skips naming the permission for the rest.
func TestServiceRBACServicesOnly(t *testing.T) {
	app := map[string]string{"app": "web"}
	ns := "svc-rbac"
	shop(t, ns, app, intstr.FromString("http"), []testenv.Pod{readyPod("web-1", "10.244.7.11", app)}, true)
	c := ctx(t)
	must[*rbacv1.Role](t)(env.Client.RbacV1().Roles(ns).Create(c, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "services-only"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list"}},
		},
	}, metav1.CreateOptions{}))
	must[*rbacv1.RoleBinding](t)(env.Client.RbacV1().RoleBindings(ns).Create(c, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "services-only"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "services-only"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "svc-reader"}},
	}, metav1.CreateOptions{}))
	kubeconfig := must[string](t)(env.UserKubeconfig("svc-reader"))

	res := runAs(t, kubeconfig, "service", "web", "-n", ns)
	if res.code != 0 {
		t.Fatalf("exit code %d, want 0 (nothing failed, some steps skipped)\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "service-rbac", res.stdout)
	r := decode(t, runAs(t, kubeconfig, "service", "web", "-n", ns, "-o", "json").stdout)
	sel := checkByCode(t, r, "SVC003")
	if sel.Status != report.Skip || sel.Forbidden == nil || sel.Forbidden.Verb != "list" || sel.Forbidden.Resource != "pods" || sel.Forbidden.Namespace != ns {
		t.Errorf("SVC003 = %+v, want skip naming list pods", sel)
	}
	if eps := checkByCode(t, r, "SVC006"); eps.Status != report.Pass {
		t.Errorf("SVC006 = %s %s, want pass (endpointslices are readable)", eps.Status, eps.Message)
	}

	// Without even services, nothing can be judged: exit 2.
	nobody := must[string](t)(env.UserKubeconfig("nobody"))
	res = runAs(t, nobody, "service", "web", "-n", ns)
	if res.code != 2 || !strings.Contains(res.stdout, "not allowed to get services in namespace svc-rbac") {
		t.Errorf("no access: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

func TestServiceYAMLAndColour(t *testing.T) {
	app := map[string]string{"app": "web"}
	shop(t, "svc-output", app, intstr.FromString("http"), []testenv.Pod{readyPod("web-1", "10.244.8.11", app)}, true)
	res := run(t, "service", "web", "-n", "svc-output", "-o", "yaml")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "apiVersion: netdebug.io/v1alpha2\n") || strings.Contains(res.stdout, "\x1b[") {
		t.Errorf("yaml: exit %d\n%s", res.code, res.stdout)
	}
	res = run(t, "service", "web", "-n", "svc-output", "--color", "always")
	if !strings.Contains(res.stdout, "\x1b[") {
		t.Errorf("--color always printed no colour:\n%s", res.stdout)
	}
	res = run(t, "service", "web", "-n", "svc-output", "--color", "always", "-o", "json")
	if strings.Contains(res.stdout, "\x1b[") {
		t.Errorf("colour in JSON:\n%s", res.stdout)
	}
	res = run(t, "service", "web", "-n", "svc-output")
	if strings.Contains(res.stdout, "\x1b[") {
		t.Errorf("colour when not on a terminal:\n%s", res.stdout)
	}
}

func TestUnreachableAPIServer(t *testing.T) {
	res := run(t, "service", "web", "--server", "https://127.0.0.1:1", "--request-timeout", "5s")
	if res.code != 2 {
		t.Errorf("exit code %d, want 2", res.code)
	}
	if !strings.HasPrefix(res.stderr, "error: cannot reach the API server at https://127.0.0.1:1") || strings.Count(res.stderr, "\n") != 1 {
		t.Errorf("stderr = %q, want one line naming the API server", res.stderr)
	}
	if res.stdout != "" {
		t.Errorf("stdout = %q, want nothing", res.stdout)
	}
}

func TestBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"service"},
		{"service", "Not_A_Name"},
		{"service", "web", "-o", "xml"},
		{"service", "web", "--color", "sometimes"},
		{"service", "web", "--no-such-flag"},
	} {
		res := run(t, args...)
		if res.code != 2 || !strings.HasPrefix(res.stderr, "error: ") || strings.Count(res.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one error line", args, res.code, res.stderr)
		}
	}
}
