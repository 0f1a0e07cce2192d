package policy

import (
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

// Builders that keep the table tests readable. Label and selector strings use
// kubectl syntax: "app=web,tier in (a,b)".

func lbls(s string) map[string]string {
	if s == "" {
		return nil
	}
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

func sel(s string) *metav1.LabelSelector {
	ls, err := metav1.ParseToLabelSelector(s)
	if err != nil {
		panic(err)
	}
	return ls
}

func mkNS(name, labels string) corev1.Namespace {
	return corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls(labels)}}
}

type podOpt func(*corev1.Pod)

// ip adds an address to status.podIPs; the first is also status.podIP. Two
// calls make a dual-stack pod.
func ip(s string) podOpt {
	return func(p *corev1.Pod) {
		if p.Status.PodIP == "" {
			p.Status.PodIP = s
		}
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: s})
	}
}

// addIP gives a pod of the snapshot one more address (dual-stack).
func addIP(s *Snapshot, ns, name, addr string) {
	for i := range s.Pods {
		if p := &s.Pods[i]; p.Namespace == ns && p.Name == name {
			ip(addr)(p)
			return
		}
	}
	panic("no pod " + ns + "/" + name)
}

func hostIP(s string) podOpt { return func(p *corev1.Pod) { p.Status.HostIP = s } }

func hostNet(node string) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.HostNetwork = true
		p.Status.HostIP = node
		p.Status.PodIP = node
	}
}

func cport(name string, n int32, proto corev1.Protocol) podOpt {
	return func(p *corev1.Pod) {
		if len(p.Spec.Containers) == 0 {
			p.Spec.Containers = []corev1.Container{{Name: "main"}}
		}
		p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, corev1.ContainerPort{Name: name, ContainerPort: n, Protocol: proto})
	}
}

func mkPod(ns, name, labels string, opts ...podOpt) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: lbls(labels)}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	for _, o := range opts {
		o(&p)
	}
	return p
}

type npOpt func(*networkingv1.NetworkPolicy)

func types(ts ...networkingv1.PolicyType) npOpt {
	return func(np *networkingv1.NetworkPolicy) { np.Spec.PolicyTypes = ts }
}

func in(from []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) npOpt {
	return func(np *networkingv1.NetworkPolicy) {
		np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: from, Ports: ports})
	}
}

func out(to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) npOpt {
	return func(np *networkingv1.NetworkPolicy) {
		np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: to, Ports: ports})
	}
}

func mkNP(ns, name, podSel string, opts ...npOpt) networkingv1.NetworkPolicy {
	np := networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: networkingv1.NetworkPolicySpec{PodSelector: *sel(podSel)}}
	for _, o := range opts {
		o(&np)
	}
	return np
}

func peers(p ...networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer { return p }

func podPeer(s string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: sel(s)}
}

func nsPeer(s string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: sel(s)}
}

func nsPodPeer(ns, pod string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: sel(ns), PodSelector: sel(pod)}
}

func ipPeer(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

func pport(proto corev1.Protocol, port *intstr.IntOrString, end *int32) networkingv1.NetworkPolicyPort {
	var pp *corev1.Protocol
	if proto != "" {
		pp = &proto
	}
	return networkingv1.NetworkPolicyPort{Protocol: pp, Port: port, EndPort: end}
}

func num(n int) *intstr.IntOrString     { v := intstr.FromInt32(int32(n)); return &v }
func name(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
func i32(n int32) *int32                { return &n }

func tcp(n int) networkingv1.NetworkPolicyPort { return pport("", num(n), nil) }
func udp(n int) networkingv1.NetworkPolicyPort { return pport(corev1.ProtocolUDP, num(n), nil) }

const (
	TCP  = corev1.ProtocolTCP
	UDP  = corev1.ProtocolUDP
	SCTP = corev1.ProtocolSCTP
)

// Admin builders.

func anpNS(s string) anp.AdminNetworkPolicySubject {
	return anp.AdminNetworkPolicySubject{Namespaces: sel(s)}
}

func anpPodsSubject(ns, pod string) anp.AdminNetworkPolicySubject {
	return anp.AdminNetworkPolicySubject{Pods: &anp.NamespacedPod{NamespaceSelector: *sel(ns), PodSelector: *sel(pod)}}
}

func mkANP(name string, prio int32, subject anp.AdminNetworkPolicySubject, ingress []anp.AdminNetworkPolicyIngressRule, egress []anp.AdminNetworkPolicyEgressRule) anp.AdminNetworkPolicy {
	return anp.AdminNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: anp.AdminNetworkPolicySpec{Priority: prio, Subject: subject, Ingress: ingress, Egress: egress}}
}

func anpIn(action anp.AdminNetworkPolicyRuleAction, from []anp.AdminNetworkPolicyIngressPeer, ports ...anp.AdminNetworkPolicyPort) anp.AdminNetworkPolicyIngressRule {
	r := anp.AdminNetworkPolicyIngressRule{Action: action, From: from}
	if len(ports) > 0 {
		r.Ports = &ports
	}
	return r
}

func anpOut(action anp.AdminNetworkPolicyRuleAction, to []anp.AdminNetworkPolicyEgressPeer, ports ...anp.AdminNetworkPolicyPort) anp.AdminNetworkPolicyEgressRule {
	r := anp.AdminNetworkPolicyEgressRule{Action: action, To: to}
	if len(ports) > 0 {
		r.Ports = &ports
	}
	return r
}

func fromNS(s string) []anp.AdminNetworkPolicyIngressPeer {
	return []anp.AdminNetworkPolicyIngressPeer{{Namespaces: sel(s)}}
}

func fromPods(ns, pod string) []anp.AdminNetworkPolicyIngressPeer {
	return []anp.AdminNetworkPolicyIngressPeer{{Pods: &anp.NamespacedPod{NamespaceSelector: *sel(ns), PodSelector: *sel(pod)}}}
}

func anpTCP(n int32) anp.AdminNetworkPolicyPort {
	return anp.AdminNetworkPolicyPort{PortNumber: &anp.Port{Protocol: TCP, Port: n}}
}

func mkBANP(subject anp.AdminNetworkPolicySubject, ingress []anp.BaselineAdminNetworkPolicyIngressRule, egress []anp.BaselineAdminNetworkPolicyEgressRule) *anp.BaselineAdminNetworkPolicy {
	return &anp.BaselineAdminNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: anp.BaselineAdminNetworkPolicySpec{Subject: subject, Ingress: ingress, Egress: egress}}
}

// Flow builders.

func P(ns, name string) Endpoint { return PodEndpoint(ns, name) }

func IP(s string) Endpoint { return IPEndpoint(netip.MustParseAddr(s)) }

func flow(src, dst Endpoint, proto corev1.Protocol, port int) Flow {
	return Flow{Src: src, Dst: dst, Protocol: proto, Port: intstr.FromInt32(int32(port))}
}

func namedFlow(src, dst Endpoint, proto corev1.Protocol, port string) Flow {
	return Flow{Src: src, Dst: dst, Protocol: proto, Port: intstr.FromString(port)}
}

// check evaluates a flow, requires the fast path to agree with the full one,
// and returns the verdict.
func check(t *testing.T, e *Engine, f Flow, want Result) Verdict {
	t.Helper()
	v := e.Evaluate(f)
	if v.Result != want {
		t.Errorf("%s -> %s %s/%s: got %s, want %s\n  reason: %s", f.Src, f.Dst, f.Protocol, f.Port.String(), v.Result, want, v.Reason)
	}
	if d := e.Decide(f); d != v.Result {
		t.Errorf("%s -> %s: Decide=%s but Evaluate=%s", f.Src, f.Dst, d, v.Result)
	}
	if v.Allowed != (v.Result == Allowed) {
		t.Errorf("Allowed=%v inconsistent with Result=%s", v.Allowed, v.Result)
	}
	return v
}

func hasCaveat(cs []Caveat, code string) bool {
	for _, c := range cs {
		if c.Code == code {
			return true
		}
	}
	return false
}

func allCaveats(v Verdict) []Caveat {
	out := append([]Caveat{}, v.Caveats...)
	out = append(out, v.Egress.Caveats...)
	return append(out, v.Ingress.Caveats...)
}
