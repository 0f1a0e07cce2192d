package gateway

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkStatus (GW005): the controller accepted the Gateway and programmed
// it into the data plane; its conditions' reasons say why not.
func checkStatus(f *facts) report.Check {
	return StatusCheck(f.gw)
}

// StatusCheck is GW005 for a Gateway: its Accepted and Programmed
// conditions.
func StatusCheck(gw *gwv1.Gateway) report.Check {
	code := checks.GwStatus
	acc := condition(gw.Status.Conditions, string(gwv1.GatewayConditionAccepted))
	prog := condition(gw.Status.Conditions, string(gwv1.GatewayConditionProgrammed))
	facts := []report.Fact{
		{Name: "Accepted", Value: describeCondition(acc)},
		{Name: "Programmed", Value: describeCondition(prog)},
	}
	describe := fmt.Sprintf("kubectl -n %s describe gateway %s", gw.Namespace, gw.Name)
	var c report.Check
	switch {
	case pending(acc) && pending(prog):
		c = code.New(report.Fail, "no controller has processed gateway %s/%s (no Accepted or Programmed condition): is the controller of class %s running?", gw.Namespace, gw.Name, gw.Spec.GatewayClassName)
		c.Next = []string{fmt.Sprintf("kubectl describe gatewayclass %s", gw.Spec.GatewayClassName)}
	case acc != nil && acc.Status == "False":
		c = code.New(report.Fail, "gateway %s/%s is not accepted: %s", gw.Namespace, gw.Name, describeCondition(acc))
		c.Next = []string{describe}
	case prog != nil && prog.Status == "False":
		c = code.New(report.Fail, "gateway %s/%s is not programmed: %s", gw.Namespace, gw.Name, describeCondition(prog))
		c.Next = []string{describe}
	case prog == nil || prog.Status != "True":
		c = code.New(report.Warn, "gateway %s/%s is accepted but not yet programmed: %s", gw.Namespace, gw.Name, describeCondition(prog))
		c.Next = []string{describe}
	case stale(acc, gw.Generation) || stale(prog, gw.Generation):
		c = code.New(report.Warn, "gateway %s/%s is accepted and programmed, but its controller has not seen its latest spec (generation %d, conditions of %d)", gw.Namespace, gw.Name, gw.Generation, prog.ObservedGeneration)
	default:
		c = code.New(report.Pass, "gateway %s/%s is accepted and programmed", gw.Namespace, gw.Name)
	}
	c.Facts = facts
	c.Objects = []report.Object{{Kind: "Gateway", Namespace: gw.Namespace, Name: gw.Name}}
	return c
}

// stale: the condition was written for an older generation of the spec.
func stale(c *metav1.Condition, generation int64) bool {
	return c != nil && c.ObservedGeneration != 0 && c.ObservedGeneration < generation
}
