package policy

import (
	"fmt"
	"net/netip"
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
		for _, ps := range e.describeCalico(d, p) {
			sd.Policies = append(sd.Policies, ps)
			sd.Isolated = sd.Isolated || !ps.SubjectUncertain
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

// describeCalico lists, in evaluation order, the Calico policies that
// select or may select the pod for a direction, with their rules.
func (e *Engine) describeCalico(d int, p *podInfo) []PolicySummary {
	var out []PolicySummary
	for _, sl := range e.calicoSlots {
		if sl.kind != slotTier {
			continue
		}
		for _, ci := range e.calicoTiers[sl.tier].policies {
			c := &e.calicoPols[ci]
			subj := c.subjectOf(p.idx)
			if !c.types[d] || subj == triNo {
				continue
			}
			ps := PolicySummary{Policy: c.ref, SubjectUncertain: subj == triUnknown}
			where := c.place(e)
			where = where[len(c.ref.String())+1:]
			word := []string{"from", "to"}[d]
			for ri := range c.rules[d] {
				r := &c.rules[d][ri]
				peerEnt, selfEnt := &r.src, &r.dst
				if d == 1 {
					peerEnt, selfEnt = &r.dst, &r.src
				}
				text := fmt.Sprintf("%s rule %d: %s %s %s", where, ri+1, r.action, word, peerEnt.text())
				if t := r.matchText(selfEnt, d); t != "" {
					text += " " + t
				}
				ps.Rules = append(ps.Rules, RuleSummary{Index: ri, Action: r.action, Text: text})
			}
			if len(ps.Rules) == 0 {
				ps.Rules = append(ps.Rules, RuleSummary{Index: -1, Action: actionDeny, Text: fmt.Sprintf("%s no %s rules: the tier's default action applies", where, strings.ToLower(string(directions()[d])))})
			}
			out = append(out, ps)
		}
	}
	return out
}

// text describes an entity's identity and network fields.
func (en *calicoEntity) text() string {
	var out []string
	if en.nsSel.set {
		out = append(out, "namespaces "+calicoSelText(&en.nsSel))
	}
	if en.sel.set {
		out = append(out, "endpoints "+calicoSelText(&en.sel))
	}
	if en.notSel.set {
		out = append(out, "not endpoints "+calicoSelText(&en.notSel))
	}
	if len(en.saNames) > 0 {
		out = append(out, "service accounts "+strings.Join(en.saNames, ","))
	}
	if en.saSel.set {
		out = append(out, "service accounts "+calicoSelText(&en.saSel))
	}
	if len(en.nets) > 0 {
		out = append(out, "nets "+prefixesText(en.nets))
	}
	if len(en.notNets) > 0 {
		out = append(out, "not nets "+prefixesText(en.notNets))
	}
	if en.services {
		out = append(out, "a Service")
	}
	if len(out) == 0 {
		return "anywhere"
	}
	return strings.Join(out, " and ")
}

// matchText describes the rule's protocol, the pod's own entity fields
// and the destination ports.
func (r *calicoRule) matchText(self *calicoEntity, d int) string {
	var out []string
	if id := self.text(); id != "anywhere" {
		out = append(out, "when the pod matches "+id)
	}
	if r.proto != 0 {
		out = append(out, "protocol "+calicoProtoName(r.proto))
	}
	if r.notProto != 0 {
		out = append(out, "protocol not "+calicoProtoName(r.notProto))
	}
	dst := &r.dst
	if len(dst.ports) > 0 {
		out = append(out, "ports "+calicoPortsText(dst.ports))
	}
	if len(dst.notPorts) > 0 {
		out = append(out, "ports not "+calicoPortsText(dst.notPorts))
	}
	if r.ipVersion != 0 {
		out = append(out, familyName(r.ipVersion)+" only")
	}
	if r.icmp {
		out = append(out, "ICMP only")
	}
	if len(r.undecidable) > 0 {
		out = append(out, "and "+strings.Join(r.undecidable, ", ")+" matches")
	}
	return strings.Join(out, ", ")
}

func calicoSelText(s *calicoSel) string {
	if t := s.sel.String(); t != "" {
		return t
	}
	return "all()"
}

func calicoProtoName(n uint8) string {
	for name, num := range calicoProtocolNumbers {
		if num == n {
			return name
		}
	}
	return fmt.Sprint(n)
}

func calicoPortsText(ports []CalicoPort) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func prefixesText(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}
