package mesh

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Every node probes k distinct others (never itself), every node is
// probed by exactly k, and the choice does not change between runs.
func TestPeers(t *testing.T) {
	for _, tc := range []struct{ n, k int }{{2, 8}, {9, 8}, {10, 8}, {100, 8}, {1000, 8}, {1000, 3}, {17, 16}} {
		probedBy := make([]int, tc.n)
		for i := 0; i < tc.n; i++ {
			peers := Peers(i, tc.n, tc.k, false)
			want := min(tc.k, tc.n-1)
			seen := map[int]bool{}
			for _, p := range peers {
				if p == i || seen[p] || p < 0 || p >= tc.n {
					t.Fatalf("n=%d k=%d node %d: bad peers %v", tc.n, tc.k, i, peers)
				}
				seen[p] = true
				probedBy[p]++
			}
			if len(peers) != want {
				t.Fatalf("n=%d k=%d node %d: %d peers, want %d", tc.n, tc.k, i, len(peers), want)
			}
			if fmt.Sprint(peers) != fmt.Sprint(Peers(i, tc.n, tc.k, false)) {
				t.Fatalf("not deterministic")
			}
		}
		for j, c := range probedBy {
			if c != min(tc.k, tc.n-1) {
				t.Fatalf("n=%d k=%d: node %d probed by %d", tc.n, tc.k, j, c)
			}
		}
	}
	if got := len(Peers(3, 50, 8, true)); got != 49 {
		t.Errorf("--full: %d peers", got)
	}
}

// fakeCluster is a fake clientset with n Ready nodes whose pods "start" at
// creation: the simulated network gives them IPs.
func fakeCluster(t *testing.T, n int, sim *simNet, mutate func(*corev1.Node)) kube.Clients {
	t.Helper()
	var objs []runtime.Object
	for i := 1; i <= n; i++ {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%02d", i)},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
		if mutate != nil {
			mutate(node)
		}
		objs = append(objs, node)
	}
	cs := fake.NewClientset(objs...)
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		pod.Status.Phase = corev1.PodRunning
		pod.Status.PodIP = sim.start(pod.Name, pod.Spec.NodeName)
		return false, nil, nil
	})
	// the fake tracker does not delete collections: do it by the selector
	cs.PrependReactor("delete-collection", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		dc := a.(k8stesting.DeleteCollectionAction)
		list, err := cs.Tracker().List(corev1.SchemeGroupVersion.WithResource("pods"), corev1.SchemeGroupVersion.WithKind("Pod"), dc.GetNamespace())
		if err != nil {
			return true, nil, err
		}
		for _, p := range list.(*corev1.PodList).Items {
			if dc.GetListRestrictions().Labels.Matches(labels.Set(p.Labels)) {
				if err := cs.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), p.Namespace, p.Name); err != nil {
					return true, nil, err
				}
			}
		}
		return true, nil, nil
	})
	return kube.Clients{Typed: cs}
}

func diagnose(t *testing.T, n int, sim *simNet, req Request) *report.Report {
	t.Helper()
	c := fakeCluster(t, n, sim, nil)
	req.Fleet.Namespace, req.Fleet.Image, req.Fleet.Runner, req.Fleet.Concurrency = "netdebug", "tools", sim.runner, 8
	req.Fleet.StartTimeout = 5 * time.Second
	rep, err := Diagnose(context.Background(), c, req)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := c.Typed.CoreV1().Pods("netdebug").List(context.Background(), metav1.ListOptions{})
	if len(left.Items) != 0 {
		t.Errorf("%d probe pods left behind", len(left.Items))
	}
	return rep
}

func check(t *testing.T, r *report.Report, code string) report.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Code == code {
			return c
		}
	}
	t.Fatalf("no %s in %+v", code, r.Checks)
	return report.Check{}
}

func TestMesh(t *testing.T) {
	t.Run("healthy", func(t *testing.T) {
		r := diagnose(t, 4, newSimNet(), Request{})
		if r.Verdict.Outcome != report.OK {
			t.Fatalf("verdict %s %q", r.Verdict.Outcome, r.Verdict.Message)
		}
		if c := check(t, r, "MESH003"); !strings.Contains(c.Message, "all 12 pairs reach each other") {
			t.Errorf("MESH003 %q", c.Message)
		}
		if c := check(t, r, "MESH004"); c.Status != report.Pass {
			t.Errorf("MESH004 %s %q", c.Status, c.Message)
		}
	})
	t.Run("a node cut off", func(t *testing.T) {
		sim := newSimNet()
		for _, o := range []string{"node-01", "node-02", "node-04"} {
			sim.down[o+">node-03"], sim.down["node-03>"+o] = true, true
		}
		r := diagnose(t, 4, sim, Request{})
		c := check(t, r, "MESH003")
		if c.Status != report.Fail || !strings.Contains(c.Message, "6 of 12 pairs fail; cut off: node-03 (reached by none of 3 peers, reaches none of 3)") {
			t.Errorf("MESH003 %s %q", c.Status, c.Message)
		}
		if r.Verdict.Code != "MESH003" {
			t.Errorf("verdict %s %q", r.Verdict.Code, r.Verdict.Message)
		}
	})
	t.Run("MTU to one node", func(t *testing.T) {
		sim := newSimNet()
		for _, o := range []string{"node-01", "node-02"} {
			sim.mtu[o+">node-03"], sim.mtu["node-03>"+o] = 1200, 1200
		}
		r := diagnose(t, 3, sim, Request{})
		c := check(t, r, "MESH004")
		if c.Status != report.Fail || !strings.Contains(c.Message, "large packets are lost on 4 of 6 pairs, small ones pass: an MTU mismatch on the path to and from node node-03") || !strings.Contains(c.Message, "passes up to about 1") {
			t.Errorf("MESH004 %s %q", c.Status, c.Message)
		}
		if c := check(t, r, "MESH003"); c.Status != report.Pass {
			t.Errorf("MESH003 %s %q", c.Status, c.Message)
		}
	})
	t.Run("DNS fails on one node", func(t *testing.T) {
		sim := newSimNet()
		sim.noDNS["node-02"] = true
		r := diagnose(t, 3, sim, Request{})
		if c := check(t, r, "MESH005"); c.Status != report.Fail || !strings.Contains(c.Message, "DNS fails from 1 of 3 nodes while the others resolve") || !strings.Contains(c.Message, "node-02") {
			t.Errorf("MESH005 %s %q", c.Status, c.Message)
		}
	})
	t.Run("sampled", func(t *testing.T) {
		sim := newSimNet()
		r := diagnose(t, 20, sim, Request{Peers: 3, SkipMTU: true, SkipDNS: true})
		if c := check(t, r, "MESH001"); !strings.Contains(c.Message, "20 nodes, each probing 3 peers") {
			t.Errorf("MESH001 %q", c.Message)
		}
		// detect + 2 probes per pair: constant per node whatever the cluster size
		if want := 20 + 20*3*2; sim.execs != want {
			t.Errorf("%d execs, want %d", sim.execs, want)
		}
	})
}

// Tainted and not-Ready nodes are left out (and said so) unless taints are
// tolerated.
func TestSelectNodes(t *testing.T) {
	sim := newSimNet()
	c := fakeCluster(t, 4, sim, func(n *corev1.Node) {
		switch n.Name {
		case "node-02":
			n.Spec.Taints = []corev1.Taint{{Key: "gpu", Effect: corev1.TaintEffectNoSchedule}}
		case "node-03":
			n.Status.Conditions[0].Status = corev1.ConditionFalse
		}
	})
	sel, out, err := selectNodes(context.Background(), c, Request{})
	if err != nil || len(sel) != 2 || strings.Join(out, ", ") != "node-02 (tainted: --tolerate-taints), node-03 (not Ready)" {
		t.Errorf("selected %d, left out %q, %v", len(sel), out, err)
	}
	sel, _, _ = selectNodes(context.Background(), c, Request{Fleet: probe.FleetSettings{Tolerate: true}, Nodes: []string{"node-02", "node-09"}})
	if len(sel) != 1 || sel[0].Name != "node-02" {
		t.Errorf("--node with --tolerate-taints: %v", sel)
	}
}

// cancelling runner cancels the run at its first probe, as Ctrl-C would.
type cancelling struct {
	probe.Runner
	cancel context.CancelFunc
}

func (c cancelling) Run(ctx context.Context, argv []string) (probe.Output, error) {
	c.cancel()
	return c.Runner.Run(ctx, argv)
}

// An interrupted run deletes its probe pods before it returns.
func TestMeshInterrupted(t *testing.T) {
	sim := newSimNet()
	c := fakeCluster(t, 3, sim, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := Request{Fleet: probe.FleetSettings{Namespace: "netdebug", Image: "tools", Concurrency: 2, StartTimeout: 5 * time.Second,
		Runner: func(ns, pod string) probe.Runner { return cancelling{sim.runner(ns, pod), cancel} }}}
	if _, err := Diagnose(ctx, c, req); err == nil {
		t.Fatal("no error from an interrupted run")
	}
	left, _ := c.Typed.CoreV1().Pods("netdebug").List(context.Background(), metav1.ListOptions{})
	if len(left.Items) != 0 {
		t.Errorf("%d probe pods left behind", len(left.Items))
	}
}

// mesh cleanup deletes the pods of killed runs (mesh probe pods and node
// debug pods), in one namespace or all, and nothing else.
func TestCleanup(t *testing.T) {
	pod := func(ns, name string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
	}
	cs := fake.NewClientset(
		pod("a", "netdebug-mesh-abc-0", map[string]string{probe.LabelMesh: "abc"}),
		pod("b", "netdebug-node-x1", map[string]string{probe.LabelNodeDebug: "true"}),
		pod("a", "web", map[string]string{"app": "web"}),
	)
	c := kube.Clients{Typed: cs}
	r, err := Cleanup(context.Background(), c, "a")
	if err != nil || !strings.Contains(check(t, r, "MESH006").Message, "deleted 1 leftover probe pod(s): a/netdebug-mesh-abc-0") {
		t.Fatalf("-n a: %v %+v", err, r.Checks)
	}
	r, _ = Cleanup(context.Background(), c, "")
	if msg := check(t, r, "MESH006").Message; !strings.Contains(msg, "deleted 1 leftover probe pod(s): b/netdebug-node-x1") {
		t.Errorf("-A: %q", msg)
	}
	left, _ := cs.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{})
	if len(left.Items) != 1 || left.Items[0].Name != "web" {
		t.Errorf("left: %+v", left.Items)
	}
	if r, _ := Cleanup(context.Background(), c, ""); !strings.Contains(check(t, r, "MESH006").Message, "no leftover probe pod in all namespaces") {
		t.Errorf("nothing left: %+v", r.Checks)
	}
}
