package policy

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// compileClusterNetworkPolicies adds each valid ClusterNetworkPolicy to its
// tier. Its rules are compiled in the AdminNetworkPolicy shape: the peers are
// the same, and its protocols map onto AdminNetworkPolicy ports.
func (e *Engine) compileClusterNetworkPolicies(list []cnp.ClusterNetworkPolicy, seen map[PolicyRef]bool) {
	for i := range list {
		obj := &list[i]
		ref := PolicyRef{Kind: KindClusterNetworkPolicy, Name: obj.Name}
		if !e.admit(seen, ref, func() field.ErrorList { return validateClusterNetworkPolicy(obj) }) {
			continue
		}
		a := adminPolicy{ref: ref, tier: Tier(obj.Spec.Tier), priority: obj.Spec.Priority,
			subject: e.compileSubject(anp.AdminNetworkPolicySubject{Namespaces: obj.Spec.Subject.Namespaces, Pods: namespacedPod(obj.Spec.Subject.Pods)})}
		for _, r := range obj.Spec.Ingress {
			peers := make([]anp.AdminNetworkPolicyEgressPeer, len(r.From))
			for j, p := range r.From {
				peers[j] = anp.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: namespacedPod(p.Pods)}
			}
			a.rules[0] = append(a.rules[0], e.compileAdminRule(r.Name, string(r.Action), cnpActs, peers, cnpPorts(r.Protocols)))
		}
		for _, r := range obj.Spec.Egress {
			peers := make([]anp.AdminNetworkPolicyEgressPeer, len(r.To))
			for j, p := range r.To {
				peers[j] = anp.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: namespacedPod(p.Pods), Nodes: p.Nodes}
				for _, n := range p.Networks {
					peers[j].Networks = append(peers[j].Networks, anp.CIDR(n))
				}
				for _, d := range p.DomainNames {
					peers[j].DomainNames = append(peers[j].DomainNames, anp.DomainName(d))
				}
			}
			a.rules[1] = append(a.rules[1], e.compileAdminRule(r.Name, string(r.Action), cnpActs, peers, cnpPorts(r.Protocols)))
		}
		if a.tier == TierAdmin {
			e.admins = append(e.admins, a)
		} else {
			e.baselines = append(e.baselines, a)
		}
	}
}

func namespacedPod(p *cnp.NamespacedPod) *anp.NamespacedPod {
	if p == nil {
		return nil
	}
	return &anp.NamespacedPod{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
}

// cnpPorts maps protocols onto AdminNetworkPolicy ports: nil (all ports)
// when absent. An entry this version cannot read becomes an empty port,
// which fails closed as the API asks.
func cnpPorts(protocols []cnp.ClusterNetworkPolicyProtocol) *[]anp.AdminNetworkPolicyPort {
	if protocols == nil {
		return nil
	}
	out := make([]anp.AdminNetworkPolicyPort, 0, len(protocols))
	for _, p := range protocols {
		var port anp.AdminNetworkPolicyPort
		switch {
		case p.TCP != nil && p.UDP == nil && p.SCTP == nil && p.DestinationNamedPort == "":
			port = destinationPort(corev1.ProtocolTCP, p.TCP.DestinationPort)
		case p.UDP != nil && p.TCP == nil && p.SCTP == nil && p.DestinationNamedPort == "":
			port = destinationPort(corev1.ProtocolUDP, p.UDP.DestinationPort)
		case p.SCTP != nil && p.TCP == nil && p.UDP == nil && p.DestinationNamedPort == "":
			port = destinationPort(corev1.ProtocolSCTP, p.SCTP.DestinationPort)
		case p.DestinationNamedPort != "" && p.TCP == nil && p.UDP == nil && p.SCTP == nil:
			name := p.DestinationNamedPort
			port = anp.AdminNetworkPolicyPort{NamedPort: &name}
		}
		out = append(out, port)
	}
	return &out
}

// destinationPort maps a number or a range; neither (not valid) maps to an
// empty port, which fails closed.
func destinationPort(proto corev1.Protocol, p *cnp.Port) anp.AdminNetworkPolicyPort {
	switch {
	case p == nil:
		return anp.AdminNetworkPolicyPort{}
	case p.Range != nil && p.Number == 0:
		return anp.AdminNetworkPolicyPort{PortRange: &anp.PortRange{Protocol: proto, Start: p.Range.Start, End: p.Range.End}}
	case p.Range == nil && p.Number != 0:
		return anp.AdminNetworkPolicyPort{PortNumber: &anp.Port{Protocol: proto, Port: p.Number}}
	}
	return anp.AdminNetworkPolicyPort{}
}
