package policy

import (
	"fmt"
)

// Finding codes, stable for filtering.
const (
	FindingPolicySelectsNoPods = "PolicySelectsNoPods"
	FindingPeerMatchesNothing  = "PeerMatchesNothing"
)

// Finding is one result of a scan check, or a warning from New. Rule and
// Peer are 0-based, -1 when not applicable; Message counts from 1.
type Finding struct {
	Code      string
	Policy    PolicyRef
	Direction Direction
	Rule      int
	Peer      int
	Message   string
}

// PoliciesSelectingNoPods lists the policies that select no pod of the
// snapshot: NetworkPolicies whose podSelector matches no pod of their
// namespace, and admin policies whose subject matches no pod.
func (e *Engine) PoliciesSelectingNoPods() []Finding {
	var out []Finding
	for i := range e.netpols {
		np := &e.netpols[i]
		if np.selected.empty() {
			out = append(out, Finding{Code: FindingPolicySelectsNoPods, Policy: np.ref, Rule: -1, Peer: -1,
				Message: fmt.Sprintf("%s: podSelector %s selects no pod in namespace %s", np.ref, np.podSel, np.ref.Namespace)})
		}
	}
	for _, a := range e.adminPolicies() {
		if !a.subject.known {
			continue
		}
		any := false
		for pi := range e.pods {
			if a.subject.match(e, pi) != triNo {
				any = true
				break
			}
		}
		if !any {
			out = append(out, Finding{Code: FindingPolicySelectsNoPods, Policy: a.ref, Rule: -1, Peer: -1,
				Message: fmt.Sprintf("%s: subject (%s) selects no pod (hostNetwork pods are never subjects)", a.ref, a.subject.text)})
		}
	}
	return out
}

// PeersMatchingNothing lists selector peers (podSelector/namespaceSelector,
// admin namespaces/pods) that match no pod of the snapshot, saying whether
// no namespace matched or no pod in the matched namespaces. ipBlock, networks,
// nodes and domainNames peers are not checked: they match addresses.
func (e *Engine) PeersMatchingNothing() []Finding {
	var out []Finding
	for i := range e.netpols {
		np := &e.netpols[i]
		for d, dir := range directions() {
			for ri := range np.rules[d] {
				for pi := range np.rules[d][ri].peers {
					pe := &np.rules[d][ri].peers[pi]
					if pe.block != nil || !pe.pods.empty() || (pe.nsSel != nil && e.mayMatchUnknownNamespace(pe.nsSel, pe.podSel, false)) {
						continue
					}
					out = append(out, Finding{Code: FindingPeerMatchesNothing, Policy: np.ref, Direction: dir, Rule: ri, Peer: pi,
						Message: fmt.Sprintf("%s %s rule %d peer %d (%s) %s", np.ref, dir, ri+1, pi+1, e.npPeerText(pe, np), e.npEmptyPeerWhy(pe, np))})
				}
			}
		}
	}
	for _, a := range e.adminPolicies() {
		for d, dir := range directions() {
			for ri := range a.rules[d] {
				for pi := range a.rules[d][ri].peers {
					pe := &a.rules[d][ri].peers[pi]
					if (pe.kind != peerNamespaces && pe.kind != peerPods) || pe.selErr != nil || !pe.pods.empty() {
						continue
					}
					podSel := &pe.podSel
					if pe.kind == peerNamespaces {
						podSel = nil
					}
					if e.mayMatchUnknownNamespace(&pe.nsSel, podSel, true) {
						continue
					}
					why := "matches no pod (hostNetwork pods never match)"
					if !e.anyNamespaceMatches(&pe.nsSel) {
						why = "matches no namespace"
					}
					out = append(out, Finding{Code: FindingPeerMatchesNothing, Policy: a.ref, Direction: dir, Rule: ri, Peer: pi,
						Message: fmt.Sprintf("%s %s rule %d peer %d (%s) %s", a.ref, dir, ri+1, pi+1, pe.text, why)})
				}
			}
		}
	}
	return out
}

func (e *Engine) npEmptyPeerWhy(pe *npPeer, np *netpol) string {
	if pe.nsSel != nil && !e.anyNamespaceMatches(pe.nsSel) {
		return fmt.Sprintf("matches nothing: namespaceSelector %s matches no namespace", pe.nsSel)
	}
	return "matches no pod"
}

func (e *Engine) anyNamespaceMatches(s *selector) bool {
	for i := range e.namespaces {
		if s.matches(e.namespaces[i].labels) {
			return true
		}
	}
	return false
}

// mayMatchUnknownNamespace reports whether the selectors may match a pod of
// a namespace whose labels are unknown (not in a snapshot that does not list
// every namespace): such a peer cannot be said to match nothing.
func (e *Engine) mayMatchUnknownNamespace(nsSel, podSel *selector, skipHostNetwork bool) bool {
	for i := range e.pods {
		q := &e.pods[i]
		if !q.nsLabelsUnknown || (skipHostNetwork && q.hostNetwork) || (podSel != nil && !podSel.matches(q.labels)) {
			continue
		}
		if nsSel.matchesNamespace(&e.namespaces[q.ns]) == triUnknown {
			return true
		}
	}
	return false
}

// adminPolicies lists the policies of both tiers, Admin first.
func (e *Engine) adminPolicies() []*adminPolicy {
	out := make([]*adminPolicy, 0, len(e.admins)+len(e.baselines))
	for _, tier := range [][]adminPolicy{e.admins, e.baselines} {
		for i := range tier {
			out = append(out, &tier[i])
		}
	}
	return out
}
