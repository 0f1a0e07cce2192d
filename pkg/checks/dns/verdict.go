package dns

import (
	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// verdict refines the default one: when lookups fail and policy denies the
// pod's egress to DNS, the policy is the cause, even though the lookups
// check comes first.
func verdict(list []report.Check, def report.Verdict) report.Verdict {
	lookups := report.Find(list, checks.DNSLookups)
	pol := report.Find(list, checks.DNSPolicy)
	if pol != nil && pol.Status == report.Fail && (lookups == nil || lookups.Status != report.Pass) {
		msg := "DNS lookups from the pod are blocked by NetworkPolicy: " + pol.Message
		if pods := report.Find(list, checks.DNSPods); pods != nil && (pods.Status == report.Pass || pods.Status == report.Warn) {
			msg = "DNS pods are ready but " + pol.Message
		}
		return report.Verdict{Outcome: report.Problems, Code: pol.Code, Message: msg, Next: pol.Next}
	}
	return def
}
