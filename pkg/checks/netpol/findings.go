package netpol

import (
	"fmt"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// FindingData is a scan finding in JSON. Rule and peer indices are 0-based,
// -1 when not applicable; rule is the rule's number as the message says it
// (ruleIndex+1), absent when ruleIndex is -1.
type FindingData struct {
	Code      string     `json:"code"`
	Policy    PolicyData `json:"policy"`
	Direction string     `json:"direction,omitempty"`
	Rule      int        `json:"ruleIndex"`
	Number    int        `json:"rule,omitempty"`
	Peer      int        `json:"peerIndex"`
	Message   string     `json:"message"`
}

// checkFindings (NP010): policies that select no pod and selector peers that
// match no pod, usually a typo in a label. Only exact when the snapshot holds
// every pod (World.AllPods); only the policies in scope are reported (nil
// scope: all).
func checkFindings(e *policy.Engine, scope map[policy.PolicyRef]bool) report.Check {
	code := checks.NPFindings
	var found []policy.Finding
	for _, f := range append(e.PoliciesSelectingNoPods(), e.PeersMatchingNothing()...) {
		if scope == nil || scope[f.Policy] {
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		if scope != nil && len(scope) == 0 {
			return code.New(report.Pass, "no policy in scope")
		}
		return code.New(report.Pass, "every policy in scope selects pods and every selector peer matches some pod")
	}
	var noPods, noPeers int
	data := make([]FindingData, 0, len(found))
	c := code.New(report.Warn, "")
	for _, f := range found {
		if f.Code == policy.FindingPolicySelectsNoPods {
			noPods++
		} else {
			noPeers++
		}
		data = append(data, FindingData{Code: f.Code, Policy: policyData(f.Policy), Direction: string(f.Direction), Rule: f.Rule, Number: ruleNumber(f.Rule), Peer: f.Peer, Message: f.Message})
		c.Facts = append(c.Facts, report.Fact{Name: findingName(f.Code), Value: f.Message})
	}
	var parts []string
	if noPods > 0 {
		parts = append(parts, fmt.Sprintf("%d policy(ies) select no pod", noPods))
	}
	if noPeers > 0 {
		parts = append(parts, fmt.Sprintf("%d peer(s) match no pod", noPeers))
	}
	c.Message = strings.Join(parts, ", ") + ": check their selectors and labels for typos"
	c.Data = data
	return c
}

func findingName(code string) string {
	if code == policy.FindingPolicySelectsNoPods {
		return "policy"
	}
	return "peer"
}
