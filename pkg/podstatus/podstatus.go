// Package podstatus says in one line what state a pod is in and, when it is
// not ready, why: the most specific cause the API shows.
package podstatus

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// State is one pod's readiness summary.
type State struct {
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

// Of describes a pod; events are its events (only readiness-probe failures
// are used), now the clock for ages.
func Of(p *corev1.Pod, events []corev1.Event, now time.Time) State {
	s := State{
		Name:        p.Name,
		Phase:       string(p.Status.Phase),
		Ready:       Ready(p),
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
		s.Reason = NotReadyReason(p, events, now)
	}
	return s
}

// Ready is the pod's Ready condition: what the EndpointSlice controller
// uses to mark an endpoint ready.
func Ready(p *corev1.Pod) bool {
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

// NotReadyReason explains a not-ready pod, most specific cause first.
func NotReadyReason(p *corev1.Pod, events []corev1.Event, now time.Time) string {
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
		if t := EventTime(e); !t.IsZero() {
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
	sort.Slice(found, func(i, j int) bool { return EventTime(found[i]).After(EventTime(found[j])) })
	return found[0]
}

// EventTime is when an event last happened, whichever API wrote it.
func EventTime(e *corev1.Event) time.Time {
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

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}
