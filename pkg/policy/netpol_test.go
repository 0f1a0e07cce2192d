package policy

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The cluster of the upstream network-policy e2e suite: namespaces x, y, z
// (labelled ns=<name>), each with pods a, b, c (labelled pod=<name>), pod IPs
// 10.0.<ns>.<pod>, all on node 192.168.0.1. Pod a serves TCP 80 "serve-80",
// TCP 81 "serve-81", UDP 80 "serve-80-udp", SCTP 80 "serve-80-sctp".
func xyzCluster(nps ...networkingv1.NetworkPolicy) Snapshot {
	var s Snapshot
	for ni, n := range []string{"x", "y", "z"} {
		s.Namespaces = append(s.Namespaces, mkNS(n, "ns="+n))
		for pi, p := range []string{"a", "b", "c"} {
			s.Pods = append(s.Pods, mkPod(n, p, "pod="+p,
				ip(fmt.Sprintf("10.0.%d.%d", ni+1, pi+1)), hostIP("192.168.0.1"),
				cport("serve-80", 80, TCP), cport("serve-81", 81, TCP),
				cport("serve-80-udp", 80, UDP), cport("serve-80-sctp", 80, SCTP)))
		}
	}
	s.NetworkPolicies = nps
	return s
}

type flowWant struct {
	f    Flow
	want Result
}

func tcpTo(src, dst Endpoint, port int, want Result) flowWant {
	return flowWant{flow(src, dst, TCP, port), want}
}

func TestNetworkPolicySemantics(t *testing.T) {
	xa, xb, xc := P("x", "a"), P("x", "b"), P("x", "c")
	ya, yb, za := P("y", "a"), P("y", "b"), P("z", "a")
	A, D := Allowed, Denied
	cases := []struct {
		name  string
		snap  Snapshot
		flows []flowWant
	}{
		{
			name:  "no policies allows everything",
			snap:  xyzCluster(),
			flows: []flowWant{tcpTo(xa, yb, 80, A), tcpTo(za, xa, 81, A), tcpTo(IP("8.8.8.8"), xa, 80, A)},
		},
		{
			name: "default deny ingress isolates every pod of the namespace for ingress only",
			snap: xyzCluster(mkNP("x", "deny-all", "")),
			flows: []flowWant{
				tcpTo(ya, xa, 80, D), tcpTo(xb, xa, 80, D), tcpTo(IP("8.8.8.8"), xc, 80, D),
				tcpTo(xa, ya, 80, A), // egress is not isolated
				tcpTo(ya, yb, 80, A), // other namespaces untouched
			},
		},
		{
			name: "allow from the same namespace (empty podSelector peer)",
			snap: xyzCluster(mkNP("x", "allow-same-ns", "", in(peers(podPeer(""))))),
			flows: []flowWant{
				tcpTo(xb, xa, 80, A), tcpTo(xc, xa, 81, A),
				tcpTo(ya, xa, 80, D), tcpTo(IP("10.9.9.9"), xa, 80, D),
			},
		},
		{
			name: "allow from namespaces by label",
			snap: xyzCluster(mkNP("x", "allow-ns-y", "pod=a", in(peers(nsPeer("ns=y"))))),
			flows: []flowWant{
				tcpTo(ya, xa, 80, A), tcpTo(yb, xa, 80, A),
				tcpTo(za, xa, 80, D), tcpTo(xb, xa, 80, D), // own namespace not matched
				tcpTo(za, xb, 80, A), // pod=b not selected
			},
		},
		{
			name: "empty namespaceSelector means all namespaces",
			snap: xyzCluster(mkNP("x", "allow-all-ns", "pod=a", in(peers(nsPeer(""))))),
			flows: []flowWant{
				tcpTo(ya, xa, 80, A), tcpTo(xb, xa, 80, A), tcpTo(za, xa, 80, A),
				tcpTo(IP("8.8.8.8"), xa, 80, D), // not a pod
			},
		},
		{
			name: "podSelector and namespaceSelector in one peer: AND",
			snap: xyzCluster(mkNP("x", "and", "pod=a", in(peers(nsPodPeer("ns=y", "pod=b"))))),
			flows: []flowWant{
				tcpTo(yb, xa, 80, A),
				tcpTo(ya, xa, 80, D), // right namespace, wrong pod
				tcpTo(xb, xa, 80, D), // right pod label, wrong namespace
				tcpTo(P("z", "b"), xa, 80, D),
			},
		},
		{
			name: "podSelector and namespaceSelector as two peers: OR",
			snap: xyzCluster(mkNP("x", "or", "pod=a", in(peers(nsPeer("ns=y"), podPeer("pod=b"))))),
			flows: []flowWant{
				tcpTo(yb, xa, 80, A), tcpTo(ya, xa, 80, A), // any pod of ns y
				tcpTo(xb, xa, 80, A),          // pod=b of the policy's namespace
				tcpTo(P("z", "b"), xa, 80, D), // pod=b elsewhere is not selected
				tcpTo(xc, xa, 80, D),
			},
		},
		{
			name: "matchExpressions In, NotIn (absent key matches), Exists, DoesNotExist",
			snap: func() Snapshot {
				s := xyzCluster(
					mkNP("x", "in", "pod=a", in(peers(podPeer("pod in (b,c)")))),
					mkNP("y", "notin", "pod=a", in(peers(nsPeer("ns notin (x)")))),
					mkNP("z", "exists", "pod=a", in(peers(nsPodPeer("", "tier")))),
					mkNP("z", "doesnotexist", "pod=b", in(peers(nsPodPeer("", "!tier")))),
				)
				s.Pods = append(s.Pods, mkPod("x", "tiered", "pod=d,tier=fe"), mkPod("unlabelled", "u", ""))
				s.Namespaces = append(s.Namespaces, mkNS("unlabelled", ""))
				return s
			}(),
			flows: []flowWant{
				tcpTo(xb, xa, 80, A), tcpTo(xc, xa, 80, A), tcpTo(P("x", "tiered"), xa, 80, D),
				tcpTo(za, ya, 80, A), tcpTo(xb, ya, 80, D),
				tcpTo(P("unlabelled", "u"), ya, 80, A), // namespace has no ns label: NotIn matches
				tcpTo(P("x", "tiered"), za, 80, A), tcpTo(xb, za, 80, D),
				tcpTo(xb, P("z", "b"), 80, A), tcpTo(P("x", "tiered"), P("z", "b"), 80, D),
			},
		},
		{
			name:  "target a namespace by name: kubernetes.io/metadata.name is always set",
			snap:  xyzCluster(mkNP("x", "by-name", "pod=a", in(peers(nsPeer("kubernetes.io/metadata.name=z"))))),
			flows: []flowWant{tcpTo(za, xa, 80, A), tcpTo(ya, xa, 80, D)},
		},
		{
			name: "numeric port, default protocol TCP",
			snap: xyzCluster(mkNP("x", "port80", "pod=a", in(nil, tcp(80)))),
			flows: []flowWant{
				tcpTo(yb, xa, 80, A), tcpTo(yb, xa, 81, D),
				{flow(yb, xa, UDP, 80), D}, {flow(yb, xa, SCTP, 80), D},
			},
		},
		{
			name: "UDP and SCTP ports, and a protocol without port (all its ports)",
			snap: xyzCluster(
				mkNP("x", "udp", "pod=a", in(nil, udp(80))),
				mkNP("x", "sctp-any", "pod=b", in(nil, pport(SCTP, nil, nil))),
			),
			flows: []flowWant{
				{flow(yb, xa, UDP, 80), A}, {flow(yb, xa, TCP, 80), D}, {flow(yb, xa, UDP, 81), D},
				{flow(ya, xb, SCTP, 80), A}, {flow(ya, xb, SCTP, 9999), A}, {flow(ya, xb, TCP, 80), D},
			},
		},
		{
			name: "endPort range is inclusive",
			snap: xyzCluster(mkNP("x", "range", "pod=a", in(nil, pport("", num(8000), i32(8080))))),
			flows: []flowWant{
				tcpTo(yb, xa, 8000, A), tcpTo(yb, xa, 8080, A), tcpTo(yb, xa, 8042, A),
				tcpTo(yb, xa, 7999, D), tcpTo(yb, xa, 8081, D),
			},
		},
		{
			name: "named ingress port resolved on the destination pod, per protocol",
			snap: xyzCluster(
				mkNP("x", "named", "pod=a", in(nil, pport("", name("serve-81"), nil))),
				mkNP("x", "named-udp", "pod=b", in(nil, pport(UDP, name("serve-80-udp"), nil))),
				mkNP("x", "named-wrong-proto", "pod=c", in(nil, pport(TCP, name("serve-80-udp"), nil))),
			),
			flows: []flowWant{
				tcpTo(ya, xa, 81, A), tcpTo(ya, xa, 80, D),
				{namedFlow(ya, xa, TCP, "serve-81"), A}, {namedFlow(ya, xa, TCP, "serve-80"), D},
				{flow(ya, xb, UDP, 80), A}, {flow(ya, xb, TCP, 80), D},
				{flow(ya, xc, UDP, 80), D}, {flow(ya, xc, TCP, 80), D}, // the pod has no TCP port with that name
			},
		},
		{
			name: "named egress port resolved on the destination pod",
			snap: func() Snapshot {
				s := xyzCluster(mkNP("x", "egress-named", "pod=a", types(networkingv1.PolicyTypeEgress), out(nil, pport("", name("web"), nil))))
				s.Pods = append(s.Pods, mkPod("y", "web", "pod=web", ip("10.0.2.9"), cport("web", 8080, TCP)), mkPod("y", "web2", "pod=web", ip("10.0.2.10"), cport("web", 9090, TCP)))
				return s
			}(),
			flows: []flowWant{
				tcpTo(xa, P("y", "web"), 8080, A), tcpTo(xa, P("y", "web"), 9090, D),
				tcpTo(xa, P("y", "web2"), 9090, A), tcpTo(xa, P("y", "web2"), 8080, D),
				tcpTo(xa, yb, 8080, D),            // yb declares no port "web"
				tcpTo(xa, IP("1.1.1.1"), 8080, D), // an IP has no named ports
				{namedFlow(xa, P("y", "web2"), TCP, "web"), A},
			},
		},
		{
			name: "ipBlock with except, IPv4 and IPv6",
			snap: func() Snapshot {
				s := xyzCluster(mkNP("x", "ipblock", "pod=a",
					in(peers(ipPeer("192.168.0.0/16", "192.168.2.0/24", "192.168.3.0/24"), ipPeer("2001:db8::/32")))))
				addIP(&s, "x", "a", "fd00::1:1") // IPv6 clients need an IPv6 server
				return s
			}(),
			flows: []flowWant{
				tcpTo(IP("192.168.1.5"), xa, 80, A), tcpTo(IP("192.168.2.7"), xa, 80, D),
				tcpTo(IP("192.168.3.255"), xa, 80, D), tcpTo(IP("10.1.1.1"), xa, 80, D),
				tcpTo(IP("2001:db8::1"), xa, 80, A), tcpTo(IP("2001:db9::1"), xa, 80, D),
				tcpTo(ya, xa, 80, D), // pod IP 10.0.2.1 is not in the block
			},
		},
		{
			name: "egress with DNS: UDP and TCP 53 to kube-system plus the database",
			snap: func() Snapshot {
				s := xyzCluster(mkNP("x", "egress", "pod=a", types(networkingv1.PolicyTypeEgress),
					out(peers(nsPodPeer("kubernetes.io/metadata.name=kube-system", "k8s-app=kube-dns")), udp(53), tcp(53)),
					out(peers(nsPodPeer("ns=y", "pod=b")), tcp(5432))))
				s.Namespaces = append(s.Namespaces, mkNS("kube-system", ""))
				s.Pods = append(s.Pods, mkPod("kube-system", "coredns", "k8s-app=kube-dns", ip("10.0.9.9")))
				return s
			}(),
			flows: []flowWant{
				{flow(xa, P("kube-system", "coredns"), UDP, 53), A}, {flow(xa, P("kube-system", "coredns"), TCP, 53), A},
				{flow(xa, P("kube-system", "coredns"), UDP, 5353), D},
				tcpTo(xa, yb, 5432, A), tcpTo(xa, yb, 80, D), tcpTo(xa, ya, 5432, D),
				{flow(xa, IP("8.8.8.8"), UDP, 53), D},
				tcpTo(xb, yb, 80, A), // pod=b not selected
				tcpTo(ya, xa, 80, A), // ingress not isolated (policyTypes: Egress)
			},
		},
		{
			name: "policyTypes defaulting: egress rules without policyTypes isolate both directions",
			snap: xyzCluster(mkNP("x", "egress-only-rules", "pod=a", out(peers(nsPeer("ns=y"))))),
			flows: []flowWant{
				tcpTo(xa, ya, 80, A), tcpTo(xa, za, 80, D),
				tcpTo(ya, xa, 80, D), // Ingress is always defaulted in: no ingress rules, deny
			},
		},
		{
			name:  "policyTypes defaulting: no egress rules means egress not isolated",
			snap:  xyzCluster(mkNP("x", "ingress-only", "pod=a", in(peers(nsPeer("ns=y"))))),
			flows: []flowWant{tcpTo(xa, za, 80, A), tcpTo(za, xa, 80, D), tcpTo(ya, xa, 80, A)},
		},
		{
			name:  "explicit policyTypes Egress ignores ingress rules",
			snap:  xyzCluster(mkNP("x", "egress-type", "pod=a", types(networkingv1.PolicyTypeEgress), in(peers(nsPeer("ns=y"))))),
			flows: []flowWant{tcpTo(za, xa, 80, A), tcpTo(xa, za, 80, D)},
		},
		{
			name: "default deny egress, and deny all both ways",
			snap: xyzCluster(
				mkNP("x", "deny-egress", "", types(networkingv1.PolicyTypeEgress)),
				mkNP("y", "deny-both", "", types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress)),
			),
			flows: []flowWant{
				tcpTo(xa, za, 80, D), tcpTo(xa, xb, 80, D), tcpTo(za, xa, 80, A),
				tcpTo(ya, za, 80, D), tcpTo(za, ya, 80, D),
			},
		},
		{
			name: "allow-all rules: empty from/to and no ports",
			snap: xyzCluster(
				mkNP("x", "deny-all", "", types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress)),
				mkNP("x", "allow-all-in", "", in(nil)),
				mkNP("x", "allow-all-out", "", types(networkingv1.PolicyTypeEgress), out(nil)),
			),
			flows: []flowWant{tcpTo(za, xa, 80, A), tcpTo(xa, IP("8.8.8.8"), 443, A), {flow(IP("8.8.8.8"), xb, SCTP, 9), A}},
		},
		{
			name: "multiple policies are a union",
			snap: xyzCluster(
				mkNP("x", "from-y", "pod=a", in(peers(nsPeer("ns=y")), tcp(80))),
				mkNP("x", "from-z", "pod=a", in(peers(nsPeer("ns=z")), tcp(81))),
			),
			flows: []flowWant{
				tcpTo(ya, xa, 80, A), tcpTo(za, xa, 81, A),
				tcpTo(ya, xa, 81, D), tcpTo(za, xa, 80, D), tcpTo(xb, xa, 80, D),
			},
		},
		{
			name: "both sides must allow: egress of the source and ingress of the destination",
			snap: xyzCluster(
				mkNP("x", "allow-in-from-y", "pod=a", in(peers(nsPeer("ns=y")))),
				mkNP("y", "deny-egress", "pod=a", types(networkingv1.PolicyTypeEgress)),
			),
			flows: []flowWant{tcpTo(yb, xa, 80, A), tcpTo(ya, xa, 80, D)},
		},
		{
			name: "a pod cannot block traffic to itself; its node is always allowed",
			snap: xyzCluster(mkNP("x", "deny-all", "", types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress))),
			flows: []flowWant{
				tcpTo(xa, xa, 80, A),
				tcpTo(IP("192.168.0.1"), xa, 80, A), tcpTo(xa, IP("192.168.0.1"), 10250, A),
				tcpTo(IP("192.168.0.2"), xa, 80, D),
			},
		},
		{
			name:  "an IP that belongs to a pod is evaluated as that pod",
			snap:  xyzCluster(mkNP("x", "from-y", "pod=a", in(peers(nsPeer("ns=y"))))),
			flows: []flowWant{tcpTo(IP("10.0.2.1"), xa, 80, A), tcpTo(IP("10.0.3.1"), xa, 80, D)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := New(tc.snap)
			if w := e.Warnings(); len(w) > 0 {
				t.Fatalf("unexpected warnings: %v", w)
			}
			for _, fw := range tc.flows {
				check(t, e, fw.f, fw.want)
			}
		})
	}
}

func TestIPBlockAgainstPodIPHasCaveat(t *testing.T) {
	e := New(xyzCluster(mkNP("x", "pods-by-ip", "pod=a", in(peers(ipPeer("10.0.2.0/24"))))))
	v := check(t, e, flow(P("y", "b"), P("x", "a"), TCP, 80), Allowed)
	if !hasCaveat(v.Ingress.Caveats, CaveatIPBlockPodIP) {
		t.Errorf("want an %s caveat, got %v", CaveatIPBlockPodIP, v.Ingress.Caveats)
	}
	check(t, e, flow(P("z", "b"), P("x", "a"), TCP, 80), Denied)
}

func TestHostNetworkPods(t *testing.T) {
	s := xyzCluster(
		mkNP("x", "deny-all", "pod=a"),
		mkNP("x", "from-agent", "pod=b", in(peers(nsPodPeer("", "app=agent")))),
	)
	s.Namespaces = append(s.Namespaces, mkNS("infra", ""))
	s.Pods = append(s.Pods,
		mkPod("x", "hostnet", "pod=a", hostNet("192.168.0.7")),
		mkPod("infra", "agent", "app=agent", hostNet("192.168.0.8")),
		mkPod("infra", "agent-same-node", "app=agent", hostNet("192.168.0.1")),
	)
	e := New(s)

	// The API text and most plugins disagree: undecided, both named.
	for _, tc := range []struct {
		name             string
		f                Flow
		primary, ignored Result
	}{
		// A hostNetwork destination selected by deny-all: denied if the
		// plugin enforces policy on it, allowed if (as most do) it sees
		// the node.
		{"hostNetwork destination isolated", flow(P("y", "a"), P("x", "hostnet"), TCP, 80), Denied, Allowed},
		// A hostNetwork source matched by a podSelector: allowed by the
		// API text, denied when the plugin sees only the node IP.
		{"hostNetwork source selected", flow(P("infra", "agent"), P("x", "b"), TCP, 80), Allowed, Denied},
		// Same node as the destination: node traffic is always allowed.
		{"hostNetwork source on the destination's node", flow(P("infra", "agent-same-node"), P("x", "a"), TCP, 80), Denied, Allowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := check(t, e, tc.f, Undecided)
			if v.IfHostNetworkIgnored != tc.ignored || !hasCaveat(v.Caveats, CaveatHostNetwork) {
				t.Errorf("IfHostNetworkIgnored=%q caveats=%v", v.IfHostNetworkIgnored, v.Caveats)
			}
			// A side the readings decide differently is undecided too,
			// with both results; none claims a deny the other reading
			// contradicts.
			sides := v.Egress.Reason + "\n" + v.Ingress.Reason
			if v.Egress.Result == Denied || v.Ingress.Result == Denied || !strings.Contains(sides, strings.ToLower(string(tc.primary))+" under the NetworkPolicy API text") || !strings.Contains(sides, strings.ToLower(string(tc.ignored))+" if the network plugin treats hostNetwork pods as their node") {
				t.Errorf("sides: egress %s (%s), ingress %s (%s)", v.Egress.Result, v.Egress.Reason, v.Ingress.Result, v.Ingress.Reason)
			}
			for _, want := range []string{"under the NetworkPolicy API text", "the result is " + string(tc.primary), "it is " + string(tc.ignored)} {
				if !strings.Contains(v.Reason, want) {
					t.Errorf("reason lacks %q: %s", want, v.Reason)
				}
			}
		})
	}
	// Both readings agree: decided, with the caveat.
	v := check(t, e, flow(P("x", "hostnet"), P("y", "a"), TCP, 80), Allowed)
	if v.IfHostNetworkIgnored != Allowed || !hasCaveat(v.Caveats, CaveatHostNetwork) {
		t.Errorf("IfHostNetworkIgnored=%q caveats=%v", v.IfHostNetworkIgnored, v.Caveats)
	}
	// x/a is isolated and 192.168.0.8 is not its node: denied either way.
	v = check(t, e, flow(P("infra", "agent"), P("x", "a"), TCP, 80), Denied)
	if v.IfHostNetworkIgnored != Denied {
		t.Errorf("IfHostNetworkIgnored=%q, want Denied", v.IfHostNetworkIgnored)
	}
	// No hostNetwork pod: no alternative.
	v = check(t, e, flow(P("y", "a"), P("x", "c"), TCP, 80), Allowed)
	if v.IfHostNetworkIgnored != "" {
		t.Errorf("IfHostNetworkIgnored=%q, want empty", v.IfHostNetworkIgnored)
	}
	// The matrix agrees with Evaluate on every cell.
	refs := e.Pods()
	m := e.Matrix(refs, TCP, intstr.FromInt32(80))
	for si, src := range refs {
		for di, dst := range refs {
			f := flow(P(src.Namespace, src.Name), P(dst.Namespace, dst.Name), TCP, 80)
			if got, want := m.At(si, di), e.Evaluate(f).Result; got != want {
				t.Errorf("matrix %s -> %s = %s, Evaluate = %s", src, dst, got, want)
			}
		}
	}
}

func TestInvalidPoliciesAreIgnoredWithWarning(t *testing.T) {
	bad := []networkingv1.NetworkPolicy{
		mkNP("x", "bad-cidr", "", in(peers(ipPeer("10.0.0.0/33")))),
		mkNP("x", "named-endport", "", in(nil, pport("", name("http"), i32(90)))),
		mkNP("x", "endport-below", "", in(nil, pport("", num(90), i32(80)))),
		mkNP("x", "bad-proto", "", in(nil, pport("ICMP", num(1), nil))),
		mkNP("x", "empty-peer", "", in(peers(networkingv1.NetworkPolicyPeer{}))),
		mkNP("x", "ipblock-and-selector", "", in(peers(networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}, PodSelector: sel("")}))),
		mkNP("x", "bad-type", "", types("Sideways")),
	}
	e := New(xyzCluster(bad...))
	if got := len(e.Warnings()); got != len(bad) {
		t.Fatalf("got %d warnings, want %d: %v", got, len(bad), e.Warnings())
	}
	// None of them exists, so nothing is isolated.
	check(t, e, tcpTo(P("y", "a"), P("x", "a"), 80, Allowed).f, Allowed)
}

func TestFlowErrorsAreUndecided(t *testing.T) {
	e := New(xyzCluster())
	for _, f := range []Flow{
		flow(P("x", "nope"), P("x", "a"), TCP, 80),
		flow(P("x", "a"), P("x", "b"), "ICMP", 80),
		flow(P("x", "a"), P("x", "b"), TCP, 0),
		namedFlow(P("x", "a"), P("x", "b"), TCP, "nope"),
		namedFlow(P("x", "a"), IP("1.2.3.4"), TCP, "serve-80"),
		{Src: P("x", "a"), Protocol: TCP},
	} {
		if v := e.Evaluate(f); v.Result != Undecided || v.Reason == "" {
			t.Errorf("%+v: got %s (%s), want Undecided with a reason", f, v.Result, v.Reason)
		}
		if d := e.Decide(f); d != Undecided {
			t.Errorf("%+v: Decide=%s", f, d)
		}
	}
}

func TestImplicitNamespaceCaveat(t *testing.T) {
	e := New(Snapshot{Pods: []corev1.Pod{mkPod("ghost", "p", "app=x"), mkPod("ghost", "q", "app=y")}})
	if len(e.Warnings()) != 1 {
		t.Fatalf("warnings: %v", e.Warnings())
	}
	v := check(t, e, flow(P("ghost", "p"), P("ghost", "q"), TCP, 80), Allowed)
	if !hasCaveat(v.Caveats, CaveatImplicitNamespace) {
		t.Errorf("caveats: %v", v.Caveats)
	}
}
