package policy

import (
	"fmt"
	"strings"
)

// PodDescription says which policies apply to a pod and what they let in
// and out, in words.
type PodDescription struct {
	Pod         PodRef
	Labels      map[string]string
	HostNetwork bool
	Ports       []ContainerPort
	Ingress     SideDescription
	Egress      SideDescription
	Caveats     []Caveat
}

// SideDescription covers one direction of a pod.
type SideDescription struct {
	Direction Direction
	// Isolated: a NetworkPolicy selecting the pod has this policyType, or a
	// Cilium rule selecting it puts it in default deny.
	Isolated bool
	// Policies are the NetworkPolicies isolating the pod for the direction,
	// then the Cilium policies with rules selecting it for the direction.
	Policies []PolicySummary
	// Admin are the AdminNetworkPolicies, in evaluation order, then the
	// BaselineAdminNetworkPolicy, whose subject selects the pod and that have
	// rules for the direction.
	Admin []PolicySummary
	// Summary is one sentence about the direction.
	Summary string
}

// PolicySummary is one policy and its rules for a direction.
type PolicySummary struct {
	Policy PolicyRef
	// Tier and Priority are an admin policy's (no priority for the
	// BaselineAdminNetworkPolicy).
	Tier     Tier
	Priority int32
	// SubjectUncertain: the admin policy's subject cannot be read by this
	// version, so it may not apply.
	SubjectUncertain bool
	Rules            []RuleSummary
}

// RuleSummary is one rule in words. Index is 0-based; Text counts from 1.
type RuleSummary struct {
	Index  int
	Name   string
	Action string
	Text   string
}

// Describe summarizes the policies that apply to a pod.
func (e *Engine) Describe(ref PodRef) (PodDescription, error) {
	pi, ok := e.podByRef[ref]
	if !ok {
		return PodDescription{}, fmt.Errorf("pod %s is not in the snapshot", ref)
	}
	p := &e.pods[pi]
	desc := PodDescription{Pod: ref, Labels: p.labels, HostNetwork: p.hostNetwork, Ports: PortsOf(p.pod)}
	if p.hostNetwork {
		desc.Caveats = append(desc.Caveats, Caveat{CaveatHostNetwork, "hostNetwork pod: AdminNetworkPolicies never select it, and most network plugins do not enforce NetworkPolicy on it nor let selectors match it"})
	}
	if e.namespaces[p.ns].implicit {
		desc.Caveats = append(desc.Caveats, Caveat{CaveatImplicitNamespace, fmt.Sprintf("namespace %s is not in the snapshot: only its name label is known", ref.Namespace)})
	}
	for d, dir := range directions() {
		sd := SideDescription{Direction: dir, Isolated: len(p.netpolsFor[d]) > 0}
		for _, ni := range p.netpolsFor[d] {
			sd.Policies = append(sd.Policies, e.describeNetpol(&e.netpols[ni], d, p))
		}
		for _, ci := range p.cilium {
			if ps, ok := e.describeCilium(&e.cilium[ci], d, p); ok {
				sd.Policies = append(sd.Policies, ps)
				sd.Isolated = sd.Isolated || (e.cilium[ci].defaultDeny[d] && e.cilium[ci].subjectOf(pi) == triYes)
			}
		}
		for _, ai := range p.adminsFor[d] {
			sd.Admin = append(sd.Admin, e.describeAdmin(&e.admins[ai], d, p))
		}
		for _, bi := range p.baselinesFor[d] {
			sd.Admin = append(sd.Admin, e.describeAdmin(&e.baselines[bi], d, p))
		}
		sd.Summary = sideSummary(&sd)
		if d == 0 {
			desc.Ingress = sd
		} else {
			desc.Egress = sd
		}
	}
	return desc, nil
}

func sideSummary(sd *SideDescription) string {
	dir := strings.ToLower(string(sd.Direction))
	var s string
	if sd.Isolated {
		refs := make([]PolicyRef, len(sd.Policies))
		for i, ps := range sd.Policies {
			refs[i] = ps.Policy
		}
		s = fmt.Sprintf("isolated for %s by %s: only what their rules allow gets through", dir, policyList(refs))
	} else {
		s = fmt.Sprintf("not isolated for %s by NetworkPolicy: everything is allowed unless an admin policy says otherwise", dir)
	}
	if len(sd.Admin) > 0 {
		refs := make([]PolicyRef, len(sd.Admin))
		for i, ps := range sd.Admin {
			refs[i] = ps.Policy
		}
		s += fmt.Sprintf("; admin policies evaluated first (baseline last): %s", policyList(refs))
	}
	return s
}

func (e *Engine) describeNetpol(np *netpol, d int, p *podInfo) PolicySummary {
	ps := PolicySummary{Policy: np.ref}
	if len(np.rules[d]) == 0 {
		ps.Rules = append(ps.Rules, RuleSummary{Index: -1, Action: actionDeny, Text: fmt.Sprintf("no %s rules: allows nothing", strings.ToLower(string(directions()[d])))})
		return ps
	}
	for ri := range np.rules[d] {
		r := &np.rules[d][ri]
		var peers []string
		if r.allPeers {
			peers = []string{"anywhere"}
		}
		for i := range r.peers {
			peers = append(peers, e.npPeerText(&r.peers[i], np))
		}
		verb := "allows from "
		if d == 1 {
			verb = "allows to "
		}
		ps.Rules = append(ps.Rules, RuleSummary{Index: ri, Action: actionAllow,
			Text: fmt.Sprintf("rule %d: %s%s on %s", ri+1, verb, strings.Join(peers, " or "), e.portsText(r.allPorts, r.ports, d, p))})
	}
	return ps
}

// portsText lists a rule's ports; named ports are resolved on the pod for
// ingress, and on each destination for egress.
func (e *Engine) portsText(all bool, ports []portMatcher, d int, p *podInfo) string {
	if all {
		return "all ports"
	}
	out := make([]string, len(ports))
	for i := range ports {
		if d == 0 {
			out[i] = ports[i].describeFor(p)
		} else {
			out[i] = ports[i].String()
			if ports[i].name != "" {
				out[i] += " (resolved on each destination pod)"
			}
		}
	}
	return strings.Join(out, ", ")
}

func (e *Engine) describeAdmin(a *adminPolicy, d int, p *podInfo) PolicySummary {
	ps := PolicySummary{Policy: a.ref, Tier: a.tier, Priority: a.shownPriority(), SubjectUncertain: a.subject.match(e, p.idx) == triUnknown}
	for ri := range a.rules[d] {
		r := &a.rules[d][ri]
		var peers []string
		for i := range r.peers {
			peers = append(peers, r.peers[i].text)
		}
		if r.failClosed {
			peers = append(peers, "a peer this version cannot read (fails closed)")
		}
		dirWord := "from"
		if d == 1 {
			dirWord = "to"
		}
		ports := "all ports"
		if !r.allPorts {
			ports = e.portsText(false, r.ports, d, p)
			if r.portsFailClosed {
				ports += ", and a port entry this version cannot read"
			}
		}
		label := fmt.Sprintf("rule %d", ri+1)
		if r.name != "" {
			label += fmt.Sprintf(" %q", r.name)
		}
		ps.Rules = append(ps.Rules, RuleSummary{Index: ri, Name: r.name, Action: r.action,
			Text: fmt.Sprintf("%s: %s %s %s on %s", label, r.action, dirWord, strings.Join(peers, " or "), ports)})
	}
	return ps
}

// describeCilium lists the rules of one Cilium rule set for a direction;
// ok is false when it has none there.
func (e *Engine) describeCilium(r *ciliumRule, d int, p *podInfo) (PolicySummary, bool) {
	ps := PolicySummary{Policy: r.ref, SubjectUncertain: r.subjectOf(p.idx) == triUnknown}
	section := []string{"ingress", "egress"}[d]
	word := []string{"from", "to"}[d]
	for _, set := range []struct {
		rules  []ciliumPeerRule
		action string
		name   string
	}{{r.deny[d], actionDeny, section + "Deny"}, {r.allow[d], actionAllow, section}} {
		for i := range set.rules {
			pr := &set.rules[i]
			verb := map[string]string{actionDeny: "denies", actionAllow: "allows"}[set.action]
			ps.Rules = append(ps.Rules, RuleSummary{Index: pr.index, Action: set.action,
				Text: fmt.Sprintf("%s rule %d: %s %s %s on %s", set.name, pr.index+1, verb, word, pr.peersText(), pr.portsText())})
		}
	}
	if len(ps.Rules) == 0 && !r.defaultDeny[d] {
		return ps, false
	}
	if len(ps.Rules) == 0 {
		ps.Rules = append(ps.Rules, RuleSummary{Index: -1, Action: actionDeny, Text: "no rules: default deny, allows nothing"})
	}
	return ps, true
}

func (pr *ciliumPeerRule) peersText() string {
	if !pr.hasL3 {
		if pr.ports == nil && !pr.icmpOnly {
			return "nothing (an empty rule)"
		}
		return "anywhere"
	}
	var out []string
	for _, s := range pr.endpoints {
		t := "endpoints " + s.sel.String()
		if s.namespace != "" {
			t += " in namespace " + s.namespace
		}
		out = append(out, t)
	}
	if len(pr.entities) > 0 {
		out = append(out, "entities "+strings.Join(pr.entities, ","))
	}
	for i := range pr.cidrs {
		out = append(out, pr.cidrs[i].String())
	}
	for i := range pr.nodes {
		out = append(out, "nodes "+pr.nodes[i].String())
	}
	out = append(out, pr.undecidable...)
	return strings.Join(out, " or ")
}

func (pr *ciliumPeerRule) portsText() string {
	switch {
	case pr.icmpOnly:
		return "ICMP only"
	case pr.ports == nil:
		return "all ports"
	}
	out := make([]string, len(pr.ports))
	for i := range pr.ports {
		out[i] = pr.ports[i].String()
		if pr.ports[i].l7 != "" {
			out[i] += " (filtered by " + pr.ports[i].l7 + ")"
		}
	}
	return strings.Join(out, ", ")
}
