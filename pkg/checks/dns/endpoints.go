package dns

import (
	"fmt"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkEndpoints (DNS003): kube-proxy sends lookups to the ready endpoints of
// the DNS Service's EndpointSlices; ready pods that are not there get none.
func checkEndpoints(f *Facts) report.Check {
	code := checks.DNSEndpoints
	if f.Service == nil {
		return code.Skipped("no DNS service")
	}
	if f.SlicesErr != nil {
		return code.FromError("listing the DNS service's EndpointSlices", f.SlicesErr)
	}
	var ready, total int
	port53 := map[string]bool{}
	for _, s := range f.Slices {
		for _, p := range s.Ports {
			if p.Port != nil && *p.Port == 53 && p.Protocol != nil {
				port53[string(*p.Protocol)] = true
			}
		}
		for _, ep := range s.Endpoints {
			total += len(ep.Addresses)
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				ready += len(ep.Addresses)
			}
		}
	}
	var c report.Check
	switch {
	case len(f.Slices) == 0:
		c = code.New(report.Fail, "the DNS service has no EndpointSlices: lookups to %s go nowhere", f.Service.Spec.ClusterIP)
	case total == 0:
		c = code.New(report.Fail, "the DNS service has no endpoints: lookups to %s time out", f.Service.Spec.ClusterIP)
	case ready == 0:
		c = code.New(report.Fail, "the DNS service has no ready endpoints (%d not ready): lookups to %s time out", total, f.Service.Spec.ClusterIP)
	case !port53["UDP"]:
		c = code.New(report.Fail, "the DNS service's endpoints have no port 53/UDP")
	default:
		c = code.New(report.Pass, "%d ready DNS endpoint(s) on %s", ready, ports(port53))
	}
	for _, s := range f.Slices {
		c.Objects = append(c.Objects, report.Object{Kind: "EndpointSlice", Namespace: s.Namespace, Name: s.Name})
	}
	return c
}

func ports(p map[string]bool) string {
	switch {
	case p["UDP"] && p["TCP"]:
		return "53/UDP and 53/TCP"
	case p["UDP"]:
		return "53/UDP"
	default:
		return fmt.Sprint(p)
	}
}
