package dns

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkService (DNS001): pods' resolv.conf points at this ClusterIP; without
// the Service no name resolves.
func checkService(f *Facts) report.Check {
	code := checks.DNSService
	if f.Service == nil {
		if f.ServiceErr != nil && !apierrors.IsNotFound(f.ServiceErr) {
			return code.FromError("finding the DNS service", f.ServiceErr)
		}
		c := code.New(report.Fail, "no DNS service in kube-system (no service labelled k8s-app=kube-dns, none named kube-dns or coredns): pods cannot resolve any name")
		c.Next = []string{"kubectl -n kube-system get services,deployments -o wide"}
		return c
	}
	svc := f.Service
	var ports []string
	has53 := map[string]bool{}
	for _, p := range svc.Spec.Ports {
		ports = append(ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
		if p.Port == 53 {
			has53[string(p.Protocol)] = true
		}
	}
	c := code.New(report.Pass, "DNS service kube-system/%s at %s", svc.Name, svc.Spec.ClusterIP)
	c.Objects = []report.Object{{Kind: "Service", Namespace: svc.Namespace, Name: svc.Name}}
	c.Facts = []report.Fact{{Name: "clusterIP", Value: svc.Spec.ClusterIP}, {Name: "ports", Value: strings.Join(ports, ", ")}}
	switch {
	case !has53["UDP"]:
		c.Status = report.Fail
		c.Message = fmt.Sprintf("DNS service kube-system/%s has no port 53/UDP: ordinary lookups cannot reach it", svc.Name)
	case !has53["TCP"]:
		c.Status = report.Warn
		c.Message = fmt.Sprintf("DNS service kube-system/%s has no port 53/TCP: large answers (truncated over UDP) fail", svc.Name)
	}
	return c
}
