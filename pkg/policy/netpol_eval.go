package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// netpolStage decides a side for a pod isolated by NetworkPolicy: allowed if
// any rule of any selecting policy allows the flow. With sv non-nil it
// records every allowing rule, or every miss when none allows.
func (e *Engine) netpolStage(d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict) bool {
	if ex := e.exemption(p, peer); ex != ExemptNone {
		if sv != nil {
			sv.Exemption = ex
			code, msg := CaveatSamePod, "a pod cannot block traffic to itself (NetworkPolicy exemption)"
			if ex == ExemptOwnNode {
				code, msg = CaveatOwnNode, "traffic between a pod and the node it runs on is always allowed by NetworkPolicy"
			}
			sv.Caveats = append(sv.Caveats, Caveat{code, msg})
		}
		return true
	}
	dst := e.portPod(d, p, peer)
	allowed := false
	for _, ni := range p.netpolsFor[d] {
		np := &e.netpols[ni]
		for ri := range np.rules[d] {
			r := &np.rules[d][ri]
			peerIdx, ok := e.npPeerMatch(r, peer)
			if !ok {
				continue
			}
			portIdx, ok := npPortMatch(r, ctx, dst)
			if !ok {
				continue
			}
			if sv == nil {
				return true
			}
			allowed = true
			e.recordAllow(sv, np, d, ri, peerIdx, portIdx, peer, ctx, dst)
		}
	}
	if !allowed && sv != nil {
		e.recordMisses(sv, d, p, peer, ctx, dst)
	}
	return allowed
}

// exemption applies the two NetworkPolicy rules of thumb: a pod cannot
// block itself, and traffic with its own node is always allowed.
func (e *Engine) exemption(p *podInfo, peer endpoint) Exemption {
	if peer.pod == p.idx {
		return ExemptSamePod
	}
	if peer.pod < 0 && peer.ip.IsValid() && peer.ip == p.hostIP {
		return ExemptOwnNode
	}
	return ExemptNone
}

// portPod is the pod on which named ports resolve: the destination of the
// flow, which is p itself for ingress and the peer for egress.
func (e *Engine) portPod(d int, p *podInfo, peer endpoint) *podInfo {
	if d == 0 {
		return p
	}
	if peer.pod >= 0 {
		return &e.pods[peer.pod]
	}
	return nil
}

func (e *Engine) npPeerMatch(r *npRule, peer endpoint) (int, bool) {
	if r.allPeers {
		return -1, true
	}
	for i := range r.peers {
		pe := &r.peers[i]
		if peer.pod >= 0 {
			if pe.pods.has(peer.pod) {
				return i, true
			}
			continue
		}
		if pe.block != nil && peer.ip.IsValid() {
			if ok, _ := pe.block.contains(peer.ip); ok {
				return i, true
			}
		}
	}
	return -1, false
}

func npPortMatch(r *npRule, ctx *flowCtx, dst *podInfo) (int, bool) {
	if r.allPorts {
		return -1, true
	}
	for i := range r.ports {
		if r.ports[i].matches(ctx.proto, ctx.port, dst) {
			return i, true
		}
	}
	return -1, false
}

func ruleLabel(ref PolicyRef, ri int) string {
	return fmt.Sprintf("rule %d of %s", ri+1, ref)
}

func (e *Engine) recordAllow(sv *SideVerdict, np *netpol, d, ri, peerIdx, portIdx int, peer endpoint, ctx *flowCtx, dst *podInfo) {
	r := &np.rules[d][ri]
	var peerText, portText string
	if peerIdx < 0 {
		peerText = "all " + peerNoun(d)
	} else {
		peerText = e.npPeerText(&r.peers[peerIdx], np)
		if len(r.peers) > 1 {
			peerText = fmt.Sprintf("peer %d (%s)", peerIdx+1, peerText)
		}
	}
	if portIdx < 0 {
		portText = "all ports"
	} else {
		portText = r.ports[portIdx].describeFor(dst)
	}
	verb := "allows from"
	if d == 1 {
		verb = "allows to"
	}
	sv.AllowedBy = append(sv.AllowedBy, RuleMatch{
		Policy: np.ref, Rule: ri, Peer: peerIdx, Port: portIdx,
		Reason: fmt.Sprintf("%s %s %s on %s", ruleLabel(np.ref, ri), verb, peerText, portText),
	})
	if peerIdx >= 0 && r.peers[peerIdx].block != nil && peer.pod >= 0 {
		sv.Caveats = appendOnce(sv.Caveats, Caveat{CaveatIPBlockPodIP, fmt.Sprintf("%s matches pod %s by its IP through an ipBlock: ipBlock is meant for cluster-external IPs and whether it applies to pod IPs is implementation-defined", ruleLabel(np.ref, ri), e.pods[peer.pod].ref)})
		if len(e.pods[peer.pod].ips) > 1 {
			sv.Caveats = appendOnce(sv.Caveats, Caveat{CaveatDualStack, fmt.Sprintf("pod %s has several IPs; the ipBlock matched at least one of them, the connection may use another", e.pods[peer.pod].ref)})
		}
	}
}

func appendOnce(cs []Caveat, c Caveat) []Caveat {
	if slices.Contains(cs, c) {
		return cs
	}
	return append(cs, c)
}

func peerNoun(d int) string {
	if d == 1 {
		return "destinations"
	}
	return "sources"
}

// npPeerText describes a peer in words: "pods app=web in namespace prod".
func (e *Engine) npPeerText(pe *npPeer, np *netpol) string {
	switch {
	case pe.block != nil:
		return "IPs in " + pe.block.String()
	case pe.nsSel == nil:
		if pe.podSel.isEmpty() {
			return "all pods in namespace " + np.ref.Namespace
		}
		return "pods " + pe.podSel.String() + " in namespace " + np.ref.Namespace
	case pe.podSel == nil:
		if pe.nsSel.isEmpty() {
			return "all pods in all namespaces"
		}
		return "all pods in namespaces " + pe.nsSel.String()
	default:
		pods, nss := "pods "+pe.podSel.String(), "namespaces "+pe.nsSel.String()
		if pe.podSel.isEmpty() {
			pods = "all pods"
		}
		if pe.nsSel.isEmpty() {
			nss = "all namespaces"
		}
		return pods + " in " + nss
	}
}

// recordMisses explains, for every rule of every policy isolating p, why it
// does not allow the flow, closest first.
func (e *Engine) recordMisses(sv *SideVerdict, d int, p *podInfo, peer endpoint, ctx *flowCtx, dst *podInfo) {
	for _, ni := range p.netpolsFor[d] {
		np := &e.netpols[ni]
		if len(np.rules[d]) == 0 {
			sv.Misses = append(sv.Misses, Miss{
				Policy: np.ref, Rule: -1, Peer: -1, Port: -1, Closeness: 3*3 + 2,
				Reason: fmt.Sprintf("%s has no %s rules: it selects the pod and allows nothing", np.ref, strings.ToLower(string(directions()[d]))),
			})
			continue
		}
		for ri := range np.rules[d] {
			sv.Misses = append(sv.Misses, e.ruleMiss(np, d, ri, peer, ctx, dst))
		}
	}
	slices.SortStableFunc(sv.Misses, func(a, b Miss) int { return cmp.Compare(a.Closeness, b.Closeness) })
}

func (e *Engine) ruleMiss(np *netpol, d, ri int, peer endpoint, ctx *flowCtx, dst *podInfo) Miss {
	r := &np.rules[d][ri]
	m := Miss{Policy: np.ref, Rule: ri, Peer: -1, Port: -1}
	peerDist := 0
	if !r.allPeers {
		peerDist = 4
		for i := range r.peers {
			dist, why := e.npPeerDistance(&r.peers[i], np, peer)
			if dist < peerDist {
				peerDist, m.Peer, m.PeerReason = dist, i, why
				if len(r.peers) > 1 && why != "" {
					m.PeerReason = fmt.Sprintf("peer %d: %s", i+1, why)
				}
			}
		}
	}
	portDist := 0
	if !r.allPorts {
		portDist = 3
		allowed := make([]string, len(r.ports))
		for i := range r.ports {
			allowed[i] = r.ports[i].describeFor(dst)
			if dist := r.ports[i].distance(ctx.proto, ctx.port, dst); dist < portDist {
				portDist, m.Port = dist, i
			}
		}
		if portDist > 0 {
			m.PortReason = fmt.Sprintf("allows %s, not %s %d", strings.Join(allowed, ", "), ctx.proto, ctx.port)
		}
	}
	m.PeerMatched, m.PortMatched = peerDist == 0, portDist == 0
	m.Closeness = 3*peerDist + portDist
	label := ruleLabel(np.ref, ri)
	switch {
	case m.PeerMatched:
		m.Reason = label + " " + m.PortReason
	case m.PortMatched:
		m.Reason = label + ": " + m.PeerReason
	default:
		m.Reason = label + ": " + m.PeerReason + "; and it " + m.PortReason
	}
	return m
}

// npPeerDistance grades how close a peer came to matching the other
// endpoint (see Miss) and says why it did not match.
func (e *Engine) npPeerDistance(pe *npPeer, np *netpol, peer endpoint) (int, string) {
	if pe.block != nil {
		return e.ipBlockDistance(pe.block, peer)
	}
	if peer.pod < 0 {
		return 3, fmt.Sprintf("%s selects pods, but the other end is %s", e.npPeerText(pe, np), e.endpointText(peer))
	}
	q := &e.pods[peer.pod]
	ns := &e.namespaces[q.ns]
	var held, total int
	var why []string
	total++
	if e.npPeerNamespaceMatches(pe, np.ns, q.ns) {
		held++
	} else if pe.nsSel == nil {
		why = append(why, fmt.Sprintf("podSelector %s only selects pods in namespace %s; pod %s is in namespace %s", pe.podSel, np.ref.Namespace, q.ref, q.ref.Namespace))
	} else {
		w := fmt.Sprintf("namespaceSelector %s does not match namespace %s labels %s", pe.nsSel, ns.name, namespaceLabelsForText(ns.labels, pe.nsSel.source))
		if ns.implicit {
			w += " (namespace not in the snapshot: only its name label is known)"
		}
		why = append(why, w)
	}
	if pe.podSel != nil {
		total++
		if pe.podSel.matches(q.labels) {
			held++
		} else {
			why = append(why, fmt.Sprintf("podSelector %s does not match pod %s labels %s", pe.podSel, q.ref, FormatLabels(q.labels)))
		}
	}
	switch {
	case held == total:
		return 0, ""
	case held > 0:
		return 1, strings.Join(why, "; ")
	default:
		return 2, strings.Join(why, "; ")
	}
}

func (e *Engine) ipBlockDistance(cs *cidrSet, peer endpoint) (int, string) {
	var ips []string
	var addrs = []endpoint{peer}
	if peer.pod >= 0 {
		q := &e.pods[peer.pod]
		if len(q.ips) == 0 {
			return 3, fmt.Sprintf("ipBlock %s cannot match pod %s: its IP is not in the snapshot", cs, q.ref)
		}
		addrs = addrs[:0]
		for _, ip := range q.ips {
			addrs = append(addrs, endpoint{pod: -1, ip: ip})
		}
	}
	if !peer.ip.IsValid() && peer.pod < 0 {
		return 3, fmt.Sprintf("ipBlock %s cannot match %s", cs, e.endpointText(peer))
	}
	best, why := 2, ""
	for _, a := range addrs {
		ips = append(ips, a.ip.String())
		ok, ex := cs.contains(a.ip)
		if ok {
			return 0, ""
		}
		if ex.IsValid() {
			best, why = 1, fmt.Sprintf("ipBlock %s contains %s but except %s excludes it", cs.cidr, a.ip, ex)
		}
	}
	if best == 2 {
		why = fmt.Sprintf("ipBlock %s does not contain %s", cs, strings.Join(ips, ","))
	}
	return best, why
}
