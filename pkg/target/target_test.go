package target

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestParse(t *testing.T) {
	good := map[string]Ref{
		"web-1":           {Kind: "pod", Name: "web-1"},
		"shop/web-1":      {Namespace: "shop", Kind: "pod", Name: "web-1"},
		"deploy/web":      {Kind: "deployment", Name: "web"},
		"shop/sts/db":     {Namespace: "shop", Kind: "statefulset", Name: "db"},
		"pod/web-1":       {Kind: "pod", Name: "web-1"},
		"shop/Deploy/web": {Namespace: "shop", Kind: "deployment", Name: "web"},
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "a/b/c/d", "shop/widget/x", "Web_1", "shop/", "UPPER/web"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestResolveWorkloadPicksReadyPod(t *testing.T) {
	labels := map[string]string{"app": "web"}
	mk := func(name string, ready bool, age time.Duration) *corev1.Pod {
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: labels, CreationTimestamp: metav1.NewTime(time.Now().Add(-age))},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
		}
	}
	deploy := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}}}
	client := fake.NewClientset(deploy, mk("web-old", true, time.Hour), mk("web-new", true, time.Minute), mk("web-broken", false, time.Second))
	pod, err := Resolve(context.Background(), client, Ref{Kind: "deployment", Name: "web"}, "shop")
	if err != nil || pod.Name != "web-new" {
		t.Fatalf("got %v, %v; want the newest ready pod web-new", pod, err)
	}
	if _, err := Resolve(context.Background(), client, Ref{Kind: "deployment", Name: "nope"}, "shop"); err == nil {
		t.Error("missing deployment resolved")
	}
}
