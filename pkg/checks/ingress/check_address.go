package ingress

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkAddress (ING006): a controller that serves an Ingress publishes the
// address clients reach it at in the Ingress's status. None means the
// controller does not run, does not pick this Ingress up, or does not
// publish status.
func checkAddress(f *facts, a *analysis) report.Check {
	code := checks.IngAddress
	addrs := ingressAddresses(f.ing.Status.LoadBalancer.Ingress)
	var ctrl []string
	for _, s := range f.controller.services {
		ctrl = append(ctrl, service.LoadBalancerAddresses(&s.Svc)...)
	}
	if len(addrs) > 0 {
		c := code.New(report.Pass, "the ingress has address %s", strings.Join(addrs, ", "))
		if len(ctrl) > 0 && !overlap(addrs, ctrl) {
			c.Facts = []report.Fact{{Name: "controller service address", Value: strings.Join(ctrl, ", ") + " (differs: another controller, or a published status address)"}}
		}
		return c
	}
	var c report.Check
	switch {
	case a.blocked != nil:
		c = code.New(report.Warn, "the ingress has no address, as expected while %s", a.blocked.reason)
	case f.controller.kind != nil && f.controller.kind.outside != "" || f.controller.kind != nil && f.controller.kind.external != "":
		c = code.New(report.Warn, "the ingress has no address yet: the load balancer is not provisioned, or its controller fails (see the ingress's events)")
	default:
		c = code.New(report.Warn, "the ingress has no address: its controller is not running, does not pick it up, or does not publish status (ingress-nginx: --publish-service)")
	}
	if len(ctrl) > 0 {
		c.Facts = []report.Fact{{Name: "controller service address", Value: strings.Join(ctrl, ", ")}}
	}
	c.Next = []string{fmt.Sprintf("kubectl -n %s describe ingress %s", f.namespace, f.name)}
	return c
}

func ingressAddresses(lbs []networkingv1.IngressLoadBalancerIngress) []string {
	var out []string
	for _, in := range lbs {
		if in.IP != "" {
			out = append(out, in.IP)
		}
		if in.Hostname != "" {
			out = append(out, in.Hostname)
		}
	}
	return out
}

func overlap(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}
