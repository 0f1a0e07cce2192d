package policy

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

const (
	accept  = cnp.ClusterNetworkPolicyRuleActionAccept
	cnpDeny = cnp.ClusterNetworkPolicyRuleActionDeny
	cnpPass = cnp.ClusterNetworkPolicyRuleActionPass
)

func mkCNP(name string, tier cnp.Tier, prio int32, subjectNS string, ingress []cnp.ClusterNetworkPolicyIngressRule, egress []cnp.ClusterNetworkPolicyEgressRule) cnp.ClusterNetworkPolicy {
	return cnp.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: cnp.ClusterNetworkPolicySpec{
		Tier: tier, Priority: prio, Subject: cnp.ClusterNetworkPolicySubject{Namespaces: sel(subjectNS)}, Ingress: ingress, Egress: egress}}
}

func cnpIn(action cnp.ClusterNetworkPolicyRuleAction, fromNSSel string, protocols ...cnp.ClusterNetworkPolicyProtocol) cnp.ClusterNetworkPolicyIngressRule {
	return cnp.ClusterNetworkPolicyIngressRule{Action: action, From: []cnp.ClusterNetworkPolicyIngressPeer{{Namespaces: sel(fromNSSel)}}, Protocols: protocols}
}

func cnpInPods(action cnp.ClusterNetworkPolicyRuleAction, ns, pod string) cnp.ClusterNetworkPolicyIngressRule {
	return cnp.ClusterNetworkPolicyIngressRule{Action: action, From: []cnp.ClusterNetworkPolicyIngressPeer{{Pods: &cnp.NamespacedPod{NamespaceSelector: *sel(ns), PodSelector: *sel(pod)}}}}
}

func cnpOut(action cnp.ClusterNetworkPolicyRuleAction, to cnp.ClusterNetworkPolicyEgressPeer, protocols ...cnp.ClusterNetworkPolicyProtocol) cnp.ClusterNetworkPolicyEgressRule {
	return cnp.ClusterNetworkPolicyEgressRule{Action: action, To: []cnp.ClusterNetworkPolicyEgressPeer{to}, Protocols: protocols}
}

func cnpTCP(n int32) cnp.ClusterNetworkPolicyProtocol {
	return cnp.ClusterNetworkPolicyProtocol{TCP: &cnp.ClusterNetworkPolicyProtocolTCP{DestinationPort: &cnp.Port{Number: n}}}
}

func cnpUDPRange(start, end int32) cnp.ClusterNetworkPolicyProtocol {
	return cnp.ClusterNetworkPolicyProtocol{UDP: &cnp.ClusterNetworkPolicyProtocolUDP{DestinationPort: &cnp.Port{Range: &cnp.PortRange{Start: start, End: end}}}}
}

func cnpNamed(name string) cnp.ClusterNetworkPolicyProtocol {
	return cnp.ClusterNetworkPolicyProtocol{DestinationNamedPort: name}
}

// TestClusterNetworkPolicySemantics follows the v1beta1 API text: the Admin
// tier by priority, then NetworkPolicy, then the Baseline tier by priority,
// then the default allow; Accept and Deny end the evaluation, Pass skips the
// rest of its tier.
func TestClusterNetworkPolicySemantics(t *testing.T) {
	xa, xb, ya, yb, za := P("x", "a"), P("x", "b"), P("y", "a"), P("y", "b"), P("z", "a")
	A, D, U := Allowed, Denied, Undecided
	admin, baseline := cnp.AdminTier, cnp.BaselineTier
	cases := []struct {
		name  string
		nps   []string // "deny-all" isolates x for ingress
		cnps  []cnp.ClusterNetworkPolicy
		flows []flowWant
		layer Layer
	}{
		{
			name: "Admin tier: lower priority value first",
			cnps: []cnp.ClusterNetworkPolicy{
				mkCNP("accept-y", admin, 20, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(accept, "ns=y")}, nil),
				mkCNP("deny-y", admin, 10, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(cnpDeny, "ns=y")}, nil),
			},
			flows: []flowWant{tcpTo(ya, xa, 80, D), tcpTo(za, xa, 80, A), tcpTo(xa, ya, 80, A)},
			layer: LayerClusterAdmin,
		},
		{
			name:  "Admin tier Accept overrides a NetworkPolicy that isolates",
			nps:   []string{"deny-all"},
			cnps:  []cnp.ClusterNetworkPolicy{mkCNP("accept-y", admin, 5, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(accept, "ns=y")}, nil)},
			flows: []flowWant{tcpTo(ya, xa, 80, A), tcpTo(za, xa, 80, D)},
			layer: LayerClusterAdmin,
		},
		{
			name: "Admin tier Pass skips the rest of the tier: NetworkPolicy decides",
			nps:  []string{"deny-all"},
			cnps: []cnp.ClusterNetworkPolicy{
				mkCNP("pass-y", admin, 1, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(cnpPass, "ns=y")}, nil),
				mkCNP("accept-all", admin, 2, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(accept, "")}, nil),
			},
			flows: []flowWant{tcpTo(ya, xa, 80, D), tcpTo(za, xa, 80, A)},
			layer: LayerNetworkPolicy,
		},
		{
			name:  "Baseline tier applies when NetworkPolicy does not isolate",
			cnps:  []cnp.ClusterNetworkPolicy{mkCNP("deny-y", baseline, 0, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(cnpDeny, "ns=y")}, nil)},
			flows: []flowWant{tcpTo(ya, xa, 80, D), tcpTo(za, xa, 80, A)},
			layer: LayerClusterBaseline,
		},
		{
			name:  "NetworkPolicy isolation takes precedence over the Baseline tier",
			nps:   []string{"deny-all"},
			cnps:  []cnp.ClusterNetworkPolicy{mkCNP("accept-all", baseline, 0, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(accept, "")}, nil)},
			flows: []flowWant{tcpTo(ya, xa, 80, D)},
			layer: LayerNetworkPolicy,
		},
		{
			name: "Baseline tier by priority; Pass there goes to the default allow",
			cnps: []cnp.ClusterNetworkPolicy{
				mkCNP("deny-all", baseline, 9, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(cnpDeny, "")}, nil),
				mkCNP("pass-y", baseline, 3, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(cnpPass, "ns=y")}, nil),
			},
			flows: []flowWant{tcpTo(ya, xa, 80, A), tcpTo(za, xa, 80, D)},
			layer: LayerDefault,
		},
		{
			name: "rules apply in written order; protocols narrow a rule",
			cnps: []cnp.ClusterNetworkPolicy{mkCNP("web-only", admin, 1, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{
				cnpIn(accept, "", cnpTCP(80), cnpUDPRange(5000, 5010)),
				cnpIn(cnpDeny, ""),
			}, nil)},
			flows: []flowWant{
				tcpTo(ya, xa, 80, A), tcpTo(ya, xa, 81, D),
				{flow(ya, xa, UDP, 5005), A}, {flow(ya, xa, UDP, 5011), D}, {flow(ya, xa, UDP, 80), D},
			},
			layer: LayerClusterAdmin,
		},
		{
			name: "destinationNamedPort resolves on the destination pod",
			cnps: []cnp.ClusterNetworkPolicy{mkCNP("named", admin, 1, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{
				cnpIn(accept, "", cnpNamed("serve-81")),
				cnpIn(cnpDeny, ""),
			}, nil)},
			flows: []flowWant{tcpTo(ya, xa, 81, A), tcpTo(ya, xa, 80, D)},
			layer: LayerClusterAdmin,
		},
		{
			name:  "pods peer: namespace AND pod selectors",
			cnps:  []cnp.ClusterNetworkPolicy{mkCNP("deny-ya", admin, 1, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpInPods(cnpDeny, "ns=y", "pod=a")}, nil)},
			flows: []flowWant{tcpTo(ya, xa, 80, D), tcpTo(yb, xa, 80, A), tcpTo(za, xa, 80, A)},
			layer: LayerClusterAdmin,
		},
		{
			name: "egress Accept still leaves the destination's ingress to decide",
			nps:  []string{"deny-all"},
			cnps: []cnp.ClusterNetworkPolicy{mkCNP("accept-out", admin, 1, "ns=y", nil, []cnp.ClusterNetworkPolicyEgressRule{
				cnpOut(accept, cnp.ClusterNetworkPolicyEgressPeer{Namespaces: sel("")}),
			})},
			flows: []flowWant{tcpTo(ya, xa, 80, D), tcpTo(ya, za, 80, A)},
			layer: LayerClusterAdmin, // the egress side
		},
		{
			name: "egress networks peer, per address family",
			cnps: []cnp.ClusterNetworkPolicy{mkCNP("no-outside", admin, 1, "ns=x", nil, []cnp.ClusterNetworkPolicyEgressRule{
				cnpOut(cnpDeny, cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{"8.8.0.0/16"}}),
			})},
			flows: []flowWant{tcpTo(xa, IP("8.8.8.8"), 53, D), tcpTo(xa, IP("9.9.9.9"), 53, A)},
			layer: LayerClusterAdmin,
		},
		{
			name: "egress domainNames: undecided for an address, not a match for a pod",
			cnps: []cnp.ClusterNetworkPolicy{mkCNP("names", admin, 1, "ns=x", nil, []cnp.ClusterNetworkPolicyEgressRule{
				cnpOut(accept, cnp.ClusterNetworkPolicyEgressPeer{DomainNames: []cnp.DomainName{"*.example.com"}}),
				cnpOut(cnpDeny, cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{"0.0.0.0/0"}}),
			})},
			flows: []flowWant{tcpTo(xa, IP("93.184.216.34"), 443, U), tcpTo(xa, ya, 80, D)},
		},
		{
			name: "same priority, different answers: undecided",
			cnps: []cnp.ClusterNetworkPolicy{
				mkCNP("a-accept", admin, 7, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(accept, "ns=y")}, nil),
				mkCNP("b-deny", admin, 7, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(cnpDeny, "ns=y")}, nil),
			},
			flows: []flowWant{tcpTo(ya, xa, 80, U), tcpTo(za, xa, 80, A)},
		},
		{
			name: "subject by pods: other pods of the namespace are not subjects",
			cnps: []cnp.ClusterNetworkPolicy{{ObjectMeta: metav1.ObjectMeta{Name: "only-xa"}, Spec: cnp.ClusterNetworkPolicySpec{
				Tier: admin, Priority: 1, Subject: cnp.ClusterNetworkPolicySubject{Pods: &cnp.NamespacedPod{NamespaceSelector: *sel("ns=x"), PodSelector: *sel("pod=a")}},
				Ingress: []cnp.ClusterNetworkPolicyIngressRule{cnpIn(cnpDeny, "")},
			}}},
			flows: []flowWant{tcpTo(ya, xa, 80, D), tcpTo(ya, xb, 80, A)},
			layer: LayerClusterAdmin,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var nps []string
			s := xyzCluster()
			for _, n := range c.nps {
				s.NetworkPolicies = append(s.NetworkPolicies, mkNP("x", n, ""))
				nps = append(nps, n)
			}
			s.ClusterNetworkPolicies = c.cnps
			e := New(s)
			if w := e.Warnings(); len(w) > 0 {
				t.Fatalf("warnings: %v", w)
			}
			for i, fw := range c.flows {
				v := check(t, e, fw.f, fw.want)
				if i == 0 && c.layer != "" {
					side := v.Ingress
					if v.Egress.Result != Allowed || v.Egress.DecidedBy != LayerDefault && v.Egress.DecidedBy != LayerNotAPod {
						side = v.Egress
					}
					if side.DecidedBy != c.layer {
						t.Errorf("decided by %q, want %q (%s)", side.DecidedBy, c.layer, v.Reason)
					}
				}
				if got := e.Decide(fw.f); got != fw.want {
					t.Errorf("Decide(%v) = %s, want %s", fw.f, got, fw.want)
				}
			}
		})
	}
}

func TestClusterNetworkPolicyExplanation(t *testing.T) {
	s := xyzCluster()
	s.ClusterNetworkPolicies = []cnp.ClusterNetworkPolicy{mkCNP("guard", cnp.AdminTier, 12, "ns=x",
		[]cnp.ClusterNetworkPolicyIngressRule{{Name: "no-z", Action: cnpDeny, From: []cnp.ClusterNetworkPolicyIngressPeer{{Namespaces: sel("ns=z")}}}}, nil)}
	v := check(t, New(s), flow(P("z", "a"), P("x", "a"), TCP, 80), Denied)
	if len(v.Ingress.Admin) != 1 {
		t.Fatalf("admin matches: %+v", v.Ingress.Admin)
	}
	m := v.Ingress.Admin[0]
	if m.Policy.Kind != KindClusterNetworkPolicy || m.Layer != LayerClusterAdmin || m.Action != "Deny" || m.RuleName != "no-z" || m.Priority != 12 {
		t.Errorf("match: %+v", m)
	}
	for _, want := range []string{`rule 1 "no-z" of ClusterNetworkPolicy guard (Admin tier, priority 12) denies`, "pod z/a"} {
		if !strings.Contains(v.Ingress.Reason, want) {
			t.Errorf("reason %q lacks %q", v.Ingress.Reason, want)
		}
	}
	s.ClusterNetworkPolicies[0].Spec.Ingress[0].Action = accept
	v = check(t, New(s), flow(P("z", "a"), P("x", "a"), TCP, 80), Allowed)
	if m := v.Ingress.Admin[0]; m.Action != "Accept" || !strings.Contains(v.Ingress.Reason, "allows") {
		t.Errorf("accept: %+v, %q", m, v.Ingress.Reason)
	}
}

// Where both generations select a pod and decide differently, the answer is
// undecided: neither API orders itself against the other.
func TestAdminGenerationsDisagree(t *testing.T) {
	s := xyzCluster()
	s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{mkANP("deny-y", 50, anpNS("ns=x"), []anp.AdminNetworkPolicyIngressRule{anpIn(deny, fromNS("ns=y"))}, nil)}
	s.ClusterNetworkPolicies = []cnp.ClusterNetworkPolicy{mkCNP("accept-y", cnp.AdminTier, 1, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(accept, "ns=y")}, nil)}
	e := New(s)
	v := check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), Undecided)
	if !hasCaveat(allCaveats(v), CaveatAdminGenerations) {
		t.Errorf("no generations caveat: %v", allCaveats(v))
	}
	if got := e.Decide(flow(P("y", "a"), P("x", "a"), TCP, 80)); got != Undecided {
		t.Errorf("Decide = %s", got)
	}
	// Where they agree, the answer stands.
	s.ClusterNetworkPolicies[0].Spec.Ingress[0].Action = cnpDeny
	check(t, New(s), flow(P("y", "a"), P("x", "a"), TCP, 80), Denied)
}

func TestInvalidClusterNetworkPolicyIgnored(t *testing.T) {
	s := xyzCluster()
	bad := mkCNP("too-high", cnp.AdminTier, 1001, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{cnpIn(cnpDeny, "")}, nil)
	s.ClusterNetworkPolicies = []cnp.ClusterNetworkPolicy{bad}
	e := New(s)
	check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), Allowed)
	w := e.Warnings()
	if len(w) != 1 || w[0].Code != "InvalidPolicy" || !strings.Contains(w[0].Message, "ClusterNetworkPolicy too-high") {
		t.Errorf("warnings: %v", w)
	}
}

// Policies of APIs the engine does not evaluate make every side of the pods
// they may select undecided, naming them; other pods keep their verdict.
func TestUnjudgedPolicies(t *testing.T) {
	s := xyzCluster(mkNP("y", "deny-all", ""))
	s.Unjudged = []UnjudgedPolicy{{Group: "cilium.io", Kind: "CiliumNetworkPolicy", Namespaced: true, Namespace: "x", Name: "l7", Reason: "not evaluated by this version"}}
	e := New(s)
	v := check(t, e, flow(P("z", "a"), P("x", "a"), TCP, 80), Undecided)
	if !hasCaveat(v.Ingress.Caveats, CaveatUnjudgedPolicy) || !strings.Contains(v.Ingress.Reason, "CiliumNetworkPolicy x/l7") {
		t.Errorf("ingress: %q %v", v.Ingress.Reason, v.Ingress.Caveats)
	}
	// A namespaced object selects pods of its namespace only: y's ingress
	// deny stands.
	check(t, e, flow(P("x", "a"), P("y", "a"), TCP, 80), Denied)
	check(t, e, flow(P("x", "a"), P("z", "a"), TCP, 80), Undecided)
	check(t, e, flow(P("z", "a"), P("z", "b"), TCP, 80), Allowed)
	check(t, e, flow(IP("8.8.8.8"), P("z", "b"), corev1.ProtocolTCP, 80), Allowed)

	// A kind that could not be listed, or a cluster-scoped one, may select
	// any pod.
	s.Unjudged = []UnjudgedPolicy{{Group: "cilium.io", Kind: "CiliumClusterwideNetworkPolicy", Reason: "list forbidden"}}
	e = New(s)
	check(t, e, flow(P("z", "a"), P("z", "b"), TCP, 80), Undecided)
	// Even a NetworkPolicy deny is not final: such APIs may allow more.
	check(t, e, flow(P("z", "a"), P("y", "a"), TCP, 80), Undecided)
	m := e.Matrix([]PodRef{{Namespace: "z", Name: "a"}, {Namespace: "z", Name: "b"}}, TCP, *num(80))
	if m.At(0, 1) != Undecided {
		t.Errorf("matrix cell: %s", m.At(0, 1))
	}
}

// A peer or protocol with no field this version knows (a newer CRD's field)
// fails closed, as the API asks: an Accept rule matches nothing, a Deny or
// Pass rule denies everything.
func TestClusterNetworkPolicyFailsClosed(t *testing.T) {
	for _, c := range []struct {
		name   string
		rule   cnp.ClusterNetworkPolicyIngressRule
		result Result
	}{
		{"Accept with an unreadable peer", cnp.ClusterNetworkPolicyIngressRule{Action: accept, From: []cnp.ClusterNetworkPolicyIngressPeer{{}}}, Denied},
		{"Deny with an unreadable peer", cnp.ClusterNetworkPolicyIngressRule{Action: cnpDeny, From: []cnp.ClusterNetworkPolicyIngressPeer{{}}}, Denied},
		{"Pass with an unreadable protocol", cnpIn(cnpPass, "ns=y", cnp.ClusterNetworkPolicyProtocol{}), Denied},
		{"Accept with an unreadable protocol", cnpIn(accept, "ns=y", cnp.ClusterNetworkPolicyProtocol{}), Denied},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := xyzCluster(mkNP("x", "deny-all", ""))
			s.ClusterNetworkPolicies = []cnp.ClusterNetworkPolicy{mkCNP("p", cnp.AdminTier, 1, "ns=x", []cnp.ClusterNetworkPolicyIngressRule{c.rule}, nil)}
			e := New(s)
			if w := e.Warnings(); len(w) > 0 {
				t.Fatalf("warnings: %v", w)
			}
			v := check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), c.result)
			failClosed := c.rule.Action != accept
			if failClosed != (v.Ingress.DecidedBy == LayerClusterAdmin) || failClosed != hasCaveat(v.Ingress.Caveats, CaveatAdminFailClosed) {
				t.Errorf("decided by %s, caveats %v", v.Ingress.DecidedBy, v.Ingress.Caveats)
			}
		})
	}
}
