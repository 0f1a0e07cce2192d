package netpol

import (
	"fmt"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// SideData is one direction of a described pod, in JSON.
type SideData struct {
	Direction string        `json:"direction"`
	Isolated  bool          `json:"isolated"`
	Summary   string        `json:"summary"`
	Policies  []PolicyRules `json:"policies,omitempty"`
	Admin     []PolicyRules `json:"admin,omitempty"`
}

// PolicyRules is a policy and its rules for one direction, in words. Index
// is 0-based (-1: the policy has no rule for the direction); text counts
// from 1.
type PolicyRules struct {
	Policy           PolicyData  `json:"policy"`
	Tier             policy.Tier `json:"tier,omitempty"`
	Priority         *int32      `json:"priority,omitempty"`
	SubjectUncertain bool        `json:"subjectUncertain,omitempty"`
	Rules            []RuleText  `json:"rules"`
}

// RuleText is one rule in words.
type RuleText struct {
	Index  int    `json:"index"`
	Name   string `json:"name,omitempty"`
	Action string `json:"action"`
	Text   string `json:"text"`
}

// checkIsolation (NP003 ingress, NP004 egress): the policies selecting the
// pod for a direction and what they let through, in words (in Data; the
// terminal gets the rules from describeText). Isolation is not a fault: the
// check passes and says what applies.
func checkIsolation(sd policy.SideDescription) report.Check {
	code := checks.NPIngress
	if sd.Direction == policy.Egress {
		code = checks.NPEgress
	}
	c := code.New(report.Pass, "%s", sd.Summary)
	data := SideData{Direction: string(sd.Direction), Isolated: sd.Isolated, Summary: sd.Summary}
	for _, ps := range sd.Policies {
		data.Policies = append(data.Policies, policyRules(ps, false))
		c.Objects = append(c.Objects, policyObject(ps.Policy))
	}
	for _, ps := range sd.Admin {
		data.Admin = append(data.Admin, policyRules(ps, true))
		c.Objects = append(c.Objects, policyObject(ps.Policy))
		if ps.SubjectUncertain {
			c.Status = report.Warn
			c.Facts = append(c.Facts, report.Fact{Name: "uncertain", Value: ps.Policy.String() + ": its subject cannot be read by this version; it may not apply"})
		}
	}
	c.Data = data
	return c
}

func policyRules(ps policy.PolicySummary, admin bool) PolicyRules {
	pr := PolicyRules{Policy: policyData(ps.Policy), SubjectUncertain: ps.SubjectUncertain}
	if admin {
		pr.Tier = ps.Tier
	}
	if admin && ps.Policy.Kind != policy.KindBaselineAdminNetworkPolicy {
		prio := ps.Priority
		pr.Priority = &prio
	}
	for _, r := range ps.Rules {
		pr.Rules = append(pr.Rules, RuleText{Index: r.Index, Name: r.Name, Action: r.Action, Text: r.Text})
	}
	return pr
}

// describeText renders a pod description for the terminal: per direction,
// the summary and every rule of every policy, admin policies first (they are
// evaluated first).
func describeText(d policy.PodDescription) string {
	var b strings.Builder
	for _, sd := range []policy.SideDescription{d.Ingress, d.Egress} {
		if sd.Direction == policy.Ingress {
			fmt.Fprintf(&b, "Ingress: what may reach %s\n", d.Pod)
		} else {
			fmt.Fprintf(&b, "Egress: what %s may reach\n", d.Pod)
		}
		fmt.Fprintf(&b, "  %s\n", sd.Summary)
		for _, ps := range sd.Admin {
			title := ps.Policy.String()
			switch ps.Policy.Kind {
			case policy.KindAdminNetworkPolicy:
				title += fmt.Sprintf(" (priority %d)", ps.Priority)
			case policy.KindClusterNetworkPolicy:
				title += fmt.Sprintf(" (%s tier, priority %d)", ps.Tier, ps.Priority)
			}
			if ps.SubjectUncertain {
				title += " (subject unreadable by this version: may not apply)"
			}
			fmt.Fprintf(&b, "  %s\n", title)
			for _, r := range ps.Rules {
				fmt.Fprintf(&b, "    %s\n", r.Text)
			}
		}
		for _, ps := range sd.Policies {
			fmt.Fprintf(&b, "  NetworkPolicy %s\n", ps.Policy)
			for _, r := range ps.Rules {
				fmt.Fprintf(&b, "    %s\n", r.Text)
			}
		}
	}
	for _, cv := range d.Caveats {
		fmt.Fprintf(&b, "Caveat: %s\n", cv.Message)
	}
	return b.String()
}
