package podstatus

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func TestNotReadyReasons(t *testing.T) {
	base := func() *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "w1"},
			Spec:       corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "app"}}},
			Status: corev1.PodStatus{
				Phase:             corev1.PodRunning,
				Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "app"}},
			},
		}
	}
	crash := base()
	crash.Status.ContainerStatuses[0].State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}
	unscheduled := base()
	unscheduled.Spec.NodeName = ""
	unscheduled.Status.Conditions = append(unscheduled.Status.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/3 nodes are available"})
	gated := base()
	gated.Status.ContainerStatuses[0].Ready = true
	gated.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "target-health.elbv2.k8s.aws/x"}}
	deleting := base()
	deleting.DeletionTimestamp = &metav1.Time{Time: now}
	events := []corev1.Event{
		{Message: "Readiness probe failed: old", LastTimestamp: metav1.NewTime(now.Add(-time.Hour))},
		{Message: "Liveness probe failed: ignored", LastTimestamp: metav1.NewTime(now)},
		{Message: "Readiness probe failed: connection refused", LastTimestamp: metav1.NewTime(now.Add(-90 * time.Second)), Count: 4},
	}
	tests := []struct {
		name   string
		pod    *corev1.Pod
		events []corev1.Event
		want   string
	}{
		{"crash loop", crash, nil, "container app waiting: CrashLoopBackOff"},
		{"unscheduled", unscheduled, nil, "not scheduled: 0/3 nodes are available"},
		{"readiness gate", gated, nil, "readiness gate target-health.elbv2.k8s.aws/x has not been reported"},
		{"terminating", deleting, nil, "terminating"},
		{"newest readiness event", base(), events, "readiness probe failed: connection refused (90s ago, 4 times)"},
		{"nothing known", base(), nil, "container app is not ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NotReadyReason(tt.pod, tt.events, now); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
