package policy

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// FuzzEngineInvariants builds random small clusters and checks:
//   - Evaluate and Decide never panic and agree; Allowed matches Result and
//     the sides;
//   - the engine agrees with refVerdict, a direct reading of the
//     specifications with no precomputation over every world the snapshot
//     leaves open (address family, hostNetwork reading, a pod's future IP,
//     an undeclared namespace's labels), whenever the reference can decide:
//     exactly, or, where the engine judges unknowns rule by rule, it never
//     decides what some world contradicts;
//   - learning what the snapshot did not say (the labels of undeclared
//     namespaces, the addresses of pods without IP) never changes a decided
//     result: an undecided one may become decided, never the reverse;
//   - a pod selected by no NetworkPolicy is never reported isolated;
//   - adding an allow-all-peers rule to a policy never turns an allowed flow
//     into a denied or undecided one;
//   - removing a NetworkPolicy that selects neither endpoint changes no
//     verdict;
//   - without admin policies, removing a NetworkPolicy turns an allowed
//     flow into a denied one only when another policy still isolates the
//     denying side and the removed policy held every allow of that side.
//     ("Removing a policy never turns allowed into denied" is false: see
//     TestRemovingPolicyCanDeny, and TestRemovingPolicyCanDenyUnderBaseline
//     for the baseline case.)
func FuzzEngineInvariants(f *testing.F) {
	for _, seed := range [][]byte{
		{},
		{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20},
		[]byte("kubernetes network policy fuzz seed with many bytes to consume 0123456789"),
		{2, 5, 0, 0, 1, 3, 0, 2, 1, 1, 0, 0, 3, 4, 1, 0, 2, 2, 1, 1, 0, 1, 2, 0, 1, 0, 2, 1, 3, 0, 1, 2, 0, 0, 1, 1, 2, 2},
		{255, 254, 253, 252, 251, 250, 249, 248, 247, 246, 245, 244, 243, 242, 241, 240, 239, 238, 237, 236, 235, 234},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &byteSource{data: data}
		snap, flows := genScenario(b)
		e := New(snap)
		for _, fl := range flows {
			v := e.Evaluate(fl)
			checkVerdictShape(t, e, fl, v)
			checkNotIsolatedWithoutPolicy(t, snap, v)
			want, exact, ok := refVerdict(snap, fl)
			switch {
			case !ok:
			case exact && want != v.Result,
				!exact && want == Undecided && v.Result != Undecided,
				!exact && v.Result != want && v.Result != Undecided:
				t.Fatalf("engine says %s, reference says %s (exact %t) for %s -> %s %s/%s\nreason: %s\nsnapshot: %s", v.Result, want, exact, fl.Src, fl.Dst, fl.Protocol, fl.Port.String(), v.Reason, dumpSnapshot(snap))
			}
		}
		learned := learnUnknowns(snap, b)
		el := New(learned)
		for _, fl := range flows {
			if before, after := e.Decide(fl), el.Decide(fl); before != Undecided && after != before {
				t.Fatalf("learning what the snapshot lacked turned %s -> %s from %s into %s\nbefore: %s\nafter: %s\nsnapshot: %s", fl.Src, fl.Dst, before, after, e.Evaluate(fl).Reason, el.Evaluate(fl).Reason, dumpSnapshot(snap))
			}
		}

		if len(snap.NetworkPolicies) == 0 {
			return
		}
		i := b.intn(len(snap.NetworkPolicies))

		widened := cloneSnapshot(snap)
		addAllowAllPeersRule(&widened.NetworkPolicies[i], b)
		ew := New(widened)
		for _, fl := range flows {
			if e.Decide(fl) == Allowed && ew.Decide(fl) != Allowed {
				t.Fatalf("adding an allow-all-peers rule to %s turned %s -> %s from Allowed into %s", snap.NetworkPolicies[i].Name, fl.Src, fl.Dst, ew.Decide(fl))
			}
		}

		reduced := cloneSnapshot(snap)
		removed := snap.NetworkPolicies[i]
		reduced.NetworkPolicies = slices.Delete(reduced.NetworkPolicies, i, i+1)
		er := New(reduced)
		noAdmin := len(snap.AdminNetworkPolicies) == 0 && snap.BaselineAdminNetworkPolicy == nil && len(snap.ClusterNetworkPolicies) == 0
		for _, fl := range flows {
			before, after := e.Evaluate(fl), er.Evaluate(fl)
			if !selectsEndpoint(snap, &removed, fl) && before.Result != after.Result {
				t.Fatalf("removing %s, which selects neither endpoint, changed %s -> %s from %s to %s", removed.Name, fl.Src, fl.Dst, before.Result, after.Result)
			}
			if !noAdmin || before.Result != Allowed || after.Result == Allowed || hasCaveat(before.Caveats, CaveatDualStack) || before.IfHostNetworkIgnored != "" {
				// Judged over IPv4 and IPv6, or under both readings of
				// a hostNetwork pod, a side may be allowed by a
				// different rule in each, and AllowedBy lists one's.
				continue
			}
			// Allowed became not allowed: only possible if a remaining
			// policy still isolates the denying side and every rule that
			// allowed that side belonged to the removed policy.
			for _, pair := range [][2]SideVerdict{{before.Egress, after.Egress}, {before.Ingress, after.Ingress}} {
				if pair[1].Result == Allowed {
					continue
				}
				if !pair[1].Isolated {
					t.Fatalf("removing %s denied %s -> %s on a side that is no longer isolated: %s", removed.Name, fl.Src, fl.Dst, after.Reason)
				}
				for _, m := range pair[0].AllowedBy {
					if m.Policy.Name != removed.Name || m.Policy.Namespace != removed.Namespace {
						t.Fatalf("removing %s denied %s -> %s although %s also allowed it", removed.Name, fl.Src, fl.Dst, m.Reason)
					}
				}
			}
		}
	})
}

// selectsEndpoint reports whether np's podSelector selects the flow's source
// or destination pod.
func selectsEndpoint(s Snapshot, np *networkingv1.NetworkPolicy, fl Flow) bool {
	for _, ep := range []Endpoint{fl.Src, fl.Dst} {
		var pod *corev1.Pod
		if ep.IsPod() {
			pod = findPod(s, ep.Pod)
		} else {
			pod = podByIP(s, ep.IP)
		}
		if pod != nil && pod.Namespace == np.Namespace && refSelects(&np.Spec.PodSelector, pod.Labels) {
			return true
		}
	}
	return false
}

func podByIP(s Snapshot, ip netip.Addr) *corev1.Pod {
	for i := range s.Pods {
		if p := &s.Pods[i]; !p.Spec.HostNetwork && slices.Contains(refPodIPs(p), ip) {
			return p
		}
	}
	return nil
}

// TestRemovingPolicyCanDeny documents why "removing a policy never turns
// allowed into denied" is false even without admin policies: another policy
// may keep the pod isolated while the removed one held the only allow.
func TestRemovingPolicyCanDeny(t *testing.T) {
	s := xyzCluster(
		mkNP("x", "isolate-egress", "pod=a", types(networkingv1.PolicyTypeEgress)),
		mkNP("x", "allow-to-y", "pod=a", types(networkingv1.PolicyTypeEgress), out(peers(nsPeer("ns=y")))),
	)
	check(t, New(s), flow(P("x", "a"), P("y", "a"), TCP, 80), Allowed)
	s.NetworkPolicies = s.NetworkPolicies[:1]
	check(t, New(s), flow(P("x", "a"), P("y", "a"), TCP, 80), Denied)
}

func checkVerdictShape(t *testing.T, e *Engine, fl Flow, v Verdict) {
	t.Helper()
	if d := e.Decide(fl); d != v.Result {
		t.Fatalf("Decide=%s, Evaluate=%s for %+v (%s)", d, v.Result, fl, v.Reason)
	}
	if v.Allowed != (v.Result == Allowed) || v.Reason == "" {
		t.Fatalf("inconsistent verdict: %+v", v)
	}
	switch v.Result {
	case Allowed:
		if v.Egress.Result != Allowed || v.Ingress.Result != Allowed {
			t.Fatalf("allowed with a side not allowed: %s", v.Reason)
		}
	case Denied:
		if v.Egress.Result != Denied && v.Ingress.Result != Denied {
			t.Fatalf("denied with no denying side: %s", v.Reason)
		}
	case Undecided:
		// Also when the address family or the hostNetwork reading
		// decides: the side that differs is undecided too.
		if v.Egress.Result == Denied || v.Ingress.Result == Denied {
			t.Fatalf("undecided with a denying side: %s", v.Reason)
		}
	}
	for _, sv := range []SideVerdict{v.Egress, v.Ingress} {
		if sv.Isolated != (len(sv.SelectingPolicies) > 0) {
			t.Fatalf("isolated=%v with policies %v", sv.Isolated, sv.SelectingPolicies)
		}
		if sv.Result == Denied && sv.DecidedBy == LayerNetworkPolicy && len(sv.Misses) == 0 {
			t.Fatalf("NetworkPolicy deny without misses: %s", sv.Reason)
		}
		if sv.Result == Allowed && sv.DecidedBy == LayerNetworkPolicy && sv.Exemption == ExemptNone && len(sv.AllowedBy) == 0 {
			t.Fatalf("NetworkPolicy allow without an allowing rule: %s", sv.Reason)
		}
		for j := 1; j < len(sv.Misses); j++ {
			if sv.Misses[j-1].Closeness > sv.Misses[j].Closeness {
				t.Fatalf("misses not sorted: %+v", sv.Misses)
			}
		}
	}
}

// checkNotIsolatedWithoutPolicy recomputes, with the apimachinery selector
// directly, whether any NetworkPolicy selects the side's pod.
func checkNotIsolatedWithoutPolicy(t *testing.T, s Snapshot, v Verdict) {
	t.Helper()
	for _, sv := range []SideVerdict{v.Egress, v.Ingress} {
		if sv.Pod.Name == "" {
			continue
		}
		pod := findPod(s, sv.Pod)
		selected := false
		for _, np := range s.NetworkPolicies {
			if np.Namespace == pod.Namespace && refSelects(&np.Spec.PodSelector, pod.Labels) {
				selected = true
			}
		}
		if !selected && sv.Isolated {
			t.Fatalf("pod %s selected by no policy is isolated for %s", sv.Pod, sv.Direction)
		}
	}
}

// addAllowAllPeersRule adds a rule with no peers to a direction the policy
// already isolates (so that policyTypes defaulting does not newly isolate the
// other direction), with random ports.
func addAllowAllPeersRule(np *networkingv1.NetworkPolicy, b *byteSource) {
	ports := genNPPorts(b)
	types, _ := effectivePolicyTypes(&np.Spec)
	if types[1] && (b.chance(2) || !types[0]) {
		np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{Ports: ports})
		return
	}
	np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{Ports: ports})
}

func TestRemovingPolicyCanDenyUnderBaseline(t *testing.T) {
	s := xyzCluster(mkNP("x", "from-y", "pod=a", in(peers(nsPeer("ns=y")))))
	s.BaselineAdminNetworkPolicy = mkBANP(anpNS("ns=x"), []anp.BaselineAdminNetworkPolicyIngressRule{banpIn("Deny", fromNS("ns=y"))}, nil)
	check(t, New(s), flow(P("y", "a"), P("x", "a"), TCP, 80), Allowed)
	s.NetworkPolicies = nil
	check(t, New(s), flow(P("y", "a"), P("x", "a"), TCP, 80), Denied)
}

// learnUnknowns returns the snapshot with what it did not say filled in:
// pods without IP get an IPv4 and an IPv6 address (none that a generated
// flow names), and, when the snapshot does not list every namespace, the
// undeclared namespaces of pods are declared with some labels.
func learnUnknowns(s Snapshot, b *byteSource) Snapshot {
	c := s
	c.Pods = make([]corev1.Pod, len(s.Pods))
	for i := range s.Pods {
		s.Pods[i].DeepCopyInto(&c.Pods[i])
		p := &c.Pods[i]
		if len(refPodIPs(p)) > 0 {
			continue
		}
		v4 := []string{"10.0.1.200", "10.60.0.1", "192.168.0.200", "172.16.0.1"}[b.intn(4)]
		v6 := refFutureIPs[famV6][b.intn(len(refFutureIPs[famV6]))]
		p.Status.PodIP = v4
		p.Status.PodIPs = []corev1.PodIP{{IP: v4}, {IP: v6}}
	}
	if !s.NamespacesComplete {
		c.Namespaces = slices.Clone(s.Namespaces)
		for _, p := range s.Pods {
			if !slices.ContainsFunc(c.Namespaces, func(ns corev1.Namespace) bool { return ns.Name == p.Namespace }) {
				c.Namespaces = append(c.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: p.Namespace, Labels: refNSLabellings[b.intn(len(refNSLabellings))]}})
			}
		}
		c.NamespacesComplete = b.chance(2)
	}
	return c
}

func cloneSnapshot(s Snapshot) Snapshot {
	c := s
	c.NetworkPolicies = make([]networkingv1.NetworkPolicy, len(s.NetworkPolicies))
	for i := range s.NetworkPolicies {
		s.NetworkPolicies[i].DeepCopyInto(&c.NetworkPolicies[i])
	}
	return c
}

func dumpSnapshot(s Snapshot) string {
	out := fmt.Sprintf("\n namespaces complete: %t", s.NamespacesComplete)
	for _, ns := range s.Namespaces {
		out += "\n ns " + ns.Name + " " + FormatLabels(ns.Labels)
	}
	for _, p := range s.Pods {
		out += "\n pod " + p.Namespace + "/" + p.Name + " " + FormatLabels(p.Labels) + " ip=" + fmt.Sprint(refPodIPs(&p)) + " host=" + p.Status.HostIP
		if p.Spec.HostNetwork {
			out += " hostNetwork"
		}
		for _, c := range PortsOf(&p) {
			out += " " + c.Name + ":" + string(c.Protocol) + "/" + fmt.Sprint(c.Number)
		}
	}
	for _, np := range s.NetworkPolicies {
		out += "\n np " + np.Namespace + "/" + np.Name + " " + np.Spec.String()
	}
	for _, a := range s.AdminNetworkPolicies {
		out += "\n anp " + a.Name + " " + jsonOf(a.Spec)
	}
	if s.BaselineAdminNetworkPolicy != nil {
		out += "\n banp " + jsonOf(s.BaselineAdminNetworkPolicy.Spec)
	}
	return out
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ---- reference model ----

// refVerdict reads the specifications literally, with no index and no
// three-valued logic, in every world the snapshot leaves open: each address
// family both endpoints may use, both readings of hostNetwork pods (the API
// text's, and "their traffic is their node's"), each address a pod without
// IP may get (from a small vocabulary that straddles the generated blocks),
// and each labelling of an undeclared namespace when the snapshot does not
// list every namespace. want is the result when every world agrees, else
// Undecided. exact is false when the worlds include an unknown address or
// namespace, which the engine judges rule by rule (it may then stay
// undecided where the worlds agree, but must never decide against them). ok
// is false when a world reaches something the reference does not model:
// admin nodes/domainNames peers against a possible node or external address,
// an unreadable subject, or admin policies of equal priority that both match.
func refVerdict(s Snapshot, f Flow) (want Result, exact, ok bool) {
	proto := protocolOrTCP(f.Protocol)
	eps := []Endpoint{f.Src, f.Dst}
	var pods [2]*corev1.Pod
	for i, ep := range eps {
		if ep.IsPod() {
			if pods[i] = findPod(s, ep.Pod); pods[i] == nil {
				return Undecided, true, true
			}
		}
	}
	port := f.Port.IntVal
	if f.Port.Type == intstr.String {
		if pods[1] == nil {
			return Undecided, true, true
		}
		port = 0
		for _, c := range pods[1].Spec.Containers {
			for _, cp := range c.Ports {
				if cp.Name == f.Port.StrVal && protocolOrTCP(cp.Protocol) == proto {
					port = cp.ContainerPort
				}
			}
		}
		if port == 0 {
			return Undecided, true, true
		}
	}
	fams := famBoth
	readings := []bool{false}
	var noIP []*corev1.Pod
	var undeclared []string
	for i, ep := range eps {
		if !ep.IsPod() {
			fams &= familyOf(ep.IP)
			continue
		}
		p := pods[i]
		if p.Spec.HostNetwork && len(readings) == 1 {
			readings = append(readings, true)
		}
		if ips := refPodIPs(p); len(ips) > 0 {
			fams &= familiesOf(ips)
		} else if !slices.Contains(noIP, p) {
			noIP = append(noIP, p)
		}
		if !s.NamespacesComplete && !slices.ContainsFunc(s.Namespaces, func(ns corev1.Namespace) bool { return ns.Name == p.Namespace }) && !slices.Contains(undeclared, p.Namespace) {
			undeclared = append(undeclared, p.Namespace)
		}
	}
	if fams == 0 {
		return Undecided, true, true
	}
	seen := map[Result]bool{}
	for _, fam := range []uint8{famV4, famV6} {
		if fams&fam == 0 {
			continue
		}
		vocab := refFutureIPs[fam]
		for _, ignoreHostNetwork := range readings {
			for addrs := range refProduct(len(noIP), len(vocab)) {
				for labelling := range refProduct(len(undeclared), len(refNSLabellings)) {
					w := refWorld{fam: fam, ignoreHostNetwork: ignoreHostNetwork, addrs: map[*corev1.Pod]netip.Addr{}, nsLabels: map[string]map[string]string{}}
					for i, p := range noIP {
						w.addrs[p] = netip.MustParseAddr(vocab[addrs[i]])
					}
					for i, ns := range undeclared {
						w.nsLabels[ns] = refNSLabellings[labelling[i]]
					}
					r, ok := refWorldVerdict(s, w, eps, pods, proto, port)
					if !ok {
						return "", false, false
					}
					seen[r] = true
				}
			}
		}
	}
	exact = len(noIP) == 0 && len(undeclared) == 0
	if len(seen) == 1 {
		for r := range seen {
			return r, exact, true
		}
	}
	return Undecided, exact, true
}

// refFutureIPs are addresses a pod without IP may get, per family: inside
// and outside the generated blocks and networks, and in their excepts.
var refFutureIPs = map[uint8][]string{
	famV4: {"10.0.1.200", "10.60.0.1", "192.168.0.200", "8.8.8.8", "172.16.0.1"},
	famV6: {"fd00::abcd", "fd00:1::1", "2001:db8::1"},
}

// refNSLabellings are the labellings of an undeclared namespace that the
// generated selectors (keys team and tier) can tell apart.
var refNSLabellings = []map[string]string{
	{}, {"team": "a"}, {"team": "b"}, {"tier": "1"}, {"team": "a", "tier": "1"}, {"team": "b", "tier": "1"},
}

// refProduct yields every choice of one index below m for each of n slots.
func refProduct(n, m int) func(func([]int) bool) {
	return func(yield func([]int) bool) {
		idx := make([]int, n)
		for {
			if !yield(idx) {
				return
			}
			i := 0
			for ; i < n; i++ {
				if idx[i]++; idx[i] < m {
					break
				}
				idx[i] = 0
			}
			if i == n {
				return
			}
		}
	}
}

type refWorld struct {
	fam               uint8
	ignoreHostNetwork bool
	addrs             map[*corev1.Pod]netip.Addr
	nsLabels          map[string]map[string]string
}

func refWorldVerdict(s Snapshot, w refWorld, eps []Endpoint, pods [2]*corev1.Pod, proto corev1.Protocol, port int32) (Result, bool) {
	var ends [2]refEnd
	for i, ep := range eps {
		ends[i] = refEndpoint(ep, pods[i], w)
	}
	r := &refFlow{s: s, proto: proto, port: port, world: w}
	egress, ok1 := r.side(ends[0], ends[1], Egress)
	ingress, ok2 := r.side(ends[1], ends[0], Ingress)
	if egress == Denied && ok1 || ingress == Denied && ok2 {
		return Denied, true
	}
	if !ok1 || !ok2 {
		return "", false
	}
	return combine(egress, ingress), true
}

// refEnd is an endpoint in a world: a pod, or an address (an IP endpoint,
// or a hostNetwork pod seen as its node); addrs are its addresses of the
// world's family.
type refEnd struct {
	pod   *corev1.Pod
	ip    netip.Addr
	addrs []netip.Addr
}

func (e refEnd) ips() []netip.Addr { return e.addrs }

func refPodIPs(p *corev1.Pod) []netip.Addr {
	var out []netip.Addr
	for _, s := range append([]string{p.Status.PodIP}, podIPStrings(p)...) {
		if a, err := netip.ParseAddr(s); err == nil && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func podIPStrings(p *corev1.Pod) []string {
	var out []string
	for _, ip := range p.Status.PodIPs {
		out = append(out, ip.IP)
	}
	return out
}

func refEndpoint(ep Endpoint, p *corev1.Pod, w refWorld) refEnd {
	if !ep.IsPod() {
		return refEnd{ip: ep.IP, addrs: []netip.Addr{ep.IP}}
	}
	if w.ignoreHostNetwork && p.Spec.HostNetwork {
		node := netip.MustParseAddr(p.Status.HostIP)
		return refEnd{ip: node, addrs: []netip.Addr{node}}
	}
	var addrs []netip.Addr
	for _, a := range refPodIPs(p) {
		if familyOf(a) == w.fam {
			addrs = append(addrs, a)
		}
	}
	if a, ok := w.addrs[p]; ok {
		addrs = []netip.Addr{a}
	}
	return refEnd{pod: p, addrs: addrs}
}

func findPod(s Snapshot, ref PodRef) *corev1.Pod {
	for i := range s.Pods {
		if s.Pods[i].Namespace == ref.Namespace && s.Pods[i].Name == ref.Name {
			return &s.Pods[i]
		}
	}
	return nil
}

type refFlow struct {
	s     Snapshot
	proto corev1.Protocol
	port  int32
	world refWorld
}

func refSelects(ls *metav1.LabelSelector, l map[string]string) bool {
	sel, err := metav1.LabelSelectorAsSelector(ls)
	return err == nil && sel.Matches(labels.Set(l))
}

func (r *refFlow) nsLabels(name string) map[string]string {
	out := map[string]string{}
	for k, v := range r.world.nsLabels[name] {
		out[k] = v
	}
	for _, ns := range r.s.Namespaces {
		if ns.Name == name {
			for k, v := range ns.Labels {
				out[k] = v
			}
		}
	}
	out["kubernetes.io/metadata.name"] = name
	return out
}

// side returns the result for self's direction; ok=false when not modelled.
func (r *refFlow) side(self, peer refEnd, dir Direction) (Result, bool) {
	if self.pod == nil {
		return Allowed, true
	}
	act, ok := r.adminStage(self, peer, dir)
	if !ok {
		return "", false
	}
	switch act {
	case actionAllow:
		return Allowed, true
	case actionDeny:
		return Denied, true
	}
	isolating := r.isolating(self.pod, dir)
	if len(isolating) > 0 {
		if peer.pod == self.pod || (peer.pod == nil && peer.ip.String() == self.pod.Status.HostIP) {
			return Allowed, true
		}
		for _, np := range isolating {
			if r.netpolAllows(np, self, peer, dir) {
				return Allowed, true
			}
		}
		return Denied, true
	}
	if act, ok := r.tierHits(r.cnpPolicies(cnp.BaselineTier), self, peer, dir); !ok {
		return "", false
	} else if act != "" {
		// The Baseline tier decided, or passed to the default allow.
		if act == actionDeny {
			return Denied, true
		}
		return Allowed, true
	}
	b := r.s.BaselineAdminNetworkPolicy
	if b == nil || b.Name != "default" {
		return Allowed, true
	}
	subj, ok := r.subjectSelects(b.Spec.Subject, self.pod)
	if !ok {
		return "", false
	}
	if !subj {
		return Allowed, true
	}
	var rules []refRule
	if dir == Ingress {
		for _, ru := range b.Spec.Ingress {
			rules = append(rules, refRule{string(ru.Action), ingressPeers(ru.From), ru.Ports})
		}
	} else {
		for _, ru := range b.Spec.Egress {
			var to []anp.AdminNetworkPolicyEgressPeer
			for _, p := range ru.To {
				to = append(to, anp.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods, Nodes: p.Nodes, Networks: p.Networks})
			}
			rules = append(rules, refRule{string(ru.Action), to, ru.Ports})
		}
	}
	for _, ru := range rules {
		m, act, ok := r.ruleMatches(ru, self, peer, dir)
		if !ok {
			return "", false
		}
		if m {
			if act == actionDeny {
				return Denied, true
			}
			return Allowed, true
		}
	}
	return Allowed, true
}

type refRule struct {
	action string
	peers  []anp.AdminNetworkPolicyEgressPeer
	ports  *[]anp.AdminNetworkPolicyPort
}

func ingressPeers(from []anp.AdminNetworkPolicyIngressPeer) []anp.AdminNetworkPolicyEgressPeer {
	var out []anp.AdminNetworkPolicyEgressPeer
	for _, p := range from {
		out = append(out, anp.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods})
	}
	return out
}

// refPolicy is an admin policy of either generation as the reference reads
// it: actions by their v1alpha1 names.
type refPolicy struct {
	prio    int32
	subject anp.AdminNetworkPolicySubject
	rules   [2][]refRule // ingress, egress
}

// cnpPolicies reads the ClusterNetworkPolicies of a tier.
func (r *refFlow) cnpPolicies(tier cnp.Tier) []refPolicy {
	var out []refPolicy
	for _, c := range r.s.ClusterNetworkPolicies {
		if c.Spec.Tier != tier {
			continue
		}
		p := refPolicy{prio: c.Spec.Priority, subject: anp.AdminNetworkPolicySubject{Namespaces: c.Spec.Subject.Namespaces, Pods: anpPodsOf(c.Spec.Subject.Pods)}}
		for _, ru := range c.Spec.Ingress {
			var peers []anp.AdminNetworkPolicyEgressPeer
			for _, x := range ru.From {
				peers = append(peers, anp.AdminNetworkPolicyEgressPeer{Namespaces: x.Namespaces, Pods: anpPodsOf(x.Pods)})
			}
			p.rules[0] = append(p.rules[0], refRule{refAction(ru.Action), peers, refPorts(ru.Protocols)})
		}
		for _, ru := range c.Spec.Egress {
			var peers []anp.AdminNetworkPolicyEgressPeer
			for _, x := range ru.To {
				peer := anp.AdminNetworkPolicyEgressPeer{Namespaces: x.Namespaces, Pods: anpPodsOf(x.Pods), Nodes: x.Nodes}
				for _, n := range x.Networks {
					peer.Networks = append(peer.Networks, anp.CIDR(n))
				}
				for _, d := range x.DomainNames {
					peer.DomainNames = append(peer.DomainNames, anp.DomainName(d))
				}
				peers = append(peers, peer)
			}
			p.rules[1] = append(p.rules[1], refRule{refAction(ru.Action), peers, refPorts(ru.Protocols)})
		}
		out = append(out, p)
	}
	return out
}

func refAction(a cnp.ClusterNetworkPolicyRuleAction) string {
	if a == accept {
		return actionAllow
	}
	return string(a)
}

func anpPodsOf(p *cnp.NamespacedPod) *anp.NamespacedPod {
	if p == nil {
		return nil
	}
	return &anp.NamespacedPod{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
}

// refPorts reads protocols as AdminNetworkPolicy ports (the generator only
// writes valid ones).
func refPorts(protocols []cnp.ClusterNetworkPolicyProtocol) *[]anp.AdminNetworkPolicyPort {
	if protocols == nil {
		return nil
	}
	var out []anp.AdminNetworkPolicyPort
	for _, p := range protocols {
		var proto corev1.Protocol
		var port *cnp.Port
		switch {
		case p.DestinationNamedPort != "":
			out = append(out, anp.AdminNetworkPolicyPort{NamedPort: &p.DestinationNamedPort})
			continue
		case p.TCP != nil:
			proto, port = corev1.ProtocolTCP, p.TCP.DestinationPort
		case p.UDP != nil:
			proto, port = corev1.ProtocolUDP, p.UDP.DestinationPort
		case p.SCTP != nil:
			proto, port = corev1.ProtocolSCTP, p.SCTP.DestinationPort
		}
		if port.Range != nil {
			out = append(out, anp.AdminNetworkPolicyPort{PortRange: &anp.PortRange{Protocol: proto, Start: port.Range.Start, End: port.Range.End}})
		} else {
			out = append(out, anp.AdminNetworkPolicyPort{PortNumber: &anp.Port{Protocol: proto, Port: port.Number}})
		}
	}
	return &out
}

// adminStage returns "Allow", "Deny", or "" (no match or Pass).
func (r *refFlow) adminStage(self, peer refEnd, dir Direction) (string, bool) {
	policies := r.cnpPolicies(cnp.AdminTier)
	for _, a := range r.s.AdminNetworkPolicies {
		p := refPolicy{prio: a.Spec.Priority, subject: a.Spec.Subject}
		for _, ru := range a.Spec.Ingress {
			p.rules[0] = append(p.rules[0], refRule{string(ru.Action), ingressPeers(ru.From), ru.Ports})
		}
		for _, ru := range a.Spec.Egress {
			p.rules[1] = append(p.rules[1], refRule{string(ru.Action), ru.To, ru.Ports})
		}
		policies = append(policies, p)
	}
	act, ok := r.tierHits(policies, self, peer, dir)
	if act == actionPass {
		act = ""
	}
	return act, ok
}

// tierHits applies the first matching rule of the highest-precedence
// policies that match: "Allow", "Deny", "Pass", or "" when none matches.
func (r *refFlow) tierHits(policies []refPolicy, self, peer refEnd, dir Direction) (string, bool) {
	type hit struct {
		prio   int32
		action string
	}
	var hits []hit
	d := 0
	if dir == Egress {
		d = 1
	}
	for _, a := range policies {
		subj, ok := r.subjectSelects(a.subject, self.pod)
		if !ok {
			return "", false
		}
		if !subj {
			continue
		}
		for _, ru := range a.rules[d] {
			m, act, ok := r.ruleMatches(ru, self, peer, dir)
			if !ok {
				return "", false
			}
			if m {
				hits = append(hits, hit{a.prio, act})
				break
			}
		}
	}
	if len(hits) == 0 {
		return "", true
	}
	best := hits[0]
	for _, h := range hits[1:] {
		if h.prio < best.prio {
			best = h
		}
	}
	for _, h := range hits {
		if h.prio == best.prio && h.action != best.action {
			return "", false // tie between policies that disagree
		}
	}
	return best.action, true
}

func (r *refFlow) subjectSelects(s anp.AdminNetworkPolicySubject, p *corev1.Pod) (bool, bool) {
	if p.Spec.HostNetwork {
		return false, true
	}
	switch {
	case s.Namespaces != nil && s.Pods == nil:
		return refSelects(s.Namespaces, r.nsLabels(p.Namespace)), true
	case s.Pods != nil && s.Namespaces == nil:
		return refSelects(&s.Pods.NamespaceSelector, r.nsLabels(p.Namespace)) && refSelects(&s.Pods.PodSelector, p.Labels), true
	}
	return false, false
}

// ruleMatches applies the fail-closed reading to unreadable peers.
func (r *refFlow) ruleMatches(ru refRule, self, peer refEnd, dir Direction) (bool, string, bool) {
	for _, p := range ru.peers {
		n := 0
		for _, set := range []bool{p.Namespaces != nil, p.Pods != nil, p.Nodes != nil, len(p.Networks) > 0, len(p.DomainNames) > 0} {
			if set {
				n++
			}
		}
		if n != 1 && ru.action != actionAllow {
			if ru.action == actionDeny || ru.action == actionPass {
				return true, actionDeny, true
			}
			return false, "", false
		}
	}
	if len(ru.peers) == 0 && ru.action != actionAllow {
		return true, actionDeny, true
	}
	if ru.action != actionAllow && ru.action != actionDeny && ru.action != actionPass {
		return false, "", false
	}
	portOK := ru.ports == nil
	if !portOK {
		portPod := self.pod
		if dir == Egress {
			portPod = peer.pod
		}
		for _, pp := range *ru.ports {
			switch {
			case pp.PortNumber != nil:
				portOK = portOK || protocolOrTCP(pp.PortNumber.Protocol) == r.proto && pp.PortNumber.Port == r.port
			case pp.PortRange != nil:
				portOK = portOK || protocolOrTCP(pp.PortRange.Protocol) == r.proto && r.port >= pp.PortRange.Start && r.port <= pp.PortRange.End
			case pp.NamedPort != nil && portPod != nil:
				for _, c := range portPod.Spec.Containers {
					for _, cp := range c.Ports {
						if cp.Name == *pp.NamedPort && protocolOrTCP(cp.Protocol) == r.proto && cp.ContainerPort == r.port {
							portOK = true
						}
					}
				}
			}
		}
	}
	if !portOK {
		return false, ru.action, true
	}
	for _, p := range ru.peers {
		peerIsPodNetwork := peer.pod != nil && !peer.pod.Spec.HostNetwork
		switch {
		case p.Namespaces != nil && p.Pods == nil && p.Nodes == nil && len(p.Networks) == 0 && len(p.DomainNames) == 0:
			if peerIsPodNetwork && refSelects(p.Namespaces, r.nsLabels(peer.pod.Namespace)) {
				return true, ru.action, true
			}
		case p.Pods != nil && p.Namespaces == nil && p.Nodes == nil && len(p.Networks) == 0 && len(p.DomainNames) == 0:
			if peerIsPodNetwork && refSelects(&p.Pods.NamespaceSelector, r.nsLabels(peer.pod.Namespace)) && refSelects(&p.Pods.PodSelector, peer.pod.Labels) {
				return true, ru.action, true
			}
		case p.Nodes != nil && p.Namespaces == nil && p.Pods == nil && len(p.Networks) == 0 && len(p.DomainNames) == 0:
			if !peerIsPodNetwork {
				return false, "", false
			}
		case len(p.Networks) > 0 && p.Namespaces == nil && p.Pods == nil && p.Nodes == nil && len(p.DomainNames) == 0:
			ips := peer.ips()
			if len(ips) == 0 {
				return false, "", false
			}
			for _, ip := range ips {
				for _, c := range p.Networks {
					if pfx, err := netip.ParsePrefix(string(c)); err == nil && pfx.Contains(ip) {
						return true, ru.action, true
					}
				}
			}
		case len(p.DomainNames) > 0 && p.Namespaces == nil && p.Pods == nil && p.Nodes == nil && len(p.Networks) == 0:
			if !peerIsPodNetwork {
				return false, "", false
			}
		}
	}
	return false, ru.action, true
}

func (r *refFlow) isolating(p *corev1.Pod, dir Direction) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	for i := range r.s.NetworkPolicies {
		np := &r.s.NetworkPolicies[i]
		if np.Namespace != p.Namespace || !refSelects(&np.Spec.PodSelector, p.Labels) {
			continue
		}
		applies := false
		if len(np.Spec.PolicyTypes) == 0 {
			applies = dir == Ingress || len(np.Spec.Egress) > 0
		}
		for _, pt := range np.Spec.PolicyTypes {
			applies = applies || string(pt) == string(dir)
		}
		if applies {
			out = append(out, np)
		}
	}
	return out
}

func (r *refFlow) netpolAllows(np *networkingv1.NetworkPolicy, self, peer refEnd, dir Direction) bool {
	type rule struct {
		peers []networkingv1.NetworkPolicyPeer
		ports []networkingv1.NetworkPolicyPort
	}
	var rules []rule
	portPod := self.pod
	if dir == Ingress {
		for _, ru := range np.Spec.Ingress {
			rules = append(rules, rule{ru.From, ru.Ports})
		}
	} else {
		portPod = peer.pod
		for _, ru := range np.Spec.Egress {
			rules = append(rules, rule{ru.To, ru.Ports})
		}
	}
	for _, ru := range rules {
		peerOK := len(ru.peers) == 0
		for _, p := range ru.peers {
			if p.IPBlock != nil {
				for _, ip := range peer.ips() {
					cidr := netip.MustParsePrefix(p.IPBlock.CIDR)
					in := cidr.Contains(ip)
					for _, ex := range p.IPBlock.Except {
						if netip.MustParsePrefix(ex).Contains(ip) {
							in = false
						}
					}
					peerOK = peerOK || in
				}
				continue
			}
			if peer.pod == nil {
				continue
			}
			nsOK := peer.pod.Namespace == np.Namespace
			if p.NamespaceSelector != nil {
				nsOK = refSelects(p.NamespaceSelector, r.nsLabels(peer.pod.Namespace))
			}
			podOK := p.PodSelector == nil || refSelects(p.PodSelector, peer.pod.Labels)
			peerOK = peerOK || nsOK && podOK
		}
		portOK := len(ru.ports) == 0
		for _, pp := range ru.ports {
			proto := corev1.ProtocolTCP
			if pp.Protocol != nil {
				proto = *pp.Protocol
			}
			if proto != r.proto {
				continue
			}
			switch {
			case pp.Port == nil:
				portOK = true
			case pp.Port.Type == intstr.String:
				if portPod == nil {
					continue
				}
				for _, c := range portPod.Spec.Containers {
					for _, cp := range c.Ports {
						if cp.Name == pp.Port.StrVal && protocolOrTCP(cp.Protocol) == proto && cp.ContainerPort == r.port {
							portOK = true
						}
					}
				}
			case pp.EndPort != nil:
				portOK = portOK || r.port >= pp.Port.IntVal && r.port <= *pp.EndPort
			default:
				portOK = portOK || r.port == pp.Port.IntVal
			}
		}
		if peerOK && portOK {
			return true
		}
	}
	return false
}
