package policy

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

// Tests of the facts a snapshot may not hold: which address family a flow
// uses, a pod's future IP, how the plugin treats hostNetwork pods (in
// netpol_test.go), and the labels of an undeclared namespace. Expectations
// come from the specifications: an ipBlock is a set of addresses of one
// family (NetworkPolicyPeer.ipBlock; a pod has at most one address per
// family, status.podIPs), and a namespaceSelector reads the namespace's
// labels, of which the API server guarantees only kubernetes.io/metadata.name.

type unknownCase struct {
	name string
	snap Snapshot
	// flows and their results; a non-empty why must appear in the reason.
	flows []unknownFlow
}

type unknownFlow struct {
	f    Flow
	want Result
	why  string
}

func runUnknownCases(t *testing.T, cases []unknownCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := New(tc.snap)
			for _, fw := range tc.flows {
				v := check(t, e, fw.f, fw.want)
				if fw.why != "" && !strings.Contains(v.Reason, fw.why) {
					t.Errorf("%s -> %s: reason lacks %q:\n  %s", fw.f.Src, fw.f.Dst, fw.why, v.Reason)
				}
			}
		})
	}
}

// dualCluster: namespaces x and y. x/server and y/dual have an IPv4 and an
// IPv6 address, y/v4 and y/v6 one of them, x/v6server only IPv6.
func dualCluster(nps ...networkingv1.NetworkPolicy) Snapshot {
	return Snapshot{
		Namespaces: []corev1.Namespace{mkNS("x", "ns=x"), mkNS("y", "ns=y")},
		Pods: []corev1.Pod{
			mkPod("x", "server", "app=server", ip("10.0.1.1"), ip("fd00::1:1")),
			mkPod("x", "both", "app=both", ip("10.0.1.2"), ip("fd00::1:2")),
			mkPod("x", "v6server", "app=v6server", ip("fd00::1:3")),
			mkPod("y", "dual", "app=client", ip("10.0.2.1"), ip("fd00::2:1")),
			mkPod("y", "v4", "app=client", ip("10.0.2.2")),
			mkPod("y", "v6", "app=client", ip("fd00::2:2")),
		},
		NetworkPolicies:    nps,
		NamespacesComplete: true,
	}
}

func TestDualStackFlowsAreJudgedPerFamily(t *testing.T) {
	dual, v4, v6 := P("y", "dual"), P("y", "v4"), P("y", "v6")
	server, both, v6server := P("x", "server"), P("x", "both"), P("x", "v6server")
	fromV4Range := mkNP("x", "from-v4-range", "app=server", in(peers(ipPeer("10.0.2.0/24"))))
	fromBothRanges := mkNP("x", "from-both-ranges", "app=both", in(peers(ipPeer("10.0.2.0/24"), ipPeer("fd00::2:0/112"))))
	toV6Range := mkNP("y", "to-v6-range", "app=client", types(networkingv1.PolicyTypeEgress), out(peers(ipPeer("fd00::1:0/112"))))
	denyV4Net := mkANP("deny-v4-net", 1, anpNS("ns=y"), nil, []anp.AdminNetworkPolicyEgressRule{anpOut(deny, toNets("10.0.1.0/24"))})
	withANP := dualCluster()
	withANP.AdminNetworkPolicies = []anp.AdminNetworkPolicy{denyV4Net}

	runUnknownCases(t, []unknownCase{
		{
			name: "ipBlock of one family, dual-stack client: the family decides",
			snap: dualCluster(fromV4Range),
			flows: []unknownFlow{
				// IPv4: 10.0.2.1 is in the block; IPv6: fd00::2:1 is not.
				{flow(dual, server, TCP, 80), Undecided, "over IPv4 it is Allowed"},
				{flow(dual, server, TCP, 80), Undecided, "over IPv6 it is Denied"},
				{flow(v4, server, TCP, 80), Allowed, ""},
				{flow(v6, server, TCP, 80), Denied, "ipBlock 10.0.2.0/24 does not contain fd00::2:2"},
				// An IP names the family: a dual-stack pod's IPv6
				// address must not match through its IPv4 one.
				{flow(IP("fd00::2:1"), server, TCP, 80), Denied, ""},
				{flow(IP("10.0.2.1"), server, TCP, 80), Allowed, ""},
				{flow(IP("10.0.2.77"), server, TCP, 80), Allowed, ""},
				{flow(IP("fd00::2:77"), server, TCP, 80), Denied, ""},
			},
		},
		{
			name: "a block of each family: allowed over both",
			snap: dualCluster(fromBothRanges),
			flows: []unknownFlow{
				{flow(dual, both, TCP, 80), Allowed, "over IPv4"},
				{flow(v4, both, TCP, 80), Allowed, ""},
				{flow(v6, both, TCP, 80), Allowed, ""},
			},
		},
		{
			name: "egress ipBlock against the destination's address of the family",
			snap: dualCluster(toV6Range),
			flows: []unknownFlow{
				{flow(dual, server, TCP, 80), Undecided, "over IPv4 it is Denied"},
				{flow(v6, server, TCP, 80), Allowed, ""},
				{flow(v4, server, TCP, 80), Denied, ""},
				{flow(dual, IP("10.0.1.1"), TCP, 80), Denied, ""},
				{flow(dual, IP("fd00::1:1"), TCP, 80), Allowed, ""},
			},
		},
		{
			name: "AdminNetworkPolicy networks against the destination's address of the family",
			snap: withANP,
			flows: []unknownFlow{
				{flow(v6, server, TCP, 80), Allowed, ""},
				{flow(v4, server, TCP, 80), Denied, ""},
				{flow(dual, server, TCP, 80), Undecided, "over IPv6 it is Allowed"},
				{flow(dual, IP("fd00::1:1"), TCP, 80), Allowed, ""},
			},
		},
		{
			name: "endpoints that share no family",
			snap: dualCluster(),
			flows: []unknownFlow{
				{flow(v4, v6server, TCP, 80), Undecided, "share no address family (pod y/v4 is IPv4 only, pod x/v6server is IPv6 only)"},
				{flow(v6server, IP("10.0.2.2"), TCP, 80), Undecided, "share no address family"},
				{flow(v6, v6server, TCP, 80), Allowed, ""},
			},
		},
	})
}

func TestPodWithoutIPAgainstIPBlock(t *testing.T) {
	noIP := func(nps ...networkingv1.NetworkPolicy) Snapshot {
		s := xyzCluster(nps...)
		s.NamespacesComplete = true
		s.Pods = append(s.Pods, mkPod("y", "no-ip", "pod=n"), mkPod("z", "no-ip", "pod=n"))
		return s
	}
	yn, zn, xa := P("y", "no-ip"), P("z", "no-ip"), P("x", "a")
	denyEgressY := mkNP("y", "deny-egress", "", types(networkingv1.PolicyTypeEgress))
	anpSnap := func(cidr string) Snapshot {
		s := noIP()
		s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{mkANP("deny-net", 1, anpNS("ns=x"), nil, []anp.AdminNetworkPolicyEgressRule{anpOut(deny, toNets(cidr))})}
		return s
	}
	runUnknownCases(t, []unknownCase{
		{
			name: "a block that may hold the future IP: undecided",
			snap: noIP(mkNP("x", "from-10", "pod=a", in(peers(ipPeer("10.0.0.0/8", "10.0.1.0/24"))))),
			flows: []unknownFlow{
				{flow(yn, xa, TCP, 80), Undecided, "pod y/no-ip has no IP yet"},
				{flow(P("y", "a"), xa, TCP, 80), Allowed, ""},
			},
		},
		{
			name: "every IPv4 address: the future one too",
			snap: noIP(mkNP("x", "from-all-v4", "pod=a", in(peers(ipPeer("0.0.0.0/0"))))),
			flows: []unknownFlow{
				// x/a is IPv4 only, so is the flow.
				{flow(yn, xa, TCP, 80), Allowed, "0.0.0.0/0"},
			},
		},
		{
			name: "a block of the other family cannot hold it",
			snap: noIP(mkNP("x", "from-v6", "pod=a", in(peers(ipPeer("fd00::/64"))))),
			flows: []unknownFlow{
				{flow(yn, xa, TCP, 80), Denied, "cannot contain the IPv4 address of pod y/no-ip"},
			},
		},
		{
			name:  "another rule allows: the unknown does not matter",
			snap:  noIP(mkNP("x", "two-rules", "pod=a", in(peers(ipPeer("10.0.0.0/8"))), in(peers(nsPodPeer("ns=y", "pod=n"))))),
			flows: []unknownFlow{{flow(yn, xa, TCP, 80), Allowed, "rule 2 of x/two-rules"}},
		},
		{
			name:  "the other side denies: the unknown does not matter",
			snap:  noIP(mkNP("x", "from-10", "pod=a", in(peers(ipPeer("10.0.0.0/8")))), denyEgressY),
			flows: []unknownFlow{{flow(yn, xa, TCP, 80), Denied, "egress of pod y/no-ip"}},
		},
		{
			name: "egress to a pod without IP, and two pods without IP",
			snap: noIP(mkNP("y", "to-10", "pod=n", types(networkingv1.PolicyTypeEgress), out(peers(ipPeer("10.0.0.0/8"))))),
			flows: []unknownFlow{
				{flow(yn, zn, TCP, 80), Undecided, "pod z/no-ip has no IP yet"},
				{flow(yn, xa, TCP, 80), Allowed, ""},
				{flow(yn, P("x", "b"), TCP, 80), Allowed, ""},
				{flow(yn, IP("192.168.7.7"), TCP, 80), Denied, ""},
			},
		},
		{
			name:  "AdminNetworkPolicy networks: the same rules",
			snap:  anpSnap("10.0.0.0/8"),
			flows: []unknownFlow{{flow(xa, yn, TCP, 80), Undecided, "networks 10.0.0.0/8"}},
		},
		{
			name:  "AdminNetworkPolicy networks of the whole family",
			snap:  anpSnap("0.0.0.0/0"),
			flows: []unknownFlow{{flow(xa, yn, TCP, 80), Denied, ""}},
		},
		{
			name:  "AdminNetworkPolicy networks of the other family",
			snap:  anpSnap("fd00::/8"),
			flows: []unknownFlow{{flow(xa, yn, TCP, 80), Allowed, ""}},
		},
	})

	// The side says which rule might allow, and why it cannot tell.
	e := New(noIP(mkNP("x", "from-10", "pod=a", in(peers(ipPeer("10.0.0.0/8"))))))
	v := check(t, e, flow(yn, xa, TCP, 80), Undecided)
	if len(v.Ingress.Uncertain) != 1 || v.Ingress.Uncertain[0].Rule != 0 || v.Ingress.Uncertain[0].Peer != 0 {
		t.Fatalf("uncertain: %+v", v.Ingress.Uncertain)
	}
	want := "rule 1 of x/from-10 may allow from IPs in 10.0.0.0/8 on all ports: pod y/no-ip has no IP yet (its IPv4 address is not in the snapshot), and ipBlock 10.0.0.0/8 may or may not contain it"
	if got := v.Ingress.Uncertain[0].Reason; got != want {
		t.Errorf("uncertain reason:\n got %q\nwant %q", got, want)
	}
	if !strings.Contains(v.Ingress.Reason, "cannot decide: "+want) {
		t.Errorf("side reason: %s", v.Ingress.Reason)
	}
}

// ghostCluster: pod ghost/p lives in a namespace the snapshot does not
// declare; x/a is the destination.
func ghostCluster(complete bool, nps ...networkingv1.NetworkPolicy) Snapshot {
	return Snapshot{
		Namespaces: []corev1.Namespace{mkNS("x", "ns=x")},
		Pods: []corev1.Pod{
			mkPod("x", "a", "pod=a", ip("10.0.1.1")),
			mkPod("ghost", "p", "pod=p", ip("10.0.9.1")),
		},
		NetworkPolicies:    nps,
		NamespacesComplete: complete,
	}
}

func TestUndeclaredNamespaces(t *testing.T) {
	gp, xa := P("ghost", "p"), P("x", "a")
	from := func(nsSel string) networkingv1.NetworkPolicy {
		return mkNP("x", "from-ns", "pod=a", in(peers(nsPeer(nsSel))))
	}
	contradiction := mkNP("x", "contradiction", "pod=a", in(peers(networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "team", Operator: metav1.LabelSelectorOpIn, Values: []string{"a"}},
			{Key: "team", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"a"}},
		},
	}})))
	admin := func(complete bool) Snapshot {
		s := ghostCluster(complete)
		s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
			mkANP("team-a-in", 1, anpNS("team=a"), []anp.AdminNetworkPolicyIngressRule{anpIn(deny, fromNS(""))}, nil),
			mkANP("from-team-a", 2, anpNS("ns=x"), []anp.AdminNetworkPolicyIngressRule{anpIn(deny, fromNS("team=a"))}, nil),
		}
		return s
	}
	runUnknownCases(t, []unknownCase{
		{
			name: "manifests: a selector on another label cannot be decided",
			snap: ghostCluster(false, from("team=a")),
			flows: []unknownFlow{
				{flow(gp, xa, TCP, 80), Undecided, "namespace ghost is not in the snapshot, so only its label kubernetes.io/metadata.name=ghost is known"},
			},
		},
		{
			name:  "manifests: the name label is known",
			snap:  ghostCluster(false, from("kubernetes.io/metadata.name=ghost")),
			flows: []unknownFlow{{flow(gp, xa, TCP, 80), Allowed, ""}},
		},
		{
			name:  "manifests: another name never matches, whatever the other labels",
			snap:  ghostCluster(false, from("kubernetes.io/metadata.name=other,team=a")),
			flows: []unknownFlow{{flow(gp, xa, TCP, 80), Denied, ""}},
		},
		{
			name:  "manifests: requirements no labels can meet",
			snap:  ghostCluster(false, contradiction),
			flows: []unknownFlow{{flow(gp, xa, TCP, 80), Denied, ""}},
		},
		{
			name:  "manifests: an empty selector matches every namespace",
			snap:  ghostCluster(false, from("")),
			flows: []unknownFlow{{flow(gp, xa, TCP, 80), Allowed, ""}},
		},
		{
			name:  "cluster: an absent namespace has only the name label",
			snap:  ghostCluster(true, from("team=a")),
			flows: []unknownFlow{{flow(gp, xa, TCP, 80), Denied, "does not match namespace ghost labels kubernetes.io/metadata.name=ghost"}},
		},
		{
			name: "manifests: admin subject and peer on another label",
			snap: admin(false),
			flows: []unknownFlow{
				{flow(xa, gp, TCP, 80), Undecided, "may or may not select the pod"},
				{flow(gp, xa, TCP, 80), Undecided, "namespace selector may or may not match it"},
			},
		},
		{
			name:  "cluster: admin subject and peer decided",
			snap:  admin(true),
			flows: []unknownFlow{{flow(xa, gp, TCP, 80), Allowed, ""}, {flow(gp, xa, TCP, 80), Allowed, ""}},
		},
	})

	// An undeclared namespace in manifests: a peer that may match its pods
	// is not reported as matching nothing; in a cluster snapshot it is.
	for _, complete := range []bool{false, true} {
		e := New(ghostCluster(complete, from("team=a")))
		if got := len(e.PeersMatchingNothing()); got != map[bool]int{false: 0, true: 1}[complete] {
			t.Errorf("complete=%t: %d peers matching nothing: %v", complete, got, e.PeersMatchingNothing())
		}
	}
}

// A namespace always carries kubernetes.io/metadata.name: a miss never
// says "labels <none>", and shows that label when it is the fix (a
// selector on "name" instead of kubernetes.io/metadata.name).
func TestNamespaceMissShowsTheNameLabel(t *testing.T) {
	s := xyzCluster(mkNP("x", "from-kube-system", "pod=a", in(peers(nsPeer("name=kube-system")))))
	s.Namespaces = append(s.Namespaces, mkNS("kube-system", ""), mkNS("labelled", "team=ops"))
	s.Pods = append(s.Pods, mkPod("kube-system", "dns", "k8s-app=kube-dns", ip("10.0.9.9")), mkPod("labelled", "p", "", ip("10.0.9.10")))
	e := New(s)
	for _, tc := range []struct {
		src  Endpoint
		want string
	}{
		{P("kube-system", "dns"), "rule 1 of x/from-kube-system: namespaceSelector name=kube-system does not match namespace kube-system labels kubernetes.io/metadata.name=kube-system" +
			" (to select namespace kube-system by its name, use kubernetes.io/metadata.name: kube-system, which every namespace carries, instead of name: kube-system)"},
		{P("y", "a"), "rule 1 of x/from-kube-system: namespaceSelector name=kube-system does not match namespace y labels ns=y"},
		{P("labelled", "p"), "rule 1 of x/from-kube-system: namespaceSelector name=kube-system does not match namespace labelled labels team=ops"},
	} {
		v := check(t, e, flow(tc.src, P("x", "a"), TCP, 80), Denied)
		assertLines(t, missReasons(v.Ingress.Misses), []string{tc.want})
	}
}

// The kubernetes.io/metadata.name fix is suggested only when the selector
// asks for the namespace's name under a key the namespace lacks with that
// value, and does not already read kubernetes.io/metadata.name.
func TestNamespaceNameLabelFix(t *testing.T) {
	fix := " (to select namespace kube-system by its name, use"
	for _, tc := range []struct {
		name, selector, nsLabels string
		fix                      bool
	}{
		{"name: kube-system", "name=kube-system", "", true},
		{"name in (kube-system, monitoring)", "name in (kube-system,monitoring)", "", true},
		{"the namespace has name=kube-system: another requirement misses", "name=kube-system,team=ops", "name=kube-system", false},
		{"already on kubernetes.io/metadata.name", "kubernetes.io/metadata.name=kube-system,team=ops", "", false},
		{"another value", "name=monitoring", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := xyzCluster(mkNP("x", "np", "pod=a", in(peers(nsPeer(tc.selector)))))
			s.Namespaces = append(s.Namespaces, mkNS("kube-system", tc.nsLabels))
			s.Pods = append(s.Pods, mkPod("kube-system", "dns", "k8s-app=kube-dns", ip("10.0.9.9")))
			v := check(t, New(s), flow(P("kube-system", "dns"), P("x", "a"), TCP, 80), Denied)
			reasons := missReasons(v.Ingress.Misses)
			if len(reasons) != 1 || !strings.Contains(reasons[0], "does not match namespace kube-system labels ") {
				t.Fatalf("misses: %q", reasons)
			}
			if got := strings.Contains(reasons[0], fix); got != tc.fix {
				t.Errorf("fix suggested %t, want %t: %q", got, tc.fix, reasons[0])
			}
			if strings.Contains(reasons[0], "<none>") {
				t.Errorf("labels <none>: %q", reasons[0])
			}
		})
	}
}
