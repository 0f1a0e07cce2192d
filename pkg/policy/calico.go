package policy

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Calico policies are judged in their tiers, as Felix enforces them
// (https://docs.tigera.io/calico/latest/reference/resources/tier and
// .../network-policy/policy-tiers/tiered-policy): the tiers that apply to
// an endpoint for a direction (those with a policy that selects it and
// has the direction in its types) are walked in order; in each, policies
// in order and their rules in order, the first Allow or Deny decides, Pass
// skips to the next tier, Log goes on. A tier that applies but takes no
// action applies its defaultAction (Deny unless Pass). After the last
// tier, the endpoint's profile allows (the Kubernetes namespace profiles
// allow everything). Kubernetes NetworkPolicies are policies of the
// default tier at order 1000 (knp.default.<name>); the admin policies are
// the tiers of order 1000 (Admin) and 10,000,000 (Baseline).

// Labels Calico gives a pod's workload endpoint besides the pod's own, and
// the prefixes under which it adds the namespace's and the service
// account's labels (libcalico-go: apiv3.LabelNamespace and friends,
// conversion.NamespaceLabelPrefix and ServiceAccountLabelPrefix).
const (
	calicoNamespaceLabel      = "projectcalico.org/namespace"
	calicoOrchestratorLabel   = "projectcalico.org/orchestrator"
	calicoServiceAccountLabel = "projectcalico.org/serviceaccount"
	calicoNameLabel           = "projectcalico.org/name"
	calicoNSPrefix            = "pcns."
	calicoSAPrefix            = "pcsa."
)

// Orders Calico fixes: the default tier, and the tiers of the Kubernetes
// admin policies (and the order the Kubernetes NetworkPolicies take in the
// default tier).
const (
	calicoDefaultTierOrder  = 1_000_000
	calicoAdminTierOrder    = 1000
	calicoBaselineTierOrder = 10_000_000
	calicoKNPOrder          = 1000
	calicoKNPPrefix         = "knp.default."
)

// calicoBuiltinTiers are the tiers Calico creates, with their fixed order
// and default action. The admin tiers are named adminnetworkpolicy and
// baselineadminnetworkpolicy in v3.29 to v3.31, kube-admin and
// kube-baseline since v3.32.
var calicoBuiltinTiers = map[string]struct {
	order float64
	pass  bool
	slot  calicoSlotKind
}{
	CalicoDefaultTier:            {calicoDefaultTierOrder, false, slotTier},
	"adminnetworkpolicy":         {calicoAdminTierOrder, true, slotAdmin},
	"kube-admin":                 {calicoAdminTierOrder, true, slotAdmin},
	"baselineadminnetworkpolicy": {calicoBaselineTierOrder, true, slotBaseline},
	"kube-baseline":              {calicoBaselineTierOrder, true, slotBaseline},
}

// calicoTierInfo is one tier that holds Calico policies.
type calicoTierInfo struct {
	name     string
	order    float64
	hasOrder bool
	pass     bool
	// unknown says why the tier's place cannot be known ("" when it
	// can): its Tier object was not read, it does not exist, or it
	// shares its order with an admin tier.
	unknown string
	// admin: one of Calico's tiers of the admin policies, whose order
	// against the AdminNetworkPolicies in it is not modelled.
	admin calicoSlotKind
	// tie: its order is that of an admin tier, so the order between the
	// two goes by names that depend on the Calico version.
	tie bool
	// policies are indices in Engine.calicoPols, in evaluation order.
	policies []int
}

type calicoSlotKind uint8

const (
	slotTier calicoSlotKind = iota
	slotAdmin
	slotBaseline
)

// calicoSlot is one step of the walk: a tier of Calico policies (the
// default tier holds the NetworkPolicies), or the admin or baseline
// policies as a whole.
type calicoSlot struct {
	kind calicoSlotKind
	tier int // index in Engine.calicoTiers for slotTier, else -1
}

// calicoPol is a compiled Calico policy.
type calicoPol struct {
	ref   PolicyRef
	tier  int
	order float64
	// hasOrder is false for a policy without order (after every other).
	hasOrder bool
	// sortName orders policies of equal order: "ns/name" for namespaced
	// ones, as Felix keys them.
	sortName  string
	namespace string
	types     [2]bool
	subject   calicoSel
	nsSel     calicoSel
	saSel     calicoSel
	// hostOnly: doNotTrack or preDNAT, which apply to host endpoints only.
	hostOnly bool
	// beforeNP: in the default tier, before the Kubernetes
	// NetworkPolicies (order below 1000).
	beforeNP bool
	// unknown says why the policy's place is not known ("" when it is).
	unknown string
	rules   [2][]calicoRule
	// selects holds the pods the policy selects or may select.
	selects podSet
}

// calicoSel is a parsed selector with what it reads that the snapshot may
// not know.
type calicoSel struct {
	sel calicoSelector
	src string
	// set: the field was given (an empty field puts no constraint).
	set bool
	// saLabels: it reads service-account labels other than the name;
	// nsLabels: it reads namespace labels other than the name.
	saLabels, nsLabels bool
}

type calicoRule struct {
	index  int
	action string
	// proto and notProto are protocol numbers (0: not given).
	proto, notProto uint8
	// icmp: icmp or notICMP is given, which only ICMP packets match.
	icmp bool
	// ipVersion is famV4 or famV6 (0: both).
	ipVersion uint8
	src, dst  calicoEntity
	// undecidable names what the rule matches that the engine cannot
	// judge (http, services).
	undecidable []string
}

// calicoEntity is a rule's source or destination.
type calicoEntity struct {
	nets, notNets []netip.Prefix
	// identity: a selector, notSelector, namespaceSelector or
	// serviceAccounts is given; yes and maybe hold the pods it matches
	// and may match (set by linkCalico).
	identity           bool
	sel, notSel, nsSel calicoSel
	saNames            []string
	saSel              calicoSel
	hasSA              bool
	ports, notPorts    []CalicoPort
	services           bool
	yes, maybe         bitset
}

// compileCalico indexes the Calico policies and tiers of the snapshot.
func (e *Engine) compileCalico(s Snapshot) {
	if len(s.CalicoPolicies) == 0 {
		return
	}
	tierObjs := map[string]CalicoTier{}
	for _, t := range s.CalicoTiers {
		if _, dup := tierObjs[t.Name]; !dup {
			tierObjs[t.Name] = t
		}
	}
	tierIdx := map[string]int{}
	seen := map[PolicyRef]bool{}
	for i := range s.CalicoPolicies {
		c := &s.CalicoPolicies[i]
		ref := c.Ref()
		if seen[ref] {
			e.warn("DuplicateObject", ref, fmt.Sprintf("%s given twice: first one kept", ref))
			continue
		}
		seen[ref] = true
		pol, err := compileCalicoPolicy(c)
		if err != nil {
			e.warn("InvalidPolicy", ref, fmt.Sprintf("%s ignored: %v", ref, err))
			continue
		}
		name := c.Tier()
		ti, ok := tierIdx[name]
		if !ok {
			ti = len(e.calicoTiers)
			tierIdx[name] = ti
			e.calicoTiers = append(e.calicoTiers, calicoTierFor(name, tierObjs, s.CalicoTiersKnown))
		}
		pol.tier = ti
		if legacy, differs := c.LegacyNameTier(); differs {
			pol.unknown = fmt.Sprintf("its name puts it in tier %q for Calico before v3.32, its spec in tier %q", legacy, name)
		}
		if name == CalicoDefaultTier && pol.hasOrder && pol.order == calicoKNPOrder && strings.HasPrefix(pol.sortName, calicoKNPPrefix) {
			pol.unknown = "its order and name place it among the Kubernetes NetworkPolicies of the default tier"
		}
		e.calicoTiers[ti].policies = append(e.calicoTiers[ti].policies, len(e.calicoPols))
		e.calicoPols = append(e.calicoPols, pol)
	}
	for ti := range e.calicoTiers {
		t := &e.calicoTiers[ti]
		slices.SortStableFunc(t.policies, func(a, b int) int {
			return calicoOrderCmp(e.calicoPols[a].hasOrder, e.calicoPols[a].order, e.calicoPols[a].sortName,
				e.calicoPols[b].hasOrder, e.calicoPols[b].order, e.calicoPols[b].sortName)
		})
	}
	e.calicoSlots = []calicoSlot{{kind: slotAdmin, tier: -1}, {kind: slotBaseline, tier: -1}}
	if _, ok := tierIdx[CalicoDefaultTier]; !ok {
		// The default tier holds the NetworkPolicies even without a
		// Calico policy in it.
		tierIdx[CalicoDefaultTier] = len(e.calicoTiers)
		e.calicoTiers = append(e.calicoTiers, calicoTierFor(CalicoDefaultTier, tierObjs, s.CalicoTiersKnown))
	}
	e.calicoDefault = tierIdx[CalicoDefaultTier]
	for ti := range e.calicoTiers {
		e.calicoSlots = append(e.calicoSlots, calicoSlot{kind: slotTier, tier: ti})
	}
	slotOrder := func(sl calicoSlot) (bool, float64, string) {
		switch sl.kind {
		case slotAdmin:
			return true, calicoAdminTierOrder, "kube-admin"
		case slotBaseline:
			return true, calicoBaselineTierOrder, "kube-baseline"
		}
		t := &e.calicoTiers[sl.tier]
		return t.hasOrder, t.order, t.name
	}
	slices.SortStableFunc(e.calicoSlots, func(a, b calicoSlot) int {
		ha, oa, na := slotOrder(a)
		hb, ob, nb := slotOrder(b)
		return calicoOrderCmp(ha, oa, na, hb, ob, nb)
	})
	for ti := range e.calicoTiers {
		t := &e.calicoTiers[ti]
		t.tie = t.admin == slotTier && t.hasOrder && (t.order == calicoAdminTierOrder || t.order == calicoBaselineTierOrder)
	}
}

// calicoTierFor describes tier name from its Tier object, or what Calico
// fixes for its own tiers.
func calicoTierFor(name string, objs map[string]CalicoTier, known bool) calicoTierInfo {
	t := calicoTierInfo{name: name}
	b, builtin := calicoBuiltinTiers[name]
	if builtin {
		t.order, t.hasOrder, t.pass, t.admin = b.order, true, b.pass, b.slot
	}
	obj, ok := objs[name]
	switch {
	case ok && name != CalicoDefaultTier:
		t.hasOrder = obj.Order != nil
		if t.hasOrder {
			t.order = *obj.Order
		}
		t.pass = obj.DefaultAction == "Pass"
	case ok:
		// The default tier's order is fixed; its default action is not.
		t.pass = obj.DefaultAction == "Pass"
	case builtin:
	case known:
		t.unknown = fmt.Sprintf("tier %q does not exist", name)
	default:
		t.unknown = fmt.Sprintf("the Tier object %q was not read, so its order is not known", name)
	}
	return t
}

// calicoOrderCmp orders tiers and policies: by order, those without one
// last, then by name.
func calicoOrderCmp(ha bool, oa float64, na string, hb bool, ob float64, nb string) int {
	switch {
	case ha && !hb:
		return -1
	case !ha && hb:
		return 1
	case ha && oa != ob:
		return cmp.Compare(oa, ob)
	}
	return cmp.Compare(na, nb)
}

func compileCalicoPolicy(c *CalicoPolicy) (calicoPol, error) {
	sp := &c.Spec
	pol := calicoPol{ref: c.Ref(), namespace: c.Namespace, sortName: c.Name, hostOnly: sp.DoNotTrack || sp.PreDNAT}
	if c.Namespace != "" {
		pol.sortName = c.Namespace + "/" + c.Name
	}
	if sp.Order != nil {
		pol.order, pol.hasOrder = *sp.Order, true
	}
	pol.beforeNP = pol.hasOrder && (pol.order < calicoKNPOrder || pol.order == calicoKNPOrder && pol.sortName < calicoKNPPrefix)
	var err error
	if pol.subject, err = compileCalicoSel(sp.Selector, "selector", false); err != nil {
		return pol, err
	}
	if pol.nsSel, err = compileCalicoSel(sp.NamespaceSelector, "namespaceSelector", false); err != nil {
		return pol, err
	}
	if pol.saSel, err = compileCalicoSel(sp.ServiceAccountSelector, "serviceAccountSelector", false); err != nil {
		return pol, err
	}
	switch {
	case len(sp.Types) > 0:
		for _, t := range sp.Types {
			switch Direction(t) {
			case Ingress, Egress:
				pol.types[dirIndex(Direction(t))] = true
			default:
				return pol, fmt.Errorf("types: %q is neither Ingress nor Egress", t)
			}
		}
	case len(sp.Egress) > 0 && len(sp.Ingress) == 0:
		pol.types[1] = true
	case len(sp.Egress) > 0:
		pol.types = [2]bool{true, true}
	default:
		pol.types[0] = true
	}
	for d, rules := range [2][]CalicoRule{sp.Ingress, sp.Egress} {
		for i := range rules {
			r, err := compileCalicoRule(i, &rules[i])
			if err != nil {
				return pol, fmt.Errorf("%s rule %d: %w", strings.ToLower(string(directions()[d])), i+1, err)
			}
			pol.rules[d] = append(pol.rules[d], r)
		}
	}
	return pol, nil
}

// compileCalicoSel parses a selector field. global() is accepted only
// alone, and only in an EntityRule's namespaceSelector (ruleNS).
func compileCalicoSel(src, field string, ruleNS bool) (calicoSel, error) {
	s, err := parseCalicoSelector(src)
	if err != nil {
		return calicoSel{}, fmt.Errorf("%s %q: %w", field, src, err)
	}
	if s.usesGlobal() && !(ruleNS && s.isGlobal()) {
		return calicoSel{}, fmt.Errorf("%s %q: global() is accepted only alone, in a rule's namespaceSelector", field, src)
	}
	return calicoSel{sel: s, src: src, set: !s.isEmpty()}, nil
}

func compileCalicoRule(i int, r *CalicoRule) (calicoRule, error) {
	out := calicoRule{index: i, action: r.Action}
	switch r.Action {
	case actionAllow, actionDeny, actionPass, "Log":
	default:
		return out, fmt.Errorf("action %q is not one of Allow, Deny, Log, Pass", r.Action)
	}
	if r.Protocol != nil {
		out.proto = r.Protocol.Number
	}
	if r.NotProtocol != nil {
		out.notProto = r.NotProtocol.Number
	}
	out.icmp = r.ICMP != nil || r.NotICMP != nil
	if r.IPVersion != nil {
		switch *r.IPVersion {
		case 4:
			out.ipVersion = famV4
		case 6:
			out.ipVersion = famV6
		default:
			return out, fmt.Errorf("ipVersion %d is neither 4 nor 6", *r.IPVersion)
		}
	}
	if len(r.HTTP) > 0 {
		out.undecidable = append(out.undecidable, "http")
	}
	var err error
	if out.src, err = compileCalicoEntity(&r.Source, "source"); err != nil {
		return out, err
	}
	if out.dst, err = compileCalicoEntity(&r.Destination, "destination"); err != nil {
		return out, err
	}
	if out.src.services || out.dst.services {
		out.undecidable = append(out.undecidable, "services")
	}
	return out, nil
}

func compileCalicoEntity(er *CalicoEntityRule, field string) (calicoEntity, error) {
	out := calicoEntity{ports: er.Ports, notPorts: er.NotPorts, services: er.Services != nil}
	var err error
	for _, l := range []struct {
		src  string
		dst  *calicoSel
		name string
	}{{er.Selector, &out.sel, "selector"}, {er.NotSelector, &out.notSel, "notSelector"}, {er.NamespaceSelector, &out.nsSel, "namespaceSelector"}} {
		if *l.dst, err = compileCalicoSel(l.src, field+"."+l.name, l.name == "namespaceSelector"); err != nil {
			return out, err
		}
		// An empty field puts no constraint, but a field of only
		// spaces is a selector too: as Calico, "" alone is unset.
		l.dst.set = l.src != ""
	}
	if er.ServiceAccounts != nil {
		out.hasSA = true
		out.saNames = er.ServiceAccounts.Names
		if out.saSel, err = compileCalicoSel(er.ServiceAccounts.Selector, field+".serviceAccounts.selector", false); err != nil {
			return out, err
		}
		out.saSel.set = er.ServiceAccounts.Selector != ""
		// An empty match puts no constraint.
		out.hasSA = len(out.saNames) > 0 || out.saSel.set
	}
	out.identity = out.sel.set || out.notSel.set || out.nsSel.set || out.hasSA
	for _, l := range []struct {
		src  []string
		dst  *[]netip.Prefix
		name string
	}{{er.Nets, &out.nets, "nets"}, {er.NotNets, &out.notNets, "notNets"}} {
		for _, n := range l.src {
			p, err := parseCalicoNet(n)
			if err != nil {
				return out, fmt.Errorf("%s.%s: %w", field, l.name, err)
			}
			*l.dst = append(*l.dst, p)
		}
	}
	return out, nil
}

// parseCalicoNet reads a CIDR, or an address (its host prefix).
func parseCalicoNet(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither a CIDR nor an IP address", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// linkCalico builds the labels Calico gives each pod's endpoint, computes
// which pods each policy and each rule entity selects, and records on each
// pod the steps of the walk that apply to it per direction.
func (e *Engine) linkCalico() {
	if len(e.calicoPols) == 0 {
		return
	}
	e.calicoNSLabels = make([]map[string]string, len(e.namespaces))
	for i := range e.namespaces {
		l := make(map[string]string, len(e.namespaces[i].labels)+1)
		for k, v := range e.namespaces[i].labels {
			l[k] = v
		}
		l[calicoNameLabel] = e.namespaces[i].name
		e.calicoNSLabels[i] = l
	}
	labels := make([]map[string]string, len(e.pods))
	for pi := range e.pods {
		labels[pi] = e.calicoLabelsOf(&e.pods[pi])
	}
	for i := range e.calicoPols {
		pol := &e.calicoPols[i]
		for _, rules := range pol.rules {
			for j := range rules {
				e.indexCalicoEntity(&rules[j].src, pol, labels)
				e.indexCalicoEntity(&rules[j].dst, pol, labels)
			}
		}
		pol.selects = newPodSet(len(e.pods))
		for pi := range e.pods {
			pol.selects.add(pi, e.calicoPolicySelects(pol, pi, labels[pi]))
		}
	}
	for pi := range e.pods {
		p := &e.pods[pi]
		for d := range 2 {
			e.linkCalicoPod(p, d)
		}
	}
}

// linkCalicoPod records the steps of the walk that apply to p for d, when
// a Calico policy may select it: a Calico tier applies when one of its
// policies may select the pod for d (the default tier also when
// NetworkPolicy isolates the pod), the admin and baseline steps when such
// policies may select it.
func (e *Engine) linkCalicoPod(p *podInfo, d int) {
	var slots []int
	calico := false
	for si, sl := range e.calicoSlots {
		switch sl.kind {
		case slotAdmin:
			if len(p.adminsFor[d]) > 0 {
				slots = append(slots, si)
			}
			continue
		case slotBaseline:
			if len(p.baselinesFor[d]) > 0 {
				slots = append(slots, si)
			}
			continue
		}
		t := &e.calicoTiers[sl.tier]
		applies := sl.tier == e.calicoDefault && len(p.netpolsFor[d]) > 0
		for _, ci := range t.policies {
			if c := &e.calicoPols[ci]; c.types[d] && c.subjectOf(p.idx) != triNo {
				applies, calico = true, true
			}
		}
		if applies {
			slots = append(slots, si)
		}
	}
	if !calico {
		return
	}
	p.calicoSlots[d] = slots
	p.calicoUnknown[d] = e.calicoUnknownOrder(d, p)
}

// calicoLabelsOf is the labels of a pod's workload endpoint: its own, the
// projectcalico.org ones, and its namespace's and service account's under
// the pcns. and pcsa. prefixes (only the service account's name is known).
func (e *Engine) calicoLabelsOf(p *podInfo) map[string]string {
	ns := e.calicoNSLabels[p.ns]
	l := make(map[string]string, len(p.labels)+len(ns)+5)
	for k, v := range p.labels {
		l[k] = v
	}
	for k, v := range ns {
		l[calicoNSPrefix+k] = v
	}
	sa := p.pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	l[calicoNamespaceLabel] = p.ref.Namespace
	l[calicoOrchestratorLabel] = "k8s"
	l[calicoServiceAccountLabel] = sa
	l[calicoSAPrefix+calicoNameLabel] = sa
	return l
}

// calicoServiceAccount is the pod's service account name.
func calicoServiceAccount(p *podInfo) string {
	if sa := p.pod.Spec.ServiceAccountName; sa != "" {
		return sa
	}
	return "default"
}

// calicoPolicySelects is whether a policy applies to pod pi's workload
// endpoint. A hostNetwork pod has none: only a GlobalNetworkPolicy may
// apply to it, through a host endpoint whose labels are not known.
func (e *Engine) calicoPolicySelects(pol *calicoPol, pi int, labels map[string]string) tri {
	p := &e.pods[pi]
	switch {
	case p.hostNetwork && pol.namespace == "":
		return triUnknown
	case p.hostNetwork, pol.hostOnly:
		return triNo
	case pol.namespace != "" && pol.namespace != p.ref.Namespace:
		return triNo
	}
	m := e.calicoEndpointSel(&pol.subject, p, labels)
	if pol.nsSel.set {
		m = m.and(e.calicoNamespaceSel(&pol.nsSel, p))
	}
	if pol.saSel.set {
		m = m.and(calicoSASel(&pol.saSel, p))
	}
	return m
}

// calicoEndpointSel matches an endpoint selector against a pod's endpoint
// labels: unknown when it reads labels the snapshot does not have (a
// service account's, or those of a namespace it lacks).
func (e *Engine) calicoEndpointSel(s *calicoSel, p *podInfo, labels map[string]string) tri {
	if s.sel.isEmpty() {
		return triYes
	}
	for _, k := range s.sel.keys() {
		switch {
		case strings.HasPrefix(k, calicoSAPrefix) && k != calicoSAPrefix+calicoNameLabel:
			return triUnknown
		case strings.HasPrefix(k, calicoNSPrefix) && p.nsLabelsUnknown && !calicoNameKey(strings.TrimPrefix(k, calicoNSPrefix)):
			return triUnknown
		}
	}
	return triOf(s.sel.matches(labels))
}

func calicoNameKey(k string) bool { return k == calicoNameLabel || k == metadataNameLabel }

// calicoNamespaceSel matches a namespaceSelector against a pod's
// namespace. all() selects every namespace; global() selects non-namespaced
// endpoints only, never a pod.
func (e *Engine) calicoNamespaceSel(s *calicoSel, p *podInfo) tri {
	if s.sel.isGlobal() {
		return triNo
	}
	if p.nsLabelsUnknown {
		for _, k := range s.sel.keys() {
			if !calicoNameKey(k) {
				return triUnknown
			}
		}
	}
	return triOf(s.sel.matches(e.calicoNSLabels[p.ns]))
}

// calicoSASel matches a service-account selector: only the name label of
// a service account is known.
func calicoSASel(s *calicoSel, p *podInfo) tri {
	for _, k := range s.sel.keys() {
		if k != calicoNameLabel {
			return triUnknown
		}
	}
	return triOf(s.sel.matches(map[string]string{calicoNameLabel: calicoServiceAccount(p)}))
}

// indexCalicoEntity computes the pods the identity fields of an entity
// match, as libcalico-go combines them: the namespace scope (the
// namespaceSelector, or for a namespaced policy its namespace) and the
// service accounts and the selector, all required; the notSelector
// excludes what it matches. A hostNetwork pod is no workload endpoint:
// whether it is a host endpoint or in a network set the selectors match
// is not known.
func (e *Engine) indexCalicoEntity(en *calicoEntity, pol *calicoPol, labels []map[string]string) {
	if !en.identity {
		return
	}
	en.yes, en.maybe = newBitset(len(e.pods)), newBitset(len(e.pods))
	for pi := range e.pods {
		p := &e.pods[pi]
		var m tri
		if p.hostNetwork {
			m = triUnknown
		} else {
			m = e.calicoIdentity(en, pol, p, labels[pi])
		}
		switch m {
		case triYes:
			en.yes.set(pi)
		case triUnknown:
			en.maybe.set(pi)
		}
	}
}

func (e *Engine) calicoIdentity(en *calicoEntity, pol *calicoPol, p *podInfo, labels map[string]string) tri {
	m := triYes
	scoped := en.sel.set || en.notSel.set || en.nsSel.set || en.hasSA
	switch {
	case !scoped:
	case en.nsSel.set:
		m = e.calicoNamespaceSel(&en.nsSel, p)
	case pol.namespace != "":
		m = triOf(p.ref.Namespace == pol.namespace)
	}
	if en.hasSA {
		if len(en.saNames) > 0 {
			m = m.and(triOf(slices.Contains(en.saNames, calicoServiceAccount(p))))
		}
		if en.saSel.set {
			m = m.and(calicoSASel(&en.saSel, p))
		}
	}
	if en.sel.set {
		m = m.and(e.calicoEndpointSel(&en.sel, p, labels))
	}
	if en.notSel.set {
		m = m.and(not3(e.calicoEndpointSel(&en.notSel, p, labels)))
	}
	return m
}

// subjectOf is whether the policy applies to pod pi (precomputed).
func (c *calicoPol) subjectOf(pi int) tri { return c.selects.has(pi) }

// place names the policy for explanations: kind, name, tier and order.
func (c *calicoPol) place(e *Engine) string {
	order := "no order"
	if c.hasOrder {
		order = fmt.Sprintf("order %g", c.order)
	}
	return fmt.Sprintf("%s (tier %s, %s)", c.ref, e.calicoTiers[c.tier].name, order)
}
