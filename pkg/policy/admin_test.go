package policy

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

const (
	allow = anp.AdminNetworkPolicyRuleActionAllow
	deny  = anp.AdminNetworkPolicyRuleActionDeny
	pass  = anp.AdminNetworkPolicyRuleActionPass
)

func banpIn(action anp.BaselineAdminNetworkPolicyRuleAction, from []anp.AdminNetworkPolicyIngressPeer, ports ...anp.AdminNetworkPolicyPort) anp.BaselineAdminNetworkPolicyIngressRule {
	r := anp.BaselineAdminNetworkPolicyIngressRule{Action: action, From: from}
	if len(ports) > 0 {
		r.Ports = &ports
	}
	return r
}

func toNets(cidrs ...string) []anp.AdminNetworkPolicyEgressPeer {
	var c []anp.CIDR
	for _, s := range cidrs {
		c = append(c, anp.CIDR(s))
	}
	return []anp.AdminNetworkPolicyEgressPeer{{Networks: c}}
}

func toNodes(s string) []anp.AdminNetworkPolicyEgressPeer {
	return []anp.AdminNetworkPolicyEgressPeer{{Nodes: sel(s)}}
}

// mkNode is a Node with labels "k=v,..." and internal IPs (the first) and
// external IPs (the others).
func mkNode(name, labels string, ips ...string) corev1.Node {
	n := corev1.Node{}
	n.Name = name
	n.Labels = lbls(labels)
	for i, ip := range ips {
		t := corev1.NodeInternalIP
		if i > 0 {
			t = corev1.NodeExternalIP
		}
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: t, Address: ip})
	}
	return n
}

func toNS(s string) []anp.AdminNetworkPolicyEgressPeer {
	return []anp.AdminNetworkPolicyEgressPeer{{Namespaces: sel(s)}}
}

func TestAdminNetworkPolicySemantics(t *testing.T) {
	xa, xb, ya, yb, za := P("x", "a"), P("x", "b"), P("y", "a"), P("y", "b"), P("z", "a")
	A, D, U := Allowed, Denied, Undecided
	subjX := anpNS("ns=x")
	type tc struct {
		name  string
		snap  func() Snapshot
		flows []flowWant
		// layer is the expected DecidedBy of the first flow's decisive side.
		layer Layer
	}
	cases := []tc{
		{
			name: "lower priority number wins: deny before allow",
			snap: func() Snapshot {
				s := xyzCluster()
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("allow-from-y", 20, subjX, []anp.AdminNetworkPolicyIngressRule{anpIn(allow, fromNS("ns=y"))}, nil),
					mkANP("deny-from-y", 10, subjX, []anp.AdminNetworkPolicyIngressRule{anpIn(deny, fromNS("ns=y"))}, nil),
				}
				return s
			},
			flows: []flowWant{tcpTo(ya, xa, 80, D), tcpTo(za, xa, 80, A), tcpTo(xa, ya, 80, A)},
			layer: LayerAdmin,
		},
		{
			name: "ANP Allow overrides a NetworkPolicy deny",
			snap: func() Snapshot {
				s := xyzCluster(mkNP("x", "deny-all", ""))
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("allow-from-y", 5, subjX, []anp.AdminNetworkPolicyIngressRule{anpIn(allow, fromNS("ns=y"))}, nil),
				}
				return s
			},
			flows: []flowWant{tcpTo(ya, xa, 80, A), tcpTo(za, xa, 80, D)},
			layer: LayerAdmin,
		},
		{
			name: "rules apply in written order within an ANP",
			snap: func() Snapshot {
				s := xyzCluster()
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("web-only", 1, subjX, []anp.AdminNetworkPolicyIngressRule{
						anpIn(allow, fromNS(""), anpTCP(80)),
						anpIn(deny, fromNS("")),
					}, nil),
				}
				return s
			},
			flows: []flowWant{tcpTo(ya, xa, 80, A), tcpTo(ya, xa, 81, D), tcpTo(IP("8.8.8.8"), xa, 81, A)},
			layer: LayerAdmin,
		},
		{
			name: "Pass hands over to NetworkPolicy",
			snap: func() Snapshot {
				s := xyzCluster(mkNP("x", "from-ya", "", in(peers(nsPodPeer("ns=y", "pod=a")))))
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("pass-y-deny-rest", 1, subjX, []anp.AdminNetworkPolicyIngressRule{
						anpIn(pass, fromNS("ns=y")),
						anpIn(deny, fromNS("")),
					}, nil),
				}
				return s
			},
			flows: []flowWant{tcpTo(ya, xa, 80, A), tcpTo(yb, xa, 80, D), tcpTo(za, xa, 80, D)},
			layer: LayerNetworkPolicy,
		},
		{
			name: "Pass on a pod NetworkPolicy does not isolate goes to the baseline",
			snap: func() Snapshot {
				s := xyzCluster()
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("pass-y", 1, subjX, []anp.AdminNetworkPolicyIngressRule{anpIn(pass, fromNS("ns=y"))}, nil),
				}
				s.BaselineAdminNetworkPolicy = mkBANP(subjX, []anp.BaselineAdminNetworkPolicyIngressRule{banpIn("Deny", fromNS("ns=y"))}, nil)
				return s
			},
			flows: []flowWant{tcpTo(ya, xa, 80, D), tcpTo(za, xa, 80, A), tcpTo(xa, ya, 80, A)},
			layer: LayerBaseline,
		},
		{
			name: "baseline rules in order; NetworkPolicy isolation takes precedence over the baseline",
			snap: func() Snapshot {
				s := xyzCluster(mkNP("x", "b-from-z", "pod=b", in(peers(nsPeer("ns=z")))))
				s.BaselineAdminNetworkPolicy = mkBANP(subjX, []anp.BaselineAdminNetworkPolicyIngressRule{
					banpIn("Allow", fromNS("ns=y"), anpTCP(80)),
					banpIn("Deny", fromNS("")),
				}, nil)
				return s
			},
			flows: []flowWant{
				tcpTo(ya, xa, 80, A), tcpTo(ya, xa, 81, D), tcpTo(za, xa, 80, D),
				tcpTo(za, xb, 81, A), tcpTo(ya, xb, 80, D), // xb is isolated: NP decides, baseline not consulted
				tcpTo(za, ya, 80, A), // y is not a subject
			},
			layer: LayerBaseline,
		},
		{
			name: "egress networks match external IPs and pod IPs",
			snap: func() Snapshot {
				s := xyzCluster()
				addIP(&s, "x", "a", "fd00::1:1") // to reach an IPv6 address
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("egress", 3, subjX, nil, []anp.AdminNetworkPolicyEgressRule{
						anpOut(allow, toNS("ns=y")),
						anpOut(deny, toNets("0.0.0.0/0")),
					}),
				}
				return s
			},
			flows: []flowWant{tcpTo(xa, IP("8.8.8.8"), 443, D), tcpTo(xa, ya, 80, A), tcpTo(xa, za, 80, D), tcpTo(xa, IP("2001:db8::1"), 443, A)},
			layer: LayerAdmin,
		},
		{
			name: "nodes peer: unknown for an IP unless the selector is empty and the IP is a known node",
			snap: func() Snapshot {
				s := xyzCluster()
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("deny-nodes", 3, subjX, nil, []anp.AdminNetworkPolicyEgressRule{anpOut(deny, toNodes(""))}),
					mkANP("deny-workers", 4, anpNS("ns=y"), nil, []anp.AdminNetworkPolicyEgressRule{anpOut(deny, toNodes("role=worker"))}),
				}
				return s
			},
			flows: []flowWant{
				tcpTo(xa, IP("192.168.0.1"), 10250, D), // known node (a pod's hostIP), empty selector
				tcpTo(xa, IP("203.0.113.5"), 443, U),   // maybe a node we do not know
				tcpTo(xa, ya, 80, A),                   // a pod-network pod is never a node
				tcpTo(ya, IP("192.168.0.1"), 10250, U), // node labels unknown
			},
			layer: LayerAdmin,
		},
		{
			name: "nodes peer with the Nodes known: judged by the labels of the node that lists the address",
			snap: func() Snapshot {
				s := xyzCluster()
				s.Nodes = []corev1.Node{
					mkNode("worker-1", "role=worker", "192.168.0.1", "198.51.100.1"),
					mkNode("control-1", "role=control", "192.168.0.9"),
				}
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("deny-workers", 4, subjX, nil, []anp.AdminNetworkPolicyEgressRule{anpOut(deny, toNodes("role=worker"))}),
				}
				return s
			},
			flows: []flowWant{
				tcpTo(xa, IP("192.168.0.1"), 10250, D),  // worker-1's internal IP
				tcpTo(xa, IP("198.51.100.1"), 10250, D), // worker-1's external IP
				tcpTo(xa, IP("192.168.0.9"), 10250, A),  // control-1: not a worker
				tcpTo(xa, IP("203.0.113.5"), 443, U),    // no Node lists it: maybe a node's other address
				tcpTo(xa, ya, 80, A),                    // a pod-network pod is never a node
			},
			layer: LayerAdmin,
		},
		{
			name: "an unevaluable rule that cannot change the result does not make it undecided",
			snap: func() Snapshot {
				s := xyzCluster()
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("deny-workers-then-all", 3, subjX, nil, []anp.AdminNetworkPolicyEgressRule{
						anpOut(deny, toNodes("role=worker")),
						anpOut(deny, toNets("0.0.0.0/0")),
					}),
				}
				return s
			},
			flows: []flowWant{tcpTo(xa, IP("203.0.113.5"), 443, D)},
			layer: LayerAdmin,
		},
		{
			name: "networks peer against a pod without IP is undecided for Deny",
			snap: func() Snapshot {
				s := xyzCluster()
				s.Pods = append(s.Pods, mkPod("y", "no-ip", "pod=n"))
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("deny-10", 3, subjX, nil, []anp.AdminNetworkPolicyEgressRule{anpOut(deny, toNets("10.0.0.0/8"))}),
					mkANP("allow-10", 4, anpNS("ns=z"), nil, []anp.AdminNetworkPolicyEgressRule{anpOut(allow, toNets("10.0.0.0/8"))}),
				}
				return s
			},
			flows: []flowWant{
				tcpTo(xa, P("y", "no-ip"), 80, U),
				tcpTo(za, P("y", "no-ip"), 80, A), // Allow or default allow: allowed either way
				tcpTo(xa, yb, 80, D),
			},
		},
		{
			name: "domainNames: not a pod, unknown for an IP",
			snap: func() Snapshot {
				s := xyzCluster()
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("allow-example", 3, subjX, nil, []anp.AdminNetworkPolicyEgressRule{
						anpOut(allow, []anp.AdminNetworkPolicyEgressPeer{{DomainNames: []anp.DomainName{"*.example.com"}}}),
						anpOut(deny, toNets("0.0.0.0/0")),
					}),
				}
				return s
			},
			flows: []flowWant{tcpTo(xa, IP("93.184.216.34"), 443, U), tcpTo(xa, ya, 443, D)},
		},
		{
			name: "equal priorities that disagree are undecided; agreeing ones decide",
			snap: func() Snapshot {
				s := xyzCluster()
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("a-allow", 7, subjX, []anp.AdminNetworkPolicyIngressRule{anpIn(allow, fromNS("ns=y"))}, nil),
					mkANP("b-deny", 7, subjX, []anp.AdminNetworkPolicyIngressRule{anpIn(deny, fromNS("ns=y")), anpIn(deny, fromNS("ns=z"))}, nil),
				}
				return s
			},
			flows: []flowWant{tcpTo(ya, xa, 80, U), tcpTo(za, xa, 80, D)},
		},
		{
			name: "peer with no known field fails closed: Deny denies all, Allow matches nothing",
			snap: func() Snapshot {
				s := xyzCluster()
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("future-allow", 1, subjX, []anp.AdminNetworkPolicyIngressRule{anpIn(allow, []anp.AdminNetworkPolicyIngressPeer{{}})}, nil),
					mkANP("future-deny", 2, anpNS("ns=y"), []anp.AdminNetworkPolicyIngressRule{anpIn(deny, []anp.AdminNetworkPolicyIngressPeer{{}})}, nil),
				}
				s.NetworkPolicies = []networkingv1.NetworkPolicy{mkNP("x", "deny-all", "pod=a")}
				return s
			},
			flows: []flowWant{tcpTo(za, xa, 80, D), tcpTo(za, xb, 80, A), tcpTo(za, ya, 80, D), tcpTo(IP("1.1.1.1"), yb, 80, D)},
		},
		{
			name: "subject this version cannot read: undecided where it could deny",
			snap: func() Snapshot {
				s := xyzCluster()
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("unknown-subject", 1, anp.AdminNetworkPolicySubject{}, []anp.AdminNetworkPolicyIngressRule{anpIn(deny, fromNS("ns=y"))}, nil),
				}
				return s
			},
			flows: []flowWant{tcpTo(ya, xa, 80, U), tcpTo(za, xa, 80, A)},
		},
		{
			name: "hostNetwork pods are neither subjects nor peers",
			snap: func() Snapshot {
				s := xyzCluster()
				s.Pods = append(s.Pods, mkPod("x", "hostnet", "pod=h", hostNet("192.168.0.9")), mkPod("y", "hostnet", "pod=h", hostNet("192.168.0.10")))
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("deny-in", 1, subjX, []anp.AdminNetworkPolicyIngressRule{anpIn(deny, fromNS(""))}, nil),
				}
				return s
			},
			flows: []flowWant{tcpTo(ya, P("x", "hostnet"), 80, A), tcpTo(P("y", "hostnet"), xa, 80, A), tcpTo(ya, xa, 80, D)},
		},
		{
			name: "named ports and port ranges",
			snap: func() Snapshot {
				s := xyzCluster()
				named := "serve-81"
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("ports", 1, subjX, []anp.AdminNetworkPolicyIngressRule{
						anpIn(allow, fromNS(""), anp.AdminNetworkPolicyPort{NamedPort: &named}),
						anpIn(allow, fromNS(""), anp.AdminNetworkPolicyPort{PortRange: &anp.PortRange{Protocol: UDP, Start: 1000, End: 2000}}),
						anpIn(deny, fromNS("")),
					}, nil),
				}
				return s
			},
			flows: []flowWant{
				tcpTo(ya, xa, 81, A), tcpTo(ya, xa, 80, D),
				{flow(ya, xa, UDP, 1000), A}, {flow(ya, xa, UDP, 2000), A}, {flow(ya, xa, UDP, 2001), D}, {flow(ya, xa, TCP, 1500), D},
			},
		},
		{
			name: "pods subject and pods peer",
			snap: func() Snapshot {
				s := xyzCluster()
				s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
					mkANP("a-from-yb", 1, anpPodsSubject("", "pod=a"), []anp.AdminNetworkPolicyIngressRule{
						anpIn(deny, fromPods("ns=y", "pod=b")),
					}, nil),
				}
				return s
			},
			flows: []flowWant{tcpTo(yb, xa, 80, D), tcpTo(yb, za, 80, D), tcpTo(ya, xa, 80, A), tcpTo(yb, xb, 80, A)},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New(c.snap())
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
				if fw.want == Undecided && !hasCaveat(allCaveats(v), CaveatAdminUnevaluable) && !hasCaveat(allCaveats(v), CaveatAdminSamePriority) {
					t.Errorf("undecided without a caveat saying why: %v", allCaveats(v))
				}
			}
		})
	}
}

func TestAdminExplanation(t *testing.T) {
	s := xyzCluster()
	s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
		mkANP("pass-y", 2, subjXForTest(), []anp.AdminNetworkPolicyIngressRule{{Name: "let-y-decide", Action: pass, From: fromNS("ns=y")}}, nil),
		mkANP("deny-z", 1, subjXForTest(), []anp.AdminNetworkPolicyIngressRule{{Name: "no-z", Action: deny, From: fromNS("ns=z")}}, nil),
	}
	e := New(s)
	v := check(t, e, flow(P("z", "a"), P("x", "a"), TCP, 80), Denied)
	if len(v.Ingress.Admin) != 1 {
		t.Fatalf("admin matches: %+v", v.Ingress.Admin)
	}
	m := v.Ingress.Admin[0]
	if m.Policy.Name != "deny-z" || m.Rule != 0 || m.RuleName != "no-z" || m.Action != "Deny" || !m.Certain || m.Peer != 0 || m.Port != -1 || m.Priority != 1 {
		t.Errorf("match = %+v", m)
	}
	want := `rule 1 "no-z" of AdminNetworkPolicy deny-z (priority 1) denies: pods in namespaces ns=z matches pod z/a`
	if m.Reason != want {
		t.Errorf("reason:\n got %q\nwant %q", m.Reason, want)
	}
	if !strings.Contains(v.Reason, want) {
		t.Errorf("verdict reason %q lacks %q", v.Reason, want)
	}

	v = check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), Allowed)
	if len(v.Ingress.Admin) != 1 || v.Ingress.Admin[0].Action != "Pass" || v.Ingress.DecidedBy != LayerDefault {
		t.Errorf("pass: %+v decided by %s", v.Ingress.Admin, v.Ingress.DecidedBy)
	}
}

// A Pass rule with an unreadable port entry must deny everything, not hand
// the flow to a NetworkPolicy that would allow it.
func TestAdminUnreadablePortFailsClosed(t *testing.T) {
	s := xyzCluster(mkNP("x", "allow-all", "", in(nil)))
	s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
		mkANP("future-port", 1, anpNS("ns=x"), []anp.AdminNetworkPolicyIngressRule{anpIn(pass, fromNS("ns=y"), anp.AdminNetworkPolicyPort{})}, nil),
		mkANP("allow-future-port", 2, anpNS("ns=z"), []anp.AdminNetworkPolicyIngressRule{anpIn(allow, fromNS(""), anp.AdminNetworkPolicyPort{}), anpIn(deny, fromNS(""))}, nil),
	}
	e := New(s)
	v := check(t, e, flow(P("z", "a"), P("x", "a"), TCP, 80), Denied)
	if !hasCaveat(v.Ingress.Caveats, CaveatAdminFailClosed) || v.Ingress.Admin[0].Action != "Deny" {
		t.Errorf("caveats %v, admin %+v", v.Ingress.Caveats, v.Ingress.Admin)
	}
	// An Allow rule with an unreadable port matches nothing: the next rule denies.
	check(t, e, flow(P("x", "a"), P("z", "a"), TCP, 80), Denied)
}

func subjXForTest() anp.AdminNetworkPolicySubject { return anpNS("ns=x") }

func TestBaselineWithOtherNameIsIgnored(t *testing.T) {
	s := xyzCluster()
	s.BaselineAdminNetworkPolicy = mkBANP(anpNS(""), []anp.BaselineAdminNetworkPolicyIngressRule{banpIn("Deny", fromNS(""))}, nil)
	s.BaselineAdminNetworkPolicy.Name = "not-default"
	e := New(s)
	if len(e.Warnings()) != 1 {
		t.Fatalf("warnings: %v", e.Warnings())
	}
	check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), Allowed)
}
