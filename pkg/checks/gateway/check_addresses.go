package gateway

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/controllerpods"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkAddresses (GW006): where clients reach the Gateway: the addresses
// in its status, and the Service or load balancer in front of it.
func checkAddresses(f *facts) report.Check {
	code := checks.GwAddresses
	gw := f.gw
	d := &f.dataPlane
	var facts []report.Fact
	var addrs []string
	for _, a := range gw.Status.Addresses {
		t := "IPAddress"
		if a.Type != nil {
			t = string(*a.Type)
		}
		addrs = append(addrs, a.Value)
		facts = append(facts, report.Fact{Name: "address", Value: fmt.Sprintf("%s (%s)", a.Value, t)})
	}
	for _, a := range gw.Spec.Addresses {
		facts = append(facts, report.Fact{Name: "requested address", Value: a.Value})
	}
	var lbReady, lbPending, nodePort, internal []string
	for _, s := range d.Services {
		svc := &s.Svc
		key := svc.Namespace + "/" + svc.Name
		facts = append(facts, report.Fact{Name: "service " + key, Value: controllerpods.DescribeService(svc, s.Pods) + "; " + s.Why})
		switch {
		case svc.Spec.Type == corev1.ServiceTypeLoadBalancer && len(service.LoadBalancerAddresses(svc)) > 0:
			lbReady = append(lbReady, fmt.Sprintf("%s (address %s)", key, strings.Join(service.LoadBalancerAddresses(svc), ", ")))
		case svc.Spec.Type == corev1.ServiceTypeLoadBalancer:
			lbPending = append(lbPending, key)
		case svc.Spec.Type == corev1.ServiceTypeNodePort:
			nodePort = append(nodePort, key)
		default:
			internal = append(internal, key)
		}
	}
	if d.ServicesErr != nil {
		facts = append(facts, report.Fact{Name: "services", Value: "not all read: " + d.ServicesErr.Error()})
	}
	var c report.Check
	switch {
	case d.Outside != "" && len(addrs) == 0:
		c = code.New(report.Warn, "gateway %s/%s has no address yet: %s, and it has not published one", f.namespace, f.name, d.Outside)
	case d.Outside != "":
		c = code.New(report.Pass, "gateway address %s (%s)", strings.Join(addrs, ", "), d.Outside)
	case len(lbPending) > 0 && len(lbReady) == 0:
		c = code.New(report.Warn, "service %s in front of the gateway is a LoadBalancer without an external address yet: nothing outside the cluster reaches the gateway through it", lbPending[0])
		ns, name, _ := strings.Cut(lbPending[0], "/")
		c.Next = []string{fmt.Sprintf("kubectl netdebug service %s -n %s", name, ns)}
	case len(addrs) == 0:
		c = code.New(report.Warn, "gateway %s/%s has no address in its status: clients have no address to connect to, or the controller does not publish it", f.namespace, f.name)
		c.Next = []string{fmt.Sprintf("kubectl -n %s describe gateway %s", f.namespace, f.name)}
	case len(lbReady) > 0:
		c = code.New(report.Pass, "gateway address %s; service %s", strings.Join(addrs, ", "), lbReady[0])
	case len(nodePort) > 0:
		c = code.New(report.Pass, "gateway address %s; service %s is a NodePort service: clients reach the gateway on every node's node ports", strings.Join(addrs, ", "), nodePort[0])
	case len(internal) > 0:
		c = code.New(report.Pass, "gateway address %s; service %s is internal (ClusterIP): only clients in the cluster reach it", strings.Join(addrs, ", "), internal[0])
	case controllerpods.UsesHostNetwork(d.Pods):
		c = code.New(report.Pass, "gateway address %s; its pods listen on their nodes' network", strings.Join(addrs, ", "))
	default:
		c = code.New(report.Pass, "gateway address %s (no Service of the cluster was found behind it: a load balancer outside the cluster?)", strings.Join(addrs, ", "))
	}
	c.Facts = facts
	for _, s := range d.Services {
		c.Objects = append(c.Objects, report.Object{Kind: "Service", Namespace: s.Svc.Namespace, Name: s.Svc.Name})
	}
	return c
}
