package service

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// PodState is the Data of SVC004, one entry per selected pod.
type PodState struct {
	Name     string `json:"name"`
	Phase    string `json:"phase"`
	Ready    bool   `json:"ready"`
	IP       string `json:"ip,omitempty"`
	Node     string `json:"node,omitempty"`
	Restarts int32  `json:"restarts"`
	// Terminating: the pod is being deleted and leaves the endpoints.
	Terminating bool `json:"terminating,omitempty"`
	// Reason says why the pod is not ready, in one line: the readiness
	// probe's last failure, a waiting container, a failed readiness gate.
	Reason string `json:"reason,omitempty"`
}

// checkPodsReady (SVC004): a pod that is not ready is kept out of the
// Service's endpoints; the readiness probe's last failure says why.
func checkPodsReady(f *facts, now time.Time) report.Check {
	code := checks.SvcPodsReady
	if f.podsErr != nil {
		return code.Skipped("skipped: the selected pods could not be read")
	}
	if len(f.pods) == 0 {
		return code.Skipped("no selected pods to check")
	}
	states := make([]PodState, 0, len(f.pods))
	var notReady []PodState
	for i := range f.pods {
		s := podState(&f.pods[i], f.unhealthy[f.pods[i].Name], now)
		states = append(states, s)
		if !s.Ready {
			notReady = append(notReady, s)
		}
	}
	var c report.Check
	total := len(states)
	switch {
	case len(notReady) == 0:
		c = code.New(report.Pass, "all %d selected pod(s) are ready", total)
	case len(notReady) == total && !f.svc.Spec.PublishNotReadyAddresses:
		c = code.New(report.Fail, "none of the %d selected pod(s) is ready, so the service has no ready endpoints: %s", total, describeNotReady(notReady[0]))
	case f.svc.Spec.PublishNotReadyAddresses:
		c = code.New(report.Warn, "%d of %d selected pod(s) are not ready but are published anyway (publishNotReadyAddresses): %s", len(notReady), total, describeNotReady(notReady[0]))
	default:
		c = code.New(report.Warn, "%d of %d selected pod(s) are not ready and get no traffic: %s", len(notReady), total, describeNotReady(notReady[0]))
	}
	for _, s := range states {
		v := fmt.Sprintf("%s, ready=%t, restarts=%d", s.Phase, s.Ready, s.Restarts)
		if s.IP != "" {
			v += ", ip " + s.IP
		}
		if s.Node != "" {
			v += ", node " + s.Node
		}
		if s.Reason != "" {
			v += "; " + s.Reason
		}
		c.Facts = append(c.Facts, report.Fact{Name: "pod " + s.Name, Value: v})
		c.Objects = append(c.Objects, report.Object{Kind: "Pod", Namespace: f.namespace, Name: s.Name})
	}
	if f.unhealthyErr != nil && len(notReady) > 0 {
		c.Facts = append(c.Facts, report.Fact{Name: "probe failures", Value: "unknown: " + f.unhealthyErr.Error()})
	}
	if len(notReady) > 0 {
		c.Next = []string{fmt.Sprintf("kubectl -n %s describe pod %s", f.namespace, notReady[0].Name)}
	}
	c.Data = states
	return c
}

func describeNotReady(s PodState) string {
	if s.Reason == "" {
		return fmt.Sprintf("pod %s is not ready", s.Name)
	}
	return fmt.Sprintf("pod %s: %s", s.Name, s.Reason)
}

func podState(p *corev1.Pod, events []corev1.Event, now time.Time) PodState {
	s := PodState{
		Name:        p.Name,
		Phase:       string(p.Status.Phase),
		Ready:       podReady(p),
		IP:          p.Status.PodIP,
		Node:        p.Spec.NodeName,
		Terminating: p.DeletionTimestamp != nil,
	}
	for _, cs := range p.Status.ContainerStatuses {
		s.Restarts += cs.RestartCount
	}
	if s.Phase == "" {
		s.Phase = string(corev1.PodPending)
	}
	if s.Terminating {
		s.Ready = false
	}
	if !s.Ready {
		s.Reason = notReadyReason(p, events, now)
	}
	return s
}

// podReady is the pod's Ready condition: what the EndpointSlice controller
// uses to mark an endpoint ready.
func podReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// notReadyReason explains a not-ready pod, most specific cause first.
func notReadyReason(p *corev1.Pod, events []corev1.Event, now time.Time) string {
	if p.DeletionTimestamp != nil {
		return "terminating"
	}
	if p.Spec.NodeName == "" {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue {
				return "not scheduled: " + oneLine(c.Message)
			}
		}
		return "not scheduled to a node yet"
	}
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
			r := fmt.Sprintf("container %s waiting: %s", cs.Name, w.Reason)
			if w.Message != "" {
				r += " (" + oneLine(w.Message) + ")"
			}
			return r
		}
		if t := cs.State.Terminated; t != nil {
			return fmt.Sprintf("container %s terminated: %s, exit code %d", cs.Name, t.Reason, t.ExitCode)
		}
	}
	if e := lastReadinessFailure(events); e != nil {
		r := "readiness probe failed: " + oneLine(strings.TrimPrefix(e.Message, "Readiness probe failed: "))
		if t := eventTime(e); !t.IsZero() {
			r += fmt.Sprintf(" (%s ago", duration.HumanDuration(now.Sub(t)))
			if e.Count > 1 {
				r += fmt.Sprintf(", %d times", e.Count)
			}
			r += ")"
		}
		return r
	}
	for _, c := range p.Status.Conditions {
		if c.Type != corev1.PodReady && c.Type != corev1.ContainersReady && c.Status != corev1.ConditionTrue && isReadinessGate(p, c.Type) {
			return fmt.Sprintf("readiness gate %s is %s", c.Type, c.Status)
		}
	}
	for _, g := range p.Spec.ReadinessGates {
		if !hasCondition(p, g.ConditionType) {
			return fmt.Sprintf("readiness gate %s has not been reported", g.ConditionType)
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if !cs.Ready {
			if cs.Started != nil && !*cs.Started {
				return fmt.Sprintf("container %s has not passed its startup probe", cs.Name)
			}
			return fmt.Sprintf("container %s is not ready", cs.Name)
		}
	}
	if p.Status.Phase != corev1.PodRunning {
		return "phase " + string(p.Status.Phase)
	}
	return "Ready condition is not true"
}

// lastReadinessFailure is the newest Unhealthy event about a readiness probe.
func lastReadinessFailure(events []corev1.Event) *corev1.Event {
	var found []*corev1.Event
	for i := range events {
		if strings.HasPrefix(events[i].Message, "Readiness probe") {
			found = append(found, &events[i])
		}
	}
	if len(found) == 0 {
		return nil
	}
	sort.Slice(found, func(i, j int) bool { return eventTime(found[i]).After(eventTime(found[j])) })
	return found[0]
}

// eventTime is when an event last happened, whichever API wrote it.
func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	default:
		return e.FirstTimestamp.Time
	}
}

func isReadinessGate(p *corev1.Pod, t corev1.PodConditionType) bool {
	for _, g := range p.Spec.ReadinessGates {
		if g.ConditionType == t {
			return true
		}
	}
	return false
}

func hasCondition(p *corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return true
		}
	}
	return false
}
