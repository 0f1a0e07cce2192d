package gateway

import (
	"fmt"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkListeners (GW008): the controller's word on each listener: accepted
// (its protocol and port are supported), its references resolved
// (certificates, route kinds), programmed.
func checkListeners(f *facts) report.Check {
	code := checks.GwListeners
	gw := f.gw
	if len(gw.Status.Listeners) == 0 {
		if pending(condition(gw.Status.Conditions, string(gwv1.GatewayConditionAccepted))) {
			return code.Skipped("no controller has written the listeners' status")
		}
		return code.New(report.Warn, "the controller accepted the gateway but wrote no listener status")
	}
	var facts []report.Fact
	var bad []string
	var missing []string
	for i := range gw.Spec.Listeners {
		l := &gw.Spec.Listeners[i]
		ls := listenerStatus(gw, l.Name)
		if ls == nil {
			missing = append(missing, string(l.Name))
			facts = append(facts, report.Fact{Name: "listener " + describeListener(l), Value: "no status"})
			continue
		}
		var parts []string
		for _, t := range []gwv1.ListenerConditionType{gwv1.ListenerConditionAccepted, gwv1.ListenerConditionProgrammed, gwv1.ListenerConditionResolvedRefs} {
			cond := condition(ls.Conditions, string(t))
			parts = append(parts, string(t)+" "+describeCondition(cond))
			if cond != nil && cond.Status == "False" {
				bad = append(bad, fmt.Sprintf("listener %s is not %s: %s", l.Name, strings.ToLower(string(t)), describeCondition(cond)))
			}
		}
		var kinds []string
		for _, k := range ls.SupportedKinds {
			kinds = append(kinds, string(k.Kind))
		}
		parts = append(parts, "supported kinds "+orNone(kinds), fmt.Sprintf("attachedRoutes %d", ls.AttachedRoutes))
		facts = append(facts, report.Fact{Name: "listener " + describeListener(l), Value: strings.Join(parts, "; ")})
	}
	var c report.Check
	switch {
	case len(bad) > 0:
		c = code.New(report.Fail, "%s", bad[0])
		if len(bad) > 1 {
			c.Message += fmt.Sprintf("; %d more listener condition(s) false", len(bad)-1)
		}
		c.Next = []string{fmt.Sprintf("kubectl -n %s describe gateway %s", gw.Namespace, gw.Name)}
	case len(missing) > 0:
		c = code.New(report.Warn, "the controller wrote no status for listener(s) %s", strings.Join(missing, ", "))
	default:
		c = code.New(report.Pass, "every listener is accepted, programmed and has its references resolved")
	}
	c.Facts = facts
	return c
}
