package gateway

import (
	"fmt"
	"sort"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// checkConflicts (GW007): listeners that are not distinct conflict, and a
// conformant controller accepts none of them.
func checkConflicts(f *facts, a *analysis) report.Check {
	return ConflictsCheck(f.gw)
}

// ConflictsCheck is GW007 for a Gateway: the conflicts the spec defines,
// computed, and those its controller reports (condition Conflicted).
func ConflictsCheck(gw *gwv1.Gateway) report.Check {
	code := checks.GwConflicts
	computed := routing.ListenerConflicts(gw.Spec.Listeners)
	var facts []report.Fact
	var msgs []string
	for _, cf := range computed {
		facts = append(facts, report.Fact{Name: string(cf.Reason), Value: cf.Message})
		msgs = append(msgs, cf.Message)
	}
	var reported []string
	for _, ls := range gw.Status.Listeners {
		if c := condition(ls.Conditions, string(gwv1.ListenerConditionConflicted)); c != nil && c.Status == "True" {
			reported = append(reported, string(ls.Name))
			facts = append(facts, report.Fact{Name: "listener " + string(ls.Name), Value: "Conflicted " + describeCondition(c)})
		}
	}
	sort.Strings(reported)
	var c report.Check
	switch {
	case len(computed) > 0:
		c = code.New(report.Fail, "%s (%s): a conformant controller accepts neither listener", msgs[0], computed[0].Reason)
		if len(computed) > 1 {
			c.Message += fmt.Sprintf("; %d more conflict(s)", len(computed)-1)
		}
		c.Next = []string{"give each listener on a port its own hostname, or move it to another port"}
	case len(reported) > 0:
		c = code.New(report.Fail, "the controller reports listener(s) %s as Conflicted", orNone(reported))
		c.Next = []string{fmt.Sprintf("kubectl -n %s describe gateway %s", gw.Namespace, gw.Name)}
	default:
		c = code.New(report.Pass, "the %d listener(s) are distinct", len(gw.Spec.Listeners))
	}
	c.Facts = facts
	return c
}
