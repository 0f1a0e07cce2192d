package dns

import (
	"fmt"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkPods (DNS002): the DNS pods behind the Service are ready. Restarts of
// a DNS pod are worth a warning: every restart drops lookups in flight.
func checkPods(f *Facts) report.Check {
	code := checks.DNSPods
	switch {
	case f.Service == nil:
		return code.Skipped("no DNS service to find pods for")
	case len(f.Service.Spec.Selector) == 0:
		return code.Skipped("the DNS service has no selector; its endpoints are managed by hand")
	case f.PodsErr != nil:
		return code.FromError("listing the DNS pods", f.PodsErr)
	case len(f.Pods) == 0:
		c := code.New(report.Fail, "no DNS pods: the DNS service selects nothing (deployment scaled to zero or deleted?)")
		c.Next = []string{"kubectl -n kube-system get deployments -l k8s-app=kube-dns", "kubectl -n kube-system scale deployment coredns --replicas=2"}
		return c
	}
	var ready, restarts int
	var firstBad *podstatus.State
	var states []podstatus.State
	for i := range f.Pods {
		s := podstatus.Of(&f.Pods[i], nil, f.now)
		states = append(states, s)
		restarts += int(s.Restarts)
		if s.Ready {
			ready++
		} else if firstBad == nil {
			firstBad = &states[len(states)-1]
		}
	}
	var c report.Check
	switch {
	case ready == 0:
		c = code.New(report.Fail, "none of the %d DNS pod(s) is ready: %s", len(states), reason(firstBad))
	case firstBad != nil:
		c = code.New(report.Warn, "%d of %d DNS pod(s) ready; %s", ready, len(states), reason(firstBad))
	case restarts > 0:
		c = code.New(report.Warn, "all %d DNS pod(s) ready, but they restarted %d time(s)", len(states), restarts)
	default:
		c = code.New(report.Pass, "all %d DNS pod(s) ready", len(states))
	}
	for _, s := range states {
		v := fmt.Sprintf("%s, ready=%t, restarts=%d, node %s", s.Phase, s.Ready, s.Restarts, s.Node)
		if s.Reason != "" {
			v += "; " + s.Reason
		}
		c.Facts = append(c.Facts, report.Fact{Name: "pod " + s.Name, Value: v})
		c.Objects = append(c.Objects, report.Object{Kind: "Pod", Namespace: system, Name: s.Name})
	}
	if firstBad != nil {
		c.Next = []string{"kubectl -n kube-system describe pod " + firstBad.Name}
	}
	c.Data = states
	return c
}

func reason(s *podstatus.State) string {
	if s.Reason == "" {
		return "pod " + s.Name + " is not ready"
	}
	return "pod " + s.Name + ": " + s.Reason
}
