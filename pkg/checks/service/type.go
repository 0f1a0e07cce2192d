package service

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkType (SVC002): facts that change what the rest of the procedure
// expects (ExternalName has no endpoints; selector-less Services have
// hand-made ones; a LoadBalancer may still wait for its address).
func checkType(f *facts) report.Check {
	code := checks.SvcType
	svc := f.svc
	spec := svc.Spec
	var facts []report.Fact
	add := func(name, format string, args ...any) {
		facts = append(facts, report.Fact{Name: name, Value: fmt.Sprintf(format, args...)})
	}
	add("type", "%s", serviceType(svc))
	if spec.ClusterIP != "" {
		add("clusterIP", "%s", strings.Join(clusterIPs(svc), ", "))
	}
	for _, p := range spec.Ports {
		tp := targetPort(p)
		v := fmt.Sprintf("%d/%s -> %s", p.Port, protocol(p.Protocol), tp.String())
		if p.NodePort != 0 {
			v += fmt.Sprintf(" (nodePort %d)", p.NodePort)
		}
		add("port "+portLabel(p), "%s", v)
	}
	if spec.PublishNotReadyAddresses {
		add("publishNotReadyAddresses", "true (not-ready pods are published too)")
	}
	if spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
		add("externalTrafficPolicy", "Local (only nodes with a ready endpoint answer)")
	}
	if spec.InternalTrafficPolicy != nil && *spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal {
		add("internalTrafficPolicy", "Local (pods reach only endpoints on their own node)")
	}

	var c report.Check
	switch {
	case spec.Type == corev1.ServiceTypeExternalName:
		add("externalName", "%s", spec.ExternalName)
		if _, err := netip.ParseAddr(spec.ExternalName); err == nil {
			c = code.New(report.Warn, "ExternalName %s is an IP address; DNS returns it as a CNAME target, which most clients cannot resolve", spec.ExternalName)
			c.Next = []string{"use a selector-less Service with an EndpointSlice for a fixed IP"}
		} else {
			c = code.New(report.Pass, "ExternalName service: DNS answers with a CNAME to %s; no endpoints are expected", spec.ExternalName)
		}
	case loadBalancerPending(svc):
		c = code.New(report.Warn, "LoadBalancer has no external address yet: no load-balancer controller in the cluster, or it is failing")
		for _, e := range f.svcEvents {
			if e.Type == corev1.EventTypeWarning {
				add("event "+e.Reason, "%s", oneLine(e.Message))
			}
		}
		c.Next = []string{fmt.Sprintf("kubectl -n %s describe service %s", f.namespace, f.name)}
	case len(spec.Selector) == 0:
		c = code.New(report.Pass, "service has no selector: its EndpointSlices are managed by hand or by another controller")
	case spec.ClusterIP == corev1.ClusterIPNone:
		c = code.New(report.Pass, "headless service: DNS returns the ready pods' IPs, no virtual IP or load balancing")
	default:
		msg := fmt.Sprintf("%s service %s", serviceType(svc), strings.Join(clusterIPs(svc), ", "))
		if spec.Type == corev1.ServiceTypeLoadBalancer {
			msg += ", load-balancer address " + strings.Join(lbAddresses(svc), ", ")
		}
		c = code.New(report.Pass, "%s, ports %s", msg, portList(spec.Ports))
	}
	c.Facts = facts
	return c
}

func serviceType(svc *corev1.Service) string {
	t := string(svc.Spec.Type)
	if t == "" {
		t = string(corev1.ServiceTypeClusterIP)
	}
	if svc.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.ClusterIP == corev1.ClusterIPNone {
		return t + ", headless"
	}
	return t
}

func clusterIPs(svc *corev1.Service) []string {
	if len(svc.Spec.ClusterIPs) > 0 {
		return svc.Spec.ClusterIPs
	}
	return []string{svc.Spec.ClusterIP}
}

func lbAddresses(svc *corev1.Service) []string {
	var out []string
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			out = append(out, in.IP)
		}
		if in.Hostname != "" {
			out = append(out, in.Hostname)
		}
	}
	return out
}

func portList(ports []corev1.ServicePort) string {
	parts := make([]string, 0, len(ports))
	for _, p := range ports {
		tp := targetPort(p)
		parts = append(parts, fmt.Sprintf("%d/%s->%s", p.Port, protocol(p.Protocol), tp.String()))
	}
	return strings.Join(parts, ", ")
}

func portLabel(p corev1.ServicePort) string {
	if p.Name != "" {
		return p.Name
	}
	return fmt.Sprint(p.Port)
}

func protocol(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}
