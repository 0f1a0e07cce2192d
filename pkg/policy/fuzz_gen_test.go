package policy

import (
	"fmt"
	"hash/fnv"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// byteSource turns fuzz input into choices. Once the input is used up it
// goes on with a generator seeded from the input, so that short inputs still
// give varied scenarios (zeros would always pick the first option).
type byteSource struct {
	data  []byte
	i     int
	state uint64
}

func (b *byteSource) next() byte {
	if b.i < len(b.data) {
		b.i++
		return b.data[b.i-1]
	}
	if b.state == 0 {
		h := fnv.New64a()
		h.Write(b.data)
		b.state = h.Sum64() | 1
	}
	// xorshift64
	b.state ^= b.state << 13
	b.state ^= b.state >> 7
	b.state ^= b.state << 17
	return byte(b.state >> 32)
}

func (b *byteSource) intn(n int) int { return int(b.next()) % n }

func (b *byteSource) chance(outOf int) bool { return b.intn(outOf) == 0 }

// genScenario builds a small cluster. Values come from tiny vocabularies so
// that selectors often match. NetworkPolicies are always valid (the engine
// ignores invalid ones); admin policies may hold the shapes the engine must
// treat as unknown or fail-closed.
func genScenario(b *byteSource) (Snapshot, []Flow) {
	var s Snapshot
	nNS := 1 + b.intn(3)
	for i := 0; i < nNS; i++ {
		ns := corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns%d", i), Labels: genLabels(b, "team", "a", "b")}}
		s.Namespaces = append(s.Namespaces, ns)
	}
	nPods := 1 + b.intn(6)
	for i := 0; i < nPods; i++ {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("ns%d", b.intn(nNS+1)), Name: fmt.Sprintf("p%d", i), Labels: genLabels(b, "app", "x", "y")}}
		p.Status.Phase = corev1.PodRunning
		node := fmt.Sprintf("192.168.0.%d", 1+b.intn(2))
		p.Status.HostIP = node
		switch b.intn(6) {
		case 0: // no IP known (manifest mode)
		case 1:
			p.Spec.HostNetwork = true
			p.Status.PodIP = node
		case 2:
			p.Status.PodIP = fmt.Sprintf("10.0.%d.%d", i, 1)
			p.Status.PodIPs = []corev1.PodIP{{IP: p.Status.PodIP}, {IP: fmt.Sprintf("fd00::%d", i+1)}}
		default:
			p.Status.PodIP = fmt.Sprintf("10.0.%d.%d", i, 1)
		}
		c := corev1.Container{Name: "c"}
		for j := b.intn(3); j > 0; j-- {
			c.Ports = append(c.Ports, corev1.ContainerPort{Name: []string{"http", "dns", ""}[b.intn(3)], ContainerPort: []int32{80, 53, 8080}[b.intn(3)], Protocol: []corev1.Protocol{"", corev1.ProtocolUDP, corev1.ProtocolTCP}[b.intn(3)]})
		}
		// Names must be unique within a pod for the API server.
		seen := map[string]bool{}
		for k := range c.Ports {
			if seen[c.Ports[k].Name] {
				c.Ports[k].Name = ""
			}
			if c.Ports[k].Name != "" {
				seen[c.Ports[k].Name] = true
			}
		}
		p.Spec.Containers = []corev1.Container{c}
		s.Pods = append(s.Pods, p)
	}
	for i := b.intn(5); i > 0; i-- {
		s.NetworkPolicies = append(s.NetworkPolicies, genNetpol(b, nNS, len(s.NetworkPolicies)))
	}
	if b.chance(2) {
		for i := b.intn(3); i > 0; i-- {
			s.AdminNetworkPolicies = append(s.AdminNetworkPolicies, genANP(b, len(s.AdminNetworkPolicies)))
		}
		if b.chance(2) {
			a := genANP(b, 0)
			banp := &anp.BaselineAdminNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: anp.BaselineAdminNetworkPolicySpec{Subject: a.Spec.Subject}}
			for _, r := range a.Spec.Ingress {
				if r.Action != pass {
					banp.Spec.Ingress = append(banp.Spec.Ingress, anp.BaselineAdminNetworkPolicyIngressRule{Action: anp.BaselineAdminNetworkPolicyRuleAction(r.Action), From: r.From, Ports: r.Ports})
				}
			}
			for _, r := range a.Spec.Egress {
				if r.Action == pass {
					continue
				}
				var to []anp.BaselineAdminNetworkPolicyEgressPeer
				for _, p := range r.To {
					to = append(to, anp.BaselineAdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods, Nodes: p.Nodes, Networks: p.Networks})
				}
				banp.Spec.Egress = append(banp.Spec.Egress, anp.BaselineAdminNetworkPolicyEgressRule{Action: anp.BaselineAdminNetworkPolicyRuleAction(r.Action), To: to, Ports: r.Ports})
			}
			s.BaselineAdminNetworkPolicy = banp
		}
	}
	var flows []Flow
	for i := 1 + b.intn(4); i > 0; i-- {
		f := Flow{Src: genEndpoint(b, s), Dst: genEndpoint(b, s), Protocol: []corev1.Protocol{"", corev1.ProtocolUDP, corev1.ProtocolSCTP, corev1.ProtocolTCP}[b.intn(4)]}
		if b.chance(10) {
			f.Port = intstr.FromString([]string{"http", "dns"}[b.intn(2)])
		} else {
			f.Port = intstr.FromInt32([]int32{80, 53, 8080, 81}[b.intn(4)])
		}
		flows = append(flows, f)
	}
	// A cluster read lists every namespace; manifests do not.
	s.NamespacesComplete = b.chance(2)
	if b.chance(3) {
		asClusterNetworkPolicies(&s, b)
	}
	return s, flows
}

// asClusterNetworkPolicies replaces the v1alpha1 admin policies by
// ClusterNetworkPolicies with the same rules: the AdminNetworkPolicies in the
// Admin tier, the baseline and one more generated policy (which may Pass)
// in the Baseline tier. One generation per scenario: the reference does not
// model both at once (TestAdminGenerationsDisagree does).
func asClusterNetworkPolicies(s *Snapshot, b *byteSource) {
	for _, a := range s.AdminNetworkPolicies {
		s.ClusterNetworkPolicies = append(s.ClusterNetworkPolicies, cnpOf(a, cnp.AdminTier))
	}
	if banp := s.BaselineAdminNetworkPolicy; banp != nil {
		a := anp.AdminNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "baseline"}, Spec: anp.AdminNetworkPolicySpec{Priority: int32(b.intn(3)), Subject: banp.Spec.Subject}}
		for _, r := range banp.Spec.Ingress {
			a.Spec.Ingress = append(a.Spec.Ingress, anp.AdminNetworkPolicyIngressRule{Action: anp.AdminNetworkPolicyRuleAction(r.Action), From: r.From, Ports: r.Ports})
		}
		for _, r := range banp.Spec.Egress {
			var to []anp.AdminNetworkPolicyEgressPeer
			for _, p := range r.To {
				to = append(to, anp.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods, Nodes: p.Nodes, Networks: p.Networks})
			}
			a.Spec.Egress = append(a.Spec.Egress, anp.AdminNetworkPolicyEgressRule{Action: anp.AdminNetworkPolicyRuleAction(r.Action), To: to, Ports: r.Ports})
		}
		s.ClusterNetworkPolicies = append(s.ClusterNetworkPolicies, cnpOf(a, cnp.BaselineTier))
	}
	if b.chance(2) {
		extra := genANP(b, 9)
		extra.Name = "more-baseline"
		s.ClusterNetworkPolicies = append(s.ClusterNetworkPolicies, cnpOf(extra, cnp.BaselineTier))
	}
	s.AdminNetworkPolicies, s.BaselineAdminNetworkPolicy = nil, nil
}

// cnpOf writes an AdminNetworkPolicy as a ClusterNetworkPolicy of tier.
func cnpOf(a anp.AdminNetworkPolicy, tier cnp.Tier) cnp.ClusterNetworkPolicy {
	c := cnp.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "c-" + a.Name}, Spec: cnp.ClusterNetworkPolicySpec{Tier: tier, Priority: a.Spec.Priority}}
	c.Spec.Subject = cnp.ClusterNetworkPolicySubject{Namespaces: a.Spec.Subject.Namespaces, Pods: cnpPodsOf(a.Spec.Subject.Pods)}
	action := func(x anp.AdminNetworkPolicyRuleAction) cnp.ClusterNetworkPolicyRuleAction {
		if x == allow {
			return accept
		}
		return cnp.ClusterNetworkPolicyRuleAction(x)
	}
	for _, r := range a.Spec.Ingress {
		rule := cnp.ClusterNetworkPolicyIngressRule{Action: action(r.Action), Protocols: protocolsOf(r.Ports)}
		for _, p := range r.From {
			rule.From = append(rule.From, cnp.ClusterNetworkPolicyIngressPeer{Namespaces: p.Namespaces, Pods: cnpPodsOf(p.Pods)})
		}
		c.Spec.Ingress = append(c.Spec.Ingress, rule)
	}
	for _, r := range a.Spec.Egress {
		rule := cnp.ClusterNetworkPolicyEgressRule{Action: action(r.Action), Protocols: protocolsOf(r.Ports)}
		for _, p := range r.To {
			peer := cnp.ClusterNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: cnpPodsOf(p.Pods), Nodes: p.Nodes}
			for _, n := range p.Networks {
				peer.Networks = append(peer.Networks, cnp.CIDR(n))
			}
			for _, d := range p.DomainNames {
				peer.DomainNames = append(peer.DomainNames, cnp.DomainName(d))
			}
			rule.To = append(rule.To, peer)
		}
		c.Spec.Egress = append(c.Spec.Egress, rule)
	}
	return c
}

func cnpPodsOf(p *anp.NamespacedPod) *cnp.NamespacedPod {
	if p == nil {
		return nil
	}
	return &cnp.NamespacedPod{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
}

// protocolsOf writes generated ports as protocols. An empty list (which
// fails closed in an AdminNetworkPolicy) has no valid protocols form and
// becomes "all ports".
func protocolsOf(ports *[]anp.AdminNetworkPolicyPort) []cnp.ClusterNetworkPolicyProtocol {
	if ports == nil {
		return nil
	}
	var out []cnp.ClusterNetworkPolicyProtocol
	for _, p := range *ports {
		var proto corev1.Protocol
		var port cnp.Port
		switch {
		case p.NamedPort != nil:
			out = append(out, cnp.ClusterNetworkPolicyProtocol{DestinationNamedPort: *p.NamedPort})
			continue
		case p.PortNumber != nil:
			proto, port = p.PortNumber.Protocol, cnp.Port{Number: p.PortNumber.Port}
		case p.PortRange != nil:
			proto, port = p.PortRange.Protocol, cnp.Port{Range: &cnp.PortRange{Start: p.PortRange.Start, End: p.PortRange.End}}
		default:
			continue
		}
		switch proto {
		case corev1.ProtocolUDP:
			out = append(out, cnp.ClusterNetworkPolicyProtocol{UDP: &cnp.ClusterNetworkPolicyProtocolUDP{DestinationPort: &port}})
		case corev1.ProtocolSCTP:
			out = append(out, cnp.ClusterNetworkPolicyProtocol{SCTP: &cnp.ClusterNetworkPolicyProtocolSCTP{DestinationPort: &port}})
		default:
			out = append(out, cnp.ClusterNetworkPolicyProtocol{TCP: &cnp.ClusterNetworkPolicyProtocolTCP{DestinationPort: &port}})
		}
	}
	return out
}

func genEndpoint(b *byteSource, s Snapshot) Endpoint {
	if b.chance(4) {
		return IP([]string{"8.8.8.8", "10.99.0.1", "192.168.0.1", "192.168.0.2", "fd00::99"}[b.intn(5)])
	}
	p := s.Pods[b.intn(len(s.Pods))]
	return PodEndpoint(p.Namespace, p.Name)
}

func genLabels(b *byteSource, key, v1, v2 string) map[string]string {
	l := map[string]string{}
	switch b.intn(3) {
	case 0:
		l[key] = v1
	case 1:
		l[key] = v2
	}
	if b.chance(2) {
		l["tier"] = "1"
	}
	return l
}

// genSelector draws a valid selector over key (team or app) and tier.
func genSelector(b *byteSource, key, v1, v2 string) *metav1.LabelSelector {
	s := &metav1.LabelSelector{}
	switch b.intn(3) {
	case 0:
		s.MatchLabels = map[string]string{key: v1}
	case 1:
		s.MatchLabels = map[string]string{key: v2}
	}
	switch b.intn(6) {
	case 0:
		s.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"1"}}}
	case 1:
		s.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"1"}}}
	case 2:
		s.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpExists}}
	case 3:
		s.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpDoesNotExist}}
	}
	return s
}

func genNetpol(b *byteSource, nNS, i int) networkingv1.NetworkPolicy {
	np := networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("ns%d", b.intn(nNS)), Name: fmt.Sprintf("np%d", i)}}
	np.Spec.PodSelector = *genSelector(b, "app", "x", "y")
	switch b.intn(4) {
	case 1:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	case 2:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	case 3:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	}
	for r := b.intn(3); r > 0; r-- {
		np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: genNPPeers(b), Ports: genNPPorts(b)})
	}
	for r := b.intn(3); r > 0; r-- {
		np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: genNPPeers(b), Ports: genNPPorts(b)})
	}
	return np
}

func genNPPeers(b *byteSource) []networkingv1.NetworkPolicyPeer {
	var out []networkingv1.NetworkPolicyPeer
	for n := b.intn(3); n > 0; n-- {
		var p networkingv1.NetworkPolicyPeer
		switch b.intn(4) {
		case 0:
			p.PodSelector = genSelector(b, "app", "x", "y")
		case 1:
			p.NamespaceSelector = genSelector(b, "team", "a", "b")
		case 2:
			p.PodSelector = genSelector(b, "app", "x", "y")
			p.NamespaceSelector = genSelector(b, "team", "a", "b")
		default:
			blocks := []networkingv1.IPBlock{
				{CIDR: "10.0.0.0/8", Except: []string{"10.0.1.0/24"}},
				{CIDR: "0.0.0.0/0"},
				{CIDR: "192.168.0.0/24", Except: []string{"192.168.0.1/32"}},
				{CIDR: "fd00::/64"},
				{CIDR: "8.8.8.8/32"},
			}
			blk := blocks[b.intn(len(blocks))]
			p.IPBlock = &blk
		}
		out = append(out, p)
	}
	return out
}

func genNPPorts(b *byteSource) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for n := b.intn(3); n > 0; n-- {
		var p networkingv1.NetworkPolicyPort
		if b.chance(2) {
			proto := []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}[b.intn(3)]
			p.Protocol = &proto
		}
		switch b.intn(4) {
		case 0: // protocol only
		case 1:
			v := intstr.FromString([]string{"http", "dns"}[b.intn(2)])
			p.Port = &v
		case 2:
			v := intstr.FromInt32([]int32{80, 53, 8080}[b.intn(3)])
			p.Port = &v
		default:
			v := intstr.FromInt32(53)
			end := []int32{53, 80, 9000}[b.intn(3)]
			p.Port, p.EndPort = &v, &end
		}
		out = append(out, p)
	}
	return out
}

func genANP(b *byteSource, i int) anp.AdminNetworkPolicy {
	a := anp.AdminNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("anp%d", i)}}
	a.Spec.Priority = int32(b.intn(3))
	switch b.intn(5) {
	case 0:
		a.Spec.Subject.Pods = &anp.NamespacedPod{NamespaceSelector: *genSelector(b, "team", "a", "b"), PodSelector: *genSelector(b, "app", "x", "y")}
	case 1:
		if b.chance(4) {
			break // unknown subject
		}
		fallthrough
	default:
		a.Spec.Subject.Namespaces = genSelector(b, "team", "a", "b")
	}
	actions := []anp.AdminNetworkPolicyRuleAction{allow, deny, pass}
	for r := b.intn(3); r > 0; r-- {
		rule := anp.AdminNetworkPolicyIngressRule{Action: actions[b.intn(3)], Ports: genANPPorts(b)}
		for _, p := range genANPPeers(b, false) {
			rule.From = append(rule.From, anp.AdminNetworkPolicyIngressPeer{Namespaces: p.Namespaces, Pods: p.Pods})
		}
		a.Spec.Ingress = append(a.Spec.Ingress, rule)
	}
	for r := b.intn(3); r > 0; r-- {
		rule := anp.AdminNetworkPolicyEgressRule{Action: actions[b.intn(3)], To: genANPPeers(b, true), Ports: genANPPorts(b)}
		rule.Ports = withoutNamedPortsForNonPodPeers(rule.To, rule.Ports)
		a.Spec.Egress = append(a.Spec.Egress, rule)
	}
	return a
}

// withoutNamedPortsForNonPodPeers keeps generated egress rules valid: the
// CRD rejects a named port in a rule with a networks, nodes or domainNames
// peer (and the engine ignores such a policy).
func withoutNamedPortsForNonPodPeers(to []anp.AdminNetworkPolicyEgressPeer, ports *[]anp.AdminNetworkPolicyPort) *[]anp.AdminNetworkPolicyPort {
	if ports == nil || !slices.ContainsFunc(to, func(p anp.AdminNetworkPolicyEgressPeer) bool {
		return p.Networks != nil || p.Nodes != nil || p.DomainNames != nil
	}) {
		return ports
	}
	kept := slices.DeleteFunc(slices.Clone(*ports), func(p anp.AdminNetworkPolicyPort) bool { return p.NamedPort != nil })
	if len(kept) == 0 {
		return nil
	}
	return &kept
}

func genANPPeers(b *byteSource, egress bool) []anp.AdminNetworkPolicyEgressPeer {
	var out []anp.AdminNetworkPolicyEgressPeer
	for n := 1 + b.intn(2); n > 0; n-- {
		var p anp.AdminNetworkPolicyEgressPeer
		kinds := 2
		if egress {
			kinds = 5
		}
		switch b.intn(kinds + 1) {
		case 0:
			p.Namespaces = genSelector(b, "team", "a", "b")
		case 1:
			p.Pods = &anp.NamespacedPod{NamespaceSelector: *genSelector(b, "team", "a", "b"), PodSelector: *genSelector(b, "app", "x", "y")}
		case 2:
			if !egress {
				break // empty peer: fails closed
			}
			p.Networks = []anp.CIDR{[]anp.CIDR{"10.0.0.0/8", "0.0.0.0/0", "8.8.8.0/24", "fd00::/8"}[b.intn(4)]}
		case 3:
			if b.chance(2) {
				p.Nodes = &metav1.LabelSelector{}
			} else {
				p.Nodes = genSelector(b, "role", "w", "m")
			}
		case 4:
			p.DomainNames = []anp.DomainName{"*.example.com"}
		default: // empty peer: fails closed
		}
		out = append(out, p)
	}
	return out
}

func genANPPorts(b *byteSource) *[]anp.AdminNetworkPolicyPort {
	if b.chance(2) {
		return nil
	}
	var out []anp.AdminNetworkPolicyPort
	for n := 1 + b.intn(2); n > 0; n-- {
		switch b.intn(3) {
		case 0:
			out = append(out, anp.AdminNetworkPolicyPort{PortNumber: &anp.Port{Protocol: []corev1.Protocol{"TCP", "UDP", ""}[b.intn(3)], Port: []int32{80, 53, 8080}[b.intn(3)]}})
		case 1:
			n := []string{"http", "dns"}[b.intn(2)]
			out = append(out, anp.AdminNetworkPolicyPort{NamedPort: &n})
		default:
			out = append(out, anp.AdminNetworkPolicyPort{PortRange: &anp.PortRange{Protocol: "TCP", Start: 50, End: []int32{53, 80, 9000}[b.intn(3)]}})
		}
	}
	return &out
}
