package service

import (
	"fmt"
	"time"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkPodsReady (SVC004); its Data is a []podstatus.State.
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
	states := make([]podstatus.State, 0, len(f.pods))
	var notReady []podstatus.State
	for i := range f.pods {
		s := podstatus.Of(&f.pods[i], f.unhealthy[f.pods[i].Name], now)
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

func describeNotReady(s podstatus.State) string {
	if s.Reason == "" {
		return fmt.Sprintf("pod %s is not ready", s.Name)
	}
	return fmt.Sprintf("pod %s: %s", s.Name, s.Reason)
}
