package policy

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// ciliumPolicy decodes a CiliumNetworkPolicy or
// CiliumClusterwideNetworkPolicy written in YAML, as in Cilium's docs.
func ciliumPolicy(t *testing.T, doc string) CiliumPolicy {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	kind, _ := obj["kind"].(string)
	c, err := DecodeCiliumPolicy(PolicyKind(kind), obj)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ciliumCluster is xyzCluster (namespaces x, y, z labelled ns=<name>, pods
// a, b, c labelled pod=<name> on TCP 80/81, UDP 80, all on node n1) with
// Cilium policies. The Nodes are known, as a cluster read gives them: an
// address that is no node's is the world.
func ciliumCluster(t *testing.T, docs ...string) Snapshot {
	s := xyzCluster()
	s.Nodes = []corev1.Node{mkNode("n1", "", "192.168.0.1")}
	for i := range s.Pods {
		s.Pods[i].Spec.NodeName = "n1"
	}
	for _, d := range docs {
		s.CiliumPolicies = append(s.CiliumPolicies, ciliumPolicy(t, d))
	}
	return s
}

// TestCiliumSemantics follows Cilium's policy documentation (policy
// language: layer 3, layer 4, deny policies, enforcement modes) at L3/L4.
func TestCiliumSemantics(t *testing.T) {
	xa, xb, ya, za := P("x", "a"), P("x", "b"), P("y", "a"), P("z", "a")
	A, D, U := Allowed, Denied, Undecided
	for _, c := range []struct {
		name  string
		docs  []string
		nps   bool // a NetworkPolicy in x isolating ingress and allowing from ns y
		flows []flowWant
		layer Layer
	}{
		{
			name: "fromEndpoints of a namespaced policy selects pods of its namespace only",
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: l3, namespace: x}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - fromEndpoints: [{matchLabels: {pod: b}}]`},
			flows: []flowWant{tcpTo(xb, xa, 80, A), tcpTo(P("y", "b"), xa, 80, D), tcpTo(ya, xb, 80, A)},
			layer: LayerCilium,
		},
		{
			name: "a namespace label in the selector reaches other namespaces; k8s: prefix",
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: cross, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints: [{matchLabels: {"k8s:io.kubernetes.pod.namespace": "y"}}]`},
			flows: []flowWant{tcpTo(ya, xa, 80, A), tcpTo(za, xa, 80, D), tcpTo(xb, xa, 80, D)},
			layer: LayerCilium,
		},
		{
			name: "namespace labels through io.cilium.k8s.namespace.labels",
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: nslabels, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.ns: z, io.kubernetes.pod.namespace: z}}]`},
			flows: []flowWant{tcpTo(za, xa, 80, A), tcpTo(ya, xa, 80, D)},
			layer: LayerCilium,
		},
		{
			name: "a clusterwide policy's fromEndpoints spans namespaces",
			docs: []string{`
kind: CiliumClusterwideNetworkPolicy
metadata: {name: cw}
spec:
  endpointSelector: {matchLabels: {pod: a}}
  ingress:
  - fromEndpoints: [{matchLabels: {pod: b}}]`},
			flows: []flowWant{tcpTo(P("y", "b"), xa, 80, A), tcpTo(P("z", "c"), ya, 80, D), tcpTo(xa, xb, 80, A)},
			layer: LayerCilium,
		},
		{
			name: "an L4-only rule allows every peer on its ports",
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: l4, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - toPorts: [{ports: [{port: "80", protocol: TCP}]}]`},
			flows: []flowWant{tcpTo(za, xa, 80, A), tcpTo(IP("8.8.8.8"), xa, 80, A), tcpTo(za, xa, 81, D), {flow(za, xa, UDP, 80), D}},
			layer: LayerCilium,
		},
		{
			name: "an empty rule puts the endpoint in default deny",
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: deny-all, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - {}`},
			flows: []flowWant{tcpTo(ya, xa, 80, D), tcpTo(xa, ya, 80, A), tcpTo(xa, xa, 80, A)},
			layer: LayerCilium,
		},
		{
			name: "deny rules win over allow rules (docs: external-lockdown)",
			docs: []string{`
kind: CiliumClusterwideNetworkPolicy
metadata: {name: external-lockdown}
spec:
  endpointSelector: {}
  ingressDeny:
  - fromEntities: [world]
  ingress:
  - fromEntities: [all]`},
			flows: []flowWant{tcpTo(IP("8.8.8.8"), xa, 80, D), tcpTo(ya, xa, 80, A)},
			layer: LayerCilium,
		},
		{
			name: "a deny rule wins over a NetworkPolicy allow",
			nps:  true,
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: no-y-on-81, namespace: x}
spec:
  endpointSelector: {}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: "y"}}]
    toPorts: [{ports: [{port: "81"}]}]`},
			flows: []flowWant{tcpTo(ya, xa, 81, D), tcpTo(ya, xa, 80, A), tcpTo(za, xa, 80, D)},
			layer: LayerCilium,
		},
		{
			name: "Cilium and NetworkPolicy allows add up",
			nps:  true,
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: from-z, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: z}}]`},
			flows: []flowWant{tcpTo(za, xa, 80, A), tcpTo(ya, xa, 80, A), tcpTo(xb, xa, 80, D)},
			layer: LayerCilium,
		},
		{
			name: "enableDefaultDeny false only adds allows",
			docs: []string{`
kind: CiliumClusterwideNetworkPolicy
metadata: {name: additive}
spec:
  endpointSelector: {}
  enableDefaultDeny: {ingress: false}
  ingress:
  - fromEntities: [world]
    toPorts: [{ports: [{port: "80"}]}]`},
			flows: []flowWant{tcpTo(ya, xa, 81, A), tcpTo(IP("8.8.8.8"), xa, 80, A)},
			layer: LayerDefault,
		},
		{
			name: "L7 rules decide requests: undecided",
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: http, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints: [{}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET, path: /public}]}`},
			flows: []flowWant{tcpTo(xb, xa, 80, U), tcpTo(xb, xa, 81, D)},
		},
		{
			name: "toFQDNs cannot be judged for an address; CIDR sets with except; CIDRs do not select pods",
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: out, namespace: x}
spec:
  endpointSelector: {}
  egress:
  - toFQDNs: [{matchName: api.example.com}]
  - toCIDRSet: [{cidr: 8.8.0.0/16, except: [8.8.4.0/24]}]
  - toCIDR: [10.0.0.0/8]`},
			flows: []flowWant{tcpTo(xa, IP("8.8.8.8"), 443, A), tcpTo(xa, IP("8.8.4.4"), 443, U), tcpTo(xa, IP("1.1.1.1"), 443, U)},
			layer: LayerCilium,
		},
		{
			name: "CIDRs do not select pods",
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: out, namespace: x}
spec:
  endpointSelector: {}
  egress:
  - toCIDR: [10.0.0.0/8]`},
			flows: []flowWant{tcpTo(xa, ya, 80, D), tcpTo(xa, IP("10.9.9.9"), 80, A)},
			layer: LayerCilium,
		},
		{
			name: "named ports and port ranges",
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: ports, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - toPorts: [{ports: [{port: serve-81, protocol: TCP}, {port: "5000", endPort: 5010, protocol: UDP}]}]`},
			flows: []flowWant{tcpTo(ya, xa, 81, A), tcpTo(ya, xa, 80, D), {flow(ya, xa, UDP, 5005), A}, {flow(ya, xa, UDP, 5011), D}},
			layer: LayerCilium,
		},
		{
			name: "specs: every rule of the list applies",
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: two, namespace: x}
specs:
- endpointSelector: {matchLabels: {pod: a}}
  ingress: [{fromEndpoints: [{matchLabels: {pod: b}}]}]
- endpointSelector: {matchLabels: {pod: a}}
  ingress: [{fromEndpoints: [{matchLabels: {pod: c}}]}]`},
			flows: []flowWant{tcpTo(xb, xa, 80, A), tcpTo(P("x", "c"), xa, 80, A), tcpTo(ya, xa, 80, D)},
			layer: LayerCilium,
		},
		{
			name: "fromRequires narrows other rules: undecided",
			docs: []string{`
kind: CiliumNetworkPolicy
metadata: {name: req, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints: [{}]
    fromRequires: [{matchLabels: {pod: b}}]`},
			flows: []flowWant{tcpTo(xb, xa, 80, U)},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := ciliumCluster(t, c.docs...)
			if c.nps {
				s.NetworkPolicies = append(s.NetworkPolicies, mkNP("x", "from-y", "", in(peers(nsPeer("ns=y")))))
			}
			e := New(s)
			if w := e.Warnings(); len(w) > 0 {
				t.Fatalf("warnings: %v", w)
			}
			for i, fw := range c.flows {
				v := check(t, e, fw.f, fw.want)
				if got := e.Decide(fw.f); got != fw.want {
					t.Errorf("Decide(%v) = %s, want %s", fw.f, got, fw.want)
				}
				if i == 0 && c.layer != "" {
					side := v.Ingress
					if fw.f.Dst.IsPod() == false || fw.f.Src.IsPod() && len(s.CiliumPolicies) > 0 && strings.Contains(c.docs[0], "egress") {
						side = v.Egress
					}
					if side.DecidedBy != c.layer {
						t.Errorf("decided by %q, want %q (%s)", side.DecidedBy, c.layer, v.Reason)
					}
				}
				if fw.want == Undecided && len(v.Ingress.Uncertain)+len(v.Egress.Uncertain) == 0 {
					t.Errorf("undecided without a rule that may match: %s", v.Reason)
				}
			}
		})
	}
}

func TestCiliumExplanation(t *testing.T) {
	s := ciliumCluster(t, `
kind: CiliumNetworkPolicy
metadata: {name: guard, namespace: x}
spec:
  endpointSelector: {}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: z}}]
  ingress:
  - fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: "y"}}]`)
	e := New(s)
	v := check(t, e, flow(P("z", "a"), P("x", "a"), TCP, 80), Denied)
	if len(v.Ingress.DeniedBy) != 1 || !strings.Contains(v.Ingress.Reason, "CiliumNetworkPolicy") || !strings.Contains(v.Ingress.Reason, "ingressDeny rule 1 denies from pod z/a") {
		t.Errorf("deny: %q %+v", v.Ingress.Reason, v.Ingress.DeniedBy)
	}
	v = check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), Allowed)
	if len(v.Ingress.AllowedBy) != 1 || !strings.Contains(v.Ingress.Reason, "ingress rule 1 allows from pod y/a") {
		t.Errorf("allow: %q", v.Ingress.Reason)
	}
	v = check(t, e, flow(P("x", "b"), P("x", "a"), TCP, 80), Denied)
	if !v.Ingress.Isolated || !strings.Contains(v.Ingress.Reason, "isolated by CiliumNetworkPolicy x/guard") {
		t.Errorf("default deny: %q", v.Ingress.Reason)
	}
	if !strings.Contains(v.Ingress.Reason, "closest: CiliumNetworkPolicy x/guard ingress rule 1: endpoints io.kubernetes.pod.namespace=y does not match pod x/b") {
		t.Errorf("closest miss: %q", v.Ingress.Reason)
	}
}

func TestCiliumHostAndWorld(t *testing.T) {
	s := ciliumCluster(t, `
kind: CiliumNetworkPolicy
metadata: {name: host-only, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromEntities: [host]`)
	s.Pods = append(s.Pods, mkPod("x", "agent", "pod=agent", hostNet("192.168.0.1")), mkPod("x", "far", "pod=far", hostNet("192.168.0.2")))
	for i := range s.Pods {
		s.Pods[i].Spec.NodeName = map[string]string{"192.168.0.2": "n2"}[s.Pods[i].Status.HostIP]
		if s.Pods[i].Spec.NodeName == "" {
			s.Pods[i].Spec.NodeName = "n1"
		}
	}
	s.Nodes = append(s.Nodes, mkNode("n2", "", "192.168.0.2"))
	e := New(s)
	check(t, e, flow(P("x", "agent"), P("x", "a"), TCP, 80), Allowed)
	check(t, e, flow(P("x", "far"), P("x", "a"), TCP, 80), Denied)
	check(t, e, flow(IP("192.168.0.2"), P("x", "a"), TCP, 80), Denied)
	check(t, e, flow(IP("8.8.8.8"), P("x", "a"), TCP, 80), Denied)
}

func TestDecodeCiliumPolicyRejectsUnknownFields(t *testing.T) {
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(`
kind: CiliumNetworkPolicy
metadata: {name: new, namespace: x}
spec:
  endpointSelector: {}
  ingress:
  - fromFuture: [{}]`), &obj); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeCiliumPolicy(KindCiliumNetworkPolicy, obj); err == nil || !strings.Contains(err.Error(), "fromFuture") {
		t.Errorf("err = %v", err)
	}
}

func TestDescribeCilium(t *testing.T) {
	e := New(ciliumCluster(t, `
kind: CiliumNetworkPolicy
metadata: {name: guard, namespace: x}
spec:
  endpointSelector: {}
  ingressDeny:
  - fromEntities: [world]
  ingress:
  - fromEndpoints: [{matchLabels: {pod: b}}]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]`))
	d, err := e.Describe(PodRef{Namespace: "x", Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Ingress.Isolated || len(d.Ingress.Policies) != 1 || d.Egress.Isolated || len(d.Egress.Policies) != 0 {
		t.Fatalf("description: %+v", d)
	}
	var texts []string
	for _, r := range d.Ingress.Policies[0].Rules {
		texts = append(texts, r.Text)
	}
	want := []string{"ingressDeny rule 1: denies from entities world on all ports", "ingress rule 1: allows from endpoints pod=b in namespace x on TCP 80"}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
}
