package policy

import (
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// benchCluster generates, from a fixed seed, nPods pods spread over nNS
// namespaces and nPolicies NetworkPolicies of the usual shapes: default
// deny, allow from the same app, allow from labelled namespaces, combined
// namespace+pod peers, egress to DNS and to CIDRs, port ranges and named
// ports.
func benchCluster(nNS, nPods, nPolicies int) Snapshot {
	r := rand.New(rand.NewPCG(42, 1))
	var s Snapshot
	for i := 0; i < nNS; i++ {
		s.Namespaces = append(s.Namespaces, mkNS(fmt.Sprintf("ns%02d", i), fmt.Sprintf("team=t%d,env=%s", i%5, []string{"prod", "dev"}[i%2])))
	}
	for i := 0; i < nPods; i++ {
		ns := fmt.Sprintf("ns%02d", i%nNS)
		p := mkPod(ns, fmt.Sprintf("pod%04d", i), fmt.Sprintf("app=app%d,tier=%s", r.IntN(10), []string{"web", "db", "cache"}[r.IntN(3)]),
			ip(fmt.Sprintf("10.%d.%d.%d", i/65536, (i/256)%256, i%256)), hostIP(fmt.Sprintf("192.168.0.%d", r.IntN(20))),
			cport("http", 8080, TCP), cport("metrics", 9090, TCP))
		s.Pods = append(s.Pods, p)
	}
	for i := 0; i < nPolicies; i++ {
		ns := fmt.Sprintf("ns%02d", r.IntN(nNS))
		app := fmt.Sprintf("app=app%d", r.IntN(10))
		var np networkingv1.NetworkPolicy
		switch r.IntN(7) {
		case 0:
			np = mkNP(ns, "", "", types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress))
		case 1:
			np = mkNP(ns, "", app, in(peers(podPeer(app)), tcp(8080)))
		case 2:
			np = mkNP(ns, "", app, in(peers(nsPeer(fmt.Sprintf("team=t%d", r.IntN(5)))), pport("", name("http"), nil)))
		case 3:
			np = mkNP(ns, "", "tier=db", in(peers(nsPodPeer("env=prod", "tier=web"), podPeer("tier in (web,cache)")), pport("", num(8000), i32(8100)), tcp(8080)))
		case 4:
			np = mkNP(ns, "", "", types(networkingv1.PolicyTypeEgress),
				out(peers(nsPodPeer("kubernetes.io/metadata.name=kube-system", "k8s-app=kube-dns")), udp(53), tcp(53)),
				out(peers(podPeer("")), tcp(8080)))
		case 5:
			np = mkNP(ns, "", app, types(networkingv1.PolicyTypeEgress), out(peers(ipPeer("10.0.0.0/16", "10.0.1.0/24"), nsPeer("env=dev"))))
		default:
			np = mkNP(ns, "", app, in(peers(nsPodPeer("", "tier notin (cache)")), tcp(8080), tcp(9090)))
		}
		np.Name = fmt.Sprintf("np%03d", i)
		s.NetworkPolicies = append(s.NetworkPolicies, np)
	}
	return s
}

// BenchmarkMatrix1000Pods200Policies decides the full 1,000 x 1,000 matrix
// (one port) with a prebuilt engine; one op is one matrix.
func BenchmarkMatrix1000Pods200Policies(b *testing.B) {
	s := benchCluster(20, 1000, 200)
	e := New(s)
	if len(e.Warnings()) != 0 {
		b.Fatal(e.Warnings())
	}
	pods := e.Pods()
	var allowed int
	for b.Loop() {
		m := e.Matrix(pods, corev1.ProtocolTCP, intstr.FromInt32(8080))
		allowed = 0
		for i := range pods {
			for j := range pods {
				if m.At(i, j) == Allowed {
					allowed++
				}
			}
		}
	}
	b.ReportMetric(float64(allowed)/float64(len(pods)*len(pods)), "allowed-ratio")
}

// mixedCluster is benchCluster with a fifth of the policies replaced by
// admin policies of every kind the engine judges: AdminNetworkPolicies, a
// BaselineAdminNetworkPolicy and ClusterNetworkPolicies of both tiers, with
// Accept/Allow, Deny and Pass rules on namespace, pod, network and port
// peers; and a tenth by Cilium policies (allow, deny, entities, CIDRs,
// ports). Each admin kind selects its own namespaces, so no pod sees both
// API generations (that case is benchmarked by its own test cost, not
// here).
func mixedCluster(nNS, nPods, nPolicies int) Snapshot {
	nAdmin, nCilium := nPolicies/5, nPolicies/10
	s := benchCluster(nNS, nPods, nPolicies-nAdmin-nCilium)
	r := rand.New(rand.NewPCG(7, 3))
	team := func() string { return fmt.Sprintf("team=t%d", r.IntN(5)) }
	for i := 0; i < nAdmin; i++ {
		prio := int32(r.IntN(1000))
		switch i % 3 {
		case 0: // ANP on prod namespaces
			subj := anpNS("env=prod," + team())
			s.AdminNetworkPolicies = append(s.AdminNetworkPolicies, mkANP(fmt.Sprintf("anp%03d", i), prio, subj,
				[]anp.AdminNetworkPolicyIngressRule{anpIn(pass, fromNS(team())), anpIn(deny, fromNS("env=dev"), anpTCP(8080))},
				[]anp.AdminNetworkPolicyEgressRule{anpOut(allow, toNets("10.0.0.0/22")), anpOut(deny, toNS(team()))}))
		default: // CNP on dev namespaces, both tiers
			tier := []cnp.Tier{cnp.AdminTier, cnp.BaselineTier}[r.IntN(2)]
			c := mkCNP(fmt.Sprintf("cnp%03d", i), tier, prio, "env=dev,"+team(),
				[]cnp.ClusterNetworkPolicyIngressRule{cnpInPods(accept, team(), fmt.Sprintf("app=app%d", r.IntN(10))), cnpIn(cnpDeny, "env=prod", cnpTCP(8080), cnpUDPRange(5000, 6000))},
				[]cnp.ClusterNetworkPolicyEgressRule{cnpOut(cnpPass, cnp.ClusterNetworkPolicyEgressPeer{Namespaces: sel(team())}), cnpOut(cnpDeny, cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{"10.0.2.0/24"}})})
			s.ClusterNetworkPolicies = append(s.ClusterNetworkPolicies, c)
		}
	}
	s.BaselineAdminNetworkPolicy = mkBANP(anpNS("env=prod"), []anp.BaselineAdminNetworkPolicyIngressRule{banpIn("Deny", fromNS("env=dev"))}, nil)
	for i := 0; i < nCilium; i++ {
		app := fmt.Sprintf("app%d", r.IntN(10))
		rule := CiliumRule{EndpointSelector: sel("app=" + app),
			Ingress: []CiliumPeerRule{
				{FromEndpoints: []metav1.LabelSelector{*sel("tier=web")}, ToPorts: []CiliumPortRule{{Ports: []CiliumPort{{Port: "8080", Protocol: "TCP"}}}}},
				{FromEntities: []string{"cluster"}, ToPorts: []CiliumPortRule{{Ports: []CiliumPort{{Port: "9000", EndPort: 9100}}}}},
			},
			IngressDeny: []CiliumPeerRule{{FromEndpoints: []metav1.LabelSelector{*sel("io.cilium.k8s.namespace.labels.env=dev")}}},
			Egress:      []CiliumPeerRule{{ToCIDRSet: []CiliumCIDRRule{{CIDR: "10.0.0.0/8", Except: []string{"10.0.3.0/24"}}}}, {ToEndpoints: []metav1.LabelSelector{{}}}},
		}
		kind, ns := KindCiliumNetworkPolicy, fmt.Sprintf("ns%02d", r.IntN(nNS))
		if i%4 == 0 {
			kind, ns = KindCiliumClusterwideNetworkPolicy, ""
		}
		s.CiliumPolicies = append(s.CiliumPolicies, CiliumPolicy{Kind: kind, Namespace: ns, Name: fmt.Sprintf("cnp%03d", i), Rules: []CiliumRule{rule}})
	}
	return s
}

// BenchmarkMatrixMixedKinds decides the 1,000 x 1,000 matrix over 200
// policies of mixed kinds (140 NetworkPolicies, 40 admin policies of both
// generations and tiers, a baseline, 20 Cilium policies); one op is one
// matrix.
func BenchmarkMatrixMixedKinds(b *testing.B) {
	benchMatrix(b, mixedCluster(20, 1000, 200))
}

// benchMatrix decides the matrix of every pod of s on TCP 8080, reporting
// the shares of allowed and undecided cells; one op is one matrix.
func benchMatrix(b *testing.B, s Snapshot) {
	e := New(s)
	if len(e.Warnings()) != 0 {
		b.Fatal(e.Warnings())
	}
	pods := e.Pods()
	counts := map[Result]int{}
	for b.Loop() {
		m := e.Matrix(pods, corev1.ProtocolTCP, intstr.FromInt32(8080))
		clear(counts)
		for i := range pods {
			for j := range pods {
				counts[m.At(i, j)]++
			}
		}
	}
	b.ReportMetric(float64(counts[Allowed])/float64(len(pods)*len(pods)), "allowed-ratio")
	b.ReportMetric(float64(counts[Undecided])/float64(len(pods)*len(pods)), "undecided-ratio")
}

// BenchmarkNew1000Pods200Policies measures building the engine (indexing).
func BenchmarkNew1000Pods200Policies(b *testing.B) {
	s := benchCluster(20, 1000, 200)
	for b.Loop() {
		New(s)
	}
}

// BenchmarkEvaluateWithExplanation measures one fully explained flow.
func BenchmarkEvaluateWithExplanation(b *testing.B) {
	s := benchCluster(20, 1000, 200)
	e := New(s)
	pods := e.Pods()
	f := Flow{Src: PodEndpoint(pods[1].Namespace, pods[1].Name), Dst: PodEndpoint(pods[2].Namespace, pods[2].Name), Port: intstr.FromInt32(8080)}
	for b.Loop() {
		e.Evaluate(f)
	}
}

// TestMatrixAgreesWithEvaluate checks the fast path on the bench clusters.
func TestMatrixAgreesWithEvaluate(t *testing.T) {
	for _, s := range []Snapshot{benchCluster(4, 60, 40), mixedCluster(4, 60, 40)} {
		matrixAgreesWithEvaluate(t, s)
	}
}

func matrixAgreesWithEvaluate(t *testing.T, s Snapshot) {
	t.Helper()
	e := New(s)
	if len(e.Warnings()) != 0 {
		t.Fatal(e.Warnings())
	}
	pods := e.Pods()
	m := e.Matrix(pods, corev1.ProtocolTCP, intstr.FromString("http"))
	counts := map[Result]int{}
	for i, src := range pods {
		for j, dst := range pods {
			v := e.Evaluate(Flow{Src: PodEndpoint(src.Namespace, src.Name), Dst: PodEndpoint(dst.Namespace, dst.Name), Port: intstr.FromString("http")})
			if v.Result != m.At(i, j) {
				t.Fatalf("%s -> %s: matrix %s, evaluate %s", src, dst, m.At(i, j), v.Result)
			}
			counts[v.Result]++
		}
	}
	if counts[Allowed] == 0 || counts[Denied] == 0 {
		t.Errorf("degenerate matrix: %v", counts)
	}
}
