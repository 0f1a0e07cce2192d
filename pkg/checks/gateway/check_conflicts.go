package gateway

import (
	"fmt"
	"sort"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// checkConflicts (GW007): listeners that are not distinct conflict, and a
// conformant controller accepts none of them.
func checkConflicts(f *facts, a *analysis) report.Check {
	return ConflictsCheckMerged(f.gw, f.listenerSets)
}

// ConflictsCheck is GW007 for a Gateway: the conflicts the spec defines,
// computed, and those its controller reports (condition Conflicted).
func ConflictsCheck(gw *gwv1.Gateway) report.Check { return ConflictsCheckMerged(gw, nil) }

// ConflictsCheckMerged is GW007 for a Gateway and the ListenerSets that
// name it: the conflicts of its merged list (the ListenerSets it admits),
// and those the controller reports on the Gateway's and the ListenerSets'
// listeners. Within one resource neither listener is accepted; between
// resources the first by precedence is (GEP-1713).
func ConflictsCheckMerged(gw *gwv1.Gateway, sets []ListenerSetState) report.Check {
	code := checks.GwConflicts
	attached := AttachedSets(sets)
	merged := routing.MergeListeners(gw, attached)
	computed := routing.MergedListenerConflicts(merged)
	var facts []report.Fact
	for _, cf := range computed {
		v := cf.Message
		if cf.Precedence {
			v = describeConflict(cf)
		}
		facts = append(facts, report.Fact{Name: string(cf.Reason), Value: v})
	}
	var reported []string
	for _, ls := range gw.Status.Listeners {
		if c := condition(ls.Conditions, string(gwv1.ListenerConditionConflicted)); c != nil && c.Status == "True" {
			reported = append(reported, string(ls.Name))
			facts = append(facts, report.Fact{Name: "listener " + string(ls.Name), Value: "Conflicted " + describeCondition(c)})
		}
	}
	for i := range attached {
		key := routing.ListenerSetKey(&attached[i])
		for _, ls := range attached[i].Status.Listeners {
			if c := condition(ls.Conditions, string(gwv1.ListenerEntryConditionConflicted)); c != nil && c.Status == "True" {
				label := routing.ListenerLabel(key, string(ls.Name))
				reported = append(reported, label)
				facts = append(facts, report.Fact{Name: "listener " + label, Value: "Conflicted " + describeCondition(c)})
			}
		}
	}
	sort.Strings(reported)
	var c report.Check
	switch {
	case len(computed) > 0:
		c = code.New(report.Fail, "%s", describeConflict(computed[0]))
		if len(computed) > 1 {
			c.Message += fmt.Sprintf("; %d more conflict(s)", len(computed)-1)
		}
		c.Next = []string{"give each listener on a port its own hostname, or move it to another port"}
		if cf := computed[0]; cf.Precedence && cf.SetB != "" {
			ns, name, _ := strings.Cut(cf.SetB, "/")
			c.Next = []string{fmt.Sprintf("kubectl -n %s edit listenerset %s", ns, name)}
		}
	case len(reported) > 0:
		c = code.New(report.Fail, "the controller reports listener(s) %s as Conflicted", orNone(reported))
		c.Next = []string{fmt.Sprintf("kubectl -n %s describe gateway %s", gw.Namespace, gw.Name)}
	case len(merged) > len(gw.Spec.Listeners):
		c = code.New(report.Pass, "the %d listener(s) are distinct (%d of them from %d ListenerSet(s))", len(merged), len(merged)-len(gw.Spec.Listeners), len(attached))
	default:
		c = code.New(report.Pass, "the %d listener(s) are distinct", len(gw.Spec.Listeners))
	}
	c.Facts = facts
	return c
}

// describeConflict is a conflict and what a conformant controller does of
// it.
func describeConflict(cf routing.ListenerConflict) string {
	if !cf.Precedence {
		return fmt.Sprintf("%s (%s): a conformant controller accepts neither listener", cf.Message, cf.Reason)
	}
	return fmt.Sprintf("%s (%s): by precedence (the gateway's own listeners, then ListenerSets oldest first) listener %s is accepted and listener %s is Conflicted, not served",
		cf.Message, cf.Reason, routing.ListenerLabel(cf.SetA, cf.A), routing.ListenerLabel(cf.SetB, cf.B))
}
