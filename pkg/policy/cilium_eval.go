package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// ciliumVerdict is what the Cilium rules selecting a pod say about one
// side: whether a deny rule matches, whether an allow rule matches, and
// whether default deny is on (each may be unknown).
type ciliumVerdict struct {
	deny, allow, isolates tri
}

// ciliumSide judges the Cilium rules that select p for direction d. Per
// Cilium, deny rules win over every allow (Cilium's, and NetworkPolicy's),
// allows of Cilium and NetworkPolicy add up, and a pod is in default deny
// for a direction when a rule selecting it has a section for it (unless
// enableDefaultDeny turns that off). With sv it records the rules that
// match or may.
func (e *Engine) ciliumSide(d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict) ciliumVerdict {
	var v ciliumVerdict
	dst := e.portPod(d, p, peer)
	var misses []Miss
	for _, ci := range p.cilium {
		r := &e.cilium[ci]
		subj := r.subjectOf(p.idx)
		if r.defaultDeny[d] {
			v.isolates = v.isolates.or(subj)
			if sv != nil && subj == triYes && !slices.Contains(sv.SelectingPolicies, r.ref) {
				sv.SelectingPolicies = append(sv.SelectingPolicies, r.ref)
			}
		}
		for i := range r.deny[d] {
			pr := &r.deny[d][i]
			m, _ := e.ciliumRuleMatch(pr, p, peer, ctx, dst)
			m = m.and(subj)
			v.deny = v.deny.or(m)
			if sv != nil && m != triNo {
				e.recordCilium(sv, r, d, pr, m, "denies", p, peer, ctx, dst, "")
			}
		}
		for i := range r.allow[d] {
			pr := &r.allow[d][i]
			m, l7 := e.ciliumRuleMatch(pr, p, peer, ctx, dst)
			if m != triNo && l7 != "" {
				m = triUnknown
			}
			m = m.and(subj)
			v.allow = v.allow.or(m)
			if sv != nil && m != triNo {
				e.recordCilium(sv, r, d, pr, m, "allows", p, peer, ctx, dst, l7)
			}
			if sv != nil && m == triNo && subj == triYes {
				misses = append(misses, e.ciliumMiss(r, d, pr, p, peer, ctx, dst))
			}
		}
	}
	if sv != nil && v.allow == triNo && len(misses) > 0 {
		sv.Misses = append(sv.Misses, misses...)
		slices.SortStableFunc(sv.Misses, func(a, b Miss) int { return cmp.Compare(a.Closeness, b.Closeness) })
	}
	return v
}

// ciliumMiss says why an allow rule did not match, graded as NetworkPolicy
// misses are (Miss.Closeness): the peer matched or not (an empty rule is
// the farthest), the port matched, had the same protocol, or not.
func (e *Engine) ciliumMiss(r *ciliumRule, d int, pr *ciliumPeerRule, p *podInfo, peer endpoint, ctx *flowCtx, dst *podInfo) Miss {
	m := Miss{Policy: r.ref, Rule: pr.index, Peer: -1, Port: -1}
	peerDist := 2
	switch pm := e.ciliumPeerMatch(pr, p, peer, ctx); {
	case !pr.hasL3 && pr.ports == nil && !pr.icmpOnly:
		peerDist, m.PeerReason = 3, "an empty rule allows nothing"
	case pm == triYes:
		peerDist, m.PeerMatched = 0, true
		m.PeerReason = fmt.Sprintf("%s matches %s", pr.peersText(), e.endpointText(peer))
	default:
		m.PeerReason = fmt.Sprintf("%s does not match %s", pr.peersText(), e.endpointText(peer))
	}
	portDist := 0
	switch {
	case pr.icmpOnly:
		portDist, m.PortReason = 2, "the rule only allows ICMP"
	case pr.ports == nil:
		m.PortMatched = true
	default:
		portDist = 2
		for i := range pr.ports {
			portDist = min(portDist, pr.ports[i].distance(ctx.proto, ctx.port, dst))
		}
		m.PortMatched = portDist == 0
		if !m.PortMatched {
			m.PortReason = fmt.Sprintf("%s %d is not among %s", ctx.proto, ctx.port, pr.portsText())
		}
	}
	m.Closeness = 3*peerDist + portDist
	section := []string{"ingress", "egress"}[d]
	why := m.PeerReason
	if m.PortReason != "" {
		if m.PeerMatched {
			why = m.PortReason
		} else {
			why += "; " + m.PortReason
		}
	}
	m.Reason = fmt.Sprintf("%s %s rule %d: %s", r.ref, section, pr.index+1, why)
	return m
}

// subjectOf is whether the rule selects pod pi (precomputed).
func (r *ciliumRule) subjectOf(pi int) tri { return r.selects.has(pi) }

// ciliumRuleMatch is whether a rule matches the peer and port; l7 names the
// L7 filter of the matching port entry, if any (it then decides requests).
func (e *Engine) ciliumRuleMatch(pr *ciliumPeerRule, p *podInfo, peer endpoint, ctx *flowCtx, dst *podInfo) (tri, string) {
	port, l7 := pr.portMatch(ctx, dst)
	if port == triNo {
		return triNo, ""
	}
	return port.and(e.ciliumPeerMatch(pr, p, peer, ctx)), l7
}

func (pr *ciliumPeerRule) portMatch(ctx *flowCtx, dst *podInfo) (tri, string) {
	switch {
	case pr.icmpOnly:
		return triNo, ""
	case pr.ports == nil:
		return triYes, ""
	}
	m := triNo
	for i := range pr.ports {
		pm := &pr.ports[i]
		switch {
		case pm.matches(ctx.proto, ctx.port, dst):
			return triYes, pm.l7
		case pm.name != "" && dst == nil && pm.protocol == ctx.proto:
			// A named port on an address: nothing to resolve it on.
			m = triUnknown
		}
	}
	return m, ""
}

// ciliumPeerMatch is whether the rule's peer fields select the other
// endpoint. Pods are endpoints with identities; hostNetwork pods and node
// addresses are the host (the pod's own node) or a remote node; any other
// address is the world. CIDR rules do not select endpoints, and whether
// they select nodes is an agent setting (policy-cidr-match-mode).
func (e *Engine) ciliumPeerMatch(pr *ciliumPeerRule, p *podInfo, peer endpoint, ctx *flowCtx) tri {
	if !pr.hasL3 {
		if pr.ports == nil && !pr.icmpOnly {
			return triNo // an empty rule only turns default deny on
		}
		return triYes
	}
	m := triNo
	if peer.pod >= 0 && !e.pods[peer.pod].hostNetwork {
		for i := range pr.endpoints {
			m = m.or(e.ciliumSelects(&pr.endpoints[i], peer.pod))
		}
		for _, ent := range pr.entities {
			switch ent {
			case "all", "cluster":
				m = triYes
			case "world", "world-ipv4", "world-ipv6", "host", "remote-node", "kube-apiserver", "health", "init", "ingress", "unmanaged", "none":
			default:
				m = m.or(triUnknown) // an entity this version does not know
			}
		}
	} else {
		m = e.ciliumAddressMatch(pr, p, peer, ctx)
	}
	if m != triYes && len(pr.undecidable) > 0 {
		m = triUnknown
	}
	for _, u := range pr.undecidable {
		if strings.HasSuffix(u, "Requires") && m == triYes {
			m = triUnknown // requirements narrow the other selectors
		}
	}
	return m
}

// ciliumAddressMatch matches a peer that is not a Cilium endpoint: a
// hostNetwork pod (its node) or an address.
func (e *Engine) ciliumAddressMatch(pr *ciliumPeerRule, p *podInfo, peer endpoint, ctx *flowCtx) tri {
	var host, remote, known bool
	ip := peer.ip
	if peer.pod >= 0 {
		q := &e.pods[peer.pod]
		host, remote, known = q.pod.Spec.NodeName == p.pod.Spec.NodeName, q.pod.Spec.NodeName != p.pod.Spec.NodeName, q.pod.Spec.NodeName != ""
		ip = q.nodeAddr(ctx.fam)
	} else if ip.IsValid() {
		host, remote, known = e.nodeKind(p, ip)
	}
	isNode := triOf(host || remote)
	if !known {
		isNode = triUnknown
	}
	m := triNo
	for _, ent := range pr.entities {
		switch ent {
		case "all":
			m = triYes
		case "host":
			m = m.or(known3(host, known))
		case "remote-node":
			m = m.or(known3(remote, known))
		case "cluster":
			m = m.or(isNode)
		case "world":
			m = m.or(not3(isNode))
		case "world-ipv4", "world-ipv6":
			if ip.IsValid() && (ent == "world-ipv4") == ip.Is4() {
				m = m.or(not3(isNode))
			}
		case "none":
		default: // kube-apiserver, ingress, health, init, unmanaged, unknown
			m = m.or(triUnknown)
		}
	}
	for i := range pr.cidrs {
		switch {
		case !ip.IsValid():
			m = m.or(triUnknown)
		case isNode != triNo:
			// Whether CIDRs select nodes is the agent's
			// policy-cidr-match-mode.
			if in, _ := pr.cidrs[i].contains(ip); in {
				m = m.or(triUnknown)
			}
		default:
			if in, _ := pr.cidrs[i].contains(ip); in {
				m = triYes
			}
		}
	}
	if len(pr.nodes) > 0 && isNode != triNo {
		n, ok := e.nodeOf(peer, ip)
		for i := range pr.nodes {
			if ok {
				m = m.or(triOf(pr.nodes[i].matches(e.nodes[n].labels)).and(isNode))
			} else {
				m = m.or(triUnknown)
			}
		}
	}
	return m
}

func known3(b, known bool) tri {
	if !known {
		return triUnknown
	}
	return triOf(b)
}

func not3(t tri) tri {
	switch t {
	case triYes:
		return triNo
	case triNo:
		return triYes
	}
	return triUnknown
}

// recordCilium explains a Cilium rule that matched the flow (m yes) or may
// have (m unknown: l7 names an L7 filter that decides, or a field the engine
// cannot judge).
func (e *Engine) recordCilium(sv *SideVerdict, r *ciliumRule, d int, pr *ciliumPeerRule, m tri, verb string, p *podInfo, peer endpoint, ctx *flowCtx, dst *podInfo, l7 string) {
	section := []string{"ingress", "egress"}[d]
	if verb == "denies" {
		section += "Deny"
	}
	label := fmt.Sprintf("%s %s rule %d", r.ref, section, pr.index+1)
	if r.spec > 0 {
		label = fmt.Sprintf("%s (specs[%d]) %s rule %d", r.ref, r.spec, section, pr.index+1)
	}
	rm := RuleMatch{Policy: r.ref, Rule: pr.index, Peer: -1, Port: -1}
	if m == triYes {
		rm.Reason = fmt.Sprintf("%s %s %s %s", label, verb, []string{"from", "to"}[d], e.endpointText(peer))
		if verb == "denies" {
			sv.DeniedBy = append(sv.DeniedBy, rm)
		} else {
			sv.AllowedBy = append(sv.AllowedBy, rm)
		}
		return
	}
	var why []string
	switch {
	case l7 != "":
		why = append(why, fmt.Sprintf("it matches at L3/L4 but its %s decide each request", l7))
	case len(pr.undecidable) > 0:
		why = append(why, fmt.Sprintf("its %s cannot be judged from the cluster's objects", strings.Join(pr.undecidable, ", ")))
	case r.subjectOf(p.idx) == triUnknown:
		why = append(why, fmt.Sprintf("whether its endpointSelector selects pod %s is unknown (%s)", p.ref, r.subject.unknownText()))
	default:
		why = append(why, fmt.Sprintf("whether it selects %s is unknown (a node, an address or an entity the snapshot cannot place)", e.endpointText(peer)))
	}
	rm.Reason = fmt.Sprintf("%s (%s) may match: %s", label, verb, strings.Join(why, "; "))
	sv.Uncertain = append(sv.Uncertain, rm)
}

func (s *ciliumSelector) unknownText() string {
	if s.unknown != "" {
		return "it reads " + s.unknown
	}
	return "it reads namespace labels the snapshot does not have"
}
