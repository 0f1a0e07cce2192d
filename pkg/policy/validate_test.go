package policy

import (
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

// TestNetworkPolicyValidation: each rule of the API server's NetworkPolicy
// validation that New enforces. An invalid policy is ignored with a warning
// naming the policy, the field path and the rule; the valid edge cases are
// kept without warning.
func TestNetworkPolicyValidation(t *testing.T) {
	ing, eg := networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress
	for _, tc := range []struct {
		name string
		np   networkingv1.NetworkPolicy
		// want is "" for a valid policy, else what the warning must say.
		want []string
	}{
		// ipBlock.except: strictly inside cidr, same family.
		{"except equal to cidr", mkNP("x", "p", "", in(peers(ipPeer("10.0.0.0/8", "10.0.0.0/8")))),
			[]string{"spec.ingress[0].from[0].ipBlock.except[0]", `"10.0.0.0/8"`, "must be a strict subset of `cidr`"}},
		{"except outside cidr", mkNP("x", "p", "", in(peers(ipPeer("10.0.0.0/8", "192.168.0.0/16")))),
			[]string{"ipBlock.except[0]", "strict subset"}},
		{"except wider than cidr", mkNP("x", "p", "", in(peers(ipPeer("10.1.0.0/16", "10.0.0.0/8")))),
			[]string{"ipBlock.except[0]", "strict subset"}},
		{"except of the other family", mkNP("x", "p", "", in(peers(ipPeer("10.0.0.0/8", "fd00::/64")))),
			[]string{"ipBlock.except[0]", "strict subset"}},
		{"IPv4 except in ::/0", mkNP("x", "p", "", in(peers(ipPeer("::/0", "10.0.0.0/8")))),
			[]string{"ipBlock.except[0]", "strict subset"}},
		{"second except, egress", mkNP("x", "p", "", out(peers(podPeer(""), ipPeer("10.0.0.0/8", "10.1.0.0/16", "11.0.0.0/16")))),
			[]string{"spec.egress[0].to[1].ipBlock.except[1]", `"11.0.0.0/16"`, "strict subset"}},
		{"except /32 inside /24", mkNP("x", "p", "", in(peers(ipPeer("192.168.0.0/24", "192.168.0.1/32")))), nil},
		{"IPv6 except inside", mkNP("x", "p", "", in(peers(ipPeer("fd00::/64", "fd00::1/128", "fd00::100/120")))), nil},
		{"except written with host bits, inside once masked", mkNP("x", "p", "", in(peers(ipPeer("10.0.0.0/8", "10.1.2.3/16")))), nil},
		{"empty cidr", mkNP("x", "p", "", in(peers(ipPeer("")))),
			[]string{"spec.ingress[0].from[0].ipBlock.cidr", "Required value"}},
		// Port names: a quoted number is a name, and not a valid one.
		{"port number written as a string", mkNP("x", "p", "", in(nil, pport("", name("80"), nil))),
			[]string{"spec.ingress[0].ports[0].port", `Invalid value: "80"`, "must contain at least one letter", "without quotes"}},
		{"port name too long", mkNP("x", "p", "", in(nil, pport("", name("a-very-long-name"), nil))),
			[]string{"ports[0].port", "must be no more than 15 characters"}},
		{"port name in upper case", mkNP("x", "p", "", in(nil, pport("", name("HTTP"), nil))),
			[]string{"ports[0].port", "alpha-numeric characters (a-z, 0-9)"}},
		{"port name with double hyphen", mkNP("x", "p", "", out(nil, tcp(53), pport("", name("a--b"), nil))),
			[]string{"spec.egress[0].ports[1].port", "consecutive hyphens"}},
		{"valid port names", mkNP("x", "p", "", in(nil, pport("", name("http"), nil), pport("UDP", name("dns-53"), nil))), nil},
		// endPort.
		{"endPort below port", mkNP("x", "p", "", in(nil, pport("", num(90), i32(80)))),
			[]string{"spec.ingress[0].ports[0].endPort", "Invalid value: 80", "must be greater than or equal to `port`"}},
		{"endPort without port", mkNP("x", "p", "", in(nil, pport("UDP", nil, i32(80)))),
			[]string{"ports[0].endPort", "may not be specified when `port` is not specified"}},
		{"endPort with a named port", mkNP("x", "p", "", in(nil, pport("", name("http"), i32(90)))),
			[]string{"ports[0].endPort", "may not be specified when `port` is non-numeric"}},
		{"endPort out of range", mkNP("x", "p", "", in(nil, pport("", num(80), i32(70000)))),
			[]string{"ports[0].endPort", "between 1 and 65535"}},
		{"port 0", mkNP("x", "p", "", in(nil, pport("", num(0), nil))),
			[]string{"ports[0].port", "between 1 and 65535"}},
		{"endPort equal to port", mkNP("x", "p", "", in(nil, pport("", num(80), i32(80)), pport("SCTP", num(65535), i32(65535)))), nil},
		{"protocol", mkNP("x", "p", "", in(nil, pport("ICMP", num(1), nil))),
			[]string{"ports[0].protocol", `Unsupported value: "ICMP"`}},
		// Peers, selectors, policyTypes, names.
		{"empty peer", mkNP("x", "p", "", in(peers(networkingv1.NetworkPolicyPeer{}))),
			[]string{"spec.ingress[0].from[0]", "must specify a peer"}},
		{"ipBlock with a selector", mkNP("x", "p", "", in(peers(networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}, NamespaceSelector: sel("")}))),
			[]string{"spec.ingress[0].from[0]", "may not specify both ipBlock and another peer"}},
		{"three policyTypes", mkNP("x", "p", "", types(ing, eg, ing)),
			[]string{"spec.policyTypes", "may not specify more than two policyTypes"}},
		{"policyType named twice", mkNP("x", "p", "", types(ing, ing)), nil},
		{"unknown policyType", mkNP("x", "p", "", types("Sideways")),
			[]string{"spec.policyTypes[0]", `Unsupported value: "Sideways"`}},
		{"name", mkNP("x", "Bad_Name", ""),
			[]string{"metadata.name", `"Bad_Name"`, "RFC 1123 subdomain"}},
		{"several errors are all listed", mkNP("x", "p", "", in(peers(ipPeer("10.0.0.0/8", "10.0.0.0/8")), pport("", name("80"), nil))),
			[]string{"ports[0].port", "except[0]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(xyzCluster(tc.np))
			w := e.Warnings()
			if tc.want == nil {
				if len(w) != 0 || len(e.netpols) != 1 {
					t.Fatalf("valid policy: warnings %v, %d compiled", w, len(e.netpols))
				}
				return
			}
			if len(w) != 1 || len(e.netpols) != 0 {
				t.Fatalf("invalid policy: warnings %v, %d compiled", w, len(e.netpols))
			}
			if w[0].Code != "InvalidPolicy" || w[0].Policy != (PolicyRef{Kind: KindNetworkPolicy, Namespace: "x", Name: tc.np.Name}) {
				t.Errorf("warning %+v", w[0])
			}
			want := append([]string{"NetworkPolicy x/" + tc.np.Name + " ignored: the API server would reject it: "}, tc.want...)
			for _, s := range want {
				if !strings.Contains(w[0].Message, s) {
					t.Errorf("warning %q lacks %q", w[0].Message, s)
				}
			}
		})
	}
}

// An invalid policy is not used: the deny-all it would add does not exist.
func TestInvalidNetworkPolicyIsNotUsed(t *testing.T) {
	deny := mkNP("x", "deny-but-bad-except", "", in(peers(ipPeer("10.0.9.0/24", "10.0.9.0/24"))))
	e := New(xyzCluster(deny))
	check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), Allowed)
	deny.Spec.Ingress[0].From[0].IPBlock.Except = []string{"10.0.9.0/25"}
	check(t, New(xyzCluster(deny)), flow(P("y", "a"), P("x", "a"), TCP, 80), Denied)
}

// TestAdminNetworkPolicyValidation: the CRD schema and CEL rules of
// AdminNetworkPolicy (network-policy-api v0.3.0) that New enforces, and the
// cases the API asks to fail closed on instead, which are kept.
func TestAdminNetworkPolicyValidation(t *testing.T) {
	named := "http"
	in1 := func(rules ...anp.AdminNetworkPolicyIngressRule) []anp.AdminNetworkPolicyIngressRule { return rules }
	out1 := func(rules ...anp.AdminNetworkPolicyEgressRule) []anp.AdminNetworkPolicyEgressRule { return rules }
	toPeer := func(p anp.AdminNetworkPolicyEgressPeer) []anp.AdminNetworkPolicyEgressPeer {
		return []anp.AdminNetworkPolicyEgressPeer{p}
	}
	many := make([]anp.AdminNetworkPolicyIngressRule, 101)
	for i := range many {
		many[i] = anpIn(deny, fromNS(""))
	}
	subj := anpNS("ns=x")
	for _, tc := range []struct {
		name string
		a    anp.AdminNetworkPolicy
		want []string
	}{
		{"priority above 1000", mkANP("p", 1001, subj, in1(anpIn(deny, fromNS(""))), nil),
			[]string{"spec.priority", "Invalid value: 1001", "between 0 and 1000"}},
		{"negative priority", mkANP("p", -1, subj, nil, nil), []string{"spec.priority", "Invalid value: -1"}},
		{"priority 0", mkANP("p", 0, subj, in1(anpIn(deny, fromNS(""))), nil), nil},
		{"priority 1000", mkANP("p", 1000, subj, in1(anpIn(deny, fromNS(""))), nil), nil},
		{"unknown action", mkANP("p", 1, subj, in1(anpIn("Drop", fromNS(""))), nil),
			[]string{"spec.ingress[0].action", `Unsupported value: "Drop"`, `"Allow", "Deny", "Pass"`}},
		{"no action", mkANP("p", 1, subj, nil, out1(anpOut("", toNets("10.0.0.0/8")))),
			[]string{"spec.egress[0].action", "Required value"}},
		{"action in lower case", mkANP("p", 1, subj, in1(anpIn("deny", fromNS(""))), nil),
			[]string{"spec.ingress[0].action", `Unsupported value: "deny"`}},
		{"subject with both fields", mkANP("p", 1, anp.AdminNetworkPolicySubject{Namespaces: sel(""), Pods: anpPodsSubject("", "").Pods}, in1(anpIn(deny, fromNS(""))), nil),
			[]string{"spec.subject", "only one of namespaces and pods"}},
		{"subject with no known field (kept, its reach is unknown)", mkANP("p", 1, anp.AdminNetworkPolicySubject{}, in1(anpIn(deny, fromNS(""))), nil), nil},
		{"rule without peers", mkANP("p", 1, subj, in1(anpIn(deny, nil)), nil),
			[]string{"spec.ingress[0].from", "Required value"}},
		{"peer with two fields", mkANP("p", 1, subj, in1(anpIn(deny, []anp.AdminNetworkPolicyIngressPeer{{Namespaces: sel(""), Pods: fromPods("", "")[0].Pods}})), nil),
			[]string{"spec.ingress[0].from[0]", "only one field", "namespaces, pods"}},
		{"peer with no known field (kept, fails closed)", mkANP("p", 1, subj, in1(anpIn(deny, []anp.AdminNetworkPolicyIngressPeer{{}})), nil), nil},
		{"network with host bits", mkANP("p", 1, subj, nil, out1(anpOut(deny, toNets("10.0.0.1/8")))),
			[]string{"spec.egress[0].to[0].networks[0]", `"10.0.0.1/8"`, "Invalid CIDR format provided"}},
		{"network that is no CIDR", mkANP("p", 1, subj, nil, out1(anpOut(deny, toNets("10.0.0.0/33")))),
			[]string{"networks[0]", "Invalid CIDR"}},
		{"IPv4-mapped IPv6 network", mkANP("p", 1, subj, nil, out1(anpOut(deny, toNets("::ffff:10.0.0.0/104")))),
			[]string{"networks[0]", "Invalid CIDR"}},
		{"empty networks", mkANP("p", 1, subj, nil, out1(anpOut(deny, toPeer(anp.AdminNetworkPolicyEgressPeer{Networks: []anp.CIDR{}})))),
			[]string{"spec.egress[0].to[0].networks", "at least 1 item"}},
		{"duplicate network", mkANP("p", 1, subj, nil, out1(anpOut(deny, toNets("10.0.0.0/8", "10.0.0.0/8")))),
			[]string{"networks[1]", "Duplicate value"}},
		{"networks and namespaces in one peer", mkANP("p", 1, subj, nil, out1(anpOut(deny, toPeer(anp.AdminNetworkPolicyEgressPeer{Namespaces: sel(""), Networks: []anp.CIDR{"10.0.0.0/8"}})))),
			[]string{"spec.egress[0].to[0]", "namespaces, networks"}},
		{"valid networks", mkANP("p", 1, subj, nil, out1(anpOut(deny, toNets("0.0.0.0/0", "fd00::/8", "192.168.1.1/32")))), nil},
		{"domain name without a dot after the wildcard", mkANP("p", 1, subj, nil, out1(anpOut(allow, toPeer(anp.AdminNetworkPolicyEgressPeer{DomainNames: []anp.DomainName{"*example.com"}})))),
			[]string{"spec.egress[0].to[0].domainNames[0]", `"*example.com"`, "must match"}},
		{"valid domain names", mkANP("p", 1, subj, nil, out1(anpOut(allow, toPeer(anp.AdminNetworkPolicyEgressPeer{DomainNames: []anp.DomainName{"*.example.com", "example.com."}})))), nil},
		{"named port with a networks peer", mkANP("p", 1, subj, nil, out1(anpOut(allow, toNets("10.0.0.0/8"), anp.AdminNetworkPolicyPort{NamedPort: &named}))),
			[]string{"spec.egress[0]", "networks/nodes/domainNames peer cannot be set with namedPorts"}},
		{"named port with a nodes peer", mkANP("p", 1, subj, nil, out1(anpOut(allow, append(toNodes(""), toNS("")...), anpTCP(80), anp.AdminNetworkPolicyPort{NamedPort: &named}))),
			[]string{"spec.egress[0]", "cannot be set with namedPorts"}},
		{"named port with a pods peer", mkANP("p", 1, subj, nil, out1(anpOut(allow, toNS(""), anp.AdminNetworkPolicyPort{NamedPort: &named}))), nil},
		{"named port in an ingress rule", mkANP("p", 1, subj, in1(anpIn(allow, fromNS(""), anp.AdminNetworkPolicyPort{NamedPort: &named})), nil), nil},
		{"empty ports", mkANP("p", 1, subj, in1(anp.AdminNetworkPolicyIngressRule{Action: deny, From: fromNS(""), Ports: &[]anp.AdminNetworkPolicyPort{}}), nil),
			[]string{"spec.ingress[0].ports", "at least 1 item"}},
		{"port entry with two fields", mkANP("p", 1, subj, in1(anpIn(deny, fromNS(""), anp.AdminNetworkPolicyPort{PortNumber: &anp.Port{Protocol: TCP, Port: 80}, NamedPort: &named})), nil),
			[]string{"spec.ingress[0].ports[0]", "only one of portNumber, namedPort and portRange"}},
		{"port number 0", mkANP("p", 1, subj, in1(anpIn(deny, fromNS(""), anpTCP(0))), nil),
			[]string{"spec.ingress[0].ports[0].portNumber.port", "between 1 and 65535"}},
		{"port range end out of range", mkANP("p", 1, subj, in1(anpIn(deny, fromNS(""), anp.AdminNetworkPolicyPort{PortRange: &anp.PortRange{Start: 1, End: 70000}})), nil),
			[]string{"ports[0].portRange.end", "Invalid value: 70000"}},
		{"port range start above end (the CRD accepts it; kept, fails closed)", mkANP("p", 1, subj, in1(anpIn(deny, fromNS(""), anp.AdminNetworkPolicyPort{PortRange: &anp.PortRange{Start: 90, End: 80}})), nil), nil},
		{"port entry with no known field (kept, fails closed)", mkANP("p", 1, subj, in1(anpIn(deny, fromNS(""), anp.AdminNetworkPolicyPort{})), nil), nil},
		{"rule name longer than 100", mkANP("p", 1, subj, in1(anp.AdminNetworkPolicyIngressRule{Name: strings.Repeat("r", 101), Action: deny, From: fromNS("")}), nil),
			[]string{"spec.ingress[0].name", "may not be more than 100 characters"}},
		{"more than 100 rules", mkANP("p", 1, subj, many, nil),
			[]string{"spec.ingress", "must have at most 100 items"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := xyzCluster()
			s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{tc.a}
			e := New(s)
			w := e.Warnings()
			if tc.want == nil {
				if len(w) != 0 || len(e.admins) != 1 {
					t.Fatalf("valid policy: warnings %v, %d compiled", w, len(e.admins))
				}
				return
			}
			if len(w) != 1 || len(e.admins) != 0 {
				t.Fatalf("invalid policy: warnings %v, %d compiled", w, len(e.admins))
			}
			if w[0].Code != "InvalidPolicy" || w[0].Policy != (PolicyRef{Kind: KindAdminNetworkPolicy, Name: "p"}) {
				t.Errorf("warning %+v", w[0])
			}
			for _, want := range append([]string{"AdminNetworkPolicy p ignored: the API server would reject it: "}, tc.want...) {
				if !strings.Contains(w[0].Message, want) {
					t.Errorf("warning %q lacks %q", w[0].Message, want)
				}
			}
		})
	}
}

// TestBaselineAdminNetworkPolicyValidation: a baseline rule may only Allow
// or Deny, and its egress rules have their own named-port rule.
func TestBaselineAdminNetworkPolicyValidation(t *testing.T) {
	named := "http"
	subj := anpNS("ns=x")
	for _, tc := range []struct {
		name string
		b    *anp.BaselineAdminNetworkPolicy
		want []string
	}{
		{"Pass", mkBANP(subj, []anp.BaselineAdminNetworkPolicyIngressRule{banpIn("Allow", fromNS("ns=y")), banpIn("Pass", fromNS(""))}, nil),
			[]string{"spec.ingress[1].action", `Unsupported value: "Pass"`, `supported values: "Allow", "Deny"`}},
		{"unknown action", mkBANP(subj, nil, []anp.BaselineAdminNetworkPolicyEgressRule{{Action: "Reject", To: []anp.BaselineAdminNetworkPolicyEgressPeer{{Namespaces: sel("")}}}}),
			[]string{"spec.egress[0].action", `Unsupported value: "Reject"`}},
		{"named port with a nodes peer", mkBANP(subj, nil, []anp.BaselineAdminNetworkPolicyEgressRule{{Action: "Deny", To: []anp.BaselineAdminNetworkPolicyEgressPeer{{Nodes: sel("")}}, Ports: &[]anp.AdminNetworkPolicyPort{{NamedPort: &named}}}}),
			[]string{"spec.egress[0]", "networks/nodes peer cannot be set with namedPorts"}},
		{"network with host bits", mkBANP(subj, nil, []anp.BaselineAdminNetworkPolicyEgressRule{{Action: "Deny", To: []anp.BaselineAdminNetworkPolicyEgressPeer{{Networks: []anp.CIDR{"10.1.0.0/8"}}}}}),
			[]string{"spec.egress[0].to[0].networks[0]", "Invalid CIDR"}},
		{"Allow and Deny", mkBANP(subj, []anp.BaselineAdminNetworkPolicyIngressRule{banpIn("Allow", fromNS("ns=y")), banpIn("Deny", fromNS(""))}, nil), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := xyzCluster()
			s.BaselineAdminNetworkPolicy = tc.b
			e := New(s)
			w := e.Warnings()
			if tc.want == nil {
				if len(w) != 0 || len(e.baselines) == 0 {
					t.Fatalf("valid policy: warnings %v, baselines %v", w, e.baselines)
				}
				return
			}
			if len(w) != 1 || len(e.baselines) != 0 {
				t.Fatalf("invalid policy: warnings %v, baselines %v", w, e.baselines)
			}
			for _, want := range append([]string{"BaselineAdminNetworkPolicy default ignored: the API server would reject it: "}, tc.want...) {
				if !strings.Contains(w[0].Message, want) {
					t.Errorf("warning %q lacks %q", w[0].Message, want)
				}
			}
		})
	}
}

// Invalid admin policies are not used: an out-of-range priority does not
// deny, a baseline Pass does not hand over to a deny.
func TestInvalidAdminPoliciesAreNotUsed(t *testing.T) {
	s := xyzCluster()
	s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{mkANP("deny-y", 1001, anpNS("ns=x"), []anp.AdminNetworkPolicyIngressRule{anpIn(deny, fromNS("ns=y"))}, nil)}
	s.BaselineAdminNetworkPolicy = mkBANP(anpNS("ns=x"), []anp.BaselineAdminNetworkPolicyIngressRule{banpIn("Pass", fromNS("ns=z")), banpIn("Deny", fromNS(""))}, nil)
	e := New(s)
	if len(e.Warnings()) != 2 {
		t.Fatalf("warnings: %v", e.Warnings())
	}
	check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), Allowed)
	check(t, e, flow(P("z", "a"), P("x", "a"), TCP, 80), Allowed)
	s.AdminNetworkPolicies[0].Spec.Priority = 1000
	check(t, New(s), flow(P("y", "a"), P("x", "a"), TCP, 80), Denied)
}
