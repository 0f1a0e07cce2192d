package policy

import (
	"fmt"
	"net/netip"
	"strings"
)

// adminRuleMatch evaluates one admin rule (without its policy's subject)
// against a flow side, and returns the effective action. A Deny or Pass rule
// with a peer or port this version cannot read fails closed: the API asks to
// treat it as "deny all", so it matches everything and acts as Deny.
func (e *Engine) adminRuleMatch(d int, r *adminRule, p *podInfo, peer endpoint, ctx *flowCtx) (tri, actionSet) {
	act := r.act
	if (r.failClosed || r.portsFailClosed) && act&(actDeny|actPass) != 0 {
		return triYes, actDeny
	}
	peers := triNo
	for i := range r.peers {
		peers = peers.or(e.adminPeerMatch(&r.peers[i], peer, ctx))
		if peers == triYes {
			break
		}
	}
	if r.failClosed && act == actUnknown && peers == triNo {
		// An unknown action with an unreadable peer may match anything.
		peers = triUnknown
	}
	if peers == triNo {
		return triNo, act
	}
	return peers.and(e.adminPortsMatch(d, r, p, peer, ctx, act)), act
}

func (e *Engine) adminPortsMatch(d int, r *adminRule, p *podInfo, peer endpoint, ctx *flowCtx, act actionSet) tri {
	if r.allPorts {
		return triYes
	}
	if r.portsFailClosed && act == actUnknown {
		return triUnknown
	}
	dst := e.portPod(d, p, peer)
	for i := range r.ports {
		if r.ports[i].matches(ctx.proto, ctx.port, dst) {
			return triYes
		}
	}
	return triNo
}

// adminPeerMatch evaluates one admin peer against the other endpoint.
// hostNetwork pods are never namespaces/pods peers, per the API.
func (e *Engine) adminPeerMatch(pe *adminPeer, peer endpoint, ctx *flowCtx) tri {
	switch pe.kind {
	case peerNamespaces, peerPods:
		if peer.pod < 0 || e.pods[peer.pod].hostNetwork {
			return triNo
		}
		if pe.selErr != nil {
			return triUnknown
		}
		if q := &e.pods[peer.pod]; q.nsLabelsUnknown {
			if pe.kind == peerPods && !pe.podSel.matches(q.labels) {
				return triNo
			}
			return pe.nsSel.matchesNamespace(&e.namespaces[q.ns])
		}
		return triOf(pe.pods.has(peer.pod))
	case peerNodes:
		ip, isPod := e.peerIP(peer)
		if isPod && !e.pods[peer.pod].hostNetwork {
			return triNo
		}
		if pe.selErr != nil {
			return triUnknown
		}
		if n, ok := e.nodeOf(peer, ip); ok {
			return triOf(pe.nodeSel.matches(e.nodes[n].labels))
		}
		if pe.nodeSel.isEmpty() && ip.IsValid() && e.nodeIPs[ip] {
			return triYes
		}
		// Not an address a Node lists: nodes may also send from others
		// (a bridge or tunnel address), so this is not a "no".
		return triUnknown
	case peerNetworks:
		m := e.addrsTri(peer, ctx, pe.netsContain, pe.netsContainUnknown)
		if m == triNo && pe.netsErr != nil {
			return triUnknown
		}
		return m
	default: // domain names
		if peer.pod >= 0 && !e.pods[peer.pod].hostNetwork {
			return triNo
		}
		return triUnknown
	}
}

func (pe *adminPeer) netsContain(ip netip.Addr) bool {
	for _, n := range pe.nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// netsContainUnknown is whether an address not known yet, of family fam, is
// in the networks: no when none is of that family, yes when one is the
// whole family, unknown otherwise.
func (pe *adminPeer) netsContainUnknown(fam uint8) tri {
	m := triNo
	for _, n := range pe.nets {
		if familyOf(n.Addr()) != fam {
			continue
		}
		if n.Bits() == 0 {
			return triYes
		}
		m = triUnknown
	}
	return m
}

// nodeOf finds the Node of an endpoint: a hostNetwork pod's node, or the
// Node that lists ip among its addresses.
func (e *Engine) nodeOf(peer endpoint, ip netip.Addr) (int, bool) {
	if peer.pod >= 0 {
		if n, ok := e.nodeByName[e.pods[peer.pod].pod.Spec.NodeName]; ok {
			return n, true
		}
	}
	n, ok := e.nodeByIP[ip]
	return n, ok && ip.IsValid()
}

// peerIP returns the address of an endpoint as a node peer sees it.
func (e *Engine) peerIP(peer endpoint) (netip.Addr, bool) {
	if peer.pod < 0 {
		return peer.ip, false
	}
	p := &e.pods[peer.pod]
	if p.hostIP.IsValid() && p.hostNetwork {
		return p.hostIP, true
	}
	if len(p.ips) > 0 {
		return p.ips[0], true
	}
	return netip.Addr{}, true
}

// recordAdmin adds an admin rule that matched (or may have) to the
// explanation.
func (e *Engine) recordAdmin(sv *SideVerdict, a *adminPolicy, d, ri int, m tri, act actionSet, subj tri, p *podInfo, peer endpoint, ctx *flowCtx) {
	r := &a.rules[d][ri]
	am := AdminMatch{Policy: a.ref, Layer: a.layer(), Priority: a.shownPriority(), Rule: ri, RuleName: r.name, Action: actionName(act, r.action), Peer: -1, Port: -1, Certain: m == triYes}
	var why []string
	if (r.failClosed || r.portsFailClosed) && act == actDeny {
		why = append(why, fmt.Sprintf("a peer or port has no field this version can read, so this %s rule fails closed and denies everything", r.action))
		sv.Caveats = appendOnce(sv.Caveats, Caveat{CaveatAdminFailClosed, fmt.Sprintf("%s has a peer or port this version cannot read: treated as the API asks (fail closed, deny all)", ruleText(a, ri, r))})
	} else {
		for i := range r.peers {
			pm := e.adminPeerMatch(&r.peers[i], peer, ctx)
			if pm == triYes {
				am.Peer = i
				why = []string{fmt.Sprintf("%s matches %s", r.peers[i].text, e.endpointText(peer))}
				break
			}
			if pm == triUnknown {
				if am.Peer < 0 {
					am.Peer = i
				}
				why = append(why, e.adminPeerUnknownReason(&r.peers[i], peer, ctx))
			}
		}
		if r.failClosed {
			why = append(why, "a peer cannot be read by this version")
		}
	}
	if !r.allPorts && !((r.failClosed || r.portsFailClosed) && act == actDeny) {
		dst := e.portPod(d, p, peer)
		for i := range r.ports {
			if r.ports[i].matches(ctx.proto, ctx.port, dst) {
				am.Port = i
				why = append(why, "on "+r.ports[i].describeFor(dst))
				break
			}
		}
		if am.Port < 0 && r.portsFailClosed {
			why = append(why, "a port entry cannot be read and fails closed")
		}
	}
	if subj == triUnknown {
		if a.subject.readable() {
			why = append(why, fmt.Sprintf("namespace %s of pod %s is not in the snapshot, so only its label %s=%s is known and the policy's subject (%s) may or may not select the pod", p.ref.Namespace, p.ref, metadataNameLabel, p.ref.Namespace, a.subject.text))
		} else {
			why = append(why, "the policy's subject cannot be read by this version, so it may or may not apply to pod "+p.ref.String())
		}
	}
	if r.act == actUnknown {
		why = append(why, fmt.Sprintf("its action %q is unknown to this version", r.action))
	}
	verb := fmt.Sprintf("has action %q, unknown to this version", r.action)
	switch act {
	case actAllow:
		verb = "allows"
	case actDeny:
		verb = "denies"
	case actPass:
		verb = "passes to NetworkPolicy"
		if a.tier == TierBaseline {
			verb = "passes to the default (allow)"
		}
	}
	if am.Certain {
		am.Reason = fmt.Sprintf("%s %s: %s", ruleText(a, ri, r), verb, strings.Join(why, ", "))
	} else {
		am.Reason = fmt.Sprintf("%s (%s) may match: %s", ruleText(a, ri, r), am.Action, strings.Join(why, "; "))
		sv.Caveats = append(sv.Caveats, Caveat{CaveatAdminUnevaluable, am.Reason})
	}
	sv.Admin = append(sv.Admin, am)
}

// actionName is the effective action under the kind's name for it: as
// written, except Deny for a rule that fails closed.
func actionName(act actionSet, written string) string {
	if act == actDeny {
		return actionDeny
	}
	return written
}

func ruleText(a *adminPolicy, ri int, r *adminRule) string {
	s := fmt.Sprintf("rule %d", ri+1)
	if r.name != "" {
		s += fmt.Sprintf(" %q", r.name)
	}
	s += " of " + a.ref.String()
	switch {
	case a.ref.Kind == KindClusterNetworkPolicy:
		s += fmt.Sprintf(" (%s tier, priority %d)", a.tier, a.priority)
	case a.hasPriority():
		s += fmt.Sprintf(" (priority %d)", a.priority)
	}
	return s
}

func (e *Engine) adminPeerUnknownReason(pe *adminPeer, peer endpoint, ctx *flowCtx) string {
	switch {
	case pe.selErr != nil:
		return fmt.Sprintf("%s has an invalid selector: %v", pe.text, pe.selErr)
	case pe.kind == peerNodes && e.nodesKnown:
		return fmt.Sprintf("%s: %s is not an address any Node lists, and nodes may also send from other addresses (bridge, tunnel), so whether it is such a node is unknown", pe.text, e.endpointText(peer))
	case pe.kind == peerNodes:
		return fmt.Sprintf("%s: the Nodes are not known (not readable, or not among the manifests), so whether %s is such a node is unknown", pe.text, e.endpointText(peer))
	case pe.kind == peerNetworks && pe.netsErr != nil:
		return fmt.Sprintf("%s: %v", pe.text, pe.netsErr)
	case pe.kind == peerNetworks && peer.pod >= 0 && e.pods[peer.pod].fams != 0:
		return fmt.Sprintf("%s: %s has several %s addresses (%s) and only some of them are in the networks", pe.text, e.endpointText(peer), familyName(ctx.fam), strings.Join(e.addrsText(peer, ctx.fam), ","))
	case pe.kind == peerNetworks:
		return fmt.Sprintf("%s: the %s address of %s is not in the snapshot (no IP yet)", pe.text, familyName(ctx.fam), e.endpointText(peer))
	case pe.kind == peerNamespaces || pe.kind == peerPods:
		q := &e.pods[peer.pod]
		return fmt.Sprintf("%s: namespace %s is not in the snapshot, so only its label %s=%s is known and the namespace selector may or may not match it", pe.text, q.ref.Namespace, metadataNameLabel, q.ref.Namespace)
	case pe.kind == peerDomainNames:
		return fmt.Sprintf("%s: DNS names cannot be resolved offline, so whether %s is one of them is unknown", pe.text, e.endpointText(peer))
	default:
		return pe.text + " cannot be evaluated"
	}
}

// noteDomainNames adds a caveat when a domainNames peer was taken as not
// matching a pod: names are meant for destinations outside the cluster, but
// nothing stops one from resolving to a pod IP.
func (e *Engine) noteDomainNames(sv *SideVerdict, a *adminPolicy, ri int, r *adminRule, peer endpoint) {
	if peer.pod < 0 {
		return
	}
	for i := range r.peers {
		if r.peers[i].kind == peerDomainNames {
			sv.Caveats = appendOnce(sv.Caveats, Caveat{CaveatAdminDomainNames, fmt.Sprintf("%s: %s taken as not matching pod %s (domain names are meant for destinations outside the cluster)", ruleText(a, ri, r), r.peers[i].text, e.pods[peer.pod].ref)})
		}
	}
}
