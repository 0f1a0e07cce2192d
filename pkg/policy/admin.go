package policy

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

// Admin rule actions as written in the API. ClusterNetworkPolicy calls
// Allow "Accept".
const (
	actionAllow  = "Allow"
	actionAccept = "Accept"
	actionDeny   = "Deny"
	actionPass   = "Pass"
)

// Tier is where an admin policy sits in the order of evaluation.
type Tier string

const (
	// TierAdmin is evaluated before NetworkPolicy: AdminNetworkPolicy and
	// ClusterNetworkPolicy with tier Admin.
	TierAdmin Tier = "Admin"
	// TierBaseline is evaluated after NetworkPolicy, for pods it does not
	// isolate: BaselineAdminNetworkPolicy and ClusterNetworkPolicy with tier
	// Baseline.
	TierBaseline Tier = "Baseline"
)

// adminPolicy is a compiled AdminNetworkPolicy, BaselineAdminNetworkPolicy
// or ClusterNetworkPolicy.
type adminPolicy struct {
	ref  PolicyRef
	tier Tier
	// priority orders the policies of a tier, lower first. The
	// BaselineAdminNetworkPolicy has none: it is put after every other
	// baseline policy (baselinePriority).
	priority int32
	subject  adminSubject
	rules    [2][]adminRule
	// selects holds the pods the subject selects or may select
	// (subject.match, computed once).
	selects podSet
}

// subjectOf is subject.match for pod pi, from the precomputed set.
func (a *adminPolicy) subjectOf(pi int) tri { return a.selects.has(pi) }

// baselinePriority places the BaselineAdminNetworkPolicy, which has no
// priority, after the ClusterNetworkPolicies of the Baseline tier (0..1000).
const baselinePriority = 1 << 30

// hasPriority: the kind has a priority field.
func (a *adminPolicy) hasPriority() bool { return a.ref.Kind != KindBaselineAdminNetworkPolicy }

// shownPriority is the priority as the object has it: 0 when it has none.
func (a *adminPolicy) shownPriority() int32 {
	if !a.hasPriority() {
		return 0
	}
	return a.priority
}

// adminSubject selects the pods a policy applies to. hostNetwork pods are
// never subjects, per the API.
type adminSubject struct {
	// known is false when the subject has no field this version knows, or
	// more than one: the policy may or may not apply to any pod.
	known  bool
	nsSel  selector
	podSel *selector // nil for a "namespaces" subject
	text   string
}

func (s *adminSubject) match(e *Engine, pi int) tri {
	p := &e.pods[pi]
	if p.hostNetwork {
		return triNo
	}
	if !s.readable() {
		return triUnknown
	}
	if s.podSel != nil && !s.podSel.matches(p.labels) {
		return triNo
	}
	return s.nsSel.matchesNamespace(&e.namespaces[p.ns])
}

// readable: the subject has one known field and valid selectors.
func (s *adminSubject) readable() bool {
	return s.known && s.nsSel.err == nil && (s.podSel == nil || s.podSel.err == nil)
}

type adminRule struct {
	name string
	// action is as written; act is what it does (actUnknown for an action
	// this version does not know).
	action string
	act    actionSet
	peers  []adminPeer
	// failClosed: a peer (or the peer list) has no known field. Per the
	// API, an Allow rule then matches nothing and a Deny or Pass rule
	// denies everything.
	failClosed bool
	// allPorts: ports is absent.
	allPorts bool
	ports    []portMatcher
	// portsFailClosed: a port entry has no known field, or more than one.
	portsFailClosed bool
}

type adminPeerKind int

const (
	peerNamespaces adminPeerKind = iota
	peerPods
	peerNodes
	peerNetworks
	peerDomainNames
)

type adminPeer struct {
	kind    adminPeerKind
	nsSel   selector
	podSel  selector // peerPods only
	nodeSel selector // peerNodes only
	// pods holds the pods matched by a namespaces/pods peer.
	pods    bitset
	nets    []netip.Prefix
	netsErr error
	domains []anp.DomainName
	selErr  error
	text    string
}

// admit reports whether a policy object is used: the first of a name, and
// one the API server would accept (validate's errors); it warns otherwise.
func (e *Engine) admit(seen map[PolicyRef]bool, ref PolicyRef, validate func() field.ErrorList) bool {
	if seen[ref] {
		e.warn("DuplicateObject", ref, fmt.Sprintf("%s given twice: first one kept", ref))
		return false
	}
	seen[ref] = true
	if errs := validate(); len(errs) > 0 {
		e.warn("InvalidPolicy", ref, rejectedMessage(ref, errs))
		return false
	}
	return true
}

func (e *Engine) compileAdmins(s Snapshot) {
	seen := map[PolicyRef]bool{}
	for i := range s.AdminNetworkPolicies {
		obj := &s.AdminNetworkPolicies[i]
		ref := PolicyRef{Kind: KindAdminNetworkPolicy, Name: obj.Name}
		if !e.admit(seen, ref, func() field.ErrorList { return validateAdminNetworkPolicy(obj) }) {
			continue
		}
		a := adminPolicy{ref: ref, tier: TierAdmin, priority: obj.Spec.Priority, subject: e.compileSubject(obj.Spec.Subject)}
		for _, r := range obj.Spec.Ingress {
			a.rules[0] = append(a.rules[0], e.compileAdminRule(r.Name, string(r.Action), anpActs, asEgressPeers(r.From), r.Ports))
		}
		for _, r := range obj.Spec.Egress {
			a.rules[1] = append(a.rules[1], e.compileAdminRule(r.Name, string(r.Action), anpActs, r.To, r.Ports))
		}
		e.admins = append(e.admins, a)
	}
	if b := s.BaselineAdminNetworkPolicy; b != nil {
		e.compileBaselineAdmin(b)
	}
	e.compileClusterNetworkPolicies(s.ClusterNetworkPolicies, seen)
	// Lower priority numbers go first; the kind and name only make ties
	// deterministic (ties are reported as ambiguous when they matter).
	for _, tier := range []*[]adminPolicy{&e.admins, &e.baselines} {
		slices.SortStableFunc(*tier, func(a, b adminPolicy) int {
			return cmp.Or(cmp.Compare(a.priority, b.priority), cmp.Compare(a.ref.Kind, b.ref.Kind), cmp.Compare(a.ref.Name, b.ref.Name))
		})
	}
}

func (e *Engine) compileBaselineAdmin(b *anp.BaselineAdminNetworkPolicy) {
	ref := PolicyRef{Kind: KindBaselineAdminNetworkPolicy, Name: b.Name}
	if b.Name != "default" {
		e.warn("InvalidPolicy", ref, fmt.Sprintf("%s ignored: the API server only accepts the name \"default\"", ref))
		return
	}
	if errs := validateBaselineAdminNetworkPolicy(b); len(errs) > 0 {
		e.warn("InvalidPolicy", ref, rejectedMessage(ref, errs))
		return
	}
	a := adminPolicy{ref: ref, tier: TierBaseline, priority: baselinePriority, subject: e.compileSubject(b.Spec.Subject)}
	for _, r := range b.Spec.Ingress {
		a.rules[0] = append(a.rules[0], e.compileAdminRule(r.Name, string(r.Action), banpActs, asEgressPeers(r.From), r.Ports))
	}
	for _, r := range b.Spec.Egress {
		peers := make([]anp.AdminNetworkPolicyEgressPeer, len(r.To))
		for j, p := range r.To {
			peers[j] = anp.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods, Nodes: p.Nodes, Networks: p.Networks}
		}
		a.rules[1] = append(a.rules[1], e.compileAdminRule(r.Name, string(r.Action), banpActs, peers, r.Ports))
	}
	e.baselines = append(e.baselines, a)
}

// asEgressPeers converts ingress peers to the egress peer type, a superset.
func asEgressPeers(from []anp.AdminNetworkPolicyIngressPeer) []anp.AdminNetworkPolicyEgressPeer {
	peers := make([]anp.AdminNetworkPolicyEgressPeer, len(from))
	for j, p := range from {
		peers[j] = anp.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods}
	}
	return peers
}

// anpActs, banpActs and cnpActs map each kind's action names to what they
// do; an action the kind does not define is actUnknown.
func anpActs(a string) actionSet {
	switch a {
	case actionAllow:
		return actAllow
	case actionDeny:
		return actDeny
	case actionPass:
		return actPass
	}
	return actUnknown
}

func banpActs(a string) actionSet {
	if a == actionPass {
		return actUnknown
	}
	return anpActs(a)
}

func cnpActs(a string) actionSet {
	switch a {
	case actionAccept:
		return actAllow
	case actionAllow:
		return actUnknown
	}
	return anpActs(a)
}

func (e *Engine) compileSubject(s anp.AdminNetworkPolicySubject) adminSubject {
	switch {
	case s.Namespaces != nil && s.Pods == nil:
		return adminSubject{known: true, nsSel: compileSelector(s.Namespaces), text: "pods in namespaces " + FormatSelector(s.Namespaces)}
	case s.Pods != nil && s.Namespaces == nil:
		ps := compileSelector(&s.Pods.PodSelector)
		return adminSubject{known: true, nsSel: compileSelector(&s.Pods.NamespaceSelector), podSel: &ps,
			text: "pods " + FormatSelector(&s.Pods.PodSelector) + " in namespaces " + FormatSelector(&s.Pods.NamespaceSelector)}
	default:
		return adminSubject{text: "a subject this version cannot read"}
	}
}

// compileAdminRule compiles one rule. Ingress peers are passed converted to
// the egress peer type, which is a superset; acts maps the kind's action
// names.
func (e *Engine) compileAdminRule(name, action string, acts func(string) actionSet, peers []anp.AdminNetworkPolicyEgressPeer, ports *[]anp.AdminNetworkPolicyPort) adminRule {
	r := adminRule{name: name, action: action, act: acts(action)}
	r.failClosed = len(peers) == 0
	for _, p := range peers {
		peer, ok := e.compileAdminPeer(p)
		if !ok {
			r.failClosed = true
			continue
		}
		r.peers = append(r.peers, peer)
	}
	if ports == nil {
		r.allPorts = true
		return r
	}
	if len(*ports) == 0 {
		r.portsFailClosed = true
	}
	for _, p := range *ports {
		m, ok := compileAdminPort(p)
		if !ok {
			r.portsFailClosed = true
			continue
		}
		r.ports = append(r.ports, m)
	}
	return r
}

// compileAdminPeer returns ok=false for a peer with no known field or more
// than one field.
func (e *Engine) compileAdminPeer(p anp.AdminNetworkPolicyEgressPeer) (adminPeer, bool) {
	set := 0
	for _, present := range []bool{p.Namespaces != nil, p.Pods != nil, p.Nodes != nil, len(p.Networks) > 0, len(p.DomainNames) > 0} {
		if present {
			set++
		}
	}
	if set != 1 {
		return adminPeer{}, false
	}
	var peer adminPeer
	switch {
	case p.Namespaces != nil:
		peer = adminPeer{kind: peerNamespaces, nsSel: compileSelector(p.Namespaces), text: "pods in namespaces " + FormatSelector(p.Namespaces)}
		peer.selErr = peer.nsSel.err
	case p.Pods != nil:
		peer = adminPeer{kind: peerPods, nsSel: compileSelector(&p.Pods.NamespaceSelector), podSel: compileSelector(&p.Pods.PodSelector),
			text: "pods " + FormatSelector(&p.Pods.PodSelector) + " in namespaces " + FormatSelector(&p.Pods.NamespaceSelector)}
		peer.selErr = cmp.Or(peer.nsSel.err, peer.podSel.err)
	case p.Nodes != nil:
		peer = adminPeer{kind: peerNodes, nodeSel: compileSelector(p.Nodes), text: "nodes " + FormatSelector(p.Nodes)}
		peer.selErr = peer.nodeSel.err
		return peer, true
	case len(p.Networks) > 0:
		peer = adminPeer{kind: peerNetworks, text: "networks " + joinCIDRs(p.Networks)}
		for _, c := range p.Networks {
			pfx, err := netip.ParsePrefix(string(c))
			if err != nil {
				peer.netsErr = fmt.Errorf("invalid CIDR %q: %w", c, err)
				continue
			}
			peer.nets = append(peer.nets, pfx.Masked())
		}
		return peer, true
	default:
		peer = adminPeer{kind: peerDomainNames, domains: p.DomainNames, text: "domain names " + joinDomains(p.DomainNames)}
		return peer, true
	}
	peer.pods = newBitset(len(e.pods))
	if peer.selErr != nil {
		return peer, true
	}
	for pi := range e.pods {
		pod := &e.pods[pi]
		if pod.hostNetwork || !peer.nsSel.matches(e.namespaces[pod.ns].labels) {
			continue
		}
		if peer.kind == peerPods && !peer.podSel.matches(pod.labels) {
			continue
		}
		peer.pods.set(pi)
	}
	return peer, true
}

func joinCIDRs(c []anp.CIDR) string {
	s := ""
	for i, x := range c {
		if i > 0 {
			s += ","
		}
		s += string(x)
	}
	return s
}

func joinDomains(d []anp.DomainName) string {
	s := ""
	for i, x := range d {
		if i > 0 {
			s += ","
		}
		s += string(x)
	}
	return s
}
