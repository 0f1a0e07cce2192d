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

// sideOutcome walks the layers for one side: AdminNetworkPolicy, then
// NetworkPolicy, then BaselineAdminNetworkPolicy, then the default allow.
// Rules that cannot be evaluated add every result they could lead to, so the
// outcome is a set: one bit is a decision, two bits are Undecided. With sv
// non-nil it also records the explanation; sv.DecidedBy is the layer on the
// path where every unevaluable rule is taken as not matching.
func (e *Engine) sideOutcome(d int, ctx *flowCtx, sv *SideVerdict) outcome {
	self, peer := sideEnds(d, ctx)
	if self.pod < 0 {
		if sv != nil {
			sv.DecidedBy = LayerNotAPod
		}
		return outAllow
	}
	p := &e.pods[self.pod]
	var mask outcome
	needNP, pathToNP := e.adminStage(d, p, peer, ctx, sv, &mask)
	if !needNP {
		return mask
	}
	if len(p.netpolsFor[d]) > 0 {
		mask |= e.netpolStage(d, p, peer, ctx, sv)
		if sv != nil && pathToNP {
			sv.DecidedBy = LayerNetworkPolicy
		}
		return mask
	}
	mask |= e.baselineStage(d, p, peer, ctx, sv, pathToNP)
	return mask
}

// adminStage evaluates the AdminNetworkPolicies selecting p, group by group
// of equal priority. It adds the results of Allow and Deny matches to mask
// and reports whether evaluation may continue to NetworkPolicy (after a Pass
// or when no rule surely matched), and whether the certain path does.
func (e *Engine) adminStage(d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict, mask *outcome) (needNP, pathToNP bool) {
	list := p.adminsFor[d]
	pathOpen := true // the certain path has not been decided yet
	for i := 0; i < len(list); {
		j := i
		for j < len(list) && e.admins[list[j]].priority == e.admins[list[i]].priority {
			j++
		}
		acts, certain, noMatchPossible := e.adminGroup(d, list[i:j], p, peer, ctx, sv)
		i = j
		*mask |= acts.outcomes()
		if acts&actPass != 0 || acts&actUnknown != 0 {
			needNP = true
		}
		if pathOpen && certain != 0 {
			pathOpen = false
			if certain&(actAllow|actDeny|actUnknown) != 0 {
				if sv != nil {
					sv.DecidedBy = LayerAdmin
				}
			} else {
				pathToNP = true
			}
		}
		if !noMatchPossible {
			return needNP, pathToNP
		}
	}
	if pathOpen {
		pathToNP = true
	}
	return true, pathToNP
}

// actionSet is a set of admin actions.
type actionSet uint8

const (
	actAllow actionSet = 1 << iota
	actDeny
	actPass
	actUnknown
)

func actionOf(a string, known bool) actionSet {
	if !known {
		return actUnknown
	}
	switch a {
	case actionAllow:
		return actAllow
	case actionDeny:
		return actDeny
	default:
		return actPass
	}
}

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

// adminGroup evaluates policies of one priority. Each policy's first
// matching rule counts; an unevaluable rule adds its action and lets the walk
// go on. It returns the possible actions, the actions of rules that surely
// matched, and whether no rule matching at all is possible.
func (e *Engine) adminGroup(d int, group []int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict) (acts, certain actionSet, noMatchPossible bool) {
	noMatchPossible = true
	for _, ai := range group {
		a := &e.admins[ai]
		subj := a.subject.match(e, p.idx)
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
				certain |= act
				noMatchPossible = false
				break
			}
		}
	}
	if sv != nil && bitsCount(uint8(certain)) > 1 {
		sv.Caveats = append(sv.Caveats, Caveat{CaveatAdminSamePriority, fmt.Sprintf("AdminNetworkPolicies of priority %d disagree on this flow: the API lets the implementation apply either", e.admins[group[0]].priority)})
	}
	return acts, certain, noMatchPossible
}

func bitsCount(x uint8) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// baselineStage evaluates the BaselineAdminNetworkPolicy, then the default
// allow.
func (e *Engine) baselineStage(d int, p *podInfo, peer endpoint, ctx *flowCtx, sv *SideVerdict, onPath bool) outcome {
	b := e.baseline
	if b == nil || len(b.rules[d]) == 0 {
		if sv != nil && onPath {
			sv.DecidedBy = LayerDefault
		}
		return outAllow
	}
	subj := b.subject.match(e, p.idx)
	var mask outcome
	for ri := range b.rules[d] {
		r := &b.rules[d][ri]
		m, act := e.adminRuleMatch(d, r, p, peer, ctx)
		m = m.and(subj)
		if m == triNo {
			continue
		}
		mask |= act.outcomes()
		if sv != nil {
			e.recordAdmin(sv, b, d, ri, m, act, subj, p, peer, ctx)
		}
		if m == triYes {
			if sv != nil && onPath {
				sv.DecidedBy = LayerBaseline
			}
			return mask
		}
	}
	if sv != nil && onPath {
		sv.DecidedBy = LayerDefault
	}
	return mask | outAllow
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
		if len(unknown) > 0 {
			b.WriteString(": " + strings.Join(unknown, "; "))
		}
		for _, c := range sv.Caveats {
			if c.Code == CaveatAdminSamePriority {
				b.WriteString("; " + c.Message)
			}
		}
	case sv.DecidedBy == LayerAdmin || sv.DecidedBy == LayerBaseline:
		m := lastCertain(sv.Admin, sv.DecidedBy)
		if m != nil {
			b.WriteString(m.Reason)
		} else {
			b.WriteString(string(sv.DecidedBy) + " decided")
		}
	case sv.DecidedBy == LayerNetworkPolicy:
		switch {
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

func lastCertain(ms []AdminMatch, layer Layer) *AdminMatch {
	kind := KindAdminNetworkPolicy
	if layer == LayerBaseline {
		kind = KindBaselineAdminNetworkPolicy
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Certain && ms[i].Policy.Kind == kind && ms[i].Action != actionPass {
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
