package netpol

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

func TestNetpolParsePort(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string
		wantErr string
	}{
		{"80", "TCP 80", ""},
		{"53/udp", "UDP 53", ""},
		{"53/UDP", "UDP 53", ""},
		{"http", `TCP port "http"`, ""},
		{"metrics/sctp", `SCTP port "metrics"`, ""},
		{"0", "", "out of range"},
		{"65536", "", "out of range"},
		{"80/icmp", "", "use TCP, UDP or SCTP"},
		{"Not_A_Name", "", "container port name"},
		{"waytoolongportname", "", "container port name"},
		{"", "", "container port name"},
	} {
		p, err := ParsePort(tc.in, corev1.ProtocolTCP)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case p.String() != tc.want:
			t.Errorf("%q = %s, want %s", tc.in, p, tc.want)
		}
	}
	if p, err := ParsePort("80", corev1.ProtocolUDP); err != nil || p.Protocol != corev1.ProtocolUDP {
		t.Errorf("default protocol not applied: %+v %v", p, err)
	}
}

func TestNetpolParseIP(t *testing.T) {
	for in, ok := range map[string]bool{"10.0.0.1": true, "2001:db8::1": true, "::ffff:10.0.0.1": true, "fe80::1%eth0": false, "web": false, "10.0.0.0/8": false} {
		if _, got := ParseIP(in); got != ok {
			t.Errorf("ParseIP(%q) ok = %v", in, got)
		}
	}
	if ip, _ := ParseIP("::ffff:10.0.0.1"); ip.String() != "10.0.0.1" {
		t.Errorf("mapped address not unmapped: %s", ip)
	}
}

func TestNetpolFormatTTL(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m", 2 * time.Second: "2s", time.Hour: "1h", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s"} {
		if got := FormatTTL(d); got != want {
			t.Errorf("FormatTTL(%s) = %s, want %s", d, got, want)
		}
	}
}

func TestNetpolAllowAllName(t *testing.T) {
	if got := AllowAllName("web-1"); got != "netdebug-allow-all-web-1" {
		t.Errorf("name = %s", got)
	}
	long := strings.Repeat("a", 230) + "-" + strings.Repeat("b", 22)
	got := AllowAllName(long)
	if len(got) > 253 || strings.HasSuffix(got, "-") || !strings.HasPrefix(got, "netdebug-allow-all-") {
		t.Errorf("long name %q (%d)", got, len(got))
	}
}

func TestNetpolAllowAllPolicy(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop", Labels: map[string]string{"app": "api", "pod-template-hash": "abc"}}}
	np := AllowAllPolicy(pod, time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)))
	if np.Annotations[AnnotationExpiresAt] != "2026-01-02T02:04:05Z" || np.Labels[LabelManagedBy] != ManagedBy {
		t.Errorf("metadata = %+v", np.ObjectMeta)
	}
	// The engine agrees: everything in and out of the pod is allowed.
	other := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "else", Labels: map[string]string{"app": "x"}}}
	deny := networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny", Namespace: "shop"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}}}
	e := policy.New(policy.Snapshot{Pods: []corev1.Pod{*pod, other}, NetworkPolicies: []networkingv1.NetworkPolicy{deny, *np}})
	for _, f := range []policy.Flow{
		{Src: policy.PodEndpoint("else", "x"), Dst: policy.PodEndpoint("shop", "api"), Port: intstr.FromInt32(1)},
		{Src: policy.PodEndpoint("shop", "api"), Dst: policy.PodEndpoint("else", "x"), Protocol: corev1.ProtocolUDP, Port: intstr.FromInt32(53)},
	} {
		if r := e.Decide(f); r != policy.Allowed {
			t.Errorf("%s -> %s with the allow-all policy: %s", f.Src, f.Dst, r)
		}
	}
}

func TestNetpolCellChar(t *testing.T) {
	for f, want := range map[uint8]byte{0: '-', cellAllowed: '.', cellDenied: 'X', cellAllowed | cellDenied: '~', cellAllowed | cellUndecided: '?', cellUndecided: '?'} {
		if got := cellChar(f); got != want {
			t.Errorf("cellChar(%b) = %c, want %c", f, got, want)
		}
	}
}

func TestNetpolMatrixTextNumbersColumns(t *testing.T) {
	// p12 admits everyone but p01; port 80 is checked on every
	// destination but p01, whose column says nothing was checked.
	var s policy.Snapshot
	var pods []policy.PodRef
	for i := range 12 {
		name := fmt.Sprintf("p%02d", i+1)
		pods = append(pods, policy.PodRef{Namespace: "ns", Name: name})
		s.Pods = append(s.Pods, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{"name": name}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: fmt.Sprintf("10.0.0.%d", i+1)}})
	}
	s.NetworkPolicies = []networkingv1.NetworkPolicy{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "not-p01"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"name": "p12"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"p01"}}}}}}}}}}}
	e := policy.New(s)
	mp := newMatrixPort(Port{Port: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}, len(pods))
	for d := 1; d < len(pods); d++ {
		mp.apply(d, 80)
	}
	var err error
	if mp.m, err = e.MatrixContext(context.Background(), pods, mp.Protocol, mp.Port.Port, mp.applies); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	bw := bufio.NewWriter(&b)
	if err := matrixText(context.Background(), bw, pods, []matrixPort{mp}, false); err != nil || bw.Flush() != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	want := []string{
		"Reachability (rows: from, columns: to, numbered as the rows): TCP 80",
		"                      1 11",
		"             1234567890 12",
		"   1 ns/p01  -......... .X",
		"   2 ns/p02  -......... ..",
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d:\n got %q\nwant %q", i, lines[i], w)
		}
	}
	if lines[14] != "  12 ns/p12  -......... .." {
		t.Errorf("last row = %q", lines[14])
	}
}

// shopSnapshot: api (http 8080) open to frontend only; webapp is refused.
func shopSnapshot() policy.Snapshot {
	tcp := corev1.ProtocolTCP
	http := intstr.FromString("http")
	pod := func(name, ip string, ports ...corev1.ContainerPort) corev1.Pod {
		return corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": name}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: ports}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}},
		}
	}
	return policy.Snapshot{
		Namespaces: []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}},
		Pods: []corev1.Pod{
			pod("api", "10.0.0.1", corev1.ContainerPort{Name: "http", ContainerPort: 8080}),
			pod("frontend", "10.0.0.2"),
			pod("webapp", "10.0.0.3"),
		},
		NetworkPolicies: []networkingv1.NetworkPolicy{{
			ObjectMeta: metav1.ObjectMeta{Name: "allow-frontend", Namespace: "shop"},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "frontend"}}}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &http}},
				}},
			},
		}},
	}
}

// The JSON rows agree with Evaluate on every flow.
func TestNetpolMatrixCellsAgreeWithEvaluate(t *testing.T) {
	w := NewWorld(shopSnapshot())
	w.AllPods = true
	for _, ports := range [][]Port{nil, {{Port: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}}, {{Port: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}} {
		res, err := Matrix(context.Background(), w, MatrixRequest{Ports: ports})
		if err != nil {
			t.Fatal(err)
		}
		_, cells := decodeMatrix(t, checkOf(t, res, "NP008").Data)
		wantCells := 3 // only api declares a port (or has the named one)
		if len(ports) == 1 && ports[0].Port.Type == intstr.Int {
			wantCells = 9
		}
		if len(cells) != wantCells {
			t.Fatalf("ports %v: %d cells, want %d: %+v", ports, len(cells), wantCells, cells)
		}
		for _, c := range cells {
			src, _ := strings.CutPrefix(c.From, "shop/")
			dst, _ := strings.CutPrefix(c.To, "shop/")
			v := w.Engine.Evaluate(policy.Flow{Src: policy.PodEndpoint("shop", src), Dst: policy.PodEndpoint("shop", dst), Port: intstr.FromInt32(c.Port)})
			if v.Result != c.Result || c.Protocol != "TCP" || c.Port != 8080 {
				t.Errorf("cell %+v, Evaluate says %s", c, v.Result)
			}
		}
	}
}

func checkOf(t *testing.T, r *report.Report, code string) report.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Code == code {
			return c
		}
	}
	t.Fatalf("no %s in %+v", code, r.Checks)
	return report.Check{}
}

func TestNetpolFlowExplainsAndExits(t *testing.T) {
	w := NewWorld(shopSnapshot())
	w.Files = []string{"x.yaml"}
	res, err := Flow(w, FlowRequest{Src: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "webapp"}}, Dst: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "api"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := res
	if r.Verdict.Outcome != report.Problems || r.Verdict.Code != "NP005" {
		t.Errorf("verdict = %+v", r.Verdict)
	}
	in := checkOf(t, r, "NP007")
	if in.Status != report.Fail || in.Facts[1].Name != "closest miss" ||
		in.Facts[1].Value != "rule 1 of shop/allow-frontend: podSelector app=frontend does not match pod shop/webapp labels app=webapp" {
		t.Errorf("NP007 = %+v", in)
	}
	// No port declared by the destination, none given: a clear error.
	_, err = Flow(w, FlowRequest{Src: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "api"}}, Dst: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "webapp"}}})
	if err == nil || !strings.Contains(err.Error(), "pass --port") {
		t.Errorf("no declared port: %v", err)
	}
	// A named port the destination does not declare: undecided, exit 2.
	res, _ = Flow(w, FlowRequest{Src: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "api"}}, Dst: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "webapp"}},
		Ports: []Port{{Port: intstr.FromString("grpc"), Protocol: corev1.ProtocolTCP}}})
	if res.Verdict.Outcome != report.Incomplete || !strings.Contains(res.Verdict.Message, `declares no TCP port named "grpc"`) {
		t.Errorf("undecided verdict = %+v", res.Verdict)
	}
}

func TestNetpolWhatIfDoesNotModifyTheWorld(t *testing.T) {
	s := shopSnapshot()
	w := NewWorld(s)
	replaced := s.NetworkPolicies[0]
	replaced.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{}}
	added := networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "new", Namespace: "shop"}}
	after, actions := w.withPolicies(&WhatIf{Policies: policy.Snapshot{NetworkPolicies: []networkingv1.NetworkPolicy{replaced, added}}})
	if strings.Join(actions, "; ") != "replaces NetworkPolicy shop/allow-frontend; adds NetworkPolicy shop/new" {
		t.Errorf("actions = %v", actions)
	}
	if len(w.Snapshot.NetworkPolicies) != 1 || len(w.Snapshot.NetworkPolicies[0].Spec.Ingress[0].From) != 1 {
		t.Errorf("the world's snapshot was modified: %+v", w.Snapshot.NetworkPolicies)
	}
	f := policy.Flow{Src: policy.PodEndpoint("shop", "webapp"), Dst: policy.PodEndpoint("shop", "api"), Port: intstr.FromInt32(8080)}
	if w.Engine.Decide(f) != policy.Denied || after.Decide(f) != policy.Allowed {
		t.Errorf("before %s, after %s", w.Engine.Decide(f), after.Decide(f))
	}
}

func TestNetpolLocalAssumedNamespaceWarns(t *testing.T) {
	res, err := manifest.LoadBytes("m.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: undeclared}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: undeclared}\n"), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := FromManifests([]string{"m.yaml"}, res)
	if !w.assumedNamespace("undeclared") || w.assumedNamespace("default") {
		t.Fatalf("assumed namespaces not recognised from %v", w.Warnings)
	}
	r, err := Flow(w, FlowRequest{Src: Arg{Pod: policy.PodRef{Namespace: "undeclared", Name: "a"}}, Dst: Arg{Pod: policy.PodRef{Namespace: "undeclared", Name: "b"}}, Ports: []Port{{Port: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}}})
	if err != nil {
		t.Fatal(err)
	}
	if c := checkOf(t, r, "NP001"); c.Status != report.Warn {
		t.Errorf("NP001 = %s", c.Status)
	}
	if c := checkOf(t, r, "NP002"); c.Status != report.Warn {
		t.Errorf("NP002 = %s", c.Status)
	}
}

// fakeCluster has the shop, with flannel as the network plugin. Pod lists
// honour the status.podIP field selector as the API server does (the fake
// ignores field selectors).
func fakeCluster(t *testing.T, objs ...runtime.Object) (*fake.Clientset, *int) {
	t.Helper()
	s := shopSnapshot()
	for i := range s.Pods {
		objs = append(objs, &s.Pods[i])
	}
	objs = append(objs, &s.Namespaces[0], &s.NetworkPolicies[0])
	client := fake.NewClientset(objs...)
	lists := new(int)
	client.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		*lists++
		fs := a.(k8stesting.ListAction).GetListRestrictions().Fields
		ip, ok := fs.RequiresExactMatch("status.podIP")
		if !ok {
			return false, nil, nil
		}
		all, err := client.Tracker().List(schema.GroupVersionResource{Version: "v1", Resource: "pods"}, schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, "")
		if err != nil {
			return true, nil, err
		}
		out := &corev1.PodList{}
		for _, p := range all.(*corev1.PodList).Items {
			if primaryIP(p) == ip {
				out.Items = append(out.Items, p)
			}
		}
		return true, out, nil
	})
	return client, lists
}

func primaryIP(p corev1.Pod) string {
	if len(p.Status.PodIPs) > 0 {
		return p.Status.PodIPs[0].IP
	}
	return ""
}

func TestNetpolGatherFlannelSaysVerdictsAreTheory(t *testing.T) {
	client, _ := fakeCluster(t, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "kube-flannel-ds", Namespace: "kube-flannel"}})
	dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
	w, err := Gather(context.Background(), client, dyn, GatherRequest{Pods: []policy.PodRef{{Namespace: "shop", Name: "frontend"}, {Namespace: "shop", Name: "api"}}})
	if err != nil || w.ReadErr != nil {
		t.Fatal(err, w.ReadErr)
	}
	// Two pods, discovery (groups, then their resources), DaemonSets,
	// namespaces, the shop's policies.
	var reqs []string
	for _, a := range client.Actions() {
		reqs = append(reqs, a.GetVerb()+" "+a.GetResource().Resource)
	}
	if len(reqs) != 7 {
		t.Errorf("%d requests: %v", len(reqs), reqs)
	}
	res, err := Flow(w, FlowRequest{Src: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "frontend"}}, Dst: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "api"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := res
	if r.Checks[0].Code != "CNI004" || r.Checks[0].Status != report.Fail || r.Verdict.Code != "CNI004" || !strings.Contains(r.Verdict.Message, "theory") {
		t.Errorf("first check %+v, verdict %+v", r.Checks[0], r.Verdict)
	}
	if c := checkOf(t, r, "NP005"); c.Status != report.Pass {
		t.Errorf("NP005 = %s %s", c.Status, c.Message)
	}
}

func TestNetpolGatherIPs(t *testing.T) {
	dual := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "dual", Namespace: "shop", Labels: map[string]string{"app": "dual"}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.9", PodIPs: []corev1.PodIP{{IP: "10.0.0.9"}, {IP: "fd00::9"}}}}
	client, lists := fakeCluster(t, dual)
	ctx := context.Background()

	// The primary IP of a pod: found by field selector, one list.
	w, err := Gather(ctx, client, nil, GatherRequest{Pods: []policy.PodRef{{Namespace: "shop", Name: "api"}}, IPs: []netip.Addr{netip.MustParseAddr("10.0.0.2")}})
	if err != nil || w.ReadErr != nil {
		t.Fatal(err, w.ReadErr)
	}
	if got := w.IPOwners[netip.MustParseAddr("10.0.0.2")]; len(got) != 1 || got[0].Name != "frontend" || *lists != 1 {
		t.Errorf("owners %v after %d lists", got, *lists)
	}
	// Single stack, an IP no pod has: no further list.
	*lists = 0
	w, _ = Gather(ctx, client, nil, GatherRequest{Pods: []policy.PodRef{{Namespace: "shop", Name: "api"}}, IPs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}})
	if len(w.IPOwners[netip.MustParseAddr("192.0.2.1")]) != 0 || *lists != 1 {
		t.Errorf("external IP: owners %v after %d lists", w.IPOwners, *lists)
	}
	// Dual stack: the second IP of a pod is only found by listing all pods.
	*lists = 0
	ip6 := netip.MustParseAddr("fd00::9")
	w, _ = Gather(ctx, client, nil, GatherRequest{Pods: []policy.PodRef{{Namespace: "shop", Name: "dual"}}, IPs: []netip.Addr{ip6}})
	if got := w.IPOwners[ip6]; len(got) != 1 || got[0].Name != "dual" || *lists != 2 {
		t.Errorf("secondary IP: owners %v after %d lists", got, *lists)
	}
	v := w.Engine.Evaluate(policy.Flow{Src: policy.IPEndpoint(ip6), Dst: policy.PodEndpoint("shop", "dual"), Port: intstr.FromInt32(80)})
	if v.Egress.Pod.Name != "dual" {
		t.Errorf("the secondary IP is not judged as its pod: %+v", v.Egress)
	}
	// Two IPs and no pod: dual stack cannot be ruled out.
	*lists = 0
	w, _ = Gather(ctx, client, nil, GatherRequest{IPs: []netip.Addr{ip6, netip.MustParseAddr("192.0.2.1")}})
	if got := w.IPOwners[ip6]; len(got) != 1 || got[0].Name != "dual" || *lists != 3 {
		t.Errorf("two IPs: owners %v after %d lists", w.IPOwners, *lists)
	}
	// Listing pods forbidden: no verdict, the permission named.
	client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", fmt.Errorf("no"))
	})
	w, err = Gather(ctx, client, nil, GatherRequest{IPs: []netip.Addr{netip.MustParseAddr("10.0.0.2")}})
	if err != nil || w.ReadErr == nil || !strings.Contains(w.ReadErr.Error(), "list pods (cluster-wide)") {
		t.Errorf("forbidden IP lookup: %v %v", err, w.ReadErr)
	}
}

// Without the AdminNetworkPolicy API, a user who may not list
// adminnetworkpolicies still gets a verdict (RBAC answers 403 before 404).
func TestNetpolGatherWithoutAdminAPI(t *testing.T) {
	client, _ := fakeCluster(t)
	anpGVR := schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "adminnetworkpolicies"}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{anpGVR: "AdminNetworkPolicyList"})
	dyn.PrependReactor("list", "adminnetworkpolicies", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(anpGVR.GroupResource(), "", fmt.Errorf("no"))
	})
	w, err := Gather(context.Background(), client, dyn, GatherRequest{Pods: []policy.PodRef{{Namespace: "shop", Name: "api"}}})
	if err != nil || w.ReadErr != nil || w.AdminAPI {
		t.Fatalf("without the admin API: %v %v %v", err, w.ReadErr, w.AdminAPI)
	}
	// With the API served, the forbidden read makes the verdict unsound.
	client.Resources = []*metav1.APIResourceList{{GroupVersion: adminGroupVersion, APIResources: []metav1.APIResource{{Name: "adminnetworkpolicies"}}}}
	w, err = Gather(context.Background(), client, dyn, GatherRequest{Pods: []policy.PodRef{{Namespace: "shop", Name: "api"}}})
	if err != nil || w.ReadErr == nil || !strings.Contains(w.ReadErr.Error(), "adminnetworkpolicies") {
		t.Fatalf("with the admin API: %v %v", err, w.ReadErr)
	}
	res := Describe(w, policy.PodRef{Namespace: "shop", Name: "api"})
	if res.Verdict.Outcome != report.Incomplete || checkOf(t, res, "NP002").Forbidden == nil {
		t.Errorf("report = %+v", res)
	}
}
