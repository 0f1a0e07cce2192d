package netpol

import (
	"fmt"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// maxMissFacts bounds the misses listed per side; Data has them all.
const maxMissFacts = 10

// SideVerdictData is one side of a flow in JSON. Rule, peer and port indices
// are 0-based positions in the policy's lists; -1 means "all" (a rule
// without peers or ports) or "not applicable". Number (JSON "rule") is
// the rule's number as the prose says it ("rule 2"), ruleIndex+1, absent when
// ruleIndex is -1.
type SideVerdictData struct {
	Direction         string           `json:"direction"`
	Pod               string           `json:"pod,omitempty"`
	Result            string           `json:"result"`
	DecidedBy         string           `json:"decidedBy,omitempty"`
	Exemption         string           `json:"exemption,omitempty"`
	Isolated          bool             `json:"isolated"`
	SelectingPolicies []PolicyData     `json:"selectingPolicies,omitempty"`
	AllowedBy         []RuleMatchData  `json:"allowedBy,omitempty"`
	DeniedBy          []RuleMatchData  `json:"deniedBy,omitempty"`
	Uncertain         []RuleMatchData  `json:"uncertain,omitempty"`
	Admin             []AdminMatchData `json:"admin,omitempty"`
	Misses            []MissData       `json:"misses,omitempty"`
	Caveats           []CaveatData     `json:"caveats,omitempty"`
	Reason            string           `json:"reason"`
}

// RuleMatchData is a NetworkPolicy or Cilium rule, peer and port that
// allow a flow (deny it, or may allow or deny it).
type RuleMatchData struct {
	Policy PolicyData `json:"policy"`
	Rule   int        `json:"ruleIndex"`
	Number int        `json:"rule,omitempty"`
	Peer   int        `json:"peerIndex"`
	Port   int        `json:"portIndex"`
	Reason string     `json:"reason"`
}

// AdminMatchData is an admin policy rule that matched, or might have.
type AdminMatchData struct {
	Policy PolicyData `json:"policy"`
	// Layer is the policy's kind and tier (policy.Layer values).
	Layer    string `json:"layer"`
	Priority int32  `json:"priority"`
	Rule     int    `json:"ruleIndex"`
	Number   int    `json:"rule,omitempty"`
	RuleName string `json:"ruleName,omitempty"`
	Action   string `json:"action"`
	Peer     int    `json:"peerIndex"`
	Port     int    `json:"portIndex"`
	Certain  bool   `json:"certain"`
	Reason   string `json:"reason"`
}

// MissData is why one NetworkPolicy (or Cilium) rule did not allow a flow.
// Closeness ranks the misses, closest first: 3*peer distance + port
// distance (policy.Miss), from 0 to 11.
type MissData struct {
	Policy      PolicyData `json:"policy"`
	Rule        int        `json:"ruleIndex"`
	Number      int        `json:"rule,omitempty"`
	Peer        int        `json:"peerIndex"`
	Port        int        `json:"portIndex"`
	PeerMatched bool       `json:"peerMatched"`
	PortMatched bool       `json:"portMatched"`
	Closeness   int        `json:"closeness"`
	PeerReason  string     `json:"peerReason,omitempty"`
	PortReason  string     `json:"portReason,omitempty"`
	Reason      string     `json:"reason"`
}

// ruleNumber is a rule's number as prose says it ("rule 2"), from its
// 0-based index; 0 (left out of JSON) for -1, no rule.
func ruleNumber(index int) int {
	if index < 0 {
		return 0
	}
	return index + 1
}

func sideData(sv policy.SideVerdict) SideVerdictData {
	d := SideVerdictData{
		Direction: string(sv.Direction), Result: string(sv.Result), DecidedBy: string(sv.DecidedBy),
		Exemption: string(sv.Exemption), Isolated: sv.Isolated, Caveats: caveatData(sv.Caveats), Reason: sv.Reason,
	}
	if sv.Pod.Name != "" {
		d.Pod = sv.Pod.String()
	}
	for _, p := range sv.SelectingPolicies {
		d.SelectingPolicies = append(d.SelectingPolicies, policyData(p))
	}
	for _, list := range []struct {
		from []policy.RuleMatch
		to   *[]RuleMatchData
	}{{sv.AllowedBy, &d.AllowedBy}, {sv.DeniedBy, &d.DeniedBy}, {sv.Uncertain, &d.Uncertain}} {
		for _, m := range list.from {
			*list.to = append(*list.to, RuleMatchData{Policy: policyData(m.Policy), Rule: m.Rule, Number: ruleNumber(m.Rule), Peer: m.Peer, Port: m.Port, Reason: m.Reason})
		}
	}
	for _, m := range sv.Admin {
		d.Admin = append(d.Admin, AdminMatchData{Policy: policyData(m.Policy), Layer: string(m.Layer), Priority: m.Priority, Rule: m.Rule, Number: ruleNumber(m.Rule), RuleName: m.RuleName,
			Action: m.Action, Peer: m.Peer, Port: m.Port, Certain: m.Certain, Reason: m.Reason})
	}
	for _, m := range sv.Misses {
		d.Misses = append(d.Misses, MissData{Policy: policyData(m.Policy), Rule: m.Rule, Number: ruleNumber(m.Rule), Peer: m.Peer, Port: m.Port,
			PeerMatched: m.PeerMatched, PortMatched: m.PortMatched, Closeness: m.Closeness,
			PeerReason: m.PeerReason, PortReason: m.PortReason, Reason: m.Reason})
	}
	return d
}

// checkSide (NP006 the source's egress, NP007 the destination's ingress):
// one side of one flow. An allow names the rule, peer and port that allow
// it; a NetworkPolicy deny lists why each candidate rule missed, closest
// first; an admin deny names the admin rule.
func checkSide(v policy.Verdict, sv policy.SideVerdict, ep policy.Endpoint, cluster bool) report.Check {
	code := checks.NPFlowIn
	dir := "ingress"
	if sv.Direction == policy.Egress {
		code, dir = checks.NPFlowOut, "egress"
	}
	who := podText(ep)
	if sv.Pod.Name != "" {
		who = sv.Pod.String()
	}
	port := portLabel(v.Port.Protocol, v.Port.Number, v.Port.Name)
	var c report.Check
	switch sv.Result {
	case policy.Allowed:
		c = code.New(report.Pass, "%s of %s on %s allowed: %s", dir, who, port, sv.Reason)
		if doubtful(sv.Caveats) {
			c.Status = report.Warn
		}
	case policy.Denied:
		why := sv.Reason
		if sv.DecidedBy == policy.LayerNetworkPolicy {
			why = fmt.Sprintf("isolated by %s and no rule allows it", policyNames(sv.SelectingPolicies))
		}
		c = code.New(report.Fail, "%s of %s on %s denied: %s", dir, who, port, why)
		if cluster {
			c.Next = denyNext(sv)
		}
	default:
		c = code.New(report.Warn, "%s of %s on %s undecided: %s", dir, who, port, sv.Reason)
	}
	if sv.Pod.Name != "" {
		c.Objects = append(c.Objects, podObject(sv.Pod))
		if sv.Isolated {
			c.Facts = append(c.Facts, report.Fact{Name: "selected by", Value: policyNames(sv.SelectingPolicies)})
		} else {
			c.Facts = append(c.Facts, report.Fact{Name: "selected by", Value: "no NetworkPolicy selects the pod for " + dir})
		}
	}
	for _, p := range sv.SelectingPolicies {
		c.Objects = append(c.Objects, policyObject(p))
	}
	for i, m := range sv.AllowedBy {
		if i > 0 || sv.Result != policy.Allowed {
			c.Facts = append(c.Facts, report.Fact{Name: "also allowed by", Value: m.Reason})
		}
	}
	for _, m := range sv.Admin {
		val := m.Reason
		if !m.Certain {
			val += " (cannot be evaluated from what was read)"
		}
		c.Facts = append(c.Facts, report.Fact{Name: "admin", Value: val})
	}
	for i, m := range sv.Misses {
		if i == maxMissFacts {
			c.Facts = append(c.Facts, report.Fact{Name: "misses", Value: fmt.Sprintf("and %d more (all in -o json)", len(sv.Misses)-i)})
			break
		}
		name := "miss"
		if i == 0 {
			name = "closest miss"
		}
		c.Facts = append(c.Facts, report.Fact{Name: name, Value: m.Reason})
	}
	for _, cv := range sv.Caveats {
		c.Facts = append(c.Facts, report.Fact{Name: "caveat", Value: cv.Message})
	}
	return c
}

// denyNext shows the policies that decided a deny: the closest misses'
// policies first, else the admin rule's.
func denyNext(sv policy.SideVerdict) []string {
	var refs []policy.PolicyRef
	add := func(r policy.PolicyRef) {
		for _, x := range refs {
			if x == r {
				return
			}
		}
		refs = append(refs, r)
	}
	switch sv.DecidedBy {
	case policy.LayerNetworkPolicy, policy.LayerCilium:
		for _, m := range sv.DeniedBy {
			add(m.Policy)
		}
		for _, m := range sv.Misses {
			add(m.Policy)
		}
		for _, r := range sv.SelectingPolicies {
			add(r)
		}
	case policy.LayerAdmin, policy.LayerBaseline, policy.LayerClusterAdmin, policy.LayerClusterBaseline:
		for i := len(sv.Admin) - 1; i >= 0; i-- {
			if sv.Admin[i].Certain {
				add(sv.Admin[i].Policy)
				break
			}
		}
	}
	var next []string
	for i, r := range refs {
		if i == 2 {
			break
		}
		next = append(next, policyCommand(r))
	}
	return next
}

func policyNames(refs []policy.PolicyRef) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}
