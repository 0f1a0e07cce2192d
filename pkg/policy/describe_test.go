package policy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

func TestDescribe(t *testing.T) {
	s := shopCluster()
	s.NetworkPolicies = append(s.NetworkPolicies,
		mkNP("shop", "api-egress", "app=api", types(networkingv1.PolicyTypeEgress),
			out(peers(nsPodPeer("team=ops", ""), ipPeer("10.0.0.0/8", "10.9.0.0/16")), pport(UDP, nil, nil), pport("", num(8000), i32(8100))),
			out(nil, pport("", name("dns"), nil))),
	)
	s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
		mkANP("guard", 10, anpNS("team=shop"), []anp.AdminNetworkPolicyIngressRule{{Name: "no-ops", Action: deny, From: fromNS("team=ops")}}, nil),
	}
	e := New(s)
	d, err := e.Describe(PodRef{Namespace: "shop", Name: "api"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Ingress.Isolated || !d.Egress.Isolated || len(d.Ports) != 1 || d.Ports[0].Name != "http" {
		t.Fatalf("description: %+v", d)
	}
	var ingress, egress []string
	for _, p := range d.Ingress.Policies {
		for _, r := range p.Rules {
			ingress = append(ingress, p.Policy.String()+" "+r.Text)
		}
	}
	for _, p := range d.Egress.Policies {
		for _, r := range p.Rules {
			egress = append(egress, p.Policy.String()+" "+r.Text)
		}
	}
	assertLines(t, ingress, []string{
		"shop/allow-frontend rule 1: allows from pods app=frontend in namespace shop on TCP 8080",
		"shop/allow-monitoring rule 1: allows from all pods in namespaces team=monitoring on TCP 80",
	})
	assertLines(t, egress, []string{
		"shop/api-egress rule 1: allows to all pods in namespaces team=ops or IPs in 10.0.0.0/8 except 10.9.0.0/16 on all UDP ports, TCP 8000-8100",
		`shop/api-egress rule 2: allows to anywhere on TCP port named "dns" (resolved on each destination pod)`,
	})
	if len(d.Ingress.Admin) != 1 || d.Ingress.Admin[0].Rules[0].Text != `rule 1 "no-ops": Deny from pods in namespaces team=ops on all ports` {
		t.Errorf("admin: %+v", d.Ingress.Admin)
	}
	if len(d.Egress.Admin) != 0 {
		t.Errorf("no egress admin rules expected: %+v", d.Egress.Admin)
	}

	d, _ = e.Describe(PodRef{Namespace: "ops", Name: "prometheus"})
	if d.Ingress.Isolated || d.Egress.Isolated || len(d.Ingress.Policies) != 0 {
		t.Errorf("prometheus should not be isolated: %+v", d)
	}
	if _, err := e.Describe(PodRef{Namespace: "ops", Name: "nope"}); err == nil {
		t.Error("want an error for a missing pod")
	}
}

func TestScanChecks(t *testing.T) {
	s := shopCluster()
	s.NetworkPolicies = append(s.NetworkPolicies,
		mkNP("shop", "orphan", "app=gone"),
		mkNP("shop", "peers", "app=api",
			in(peers(podPeer("app=frontend"), podPeer("app=gone"), nsPeer("team=nobody"), nsPodPeer("team=ops", "app=gone"), ipPeer("10.0.0.0/8")))),
	)
	s.AdminNetworkPolicies = []anp.AdminNetworkPolicy{
		mkANP("no-subject", 10, anpNS("team=nobody"), []anp.AdminNetworkPolicyIngressRule{anpIn(deny, fromNS("team=nobody"))}, nil),
	}
	e := New(s)
	var got []string
	for _, f := range e.PoliciesSelectingNoPods() {
		got = append(got, f.Code+": "+f.Message)
	}
	// allow-monitoring's only peer matches nothing either, but it selects api.
	assertLines(t, got, []string{
		"PolicySelectsNoPods: shop/orphan: podSelector app=gone selects no pod in namespace shop",
		"PolicySelectsNoPods: AdminNetworkPolicy no-subject: subject (pods in namespaces team=nobody) selects no pod (hostNetwork pods are never subjects)",
	})
	got = nil
	for _, f := range e.PeersMatchingNothing() {
		got = append(got, f.Message)
	}
	assertLines(t, got, []string{
		"shop/allow-monitoring Ingress rule 1 peer 1 (all pods in namespaces team=monitoring) matches nothing: namespaceSelector team=monitoring matches no namespace",
		"shop/peers Ingress rule 1 peer 2 (pods app=gone in namespace shop) matches no pod",
		"shop/peers Ingress rule 1 peer 3 (all pods in namespaces team=nobody) matches nothing: namespaceSelector team=nobody matches no namespace",
		"shop/peers Ingress rule 1 peer 4 (pods app=gone in namespaces team=ops) matches no pod",
		"AdminNetworkPolicy no-subject Ingress rule 1 peer 1 (pods in namespaces team=nobody) matches no namespace",
	})
	f := e.PeersMatchingNothing()[1]
	if f.Rule != 0 || f.Peer != 1 || f.Direction != Ingress || f.Policy.Name != "peers" {
		t.Errorf("structured fields: %+v", f)
	}
}

func TestFormatSelector(t *testing.T) {
	cases := []struct {
		in   *metav1.LabelSelector
		want string
	}{
		{nil, "<none>"},
		{&metav1.LabelSelector{}, "<all>"},
		{sel("app=web,tier in (b,a)"), "app=web,tier in (a,b)"},
		{&metav1.LabelSelector{
			MatchLabels: map[string]string{"z": "1", "a": "2"},
			MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "env", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"prod"}},
				{Key: "x", Operator: metav1.LabelSelectorOpExists},
				{Key: "legacy", Operator: metav1.LabelSelectorOpDoesNotExist},
			},
		}, "a=2,z=1,env notin (prod),x,!legacy"},
	}
	for _, c := range cases {
		if got := FormatSelector(c.in); got != c.want {
			t.Errorf("FormatSelector(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPortsOf(t *testing.T) {
	p := mkPod("a", "b", "", cport("http", 80, ""), cport("", 9000, UDP))
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Ports: []corev1.ContainerPort{{Name: "x", ContainerPort: 1}}}}
	got := PortsOf(&p)
	want := []ContainerPort{{Container: "main", Name: "http", Number: 80, Protocol: TCP}, {Container: "main", Number: 9000, Protocol: UDP}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("PortsOf = %+v, want %+v", got, want)
	}
}
