package dns

import "github.com/netdebug/kubectl-netdebug/pkg/report"

// Verdict refines a finished report: when lookups time out and policy denies the pod's egress to
// DNS, the policy is the cause, even though the lookups check comes first.
func Verdict(rep *report.Report) report.Verdict {
	var lookups, pol *report.Check
	for i := range rep.Checks {
		switch rep.Checks[i].Code {
		case "DNS008":
			lookups = &rep.Checks[i]
		case "DNS009":
			pol = &rep.Checks[i]
		}
	}
	if pol != nil && pol.Status == report.Fail && (lookups == nil || lookups.Status != report.Pass) {
		msg := "DNS lookups from the pod are blocked by NetworkPolicy: " + pol.Message
		if dnsReady(rep) {
			msg = "DNS pods are ready but " + pol.Message
		}
		return report.Verdict{Outcome: report.Problems, Code: pol.Code, Message: msg, Next: pol.Next}
	}
	return rep.Verdict
}

func dnsReady(rep *report.Report) bool {
	for _, c := range rep.Checks {
		if c.Code == "DNS002" {
			return c.Status == report.Pass || c.Status == report.Warn
		}
	}
	return false
}
