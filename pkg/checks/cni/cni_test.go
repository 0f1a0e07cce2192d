package cni

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

func node(name string, ready bool, cidr string, extra ...corev1.NodeCondition) *corev1.Node {
	st := corev1.ConditionTrue
	if !ready {
		st = corev1.ConditionFalse
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.NodeSpec{PodCIDR: cidr},
		Status:     corev1.NodeStatus{Conditions: append([]corev1.NodeCondition{{Type: corev1.NodeReady, Status: st, Message: "kubelet stopped posting"}}, extra...)},
	}
}

func agentDS(ns, name string, ready int32) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}},
		Status:     appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, NumberReady: ready},
	}
}

func agentPod(ns, ds, name, node string, ready bool, restarts int32) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": ds}},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "agent"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "agent", RestartCount: restarts, Ready: ready}}},
	}
}

func diagnose(t *testing.T, objs ...runtime.Object) *report.Report {
	t.Helper()
	r, err := Diagnose(context.Background(), kube.Clients{Typed: fake.NewClientset(objs...)}, Request{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func status(r *report.Report, code string) (report.Status, string) {
	for _, c := range r.Checks {
		if c.Code == code {
			return c.Status, c.Message
		}
	}
	return "", ""
}

func TestFlannelWithPoliciesFails(t *testing.T) {
	r := diagnose(t,
		node("n1", true, "10.244.0.0/24"), node("n2", true, "10.244.1.0/24"),
		agentDS("kube-flannel", "kube-flannel-ds", 2),
		agentPod("kube-flannel", "kube-flannel-ds", "flannel-a", "n1", true, 0),
		agentPod("kube-flannel", "kube-flannel-ds", "flannel-b", "n2", true, 3),
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "deny"}},
	)
	if st, msg := status(r, "CNI004"); st != report.Fail || !strings.Contains(msg, "they have NO effect") {
		t.Errorf("CNI004 = %s %s", st, msg)
	}
	if st, msg := status(r, "CNI002"); st != report.Warn || !strings.Contains(msg, "flannel-b on node n2 restarted 3 time(s)") {
		t.Errorf("CNI002 = %s %s", st, msg)
	}
	if r.Verdict.Code != "CNI004" {
		t.Errorf("verdict %+v", r.Verdict)
	}
}

func TestNodeAndAgentProblems(t *testing.T) {
	r := diagnose(t,
		node("n1", true, ""), node("n2", false, "10.244.1.0/24", corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionTrue, Reason: "NoRouteCreated"}),
		agentDS("kube-system", "calico-node", 1),
		agentPod("kube-system", "calico-node", "calico-a", "n1", false, 0),
	)
	if st, msg := status(r, "CNI006"); st != report.Fail || !strings.Contains(msg, "n2: not Ready: kubelet stopped posting; NetworkUnavailable: NoRouteCreated") {
		t.Errorf("CNI006 = %s %s", st, msg)
	}
	if st, msg := status(r, "CNI002"); st != report.Fail || !strings.Contains(msg, "no calico pod on node n2") || !strings.Contains(msg, "calico pod calico-a on node n1 is not ready") {
		t.Errorf("CNI002 = %s %s", st, msg)
	}
	if st, _ := status(r, "CNI004"); st != report.Pass {
		t.Errorf("calico enforces: CNI004 = %s", st)
	}
	if st, _ := status(r, "CNI005"); st != report.Warn {
		t.Errorf("no kube-proxy: CNI005 = %s", st)
	}
}

func TestErrorLine(t *testing.T) {
	for line, want := range map[string]bool{
		`E1127 01:48:48.707450       1 controller.go:925] "sync failed" err="x"`:            true,
		`I1127 01:48:48.707450       1 controller.go:925] "syncing nftables rules" error=<`: false,
		`time="2026-11-27T01:00:00Z" level=error msg="failed to setup network"`:             true,
		`{"level":"error","msg":"boom"}`:                                                    true,
		`2026-11-27 01:00:00 [ERROR] felix/int_dataplane.go 1: x`:                           true,
		`level=info msg="error budget fine"`:                                                false,
	} {
		if got := errorLine.MatchString(line); got != want {
			t.Errorf("%q: got %t, want %t", line, got, want)
		}
	}
}
