package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// calicoOutcome walks, for a pod some Calico policy may select for
// direction d, the tiers that apply to it in order (see calico.go): the
// admin policies' tier, the Calico tiers, the default tier with the
// Kubernetes NetworkPolicies, the baseline tier, then the profile, which
// allows. Rules that cannot be evaluated add every result they could lead
// to, as walkTier does.
func (e *Engine) calicoOutcome(d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict, gen generation) outcome {
	if sv != nil {
		sv.DecidedBy = LayerNone
	}
	if ex := e.exemption(p, peer); ex == ExemptSamePod {
		// Traffic of a pod to itself never leaves it.
		if sv != nil {
			sv.Exemption = ex
			sv.DecidedBy = LayerCalico
			sv.Caveats = append(sv.Caveats, Caveat{CaveatSamePod, "a pod cannot block traffic to itself: it never leaves the pod"})
		}
		return outAllow
	}
	if why := p.calicoUnknown[d]; why != "" {
		if sv != nil {
			sv.Uncertain = append(sv.Uncertain, RuleMatch{Rule: -1, Peer: -1, Port: -1, Reason: fmt.Sprintf("the order of the Calico tiers that apply to pod %s is not known: %s", p.ref, why)})
		}
		return outAllow | outDeny
	}
	if len(p.cilium) > 0 {
		if sv != nil {
			sv.Uncertain = append(sv.Uncertain, RuleMatch{Rule: -1, Peer: -1, Port: -1, Reason: fmt.Sprintf("pod %s is selected by both Calico and Cilium policies: how the two plugins combine is not known", p.ref)})
		}
		return outAllow | outDeny
	}
	var mask outcome
	onPath := true
	for _, si := range p.calicoSlots[d] {
		sl := e.calicoSlots[si]
		var next, pathNext bool
		switch sl.kind {
		case slotAdmin:
			next, pathNext = e.walkTier(e.admins, p.adminsFor[d], gen, onPath, d, p, peer, ctx, sv, &mask)
		case slotBaseline:
			next, pathNext = e.walkTier(e.baselines, p.baselinesFor[d], gen, onPath, d, p, peer, ctx, sv, &mask)
		default:
			next, pathNext = e.calicoTier(sl.tier, d, p, peer, ctx, sv, onPath, &mask)
		}
		if !next {
			return e.calicoOwnNode(mask, p, peer, sv)
		}
		onPath = onPath && pathNext
	}
	// Every tier that applied passed the flow on: the pod's profile (the
	// namespace's, which allows everything) decides.
	if sv != nil && onPath {
		sv.DecidedBy = LayerCalico
		sv.AllowedBy = append(sv.AllowedBy, RuleMatch{Rule: -1, Peer: -1, Port: -1,
			Reason: fmt.Sprintf("every tier that applies to pod %s passed the flow on, and its profile (of namespace %s) allows everything", p.ref, p.ref.Namespace)})
	}
	return e.calicoOwnNode(mask|outAllow, p, peer, sv)
}

// calicoOwnNode makes the traffic between a pod and its own node Undecided
// unless it is allowed: whether Calico enforces workload policy on it
// depends on the dataplane, where NetworkPolicy exempts it.
func (e *Engine) calicoOwnNode(mask outcome, p *podInfo, peer endpoint, sv *SideVerdict) outcome {
	if mask == outAllow || e.exemption(p, peer) != ExemptOwnNode {
		return mask
	}
	if sv != nil {
		sv.Uncertain = append(sv.Uncertain, RuleMatch{Rule: -1, Peer: -1, Port: -1, Reason: fmt.Sprintf("%s is the node of pod %s: NetworkPolicy always allows that traffic, but whether Calico's dataplane applies its policies to it is not known", e.endpointText(peer), p.ref)})
	}
	return mask | outAllow
}

// calicoUnknownOrder says why the order of the steps that apply to p for
// d cannot be known, or "" (computed once per pod by linkCalicoPod).
func (e *Engine) calicoUnknownOrder(d int, p *podInfo) string {
	slots := p.calicoSlots[d]
	admins, baselines := false, false
	for _, si := range slots {
		switch e.calicoSlots[si].kind {
		case slotAdmin:
			admins = true
		case slotBaseline:
			baselines = true
		}
	}
	for _, si := range slots {
		sl := e.calicoSlots[si]
		if sl.kind != slotTier {
			continue
		}
		t := &e.calicoTiers[sl.tier]
		switch {
		case t.unknown != "" && (len(slots) > 1 || strings.HasSuffix(t.unknown, "does not exist")):
			return t.unknown
		case t.tie && (admins || baselines):
			return fmt.Sprintf("tier %s has order %g, that of a tier of the Kubernetes admin policies, whose name (and so the order between the two) depends on the Calico version", t.name, t.order)
		case t.admin == slotAdmin && admins, t.admin == slotBaseline && baselines:
			return fmt.Sprintf("Calico policies of tier %s and the admin policies it holds select the pod, and their order within the tier is not modelled", t.name)
		}
		for _, ci := range t.policies {
			c := &e.calicoPols[ci]
			if c.unknown != "" && c.types[d] && c.subjectOf(p.idx) != triNo {
				return fmt.Sprintf("%s: %s", c.ref, c.unknown)
			}
		}
	}
	return ""
}

// calicoTier walks one tier that applies to p. It adds to mask the results
// its rules and its default action may lead to, and reports whether the
// walk may go on to the next tier, and whether the certain path (every
// rule that cannot be evaluated taken as not matching) does. With sv it
// records the deciding rule and the rules that may match.
func (e *Engine) calicoTier(ti, d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict, onPath bool, mask *outcome) (next, pathNext bool) {
	t := &e.calicoTiers[ti]
	applies := triNo
	calicoSure := false // a Calico policy surely applies
	npDone := ti != e.calicoDefault
	np := func() (stop bool) {
		npDone = true
		if len(p.netpolsFor[d]) == 0 {
			return false
		}
		applies = triYes
		switch e.netpolStage(d, p, peer, ctx, sv) {
		case outAllow:
			*mask |= outAllow
			if sv != nil && onPath {
				sv.DecidedBy = LayerNetworkPolicy
			}
			return true
		case outAllow | outDeny:
			*mask |= outAllow
		}
		return false
	}
	for _, ci := range t.policies {
		c := &e.calicoPols[ci]
		if !npDone && !c.beforeNP && np() {
			return next, false
		}
		if !c.types[d] {
			continue
		}
		subj := c.subjectOf(p.idx)
		if subj == triNo {
			continue
		}
		applies = applies.or(subj)
		if subj == triYes {
			calicoSure = true
			if sv != nil && !slices.Contains(sv.SelectingPolicies, c.ref) {
				sv.SelectingPolicies = append(sv.SelectingPolicies, c.ref)
			}
		}
		for ri := range c.rules[d] {
			r := &c.rules[d][ri]
			if r.action == "Log" {
				continue
			}
			m := e.calicoRuleMatch(r, d, p, peer, ctx).and(subj)
			if m == triNo {
				continue
			}
			switch r.action {
			case actionAllow:
				*mask |= outAllow
			case actionDeny:
				*mask |= outDeny
			default:
				next = true
			}
			if sv != nil {
				e.recordCalico(sv, c, d, r, m, p, peer, ctx, onPath)
			}
			if m == triUnknown {
				continue
			}
			pass := r.action == actionPass
			if sv != nil && onPath && !pass {
				sv.DecidedBy = LayerCalico
			}
			return next, pass
		}
	}
	if !npDone && np() {
		return next, false
	}
	// No rule surely matched: the tier's default action, if it applies.
	if t.pass || applies != triYes {
		next = true
	}
	if !t.pass && applies != triNo {
		*mask |= outDeny
	}
	if applies == triYes && !t.pass {
		if sv != nil && onPath {
			e.recordEndOfTier(sv, t, d, p, calicoSure)
		}
		return next, false
	}
	return next, true
}

// recordEndOfTier explains the end-of-tier deny that decided.
func (e *Engine) recordEndOfTier(sv *SideVerdict, t *calicoTierInfo, d int, p *podInfo, calicoSure bool) {
	if !calicoSure {
		// Only NetworkPolicies apply in the default tier: they isolate.
		sv.DecidedBy = LayerNetworkPolicy
		return
	}
	sv.DecidedBy = LayerCalico
	what := "none of its policies' rules match the flow"
	if t.name == CalicoDefaultTier && len(p.netpolsFor[d]) > 0 {
		what = "no NetworkPolicy allows the flow and none of its Calico policies' rules match it"
	}
	sv.DeniedBy = append(sv.DeniedBy, RuleMatch{Rule: -1, Peer: -1, Port: -1,
		Reason: fmt.Sprintf("tier %s applies to pod %s for %s and %s: its default action Deny drops it", t.name, p.ref, strings.ToLower(string(directions()[d])), what)})
}

// calicoProtoNumbers maps the flow's protocols to IANA numbers.
func calicoProtoNumber(p corev1.Protocol) uint8 {
	switch p {
	case corev1.ProtocolUDP:
		return 17
	case corev1.ProtocolSCTP:
		return 132
	}
	return 6
}

// calicoRuleMatch is whether a rule matches the flow on side d of pod p.
// For ingress the source is the peer and the destination the pod; for
// egress the other way round.
func (e *Engine) calicoRuleMatch(r *calicoRule, d int, p *podInfo, peer endpoint, ctx *flowCtx) tri {
	proto := calicoProtoNumber(ctx.proto)
	switch {
	case r.proto != 0 && r.proto != proto, r.notProto != 0 && r.notProto == proto, r.icmp:
		return triNo
	}
	if r.ipVersion != 0 {
		ctx.famDep = true
		if r.ipVersion != ctx.fam {
			return triNo
		}
	}
	self := endpoint{pod: p.idx}
	if d == 0 && ctx.dst.pod == p.idx {
		self = ctx.dst
	} else if d == 1 && ctx.src.pod == p.idx {
		self = ctx.src
	}
	src, dst := peer, self
	if d == 1 {
		src, dst = self, peer
	}
	m := triYes
	if len(r.src.ports)+len(r.src.notPorts) > 0 {
		// The source port of a connection is not known.
		m = triUnknown
	}
	if m = m.and(e.calicoDstPorts(&r.dst, ctx, dst)); m == triNo {
		return triNo
	}
	if m = m.and(e.calicoEntityMatch(&r.src, src, ctx)); m == triNo {
		return triNo
	}
	if m = m.and(e.calicoEntityMatch(&r.dst, dst, ctx)); m == triNo {
		return triNo
	}
	if len(r.undecidable) > 0 {
		return triUnknown
	}
	return m
}

// calicoDstPorts matches the destination ports and notPorts: numbers,
// ranges, and names resolved on the destination pod.
func (e *Engine) calicoDstPorts(en *calicoEntity, ctx *flowCtx, dst endpoint) tri {
	if len(en.ports)+len(en.notPorts) == 0 {
		return triYes
	}
	var q *podInfo
	if dst.pod >= 0 && !e.pods[dst.pod].hostNetwork {
		q = &e.pods[dst.pod]
	}
	in := func(ports []CalicoPort) tri {
		m := triNo
		for _, cp := range ports {
			switch {
			case cp.Name == "":
				if ctx.port >= int32(cp.Min) && ctx.port <= int32(cp.Max) {
					return triYes
				}
			case q != nil:
				if q.hasNamedPort(cp.Name, ctx.proto, ctx.port) {
					return triYes
				}
			case dst.pod >= 0 || e.nodeIPs[dst.ip]:
				// A hostNetwork pod or a node: a host endpoint may
				// name ports.
				m = triUnknown
			}
		}
		return m
	}
	m := triYes
	if len(en.ports) > 0 {
		m = in(en.ports)
	}
	if len(en.notPorts) > 0 {
		m = m.and(not3(in(en.notPorts)))
	}
	return m
}

// calicoEntityMatch matches an entity's identity fields and networks
// against an endpoint. Selectors match pods by their endpoint labels; any
// other endpoint (an address, a hostNetwork pod) may be a host endpoint or
// in a network set, which the snapshot does not have.
func (e *Engine) calicoEntityMatch(en *calicoEntity, ep endpoint, ctx *flowCtx) tri {
	m := triYes
	if en.identity {
		switch {
		case ep.pod < 0:
			m = triUnknown
		case en.yes.has(ep.pod):
		case en.maybe.has(ep.pod):
			m = triUnknown
		default:
			return triNo
		}
	}
	if len(en.nets) > 0 {
		nets := en.nets
		m = m.and(e.addrsTri(ep, ctx, func(ip netip.Addr) bool { return calicoInNets(nets, ip) }, func(fam uint8) tri { return calicoNetsHoldUnknown(nets, fam) }))
		if m == triNo {
			return triNo
		}
	}
	if len(en.notNets) > 0 {
		nets := en.notNets
		m = m.and(e.addrsTri(ep, ctx, func(ip netip.Addr) bool { return !calicoInNets(nets, ip) }, func(fam uint8) tri { return not3(calicoNetsHoldUnknown(nets, fam)) }))
	}
	return m
}

func calicoInNets(nets []netip.Prefix, ip netip.Addr) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// calicoNetsHoldUnknown is whether an address of family fam not known yet
// is in one of nets: no when none is of that family, yes when one is the
// whole family.
func calicoNetsHoldUnknown(nets []netip.Prefix, fam uint8) tri {
	m := triNo
	for _, n := range nets {
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

// recordCalico explains a rule that matched the flow (m yes) or may have.
func (e *Engine) recordCalico(sv *SideVerdict, c *calicoPol, d int, r *calicoRule, m tri, p *podInfo, peer endpoint, ctx *flowCtx, onPath bool) {
	label := fmt.Sprintf("%s rule %d (%s) of %s", strings.ToLower(string(directions()[d])), r.index+1, r.action, c.place(e))
	rm := RuleMatch{Policy: c.ref, Rule: r.index, Peer: -1, Port: -1}
	word := []string{"from", "to"}[d]
	if m == triYes {
		verb := map[string]string{actionAllow: "allows", actionDeny: "denies", actionPass: "passes to the next tier the flow"}[r.action]
		rm.Reason = fmt.Sprintf("%s %s %s %s", label, verb, word, e.endpointText(peer))
		switch {
		case !onPath:
			sv.Uncertain = append(sv.Uncertain, rm)
		case r.action == actionAllow:
			sv.AllowedBy = append(sv.AllowedBy, rm)
		case r.action == actionDeny:
			sv.DeniedBy = append(sv.DeniedBy, rm)
		}
		return
	}
	var why string
	switch {
	case len(r.undecidable) > 0:
		why = fmt.Sprintf("its %s match cannot be judged from the cluster's objects", strings.Join(r.undecidable, " and "))
	case c.subjectOf(p.idx) == triUnknown:
		why = fmt.Sprintf("whether it applies to pod %s is not known (a host endpoint, or labels the snapshot lacks)", p.ref)
	default:
		why = fmt.Sprintf("whether it matches %s is not known (its source ports, a host endpoint or network set, labels the snapshot lacks, or an address not known)", e.endpointText(peer))
	}
	rm.Reason = fmt.Sprintf("%s may match %s %s: %s", label, word, e.endpointText(peer), why)
	sv.Uncertain = append(sv.Uncertain, rm)
}
