package scan

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func svc(ns, name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10", Selector: selector,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}}},
	}
}

func pod(ns, name, ip string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
}

func slice(ns, svcName, ip string) *discoveryv1.EndpointSlice {
	ready := true
	port := "http"
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: svcName + "-x", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &port}},
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
	}
}

func ing(ns, name, class, backend string) *networkingv1.Ingress {
	pt := networkingv1.PathTypePrefix
	i := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "shop.example", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pt, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: backend, Port: networkingv1.ServiceBackendPort{Number: 80}}}}},
		}}}}},
	}
	if class != "" {
		i.Spec.IngressClassName = &class
	}
	return i
}

// cluster: three broken services (two selectors matching nothing, one
// without endpoints), one good one, an ingress without class, one whose
// backend is missing, and a policy selecting nothing.
func cluster() []runtime.Object {
	return []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "blog"}},
		&networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx"}, Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}},
		pod("shop", "web-1", "10.244.0.5", map[string]string{"app": "web-frontend"}),
		pod("shop", "api-1", "10.244.0.6", map[string]string{"app": "api"}),
		pod("shop", "db-1", "10.244.0.7", map[string]string{"app": "db"}),
		svc("shop", "web", map[string]string{"app": "web"}),
		svc("blog", "blog", map[string]string{"app": "blog"}),
		svc("shop", "api", map[string]string{"app": "api"}),
		slice("shop", "api", "10.244.0.6"),
		svc("shop", "db", map[string]string{"app": "db"}),
		ing("shop", "front", "", "api"),
		ing("shop", "typo", "nginx", "apii"),
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: "shop"},
			Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "cache"}}}},
	}
}

func run(t *testing.T, client *fake.Clientset, ns string) *report.Report {
	t.Helper()
	r, err := Diagnose(context.Background(), kube.Clients{Typed: client}, Request{Namespace: ns, MaxFindings: 1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func find(t *testing.T, r *report.Report, code string) report.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Code == code {
			return c
		}
	}
	t.Fatalf("no %s in %+v", code, r.Checks)
	return report.Check{}
}

func TestScanCountsPerCode(t *testing.T) {
	r := run(t, fake.NewClientset(cluster()...), "")
	if r.Verdict.Outcome != report.Problems {
		t.Fatalf("verdict %+v", r.Verdict)
	}
	for code, want := range map[string]struct {
		status       report.Status
		total, shown int
	}{
		"SVC003": {report.Fail, 2, 1}, // web (near miss) and blog (no pods)
		"SVC006": {report.Fail, 3, 1}, // web, blog, db have no endpoints
		"ING002": {report.Fail, 1, 1},
		"ING008": {report.Fail, 1, 1},
		"NP010":  {report.Warn, 1, 1},
		"SVC005": {report.Pass, 0, 0},
	} {
		c := find(t, r, code)
		d, ok := c.Data.(CodeData)
		if c.Status != want.status || !ok || d.Total != want.total || d.Shown != want.shown {
			t.Errorf("%s: status %s data %+v, want %+v (%s)", code, c.Status, c.Data, want, c.Message)
		}
	}
	c := find(t, r, "SVC003")
	if d := c.Data.(CodeData); d.Findings[0].Object.Kind != "Service" || d.Findings[0].Code != "SVC003" {
		t.Errorf("finding %+v", d.Findings[0])
	}
	if c := find(t, r, "SCAN001"); c.Status != report.Pass {
		t.Errorf("inventory %+v", c)
	}
}

func TestScanRanksWorstFirst(t *testing.T) {
	r := run(t, fake.NewClientset(cluster()...), "")
	for i := 1; i < len(r.Checks); i++ {
		a, b := r.Checks[i-1], r.Checks[i]
		if b.Status.Worse(a.Status) {
			t.Errorf("%s (%s) ranked before %s (%s)", a.Code, a.Status, b.Code, b.Status)
		}
		if a.Status == b.Status && total(a) < total(b) {
			t.Errorf("%s (%d findings) ranked before %s (%d)", a.Code, total(a), b.Code, total(b))
		}
	}
	// Three services without endpoints outrank two selectors.
	if r.Checks[0].Code != "SVC006" || r.Verdict.Code != "SVC006" {
		t.Errorf("first %s, verdict %+v", r.Checks[0].Code, r.Verdict)
	}
}

func TestScanNamespaceScope(t *testing.T) {
	r := run(t, fake.NewClientset(cluster()...), "blog")
	if d := find(t, r, "SVC003").Data.(CodeData); d.Total != 1 || d.Findings[0].Object.Namespace != "blog" {
		t.Errorf("SVC003 in blog: %+v", d)
	}
	if c := find(t, r, "ING002"); c.Status != report.Skip {
		t.Errorf("no ingress in blog: %+v", c)
	}
}

func TestScanForbiddenListBecomesSkip(t *testing.T) {
	client := fake.NewClientset(cluster()...)
	client.PrependReactor("list", "networkpolicies", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "networking.k8s.io", Resource: "networkpolicies"}, "", nil)
	})
	r := run(t, client, "")
	c := find(t, r, "NP010")
	if c.Status != report.Skip || c.Forbidden == nil || c.Forbidden.Resource != "networkpolicies" || c.Forbidden.Verb != "list" {
		t.Errorf("NP010 %+v", c)
	}
	if c := find(t, r, "SCAN001"); c.Status != report.Skip || c.Forbidden == nil {
		t.Errorf("inventory %+v", c)
	}
	if r.Verdict.Outcome != report.Problems {
		t.Errorf("the rest still ran: %+v", r.Verdict)
	}
}

func TestRankOrder(t *testing.T) {
	list := []report.Check{
		{Code: "B", Status: report.Pass},
		{Code: "C", Status: report.Warn, Data: CodeData{Total: 5}},
		{Code: "D", Status: report.Fail, Data: CodeData{Total: 1}},
		{Code: "A", Status: report.Fail, Data: CodeData{Total: 1}},
		{Code: "E", Status: report.Fail, Data: CodeData{Total: 9}},
		{Code: "F", Status: report.Skip},
		{Code: "G", Status: report.Error, Data: CodeData{Total: 1}},
	}
	rank(list)
	var got string
	for _, c := range list {
		got += c.Code
	}
	if got != "EADGCFB" {
		t.Errorf("order %s", got)
	}
}

// With every namespace in scope, the admin policies the cluster serves are
// scanned too: a ClusterNetworkPolicy whose subject selects no pod is a
// finding; a forbidden list of them is a skip naming the permission.
func TestScanAdminPolicies(t *testing.T) {
	gvr := schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1beta1", Resource: "clusternetworkpolicies"}
	served := func(client *fake.Clientset) {
		client.Resources = []*metav1.APIResourceList{{GroupVersion: "policy.networking.k8s.io/v1beta1",
			APIResources: []metav1.APIResource{{Name: "clusternetworkpolicies", Kind: "ClusterNetworkPolicy", Verbs: []string{"list"}}}}}
	}
	ghost := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "policy.networking.k8s.io/v1beta1", "kind": "ClusterNetworkPolicy",
		"metadata": map[string]any{"name": "ghost"},
		"spec": map[string]any{"tier": "Admin", "priority": int64(5),
			"subject": map[string]any{"pods": map[string]any{"namespaceSelector": map[string]any{}, "podSelector": map[string]any{"matchLabels": map[string]any{"app": "nothing"}}}}}}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{gvr: "ClusterNetworkPolicyList"}, ghost)
	client := fake.NewClientset(cluster()...)
	served(client)
	r, err := Diagnose(context.Background(), kube.Clients{Typed: client, Dynamic: dyn}, Request{MaxFindings: 10, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	c := find(t, r, "NP010")
	found := false
	for _, f := range c.Data.(CodeData).Findings {
		found = found || (f.Object.Kind == "ClusterNetworkPolicy" && f.Object.Name == "ghost" && strings.Contains(f.Message, "selects no pod"))
	}
	if !found {
		t.Errorf("no finding for ClusterNetworkPolicy ghost: %+v", c)
	}

	dyn.PrependReactor("list", "clusternetworkpolicies", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(gvr.GroupResource(), "", nil)
	})
	r, err = Diagnose(context.Background(), kube.Clients{Typed: client, Dynamic: dyn}, Request{MaxFindings: 10, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	c = find(t, r, "NP010")
	skipped := false
	for _, f := range c.Facts {
		skipped = skipped || (f.Name == "skipped" && strings.Contains(f.Value, "clusternetworkpolicies"))
	}
	if !skipped {
		t.Errorf("forbidden admin policies not named: %+v", c)
	}
}
