package policy

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// TestValidateClusterNetworkPolicy: each rule of the ClusterNetworkPolicy
// CRD (network-policy-api v0.3.0, experimental channel), as a change to one
// valid policy, with the edge values on both sides.
func TestValidateClusterNetworkPolicy(t *testing.T) {
	type policy = cnp.ClusterNetworkPolicy
	base := func() *policy {
		return &policy{
			ObjectMeta: metav1.ObjectMeta{Name: "cnp-1"},
			Spec: cnp.ClusterNetworkPolicySpec{
				Tier:     cnp.AdminTier,
				Priority: 10,
				Subject:  cnp.ClusterNetworkPolicySubject{Namespaces: sel("ns=x")},
				Ingress: []cnp.ClusterNetworkPolicyIngressRule{{
					Name:      "in",
					Action:    cnp.ClusterNetworkPolicyRuleActionDeny,
					From:      []cnp.ClusterNetworkPolicyIngressPeer{{Namespaces: sel("")}},
					Protocols: []cnp.ClusterNetworkPolicyProtocol{{TCP: &cnp.ClusterNetworkPolicyProtocolTCP{DestinationPort: &cnp.Port{Number: 80}}}},
				}},
				Egress: []cnp.ClusterNetworkPolicyEgressRule{{
					Action:    cnp.ClusterNetworkPolicyRuleActionAccept,
					To:        []cnp.ClusterNetworkPolicyEgressPeer{{Networks: []cnp.CIDR{"10.0.0.0/8"}}},
					Protocols: []cnp.ClusterNetworkPolicyProtocol{{UDP: &cnp.ClusterNetworkPolicyProtocolUDP{DestinationPort: &cnp.Port{Range: &cnp.PortRange{Start: 53, End: 54}}}}},
				}},
			},
		}
	}
	ing := func(p *policy) *cnp.ClusterNetworkPolicyIngressRule { return &p.Spec.Ingress[0] }
	eg := func(p *policy) *cnp.ClusterNetworkPolicyEgressRule { return &p.Spec.Egress[0] }
	// tcpPort sets the ingress rule's one protocol to tcp with port.
	tcpPort := func(port *cnp.Port) func(*policy) {
		return func(p *policy) {
			ing(p).Protocols = []cnp.ClusterNetworkPolicyProtocol{{TCP: &cnp.ClusterNetworkPolicyProtocolTCP{DestinationPort: port}}}
		}
	}
	portRange := func(start, end int32) func(*policy) {
		return tcpPort(&cnp.Port{Range: &cnp.PortRange{Start: start, End: end}})
	}
	to := func(peers ...cnp.ClusterNetworkPolicyEgressPeer) func(*policy) {
		return func(p *policy) { eg(p).To = peers }
	}
	nets := func(n int) []cnp.CIDR {
		out := make([]cnp.CIDR, n)
		for i := range out {
			out[i] = cnp.CIDR(fmt.Sprintf("10.%d.0.0/16", i))
		}
		return out
	}
	domains := func(n int) []cnp.DomainName {
		out := make([]cnp.DomainName, n)
		for i := range out {
			out[i] = cnp.DomainName(fmt.Sprintf("d%d.example.com", i))
		}
		return out
	}
	ingressRules := func(n int) func(*policy) {
		return func(p *policy) {
			for len(p.Spec.Ingress) < n {
				p.Spec.Ingress = append(p.Spec.Ingress, p.Spec.Ingress[0])
			}
		}
	}
	egressRules := func(n int) func(*policy) {
		return func(p *policy) {
			for len(p.Spec.Egress) < n {
				p.Spec.Egress = append(p.Spec.Egress, p.Spec.Egress[0])
			}
		}
	}
	fromPeers := func(n int) func(*policy) {
		return func(p *policy) {
			for len(ing(p).From) < n {
				ing(p).From = append(ing(p).From, ing(p).From[0])
			}
		}
	}
	protocols := func(n int) func(*policy) {
		return func(p *policy) {
			for len(ing(p).Protocols) < n {
				ing(p).Protocols = append(ing(p).Protocols, ing(p).Protocols[0])
			}
		}
	}
	// namedPort adds a destinationNamedPort protocol to the egress rule.
	namedPort := func(p *policy) {
		eg(p).Protocols = append(eg(p).Protocols, cnp.ClusterNetworkPolicyProtocol{DestinationNamedPort: "http"})
	}
	both := func(fs ...func(*policy)) func(*policy) {
		return func(p *policy) {
			for _, f := range fs {
				f(p)
			}
		}
	}
	pods := &cnp.NamespacedPod{PodSelector: *sel("app=a")}
	const namedPortRule = "networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames"

	for _, tc := range []struct {
		name   string
		change func(*policy)
		// want is nil for a valid policy, else what the errors must say.
		want []string
	}{
		{"valid base policy", func(*policy) {}, nil},
		// metadata.name: required, a DNS-1123 subdomain.
		{"no name", func(p *policy) { p.Name = "" }, []string{"metadata.name", "Required value"}},
		{"name not a subdomain", func(p *policy) { p.Name = "Bad_Name" }, []string{"metadata.name", `"Bad_Name"`, "RFC 1123 subdomain"}},
		{"name with dots", func(p *policy) { p.Name = "team-a.deny-all" }, nil},
		// tier: Admin | Baseline.
		{"no tier", func(p *policy) { p.Spec.Tier = "" }, []string{"spec.tier", "Required value"}},
		{"tier in lower case", func(p *policy) { p.Spec.Tier = "admin" }, []string{"spec.tier", `Unsupported value: "admin"`, `"Admin", "Baseline"`}},
		{"tier Baseline", func(p *policy) { p.Spec.Tier = cnp.BaselineTier }, nil},
		// priority: 0..1000.
		{"priority 0", func(p *policy) { p.Spec.Priority = 0 }, nil},
		{"priority 1000", func(p *policy) { p.Spec.Priority = 1000 }, nil},
		{"priority 1001", func(p *policy) { p.Spec.Priority = 1001 }, []string{"spec.priority", "Invalid value: 1001", "between 0 and 1000"}},
		{"priority -1", func(p *policy) { p.Spec.Priority = -1 }, []string{"spec.priority", "Invalid value: -1"}},
		// subject: exactly one field.
		{"subject with no field (a newer CRD's field: fails closed)", func(p *policy) { p.Spec.Subject = cnp.ClusterNetworkPolicySubject{} }, nil},
		{"subject with both fields", func(p *policy) { p.Spec.Subject.Pods = pods }, []string{"spec.subject", "only one field", "has namespaces, pods"}},
		{"subject pods", func(p *policy) { p.Spec.Subject = cnp.ClusterNetworkPolicySubject{Pods: pods} }, nil},
		// ingress, egress: at most 25 rules.
		{"25 ingress rules", ingressRules(25), nil},
		{"26 ingress rules", ingressRules(26), []string{"spec.ingress", "must have at most 25 items"}},
		{"25 egress rules", egressRules(25), nil},
		{"26 egress rules", egressRules(26), []string{"spec.egress", "must have at most 25 items"}},
		{"no rules", func(p *policy) { p.Spec.Ingress, p.Spec.Egress = nil, nil }, nil},
		// Rule name: at most 100 characters.
		{"rule name of 100 characters", func(p *policy) { ing(p).Name = strings.Repeat("é", 100) }, nil},
		{"rule name of 101 characters", func(p *policy) { eg(p).Name = strings.Repeat("r", 101) }, []string{"spec.egress[0].name", "may not be more than 100 characters"}},
		// action: Accept | Deny | Pass.
		{"no action", func(p *policy) { ing(p).Action = "" }, []string{"spec.ingress[0].action", "Required value"}},
		{"action Allow (the v1alpha1 name)", func(p *policy) { eg(p).Action = "Allow" }, []string{"spec.egress[0].action", `Unsupported value: "Allow"`, `"Accept", "Deny", "Pass"`}},
		{"action Pass", func(p *policy) { ing(p).Action, eg(p).Action = "Pass", "Pass" }, nil},
		// from, to: 1..25 peers.
		{"no from", func(p *policy) { ing(p).From = nil }, []string{"spec.ingress[0].from", "Required value"}},
		{"empty to", to(), []string{"spec.egress[0].to", "Required value"}},
		{"25 from peers", fromPeers(25), nil},
		{"26 from peers", fromPeers(26), []string{"spec.ingress[0].from", "must have at most 25 items"}},
		// Peers: exactly one field, ingress only namespaces and pods.
		{"ingress peer with no field (fails closed)", func(p *policy) { ing(p).From[0] = cnp.ClusterNetworkPolicyIngressPeer{} }, nil},
		{"ingress peer with both fields", func(p *policy) { ing(p).From[0].Pods = pods }, []string{"spec.ingress[0].from[0]", "has namespaces, pods"}},
		{"ingress pods peer", func(p *policy) { ing(p).From[0] = cnp.ClusterNetworkPolicyIngressPeer{Pods: pods} }, nil},
		{"egress peer with no field (fails closed)", to(cnp.ClusterNetworkPolicyEgressPeer{}), nil},
		{"egress peer with nodes and networks", to(cnp.ClusterNetworkPolicyEgressPeer{Nodes: sel(""), Networks: []cnp.CIDR{"10.0.0.0/8"}}),
			[]string{"spec.egress[0].to[0]", "has nodes, networks"}},
		{"egress peers of every kind", to(cnp.ClusterNetworkPolicyEgressPeer{Namespaces: sel("")}, cnp.ClusterNetworkPolicyEgressPeer{Pods: pods},
			cnp.ClusterNetworkPolicyEgressPeer{Nodes: sel("")}, cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{"fd00::/8"}},
			cnp.ClusterNetworkPolicyEgressPeer{DomainNames: []cnp.DomainName{"*.example.com", "example.com."}}), nil},
		// networks: 1..25 masked CIDRs of at most 43 characters, a set.
		{"empty networks", to(cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{}}), []string{"spec.egress[0].to[0].networks", "at least 1 item"}},
		{"25 networks", to(cnp.ClusterNetworkPolicyEgressPeer{Networks: nets(25)}), nil},
		{"26 networks", to(cnp.ClusterNetworkPolicyEgressPeer{Networks: nets(26)}), []string{"spec.egress[0].to[0].networks", "must have at most 25 items"}},
		{"network with host bits", to(cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{"10.0.0.1/8"}}),
			[]string{"spec.egress[0].to[0].networks[0]", `"10.0.0.1/8"`, "Invalid CIDR format provided"}},
		{"network without prefix length", to(cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{"10.0.0.1"}}), []string{"networks[0]", "Invalid CIDR"}},
		{"IPv4-mapped IPv6 network", to(cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{"::ffff:10.0.0.0/104"}}), []string{"networks[0]", "Invalid CIDR"}},
		{"network of 43 characters", to(cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{"0000:0000:0000:0000:0000:0000:0000:0000/128"}}), nil},
		{"network longer than 43 characters", to(cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128"}}),
			[]string{"networks[0]", "may not be more than 43 characters"}},
		{"duplicate network", to(cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{"10.0.0.0/8", "fd00::/8", "10.0.0.0/8"}}),
			[]string{"spec.egress[0].to[0].networks[2]", "Duplicate value"}},
		// domainNames: 1..25 names of the CRD's pattern, a set.
		{"empty domainNames", to(cnp.ClusterNetworkPolicyEgressPeer{DomainNames: []cnp.DomainName{}}), []string{"spec.egress[0].to[0].domainNames", "at least 1 item"}},
		{"25 domainNames", to(cnp.ClusterNetworkPolicyEgressPeer{DomainNames: domains(25)}), nil},
		{"26 domainNames", to(cnp.ClusterNetworkPolicyEgressPeer{DomainNames: domains(26)}), []string{"domainNames", "must have at most 25 items"}},
		{"domain name without a dot after the wildcard", to(cnp.ClusterNetworkPolicyEgressPeer{DomainNames: []cnp.DomainName{"*example.com"}}),
			[]string{"spec.egress[0].to[0].domainNames[0]", `"*example.com"`, "must match"}},
		{"domain name of one label", to(cnp.ClusterNetworkPolicyEgressPeer{DomainNames: []cnp.DomainName{"localhost"}}), []string{"domainNames[0]", "must match"}},
		{"duplicate domain name", to(cnp.ClusterNetworkPolicyEgressPeer{DomainNames: []cnp.DomainName{"a.example.com", "a.example.com"}}),
			[]string{"domainNames[1]", "Duplicate value"}},
		{"domainNames in a Deny rule (documented for Accept only, not a CRD rule)", both(to(cnp.ClusterNetworkPolicyEgressPeer{DomainNames: domains(1)}), func(p *policy) { eg(p).Action = "Deny" }), nil},
		// protocols: 1..25, each exactly one field.
		{"empty protocols", func(p *policy) { ing(p).Protocols = []cnp.ClusterNetworkPolicyProtocol{} }, []string{"spec.ingress[0].protocols", "at least 1 item"}},
		{"25 protocols", protocols(25), nil},
		{"26 protocols", protocols(26), []string{"spec.ingress[0].protocols", "must have at most 25 items"}},
		{"protocol with no field (fails closed)", func(p *policy) { ing(p).Protocols[0] = cnp.ClusterNetworkPolicyProtocol{} }, nil},
		{"protocol with tcp and udp", func(p *policy) {
			ing(p).Protocols[0].UDP = &cnp.ClusterNetworkPolicyProtocolUDP{DestinationPort: &cnp.Port{Number: 53}}
		}, []string{"spec.ingress[0].protocols[0]", "has tcp, udp"}},
		{"protocol with udp and a named port", func(p *policy) { eg(p).Protocols[0].DestinationNamedPort = "dns" }, []string{"spec.egress[0].protocols[0]", "has udp, destinationNamedPort"}},
		{"named port in an ingress rule", func(p *policy) {
			ing(p).Protocols = append(ing(p).Protocols, cnp.ClusterNetworkPolicyProtocol{DestinationNamedPort: "http"})
		}, nil},
		{"sctp", func(p *policy) {
			ing(p).Protocols[0] = cnp.ClusterNetworkPolicyProtocol{SCTP: &cnp.ClusterNetworkPolicyProtocolSCTP{DestinationPort: &cnp.Port{Number: 9}}}
		}, nil},
		// tcp, udp, sctp: destinationPort (minProperties 1; none fails closed).
		{"tcp without destinationPort", tcpPort(nil), nil},
		{"udp without destinationPort", func(p *policy) { eg(p).Protocols[0].UDP.DestinationPort = nil }, nil},
		{"sctp without destinationPort", func(p *policy) {
			ing(p).Protocols[0] = cnp.ClusterNetworkPolicyProtocol{SCTP: &cnp.ClusterNetworkPolicyProtocolSCTP{}}
		}, nil},
		// destinationPort: exactly one of number and range, in 1..65535.
		{"port with no field (number 0 is none; fails closed)", tcpPort(&cnp.Port{}), nil},
		{"port with number and range", tcpPort(&cnp.Port{Number: 80, Range: &cnp.PortRange{Start: 1, End: 2}}), []string{"tcp.destinationPort", "has number, range"}},
		{"port 1", tcpPort(&cnp.Port{Number: 1}), nil},
		{"port 65535", tcpPort(&cnp.Port{Number: 65535}), nil},
		{"port 65536", tcpPort(&cnp.Port{Number: 65536}), []string{"spec.ingress[0].protocols[0].tcp.destinationPort.number", "Invalid value: 65536", "between 1 and 65535"}},
		{"port -1", tcpPort(&cnp.Port{Number: -1}), []string{"destinationPort.number", "between 1 and 65535"}},
		// range: start < end (CEL), both in 1..65535.
		{"range 80-81", portRange(80, 81), nil},
		{"range 1-65535", portRange(1, 65535), nil},
		{"range 80-80", portRange(80, 80), []string{"tcp.destinationPort.range", `"80-80"`, "Start port must be less than End port"}},
		{"range 81-80", portRange(81, 80), []string{"destinationPort.range", "Start port must be less than End port"}},
		{"range start 0", portRange(0, 80), []string{"destinationPort.range.start", "between 1 and 65535"}},
		{"range end 65536", portRange(1, 65536), []string{"destinationPort.range.end", "Invalid value: 65536"}},
		// Egress CEL rule: no named port with a networks, nodes or domainNames peer.
		{"named port with a networks peer", namedPort, []string{"spec.egress[0]", namedPortRule}},
		{"named port with a nodes peer", both(to(cnp.ClusterNetworkPolicyEgressPeer{Pods: pods}, cnp.ClusterNetworkPolicyEgressPeer{Nodes: sel("")}), namedPort),
			[]string{"spec.egress[0]", namedPortRule}},
		{"named port with a domainNames peer", both(to(cnp.ClusterNetworkPolicyEgressPeer{DomainNames: domains(1)}), namedPort), []string{"spec.egress[0]", namedPortRule}},
		{"named port with namespaces and pods peers", both(to(cnp.ClusterNetworkPolicyEgressPeer{Namespaces: sel("")}, cnp.ClusterNetworkPolicyEgressPeer{Pods: pods}), namedPort), nil},
		{"named port and networks in different rules", func(p *policy) {
			p.Spec.Egress = append(p.Spec.Egress, cnp.ClusterNetworkPolicyEgressRule{Action: "Deny", To: []cnp.ClusterNetworkPolicyEgressPeer{{Namespaces: sel("")}},
				Protocols: []cnp.ClusterNetworkPolicyProtocol{{DestinationNamedPort: "http"}}})
		}, nil},
		// Every error is listed.
		{"several errors", both(func(p *policy) { p.Spec.Priority = 1001 }, portRange(80, 80), to()),
			[]string{"spec.priority", "spec.ingress[0].protocols[0].tcp.destinationPort.range", "spec.egress[0].to"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.change(p)
			errs := validateClusterNetworkPolicy(p)
			if tc.want == nil {
				if len(errs) != 0 {
					t.Fatalf("valid policy rejected: %v", errs)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatalf("invalid policy accepted, want %q", tc.want)
			}
			msg := errs.ToAggregate().Error()
			for _, s := range tc.want {
				if !strings.Contains(msg, s) {
					t.Errorf("errors %q lack %q", msg, s)
				}
			}
		})
	}
}
