package policy

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// netpolStage decides a side for a pod isolated by NetworkPolicy: allowed if
// any rule of any selecting policy allows the flow, both results possible
// when no rule surely does but one might (its peer cannot be evaluated from
// the snapshot), denied otherwise. With sv non-nil it records every allowing
// rule, or the rules that might allow and every miss when none surely does.
func (e *Engine) netpolStage(d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict) outcome {
	if ex := e.exemption(p, peer); ex != ExemptNone {
		if sv != nil {
			sv.Exemption = ex
			code, msg := CaveatSamePod, "a pod cannot block traffic to itself (NetworkPolicy exemption)"
			if ex == ExemptOwnNode {
				code, msg = CaveatOwnNode, "traffic between a pod and the node it runs on is always allowed by NetworkPolicy"
			}
			sv.Caveats = append(sv.Caveats, Caveat{code, msg})
		}
		return outAllow
	}
	dst := e.portPod(d, p, peer)
	exact := ctx.peerExact[d]
	allowed, uncertain := false, false
	for _, ni := range p.netpolsFor[d] {
		np := &e.netpols[ni]
		for ri := range np.rules[d] {
			r := &np.rules[d][ri]
			// npPeerMatch, spelled out: the matrix spends its time here.
			var peerIdx int
			var m tri
			switch {
			case r.allPeers:
				peerIdx, m = -1, triYes
			case exact:
				peerIdx, m = r.podPeerMatch(peer.pod)
			default:
				peerIdx, m = e.npPeerMatchSlow(r, peer, ctx)
			}
			if m == triNo {
				continue
			}
			portIdx, ok := npPortMatch(r, ctx, dst)
			if !ok {
				continue
			}
			if m == triUnknown {
				uncertain = true
				if sv != nil && !allowed {
					e.recordUncertain(sv, np, d, ri, peerIdx, portIdx, peer, ctx, dst)
				}
				continue
			}
			if sv == nil {
				return outAllow
			}
			allowed = true
			sv.Uncertain = nil
			e.recordAllow(sv, np, d, ri, peerIdx, portIdx, peer, ctx, dst)
		}
	}
	switch {
	case allowed:
		return outAllow
	case sv != nil:
		e.recordMisses(sv, d, p, peer, ctx, dst)
	}
	if uncertain {
		return outAllow | outDeny
	}
	return outDeny
}

// exemption applies the two NetworkPolicy rules of thumb: a pod cannot
// block itself, and traffic with its own node is always allowed.
func (e *Engine) exemption(p *podInfo, peer endpoint) Exemption {
	if peer.pod == p.idx {
		return ExemptSamePod
	}
	if peer.pod < 0 && peer.ip.IsValid() && slices.Contains(p.hostIPs, peer.ip) {
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

// npPeerMatch returns the first peer of r that matches the other endpoint,
// else the first that may (unknown), else no. exact is ctx.peerExact of the
// side.
func (e *Engine) npPeerMatch(r *npRule, peer endpoint, ctx *flowCtx, exact bool) (int, tri) {
	switch {
	case r.allPeers:
		return -1, triYes
	case exact:
		return r.podPeerMatch(peer.pod)
	default:
		return e.npPeerMatchSlow(r, peer, ctx)
	}
}

// podPeerMatch is npPeerMatch for a pod the bitsets settle: a leaf, kept
// small for the matrix loop.
func (r *npRule) podPeerMatch(pod int) (int, tri) {
	for i := range r.peers {
		if r.peers[i].pods.has(pod) {
			return i, triYes
		}
	}
	return -1, triNo
}

func (e *Engine) npPeerMatchSlow(r *npRule, peer endpoint, ctx *flowCtx) (int, tri) {
	first := -1
	for i := range r.peers {
		switch e.npPeerTri(&r.peers[i], peer, ctx) {
		case triYes:
			return i, triYes
		case triUnknown:
			if first < 0 {
				first = i
			}
		}
	}
	if first >= 0 {
		return first, triUnknown
	}
	return -1, triNo
}

// npPeerTri matches one peer against the other endpoint: an ipBlock against
// its address of the flow's family, selectors against a pod.
func (e *Engine) npPeerTri(pe *npPeer, peer endpoint, ctx *flowCtx) tri {
	if blk := pe.block; blk != nil {
		return e.addrsTri(peer, ctx, func(ip netip.Addr) bool {
			ok, _ := blk.contains(ip)
			return ok
		}, blk.containsUnknown)
	}
	if peer.pod < 0 {
		return triNo
	}
	q := &e.pods[peer.pod]
	if q.nsLabelsUnknown && pe.nsSel != nil {
		if pe.podSel != nil && !pe.podSel.matches(q.labels) {
			return triNo
		}
		return pe.nsSel.matchesNamespace(&e.namespaces[q.ns])
	}
	return triOf(pe.pods.has(peer.pod))
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
	}
}

// recordUncertain adds a rule that would allow the flow if its peer, which
// cannot be evaluated from the snapshot, matched.
func (e *Engine) recordUncertain(sv *SideVerdict, np *netpol, d, ri, peerIdx, portIdx int, peer endpoint, ctx *flowCtx, dst *podInfo) {
	r := &np.rules[d][ri]
	pe := &r.peers[peerIdx]
	peerText := e.npPeerText(pe, np)
	if len(r.peers) > 1 {
		peerText = fmt.Sprintf("peer %d (%s)", peerIdx+1, peerText)
	}
	portText := "all ports"
	if portIdx >= 0 {
		portText = r.ports[portIdx].describeFor(dst)
	}
	verb := "may allow from"
	if d == 1 {
		verb = "may allow to"
	}
	sv.Uncertain = append(sv.Uncertain, RuleMatch{
		Policy: np.ref, Rule: ri, Peer: peerIdx, Port: portIdx,
		Reason: fmt.Sprintf("%s %s %s on %s: %s", ruleLabel(np.ref, ri), verb, peerText, portText, e.npPeerUnknownReason(pe, peer, ctx)),
	})
}

// npPeerUnknownReason says why a peer may or may not match.
func (e *Engine) npPeerUnknownReason(pe *npPeer, peer endpoint, ctx *flowCtx) string {
	if pe.block != nil {
		if peer.pod < 0 {
			return fmt.Sprintf("the %s address of %s is not known", familyName(ctx.fam), e.endpointText(peer))
		}
		q := &e.pods[peer.pod]
		if q.fams == 0 {
			return fmt.Sprintf("pod %s has no IP yet (its %s address is not in the snapshot), and ipBlock %s may or may not contain it", q.ref, familyName(ctx.fam), pe.block)
		}
		return fmt.Sprintf("pod %s has several %s addresses (%s) and ipBlock %s contains only some of them", q.ref, familyName(ctx.fam), strings.Join(e.addrsText(peer, ctx.fam), ","), pe.block)
	}
	q := &e.pods[peer.pod]
	return fmt.Sprintf("namespace %s is not in the snapshot, so only its label %s=%s is known and namespaceSelector %s may or may not match it", q.ref.Namespace, metadataNameLabel, q.ref.Namespace, pe.nsSel)
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
			r := &np.rules[d][ri]
			if _, m := e.npPeerMatch(r, peer, ctx, ctx.peerExact[d]); m == triUnknown {
				if _, ok := npPortMatch(r, ctx, dst); ok {
					continue // listed in Uncertain
				}
			}
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
			dist, why := e.npPeerDistance(&r.peers[i], np, peer, ctx)
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
func (e *Engine) npPeerDistance(pe *npPeer, np *netpol, peer endpoint, ctx *flowCtx) (int, string) {
	if pe.block != nil {
		return e.ipBlockDistance(pe.block, peer, ctx)
	}
	if peer.pod < 0 {
		return 3, fmt.Sprintf("%s selects pods, but the other end is %s", e.npPeerText(pe, np), e.endpointText(peer))
	}
	q := &e.pods[peer.pod]
	ns := &e.namespaces[q.ns]
	var held, total int
	var why []string
	total++
	nsMatch := triOf(e.npPeerNamespaceMatches(pe, np.ns, q.ns))
	if pe.nsSel != nil && ns.labelsUnknown {
		nsMatch = pe.nsSel.matchesNamespace(ns)
	}
	switch {
	case nsMatch == triYes:
		held++
	case pe.nsSel == nil:
		why = append(why, fmt.Sprintf("podSelector %s only selects pods in namespace %s; pod %s is in namespace %s", pe.podSel, np.ref.Namespace, q.ref, q.ref.Namespace))
	case nsMatch == triUnknown:
		why = append(why, fmt.Sprintf("namespaceSelector %s may or may not match namespace %s (not in the snapshot: only its label %s=%s is known)", pe.nsSel, ns.name, metadataNameLabel, ns.name))
	default:
		w := fmt.Sprintf("namespaceSelector %s does not match namespace %s labels %s", pe.nsSel, ns.name, namespaceLabelsForText(ns.name, ns.labels, pe.nsSel.source))
		if ns.implicit {
			w += " (namespace not in the snapshot: only its name label is known)"
		}
		w += nameLabelFix(ns.name, ns.labels, pe.nsSel.source)
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
	case held > 0 || (nsMatch == triUnknown && held == total-1):
		return 1, strings.Join(why, "; ")
	default:
		return 2, strings.Join(why, "; ")
	}
}

// ipBlockDistance grades an ipBlock against the other endpoint's addresses
// of the flow's family.
func (e *Engine) ipBlockDistance(cs *cidrSet, peer endpoint, ctx *flowCtx) (int, string) {
	var addrs []netip.Addr
	switch {
	case peer.ip.IsValid():
		addrs = []netip.Addr{peer.ip}
	case peer.pod >= 0:
		for _, ip := range e.pods[peer.pod].ips {
			if familyOf(ip) == ctx.fam {
				addrs = append(addrs, ip)
			}
		}
	}
	if len(addrs) == 0 {
		who := e.endpointText(peer)
		if peer.pod >= 0 {
			who = "pod " + e.pods[peer.pod].ref.String() + ", which has no IP yet"
		}
		if cs.containsUnknown(ctx.fam) == triNo {
			return 3, fmt.Sprintf("ipBlock %s is %s and cannot contain the %s address of %s", cs, familyName(familyOf(cs.cidr.Addr())), familyName(ctx.fam), who)
		}
		return 1, fmt.Sprintf("ipBlock %s may contain the %s address of %s", cs, familyName(ctx.fam), who)
	}
	best, why := 2, ""
	ips := make([]string, 0, len(addrs))
	for _, a := range addrs {
		ips = append(ips, a.String())
		ok, ex := cs.contains(a)
		if ok {
			return 0, ""
		}
		if ex.IsValid() {
			best, why = 1, fmt.Sprintf("ipBlock %s contains %s but except %s excludes it", cs.cidr, a, ex)
		}
	}
	if best == 2 {
		why = fmt.Sprintf("ipBlock %s does not contain %s", cs, strings.Join(ips, ","))
	}
	return best, why
}
