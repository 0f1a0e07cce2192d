package ingress

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/controllerpods"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkControllerService (ING005): how traffic reaches the controller: the
// Service that selects its pods and that Service's load-balancer address,
// or the host network.
func checkControllerService(f *facts, a *analysis) report.Check {
	code := checks.IngControllerService
	c := &f.controller
	switch {
	case c.kind != nil && c.kind.outside != "":
		return code.Skipped("not applicable: %s", c.kind.outside)
	case c.kind != nil && c.kind.external != "":
		return code.Skipped("not applicable: traffic enters through %s, not through a Service", c.kind.external)
	case c.podsErr != nil:
		return code.Skipped("skipped: the controller's pods could not be read")
	case len(c.pods) == 0:
		return code.Skipped("no controller pods, so no Service of theirs to check")
	case c.servicesErr != nil && len(c.services) == 0:
		return code.FromError("listing the services of the controller's namespace", c.servicesErr)
	}
	var facts []report.Fact
	var lbReady, lbPending, nodePort []string
	for _, s := range c.services {
		svc := &s.Svc
		key := svc.Namespace + "/" + svc.Name
		facts = append(facts, report.Fact{Name: "service " + key, Value: controllerpods.DescribeService(svc, s.Pods)})
		switch {
		case svc.Spec.Type == corev1.ServiceTypeLoadBalancer && len(service.LoadBalancerAddresses(svc)) > 0:
			lbReady = append(lbReady, fmt.Sprintf("%s (address %s)", key, strings.Join(service.LoadBalancerAddresses(svc), ", ")))
		case svc.Spec.Type == corev1.ServiceTypeLoadBalancer:
			lbPending = append(lbPending, key)
		case svc.Spec.Type == corev1.ServiceTypeNodePort:
			nodePort = append(nodePort, key)
		}
	}
	var chk report.Check
	switch {
	case len(lbReady) > 0:
		chk = code.New(report.Pass, "controller service %s", lbReady[0])
	case len(lbPending) > 0:
		chk = code.New(report.Warn, "controller service %s is a LoadBalancer without an external address yet: its load balancer is not provisioned, so nothing outside the cluster reaches the controller through it", lbPending[0])
		ns, name, _ := strings.Cut(lbPending[0], "/")
		chk.Next = []string{fmt.Sprintf("kubectl netdebug service %s -n %s", name, ns)}
	case len(nodePort) > 0:
		chk = code.New(report.Pass, "controller service %s is a NodePort service: clients reach the controller on every node's node ports", nodePort[0])
	case len(c.services) > 0:
		chk = code.New(report.Warn, "the controller's only Service is internal (ClusterIP): clients outside the cluster reach it only through another proxy")
	case controllerpods.UsesHostNetwork(c.pods):
		chk = code.New(report.Pass, "the controller pods listen on their nodes' network (hostNetwork or hostPort); no Service is needed")
	default:
		chk = code.New(report.Warn, "no Service selects the controller pods and they do not use the host network: nothing outside the cluster reaches them")
		chk.Next = []string{fmt.Sprintf("kubectl -n %s get services -o wide", c.pods[0].Pod.Namespace)}
	}
	chk.Facts = facts
	for _, s := range c.services {
		chk.Objects = append(chk.Objects, report.Object{Kind: "Service", Namespace: s.Svc.Namespace, Name: s.Svc.Name})
	}
	return chk
}

func protocolOf(p corev1.Protocol) corev1.Protocol { return controllerpods.ProtocolOf(p) }
