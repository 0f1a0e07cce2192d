package policy

import (
	"fmt"
	"strings"
)

// sideEnds returns, for direction index d, the pod whose side it is and the
// other endpoint: egress is the source's side, ingress the destination's.
func sideEnds(d int, ctx *flowCtx) (self, peer endpoint) {
	if d == 1 {
		return ctx.src, ctx.dst
	}
	return ctx.dst, ctx.src
}

// sideVerdict evaluates one side with explanations.
func (e *Engine) sideVerdict(dir Direction, ctx *flowCtx) SideVerdict {
	d := dirIndex(dir)
	sv := SideVerdict{Direction: dir}
	self, _ := sideEnds(d, ctx)
	if self.pod >= 0 {
		p := &e.pods[self.pod]
		sv.Pod = p.ref
		for _, ni := range p.netpolsFor[d] {
			sv.SelectingPolicies = append(sv.SelectingPolicies, e.netpols[ni].ref)
		}
		sv.Isolated = len(sv.SelectingPolicies) > 0
	}
	out := e.sideOutcome(d, ctx, &sv)
	sv.Result = out.result()
	if sv.Result == Undecided {
		sv.DecidedBy = LayerNone
	}
	sv.Reason = e.sideReason(&sv, ctx)
	return sv
}

// sideOutcome walks the layers for one side: the Admin tier
// (AdminNetworkPolicy, ClusterNetworkPolicy), then NetworkPolicy, then the
// Baseline tier, then the default allow. Rules that cannot be evaluated add
// every result they could lead to, so the outcome is a set: one bit is a
// decision, two bits are Undecided. A policy of an API the engine does not
// judge that may select the pod makes the side Undecided whatever the rest
// says: such APIs can allow what NetworkPolicy denies, or deny before it.
// With sv non-nil it also records the explanation; sv.DecidedBy is the layer
// on the path where every unevaluable rule is taken as not matching.
func (e *Engine) sideOutcome(d int, ctx *flowCtx, sv *SideVerdict) outcome {
	self, peer := sideEnds(d, ctx)
	if self.pod < 0 {
		if sv != nil {
			sv.DecidedBy = LayerNotAPod
		}
		return outAllow
	}
	p := &e.pods[self.pod]
	mask := e.judgedOutcome(d, p, peer, ctx, sv, anyGeneration)
	if p.bothGenerations[d] {
		// Neither API orders its policies against the other's, and a
		// network plugin may enforce only one: every reading counts.
		alt := e.judgedOutcome(d, p, peer, ctx, nil, genV1alpha1) | e.judgedOutcome(d, p, peer, ctx, nil, genClusterNetworkPolicy)
		if alt&^mask != 0 {
			mask |= alt
			if sv != nil {
				sv.Caveats = append(sv.Caveats, Caveat{CaveatAdminGenerations, fmt.Sprintf("pod %s is selected by AdminNetworkPolicy/BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy objects, which decide this flow differently: neither API orders itself against the other, and the network plugin may enforce only one of them", p.ref)})
			}
		}
	}
	if len(p.unjudged) > 0 {
		mask = outAllow | outDeny
		if sv != nil {
			e.recordUnjudged(sv, p)
		}
	}
	return mask
}

// judgedOutcome walks the layers with the admin policies of generation gen.
func (e *Engine) judgedOutcome(d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict, gen generation) outcome {
	if len(p.calicoSlots[d]) > 0 {
		return e.calicoOutcome(d, p, peer, ctx, sv, gen)
	}
	var mask outcome
	needNP, pathToNP := e.walkTier(e.admins, p.adminsFor[d], gen, true, d, p, peer, ctx, sv, &mask)
	if !needNP {
		return mask
	}
	if len(p.cilium) > 0 {
		return mask | e.ciliumStage(d, p, peer, ctx, sv, gen, pathToNP)
	}
	if len(p.netpolsFor[d]) > 0 {
		mask |= e.netpolStage(d, p, peer, ctx, sv)
		if sv != nil && pathToNP {
			sv.DecidedBy = LayerNetworkPolicy
		}
		return mask
	}
	return mask | e.baselineStage(d, p, peer, ctx, sv, gen, pathToNP)
}

// baselineStage walks the Baseline tier, then the default allow.
func (e *Engine) baselineStage(d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict, gen generation, onPath bool) outcome {
	var mask outcome
	needDefault, pathToDefault := e.walkTier(e.baselines, p.baselinesFor[d], gen, onPath, d, p, peer, ctx, sv, &mask)
	if !needDefault {
		return mask
	}
	if sv != nil && onPath && pathToDefault {
		sv.DecidedBy = LayerDefault
	}
	return mask | outAllow
}

// ciliumStage replaces the NetworkPolicy stage for a pod Cilium policies
// select: a Cilium deny rule wins; otherwise, when NetworkPolicy or Cilium
// isolates the pod, the allows of both add up; otherwise the Baseline tier
// and the default follow.
func (e *Engine) ciliumStage(d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict, gen generation, onPath bool) outcome {
	c := e.ciliumSide(d, p, peer, ctx, sv)
	decided := func(l Layer) {
		if sv != nil && onPath {
			sv.DecidedBy = l
		}
	}
	if c.deny == triYes {
		decided(LayerCilium)
		return outDeny
	}
	var mask outcome
	if c.deny == triUnknown {
		mask |= outDeny
	}
	npIsolates := len(p.netpolsFor[d]) > 0
	if !npIsolates && c.isolates == triNo {
		return mask | e.baselineStage(d, p, peer, ctx, sv, gen, onPath)
	}
	if sv != nil && c.isolates != triNo {
		sv.Isolated = true
	}
	np := outDeny
	switch {
	case npIsolates:
		np = e.netpolStage(d, p, peer, ctx, sv)
	case e.exemption(p, peer) != ExemptNone:
		// As for NetworkPolicy: a pod reaches itself, and its node
		// reaches it (Cilium's allow-localhost default).
		np = e.netpolStage(d, p, peer, ctx, sv)
	}
	switch {
	case np == outAllow:
		decided(LayerNetworkPolicy)
		mask |= outAllow
	case c.allow == triYes:
		decided(LayerCilium)
		mask |= outAllow
	case c.allow == triUnknown:
		mask |= np | outAllow
	case npIsolates:
		decided(LayerNetworkPolicy)
		mask |= np
	default:
		decided(LayerCilium)
		mask |= np
	}
	if !npIsolates && c.isolates == triUnknown {
		mask |= e.baselineStage(d, p, peer, ctx, nil, gen, false)
	}
	return mask
}

// walkTier evaluates the policies of one tier that select p for direction
// d (list: indices in tier, which is in priority order), of generation gen,
// group by group of equal priority. It adds the results of Allow and Deny
// matches to mask and reports whether evaluation may continue to the next
// tier (after a Pass or when no rule surely matched), and whether the
// certain path does. When onPath (the certain path of the earlier layers
// reaches this tier), the first policy of a certain decision sets
// sv.DecidedBy. Plain parameters rather than a struct keep ctx and sv off
// the heap on the matrix's path.
func (e *Engine) walkTier(tier []adminPolicy, list []int, gen generation, onPath bool, d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict, mask *outcome) (next, pathToNext bool) {
	pathOpen := true // the certain path has not been decided yet
	for i := 0; i < len(list); {
		j := i
		for j < len(list) && tier[list[j]].priority == tier[list[i]].priority {
			j++
		}
		acts, certain, decider, noMatchPossible := e.tierGroup(tier, list[i:j], gen, d, p, peer, ctx, sv)
		i = j
		*mask |= acts.outcomes()
		if acts&actPass != 0 || acts&actUnknown != 0 {
			next = true
		}
		if pathOpen && certain != 0 {
			pathOpen = false
			if certain&(actAllow|actDeny|actUnknown) != 0 {
				if sv != nil && onPath {
					sv.DecidedBy = tier[decider].layer()
				}
			} else {
				pathToNext = true
			}
		}
		if !noMatchPossible {
			return next, pathToNext
		}
	}
	if pathOpen {
		pathToNext = true
	}
	return true, pathToNext
}

// generation selects admin policies by API generation.
type generation uint8

const (
	anyGeneration generation = iota
	// genV1alpha1: AdminNetworkPolicy and BaselineAdminNetworkPolicy.
	genV1alpha1
	genClusterNetworkPolicy
)

func (g generation) has(a *adminPolicy) bool {
	return g == anyGeneration || g == a.generation()
}

func (a *adminPolicy) generation() generation {
	if a.ref.Kind == KindClusterNetworkPolicy {
		return genClusterNetworkPolicy
	}
	return genV1alpha1
}

// layer is the Layer a policy of this kind and tier decides as.
func (a *adminPolicy) layer() Layer {
	switch {
	case a.ref.Kind == KindClusterNetworkPolicy && a.tier == TierAdmin:
		return LayerClusterAdmin
	case a.ref.Kind == KindClusterNetworkPolicy:
		return LayerClusterBaseline
	case a.tier == TierAdmin:
		return LayerAdmin
	default:
		return LayerBaseline
	}
}

// actionSet is a set of admin actions.
type actionSet uint8

const (
	actAllow actionSet = 1 << iota
	actDeny
	actPass
	actUnknown
)

// outcomes maps final actions to results; Pass continues and adds nothing.
func (s actionSet) outcomes() outcome {
	var o outcome
	if s&(actAllow|actUnknown) != 0 {
		o |= outAllow
	}
	if s&(actDeny|actUnknown) != 0 {
		o |= outDeny
	}
	return o
}

// tierGroup evaluates policies of one priority. Each policy's first matching
// rule counts; an unevaluable rule adds its action and lets the walk go on.
// It returns the possible actions, the actions of rules that surely
// matched, the first policy with such a rule (an index in tier), and
// whether no rule matching
// at all is possible.
func (e *Engine) tierGroup(tier []adminPolicy, group []int, gen generation, d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict) (acts, certain actionSet, decider int, noMatchPossible bool) {
	noMatchPossible = true
	for _, ai := range group {
		a := &tier[ai]
		if !gen.has(a) {
			continue
		}
		subj := a.subjectOf(p.idx)
		for ri := range a.rules[d] {
			r := &a.rules[d][ri]
			m, act := e.adminRuleMatch(d, r, p, peer, ctx)
			m = m.and(subj)
			if m == triNo {
				if sv != nil {
					e.noteDomainNames(sv, a, ri, r, peer)
				}
				continue
			}
			acts |= act
			if sv != nil {
				e.recordAdmin(sv, a, d, ri, m, act, subj, p, peer, ctx)
			}
			if m == triYes {
				if certain == 0 {
					decider = ai
				}
				certain |= act
				noMatchPossible = false
				break
			}
		}
	}
	if sv != nil && bitsCount(uint8(certain)) > 1 {
		sv.Caveats = append(sv.Caveats, Caveat{CaveatAdminSamePriority, fmt.Sprintf("%s tier policies of priority %d disagree on this flow: the API lets the implementation apply either", tier[group[0]].tier, tier[group[0]].priority)})
	}
	return acts, certain, decider, noMatchPossible
}

func bitsCount(x uint8) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// sideReason writes the one-line explanation of a side.
func (e *Engine) sideReason(sv *SideVerdict, ctx *flowCtx) string {
	d := dirIndex(sv.Direction)
	self, _ := sideEnds(d, ctx)
	dirWord := strings.ToLower(string(sv.Direction))
	if self.pod < 0 {
		return fmt.Sprintf("%s is not a pod: nothing enforces its %s", e.endpointText(self), dirWord)
	}
	var b strings.Builder
	switch {
	case sv.Result == Undecided:
		b.WriteString("cannot decide")
		var unknown []string
		for _, m := range sv.Admin {
			if !m.Certain {
				unknown = append(unknown, m.Reason)
			}
		}
		for _, m := range sv.Uncertain {
			unknown = append(unknown, m.Reason)
		}
		for _, c := range sv.Caveats {
			if c.Code == CaveatAdminSamePriority || c.Code == CaveatUnjudgedPolicy {
				unknown = append(unknown, c.Message)
			}
		}
		if len(unknown) > 0 {
			b.WriteString(": " + strings.Join(unknown, "; "))
		}
	case sv.DecidedBy.Admin():
		m := lastCertain(sv.Admin, sv.DecidedBy)
		if m != nil {
			b.WriteString(m.Reason)
		} else {
			b.WriteString(string(sv.DecidedBy) + " decided")
		}
	case sv.DecidedBy == LayerCalico:
		switch {
		case sv.Exemption == ExemptSamePod:
			b.WriteString("a pod cannot block traffic to itself")
		case sv.Result == Denied && len(sv.DeniedBy) > 0:
			b.WriteString(sv.DeniedBy[0].Reason)
		case sv.Result == Allowed && len(sv.AllowedBy) > 0:
			b.WriteString(sv.AllowedBy[0].Reason)
		default:
			b.WriteString("decided by Calico policy")
		}
	case sv.DecidedBy == LayerNetworkPolicy || sv.DecidedBy == LayerCilium:
		switch {
		case sv.Result == Denied && len(sv.DeniedBy) > 0:
			b.WriteString(sv.DeniedBy[0].Reason + " (deny rules win over every allow)")
		case sv.Exemption == ExemptSamePod:
			b.WriteString("a pod cannot block traffic to itself")
		case sv.Exemption == ExemptOwnNode:
			b.WriteString("traffic between a pod and its own node is always allowed by NetworkPolicy")
		case sv.Result == Allowed:
			b.WriteString(sv.AllowedBy[0].Reason)
			if n := len(sv.AllowedBy) - 1; n > 0 {
				fmt.Fprintf(&b, " (and %d more allowing rule(s))", n)
			}
		default:
			fmt.Fprintf(&b, "isolated by %s and no rule allows it", policyList(sv.SelectingPolicies))
			if len(sv.Misses) > 0 {
				b.WriteString("; closest: " + sv.Misses[0].Reason)
			}
		}
	default:
		fmt.Fprintf(&b, "not isolated for %s (no NetworkPolicy selecting the pod has policyType %s)", dirWord, sv.Direction)
		if len(sv.Admin) == 0 {
			b.WriteString(" and no admin rule matched: allowed by default")
		} else {
			b.WriteString(": allowed by default")
		}
	}
	return b.String()
}

// lastCertain is the admin rule that decided for layer: the last certain
// match of that layer that is not a Pass.
func lastCertain(ms []AdminMatch, layer Layer) *AdminMatch {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Certain && ms[i].Layer == layer && ms[i].Action != actionPass {
			return &ms[i]
		}
	}
	return nil
}

func policyList(refs []PolicyRef) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}

// recordUnjudged explains why a side is Undecided when policies of APIs the
// engine does not evaluate may select its pod.
func (e *Engine) recordUnjudged(sv *SideVerdict, p *podInfo) {
	names := make([]string, 0, len(p.unjudged))
	for _, ui := range p.unjudged {
		u := e.unjudged[ui]
		names = append(names, u.String()+" ("+u.Reason+")")
	}
	const most = 5
	if len(names) > most {
		names = append(names[:most], fmt.Sprintf("and %d more", len(names)-most))
	}
	sv.Caveats = append(sv.Caveats, Caveat{CaveatUnjudgedPolicy, fmt.Sprintf("pod %s may be selected by policies this version does not evaluate: %s", p.ref, strings.Join(names, "; "))})
	sv.DecidedBy = LayerNone
}
