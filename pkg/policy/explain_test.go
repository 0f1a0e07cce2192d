package policy

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// shop: api (app=api, http=8080) isolated by two policies; frontend and
// webapp are candidate clients; ns "ops" hosts a prometheus.
func shopCluster() Snapshot {
	return Snapshot{
		Namespaces: []corev1.Namespace{mkNS("shop", "team=shop"), mkNS("ops", "team=ops")},
		Pods: []corev1.Pod{
			mkPod("shop", "api", "app=api", ip("10.1.0.1"), cport("http", 8080, TCP)),
			mkPod("shop", "frontend", "app=frontend", ip("10.1.0.2")),
			mkPod("shop", "webapp", "app=webapp", ip("10.1.0.3")),
			mkPod("ops", "prometheus", "app=prometheus", ip("10.2.0.1")),
		},
		NetworkPolicies: []networkingv1.NetworkPolicy{
			mkNP("shop", "allow-frontend", "app=api", in(peers(podPeer("app=frontend")), tcp(8080))),
			mkNP("shop", "allow-monitoring", "app=api", in(peers(nsPeer("team=monitoring")), tcp(80))),
		},
	}
}

func TestDenyExplainsClosestMissFirst(t *testing.T) {
	e := New(shopCluster())
	v := check(t, e, flow(P("shop", "frontend"), P("shop", "api"), TCP, 80), Denied)
	got := missReasons(v.Ingress.Misses)
	want := []string{
		"rule 1 of shop/allow-frontend allows TCP 8080, not TCP 80",
		"rule 1 of shop/allow-monitoring: namespaceSelector team=monitoring does not match namespace shop labels team=shop",
	}
	assertLines(t, got, want)
	m := v.Ingress.Misses[0]
	if !m.PeerMatched || m.PortMatched || m.Rule != 0 || m.Peer != 0 || m.Port != 0 || m.Closeness != 1 {
		t.Errorf("first miss fields: %+v", m)
	}
	if v.Ingress.DecidedBy != LayerNetworkPolicy || !v.Ingress.Isolated || len(v.Ingress.SelectingPolicies) != 2 {
		t.Errorf("side: %+v", v.Ingress)
	}
	wantReason := "denied: pod shop/frontend -> pod shop/api on TCP 80: ingress of pod shop/api: isolated by shop/allow-frontend, shop/allow-monitoring and no rule allows it; closest: rule 1 of shop/allow-frontend allows TCP 8080, not TCP 80"
	if v.Reason != wantReason {
		t.Errorf("reason:\n got %q\nwant %q", v.Reason, wantReason)
	}
}

func TestDenyExplainsSelectorMisses(t *testing.T) {
	e := New(shopCluster())
	v := check(t, e, flow(P("shop", "webapp"), P("shop", "api"), TCP, 8080), Denied)
	assertLines(t, missReasons(v.Ingress.Misses), []string{
		"rule 1 of shop/allow-frontend: podSelector app=frontend does not match pod shop/webapp labels app=webapp",
		"rule 1 of shop/allow-monitoring: namespaceSelector team=monitoring does not match namespace shop labels team=shop; and it allows TCP 80, not TCP 8080",
	})
	if c := v.Ingress.Misses[0].Closeness; c != 3 {
		t.Errorf("closeness of a half-matched peer = %d, want 3", c)
	}

	v = check(t, e, flow(P("ops", "prometheus"), P("shop", "api"), TCP, 8080), Denied)
	assertLines(t, missReasons(v.Ingress.Misses), []string{
		"rule 1 of shop/allow-frontend: podSelector app=frontend only selects pods in namespace shop; pod ops/prometheus is in namespace ops; podSelector app=frontend does not match pod ops/prometheus labels app=prometheus",
		"rule 1 of shop/allow-monitoring: namespaceSelector team=monitoring does not match namespace ops labels team=ops; and it allows TCP 80, not TCP 8080",
	})
}

func TestAllowNamesTheRule(t *testing.T) {
	e := New(shopCluster())
	v := check(t, e, flow(P("shop", "frontend"), P("shop", "api"), TCP, 8080), Allowed)
	if len(v.Ingress.AllowedBy) != 1 {
		t.Fatalf("allowed by: %+v", v.Ingress.AllowedBy)
	}
	got := v.Ingress.AllowedBy[0]
	want := RuleMatch{
		Policy: PolicyRef{Kind: KindNetworkPolicy, Namespace: "shop", Name: "allow-frontend"}, Rule: 0, Peer: 0, Port: 0,
		Reason: "rule 1 of shop/allow-frontend allows from pods app=frontend in namespace shop on TCP 8080",
	}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if v.Egress.DecidedBy != LayerDefault || v.Egress.Isolated {
		t.Errorf("egress: %+v", v.Egress)
	}
}

func TestExplainNamedPortsAndPolicyWithoutRules(t *testing.T) {
	s := shopCluster()
	s.NetworkPolicies = []networkingv1.NetworkPolicy{
		mkNP("shop", "deny-all", ""),
		mkNP("shop", "named", "app=api", in(peers(podPeer("app=frontend")), pport("", name("http"), nil), pport("", name("grpc"), nil))),
	}
	e := New(s)
	v := check(t, e, flow(P("shop", "frontend"), P("shop", "api"), TCP, 9090), Denied)
	assertLines(t, missReasons(v.Ingress.Misses), []string{
		`rule 1 of shop/named allows TCP port named "http" (TCP 8080 on pod shop/api), TCP port named "grpc" (pod shop/api declares no such port), not TCP 9090`,
		"shop/deny-all has no ingress rules: it selects the pod and allows nothing",
	})
	if v.Ingress.Misses[1].Rule != -1 {
		t.Errorf("policy-level miss should have Rule -1: %+v", v.Ingress.Misses[1])
	}
	v = check(t, e, namedFlow(P("shop", "frontend"), P("shop", "api"), TCP, "http"), Allowed)
	if v.Port.Number != 8080 || v.Port.Name != "http" {
		t.Errorf("port: %+v", v.Port)
	}
}

func TestExplainIPBlockMisses(t *testing.T) {
	s := shopCluster()
	s.NetworkPolicies = []networkingv1.NetworkPolicy{
		mkNP("shop", "office", "app=api", in(peers(ipPeer("192.168.0.0/16", "192.168.5.0/24"), podPeer("app=frontend")))),
	}
	e := New(s)
	v := check(t, e, flow(IP("192.168.5.5"), P("shop", "api"), TCP, 8080), Denied)
	assertLines(t, missReasons(v.Ingress.Misses), []string{
		"rule 1 of shop/office: peer 1: ipBlock 192.168.0.0/16 contains 192.168.5.5 but except 192.168.5.0/24 excludes it",
	})
	if !hasCaveat(v.Caveats, CaveatExternalIP) {
		t.Errorf("caveats: %v", v.Caveats)
	}
	v = check(t, e, flow(IP("172.16.0.1"), P("shop", "api"), TCP, 8080), Denied)
	assertLines(t, missReasons(v.Ingress.Misses), []string{
		"rule 1 of shop/office: peer 1: ipBlock 192.168.0.0/16 except 192.168.5.0/24 does not contain 172.16.0.1",
	})
}

func TestNotAPodSide(t *testing.T) {
	e := New(shopCluster())
	v := check(t, e, flow(IP("8.8.8.8"), P("shop", "api"), TCP, 8080), Denied)
	if v.Egress.DecidedBy != LayerNotAPod || v.Egress.Result != Allowed || v.Egress.Reason != "IP 8.8.8.8 is not a pod: nothing enforces its egress" {
		t.Errorf("egress side: %+v", v.Egress)
	}
}

func missReasons(ms []Miss) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Reason
	}
	return out
}

func assertLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
