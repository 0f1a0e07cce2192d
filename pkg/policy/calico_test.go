package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// calicoDoc decodes a Calico NetworkPolicy or GlobalNetworkPolicy, or a
// Tier, written in YAML as in Calico's docs.
func calicoDoc(t *testing.T, s *Snapshot, doc string) {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	kind, _ := obj["kind"].(string)
	if kind == "Tier" {
		tier, err := DecodeCalicoTier(obj)
		if err != nil {
			t.Fatal(err)
		}
		s.CalicoTiers = append(s.CalicoTiers, tier)
		return
	}
	c, err := DecodeCalicoPolicy(PolicyKind(kind+".projectcalico.org"), obj)
	if err != nil {
		t.Fatal(err)
	}
	s.CalicoPolicies = append(s.CalicoPolicies, c)
}

// calicoCluster is xyzCluster (namespaces x, y, z labelled ns=<name>, pods
// a, b, c labelled pod=<name>, IPs 10.0.<ns 1-3>.<pod 1-3>, on TCP 80/81,
// UDP 80) with Calico objects; the Tier objects are known.
func calicoCluster(t *testing.T, docs ...string) Snapshot {
	t.Helper()
	s := xyzCluster()
	s.NamespacesComplete = true
	s.CalicoTiersKnown = true
	for _, d := range docs {
		calicoDoc(t, &s, d)
	}
	return s
}

const (
	tierSecurity = `
kind: Tier
metadata: {name: security}
spec: {order: 300}`
	tierPlatform = `
kind: Tier
metadata: {name: platform}
spec: {order: 100}`
)

// TestCalicoSemantics follows Calico's reference (networkpolicy,
// globalnetworkpolicy, tier) and its tiered-policy guide.
func TestCalicoSemantics(t *testing.T) {
	xa, xb, xc, ya, yb, za := P("x", "a"), P("x", "b"), P("x", "c"), P("y", "a"), P("y", "b"), P("z", "a")
	A, D, U := Allowed, Denied, Undecided
	npFromY := mkNP("x", "from-y", "", in(peers(nsPeer("ns=y"))))
	for _, c := range []struct {
		name  string
		docs  []string
		nps   []networkingv1.NetworkPolicy
		known *bool
		flows []flowWant
		layer Layer // of the first flow's ingress side (egress if "egress" is in the name)
	}{
		{
			name: "docs sample: a namespaced policy's selector scopes its namespace; end-of-tier deny",
			docs: []string{`
kind: NetworkPolicy
metadata: {name: allow-tcp-80, namespace: x}
spec:
  selector: pod == 'a'
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: pod == 'b'}
    destination: {ports: [80]}
  egress:
  - action: Allow`},
			flows: []flowWant{tcpTo(xb, xa, 80, A), tcpTo(xc, xa, 80, D), tcpTo(yb, xa, 80, D), tcpTo(xb, xa, 81, D), {flow(xb, xa, UDP, 80), D}, tcpTo(xa, za, 80, A), tcpTo(ya, xb, 80, A)},
			layer: LayerCalico,
		},
		{
			name: "Pass to the next tier: the default tier's NetworkPolicy decides",
			docs: []string{tierSecurity, `
kind: GlobalNetworkPolicy
metadata: {name: security.no-z}
spec:
  tier: security
  order: 10
  selector: all()
  ingress:
  - action: Deny
    source: {namespaceSelector: ns == 'z'}
  - action: Pass`},
			nps:   []networkingv1.NetworkPolicy{npFromY},
			flows: []flowWant{tcpTo(za, xa, 80, D), tcpTo(ya, xa, 80, A), tcpTo(xb, xa, 80, D), tcpTo(xb, ya, 80, A)},
			layer: LayerCalico,
		},
		{
			name: "isolation by NetworkPolicy after a Pass",
			docs: []string{tierSecurity, `
kind: GlobalNetworkPolicy
metadata: {name: security.pass}
spec:
  tier: security
  selector: all()
  ingress: [{action: Pass}]`},
			nps:   []networkingv1.NetworkPolicy{npFromY},
			flows: []flowWant{tcpTo(xb, xa, 80, D), tcpTo(ya, xa, 80, A)},
			layer: LayerNetworkPolicy,
		},
		{
			name: "end-of-tier deny when no rule matches",
			docs: []string{tierSecurity, `
kind: GlobalNetworkPolicy
metadata: {name: security.from-y}
spec:
  tier: security
  selector: all()
  ingress:
  - action: Allow
    source: {namespaceSelector: ns == 'y'}`},
			flows: []flowWant{tcpTo(za, xa, 80, D), tcpTo(ya, xa, 80, A), tcpTo(xa, IP("8.8.8.8"), 80, A), tcpTo(xa, za, 80, D)},
			layer: LayerCalico,
		},
		{
			name: "defaultAction Pass: the profile allows",
			docs: []string{`
kind: Tier
metadata: {name: security}
spec: {order: 300, defaultAction: Pass}`, `
kind: GlobalNetworkPolicy
metadata: {name: security.from-y}
spec:
  tier: security
  selector: all()
  ingress:
  - action: Deny
    source: {namespaceSelector: ns == 'y'}`},
			flows: []flowWant{tcpTo(za, xa, 80, A), tcpTo(ya, xa, 80, D)},
			layer: LayerCalico,
		},
		{
			name: "tiers in order: the lower order decides first",
			docs: []string{tierSecurity, tierPlatform, `
kind: GlobalNetworkPolicy
metadata: {name: security.allow-all}
spec:
  tier: security
  selector: all()
  ingress: [{action: Allow}]`, `
kind: GlobalNetworkPolicy
metadata: {name: platform.deny-z}
spec:
  tier: platform
  selector: all()
  ingress:
  - action: Deny
    source: {namespaceSelector: ns == 'z'}
  - action: Pass`},
			flows: []flowWant{tcpTo(za, xa, 80, D), tcpTo(ya, xa, 80, A)},
			layer: LayerCalico,
		},
		{
			name: "order within a tier, then name",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: deny-b}
spec:
  order: 10
  selector: all()
  ingress:
  - action: Deny
    source: {selector: pod == 'b'}`, `
kind: GlobalNetworkPolicy
metadata: {name: allow-all}
spec:
  order: 20
  selector: all()
  ingress: [{action: Allow}]`, `
kind: GlobalNetworkPolicy
metadata: {name: a-allow-c}
spec:
  order: 5
  selector: all()
  ingress: [{action: Allow, source: {selector: pod == 'c'}}]`, `
kind: GlobalNetworkPolicy
metadata: {name: b-deny-c}
spec:
  order: 5
  selector: all()
  ingress: [{action: Deny, source: {selector: pod == 'c'}}]`},
			flows: []flowWant{tcpTo(xb, xa, 80, D), tcpTo(ya, xb, 80, A), tcpTo(P("z", "c"), xa, 80, A)},
			layer: LayerCalico,
		},
		{
			name: "default tier: Calico policies below order 1000 come before NetworkPolicy, others after",
			docs: []string{`
kind: NetworkPolicy
metadata: {name: early, namespace: x}
spec:
  order: 500
  ingress: [{action: Deny, source: {selector: pod == 'b', namespaceSelector: ns == 'y'}}]`, `
kind: NetworkPolicy
metadata: {name: late, namespace: x}
spec:
  order: 1500
  ingress:
  - action: Deny
    source: {namespaceSelector: ns == 'y'}
  - action: Allow
    source: {namespaceSelector: ns == 'z'}`},
			nps:   []networkingv1.NetworkPolicy{npFromY},
			flows: []flowWant{tcpTo(yb, xa, 80, D), tcpTo(ya, xa, 80, A), tcpTo(za, xa, 80, A), tcpTo(xb, xa, 80, D)},
			layer: LayerCalico,
		},
		{
			name: "a policy without order comes after the NetworkPolicies",
			docs: []string{`
kind: NetworkPolicy
metadata: {name: deny-y, namespace: x}
spec:
  ingress: [{action: Deny, source: {namespaceSelector: ns == 'y'}}]`},
			nps:   []networkingv1.NetworkPolicy{npFromY},
			flows: []flowWant{tcpTo(ya, xa, 80, A), tcpTo(za, xa, 80, D)},
			layer: LayerNetworkPolicy,
		},
		{
			name: "GlobalNetworkPolicy namespaceSelector scopes the policy; rule selectors span namespaces",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: x-from-a}
spec:
  namespaceSelector: ns == 'x'
  ingress: [{action: Allow, source: {selector: pod == 'a'}}]`},
			flows: []flowWant{tcpTo(ya, xb, 80, A), tcpTo(yb, xb, 80, D), tcpTo(yb, ya, 80, A)},
			layer: LayerCalico,
		},
		{
			name: "rule namespaceSelector: all() is every namespace, global() no pod",
			docs: []string{`
kind: NetworkPolicy
metadata: {name: mixed, namespace: x}
spec:
  ingress:
  - action: Allow
    source: {namespaceSelector: global()}
  - action: Allow
    source: {namespaceSelector: all(), selector: pod == 'c'}
  - action: Allow
    source: {namespaceSelector: projectcalico.org/name == 'y', selector: pod == 'b'}`},
			flows: []flowWant{tcpTo(za, xa, 80, D), P2(P("z", "c"), xa, A), tcpTo(yb, xa, 80, A), tcpTo(P("z", "b"), xa, 80, D)},
			layer: LayerCalico,
		},
		{
			name: "endpoint labels: projectcalico.org/namespace and pcns. namespace labels",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: labels}
spec:
  selector: projectcalico.org/namespace == 'x'
  ingress:
  - action: Allow
    source: {selector: pcns.ns == 'y' && projectcalico.org/orchestrator == 'k8s'}`},
			flows: []flowWant{tcpTo(ya, xa, 80, A), tcpTo(za, xa, 80, D), tcpTo(za, ya, 80, A)},
			layer: LayerCalico,
		},
		{
			name: "nets and notNets match pod addresses",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: nets}
spec:
  selector: pod == 'a'
  ingress:
  - action: Allow
    source: {nets: [10.0.2.0/24]}
  - action: Allow
    source: {notNets: [10.0.0.0/16]}`},
			flows: []flowWant{tcpTo(yb, xa, 80, A), tcpTo(za, xa, 80, D), tcpTo(IP("8.8.8.8"), xa, 80, A), tcpTo(IP("10.0.9.9"), xa, 80, D)},
			layer: LayerCalico,
		},
		{
			name: "egress to nets; types default to Egress when only egress rules exist",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: egress}
spec:
  selector: pod == 'a'
  egress:
  - action: Deny
    destination: {nets: [8.8.8.8/32]}
  - action: Allow`},
			flows: []flowWant{tcpTo(xa, IP("8.8.8.8"), 443, D), tcpTo(xa, IP("1.1.1.1"), 443, A), tcpTo(IP("8.8.8.8"), xa, 80, A)},
			layer: LayerCalico,
		},
		{
			name: "ports, ranges, notPorts and named ports of the destination",
			docs: []string{`
kind: NetworkPolicy
metadata: {name: ports, namespace: x}
spec:
  selector: pod == 'a'
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: ["80:90"], notPorts: [85]}
  - action: Allow
    protocol: UDP
    destination: {ports: [serve-80-udp]}
  egress:
  - action: Allow
    protocol: TCP
    destination: {ports: [serve-81]}`},
			flows: []flowWant{tcpTo(ya, xa, 81, A), tcpTo(ya, xa, 85, D), tcpTo(ya, xa, 91, D), {flow(ya, xa, UDP, 80), A}, {flow(ya, xa, UDP, 81), D},
				tcpTo(xa, ya, 81, A), tcpTo(xa, ya, 80, D), tcpTo(xa, IP("8.8.8.8"), 81, D)},
			layer: LayerCalico,
		},
		{
			name: "protocol and notProtocol; icmp rules do not match TCP",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: proto}
spec:
  selector: pod == 'a'
  ingress:
  - action: Allow
    protocol: ICMP
    icmp: {type: 8}
  - action: Deny
    notProtocol: UDP
    source: {selector: pod == 'c'}
  - action: Allow
    protocol: 6`},
			flows: []flowWant{tcpTo(yb, xa, 80, A), {flow(yb, xa, UDP, 80), D}, tcpTo(P("y", "c"), xa, 80, D)},
			layer: LayerCalico,
		},
		{
			name: "Log goes on to the next rule; ipVersion 6 does not match IPv4",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: log}
spec:
  selector: pod == 'a'
  ingress:
  - action: Log
  - action: Deny
    ipVersion: 6
  - action: Allow
    ipVersion: 4
    source: {selector: pod == 'b'}`},
			flows: []flowWant{tcpTo(yb, xa, 80, A), tcpTo(yb, xb, 80, A), tcpTo(za, xa, 80, D)},
			layer: LayerCalico,
		},
		{
			name: "serviceAccounts by name and by the projectcalico.org/name label",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: sa}
spec:
  selector: pod == 'a'
  ingress:
  - action: Allow
    source: {serviceAccounts: {names: [builder]}}
  - action: Allow
    source: {serviceAccounts: {selector: projectcalico.org/name == 'default'}, namespaceSelector: ns == 'z'}`},
			flows: []flowWant{tcpTo(yb, xa, 80, A), tcpTo(za, xa, 80, A), tcpTo(ya, xa, 80, D)},
			layer: LayerCalico,
		},
		{
			name: "serviceAccountSelector of the policy on other labels: undecided",
			docs: []string{`
kind: NetworkPolicy
metadata: {name: sa-labels, namespace: x}
spec:
  serviceAccountSelector: team == 'red'
  ingress: [{action: Deny}]`},
			flows: []flowWant{tcpTo(ya, xa, 80, U), tcpTo(ya, yb, 80, A)},
		},
		{
			name: "http and services matches: undecided",
			docs: []string{`
kind: NetworkPolicy
metadata: {name: l7, namespace: x}
spec:
  ingress:
  - action: Allow
    http: {methods: [GET]}
  egress:
  - action: Allow
    destination: {services: {name: db}}`},
			flows: []flowWant{tcpTo(ya, xa, 80, U), tcpTo(xa, ya, 80, U)},
		},
		{
			name: "a selector cannot be judged for an address (network sets, host endpoints)",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: from-all}
spec:
  selector: pod == 'a'
  ingress: [{action: Allow, source: {selector: all()}}]`},
			flows: []flowWant{tcpTo(ya, xa, 80, A), tcpTo(IP("8.8.8.8"), xa, 80, U)},
			layer: LayerCalico,
		},
		{
			name: "notSelector matches everything but what it selects",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: not-b}
spec:
  selector: pod == 'a'
  ingress: [{action: Allow, source: {notSelector: pod == 'b'}}]`},
			flows: []flowWant{tcpTo(yb, xa, 80, D), tcpTo(P("y", "c"), xa, 80, A), tcpTo(IP("8.8.8.8"), xa, 80, U)},
			layer: LayerCalico,
		},
		{
			name:  "tiers whose order is not known: undecided when several apply",
			known: new(bool),
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: red.deny}
spec:
  tier: red
  selector: pod == 'a'
  ingress: [{action: Deny}]`, `
kind: GlobalNetworkPolicy
metadata: {name: blue.allow}
spec:
  tier: blue
  selector: pod == 'a' || pod == 'b'
  ingress: [{action: Allow}]`},
			flows: []flowWant{tcpTo(ya, xa, 80, U), tcpTo(ya, xb, 80, A)},
		},
		{
			name: "a tier that does not exist: undecided",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: ghost.allow}
spec:
  tier: ghost
  selector: pod == 'a'
  ingress: [{action: Allow}]`},
			flows: []flowWant{tcpTo(ya, xa, 80, U), tcpTo(ya, xb, 80, A)},
		},
		{
			name: "traffic from the pod's own node: undecided unless allowed",
			docs: []string{`
kind: GlobalNetworkPolicy
metadata: {name: deny-all}
spec:
  selector: pod == 'a'
  ingress: [{action: Deny}]`},
			flows: []flowWant{tcpTo(IP("192.168.0.1"), xa, 80, U), tcpTo(xa, xa, 80, A), tcpTo(ya, xa, 80, D)},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := calicoCluster(t, c.docs...)
			if c.known != nil {
				s.CalicoTiersKnown = *c.known
			}
			s.NetworkPolicies = c.nps
			if c.name == "serviceAccounts by name and by the projectcalico.org/name label" {
				for i := range s.Pods {
					if s.Pods[i].Name == "b" {
						s.Pods[i].Spec.ServiceAccountName = "builder"
					}
				}
			}
			e := New(s)
			if w := e.Warnings(); len(w) > 0 {
				t.Fatalf("warnings: %v", w)
			}
			for i, fw := range c.flows {
				v := check(t, e, fw.f, fw.want)
				if i == 0 && c.layer != "" {
					side := v.Ingress
					if strings.Contains(c.name, "egress") {
						side = v.Egress
					}
					if side.DecidedBy != c.layer {
						t.Errorf("decided by %q, want %q (%s)", side.DecidedBy, c.layer, v.Reason)
					}
				}
				if fw.want == Undecided && len(v.Ingress.Uncertain)+len(v.Egress.Uncertain) == 0 && !strings.Contains(v.Reason, "hostNetwork") {
					t.Errorf("undecided without a rule that may match: %s", v.Reason)
				}
			}
		})
	}
}

// P2 is a TCP 80 flow.
func P2(src, dst Endpoint, want Result) flowWant { return tcpTo(src, dst, 80, want) }

func TestCalicoExplanation(t *testing.T) {
	s := calicoCluster(t, tierPlatform, `
kind: GlobalNetworkPolicy
metadata: {name: platform.deny-z}
spec:
  tier: platform
  order: 100
  selector: all()
  ingress:
  - action: Deny
    source: {namespaceSelector: ns == 'z'}
  - action: Allow
    source: {namespaceSelector: ns == 'y'}`)
	e := New(s)
	v := check(t, e, flow(P("z", "a"), P("x", "a"), TCP, 80), Denied)
	want := "ingress rule 1 (Deny) of GlobalNetworkPolicy.projectcalico.org platform.deny-z (tier platform, order 100) denies from pod z/a"
	if v.Ingress.DecidedBy != LayerCalico || v.Ingress.Reason != want {
		t.Errorf("deny: %s %q", v.Ingress.DecidedBy, v.Ingress.Reason)
	}
	v = check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), Allowed)
	if !strings.Contains(v.Ingress.Reason, "ingress rule 2 (Allow) of GlobalNetworkPolicy.projectcalico.org platform.deny-z") {
		t.Errorf("allow: %q", v.Ingress.Reason)
	}
	v = check(t, e, flow(P("x", "b"), P("x", "a"), TCP, 80), Denied)
	if !strings.Contains(v.Ingress.Reason, "tier platform applies to pod x/a for ingress") || !strings.Contains(v.Ingress.Reason, "default action Deny") {
		t.Errorf("end of tier: %q", v.Ingress.Reason)
	}
	if v.Egress.DecidedBy == LayerCalico {
		t.Errorf("egress decided by Calico: %q", v.Egress.Reason)
	}
}

func TestCalicoWithAdminPolicies(t *testing.T) {
	for _, c := range []struct {
		order string
		want  Result
	}{{"300", Allowed}, {"2000", Denied}} {
		s := calicoCluster(t, `
kind: Tier
metadata: {name: team}
spec: {order: `+c.order+`}`, `
kind: GlobalNetworkPolicy
metadata: {name: team.allow}
spec:
  tier: team
  selector: all()
  ingress: [{action: Allow}]`)
		s.AdminNetworkPolicies = append(s.AdminNetworkPolicies, mkANP("deny-z", 10, anpNS("ns=x"), nil, nil))
		s.AdminNetworkPolicies[0].Spec.Ingress = append(s.AdminNetworkPolicies[0].Spec.Ingress, anpIn("Deny", fromNS("ns=z")))
		e := New(s)
		check(t, e, flow(P("z", "a"), P("x", "a"), TCP, 80), c.want)
		check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), Allowed)
	}
}

func TestCalicoHostNetwork(t *testing.T) {
	s := calicoCluster(t, `
kind: GlobalNetworkPolicy
metadata: {name: deny-all}
spec:
  selector: all()
  ingress: [{action: Deny}]`, `
kind: NetworkPolicy
metadata: {name: allow-all, namespace: x}
spec:
  order: 1
  ingress: [{action: Allow}]`)
	s.Pods = append(s.Pods, mkPod("x", "agent", "pod=agent", hostNet("192.168.0.1")))
	e := New(s)
	// A hostNetwork pod has no workload endpoint: only a
	// GlobalNetworkPolicy may apply to it, through a host endpoint.
	check(t, e, flow(P("y", "a"), P("x", "agent"), TCP, 80), Undecided)
	check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), Allowed)
}

func TestCalicoInvalidPolicies(t *testing.T) {
	s := calicoCluster(t, `
kind: GlobalNetworkPolicy
metadata: {name: bad-selector}
spec:
  selector: pod = 'a'
  ingress: [{action: Deny}]`, `
kind: GlobalNetworkPolicy
metadata: {name: bad-action}
spec:
  ingress: [{action: Drop}]`, `
kind: GlobalNetworkPolicy
metadata: {name: global-misplaced}
spec:
  selector: global()
  ingress: [{action: Deny}]`)
	e := New(s)
	w := e.Warnings()
	if len(w) != 3 {
		t.Fatalf("warnings: %v", w)
	}
	for _, f := range w {
		if f.Code != "InvalidPolicy" {
			t.Errorf("warning %v", f)
		}
	}
	check(t, e, flow(P("y", "a"), P("x", "a"), TCP, 80), Allowed)
}

func TestDescribeCalico(t *testing.T) {
	e := New(calicoCluster(t, tierSecurity, `
kind: GlobalNetworkPolicy
metadata: {name: security.guard}
spec:
  tier: security
  order: 10
  selector: pod == 'a'
  ingress:
  - action: Deny
    source: {nets: [10.0.3.0/24]}
  - action: Allow
    protocol: TCP
    source: {namespaceSelector: ns == 'y', selector: pod == 'b'}
    destination: {ports: [80]}`))
	d, err := e.Describe(PodRef{Namespace: "x", Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Ingress.Isolated || len(d.Ingress.Policies) != 1 || len(d.Egress.Policies) != 0 {
		t.Fatalf("description: %+v", d)
	}
	var texts []string
	for _, r := range d.Ingress.Policies[0].Rules {
		texts = append(texts, r.Text)
	}
	want := []string{
		"(tier security, order 10) rule 1: Deny from nets 10.0.3.0/24",
		`(tier security, order 10) rule 2: Allow from namespaces ns == "y" and endpoints pod == "b" protocol TCP, ports 80`,
	}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
}

// mixedCalicoCluster is mixedCluster with its Cilium policies replaced by
// Calico ones: a platform tier (defaultAction Pass) denying dev namespaces
// to databases, a security tier of namespaced policies, and default-tier
// policies before and after the NetworkPolicies.
func mixedCalicoCluster(nNS, nPods, nPolicies int) Snapshot {
	s := mixedCluster(nNS, nPods, nPolicies)
	nCalico := len(s.CiliumPolicies)
	s.CiliumPolicies = nil
	s.CalicoTiersKnown = true
	f := func(x float64) *float64 { return &x }
	s.CalicoTiers = []CalicoTier{{Name: "platform", Order: f(100), DefaultAction: "Pass"}, {Name: "security", Order: f(300), DefaultAction: "Deny"}}
	r := rand.New(rand.NewPCG(11, 5))
	port := func(n uint16) CalicoPort { return CalicoPort{Min: n, Max: n} }
	tcpProto := &CalicoProtocol{Name: "TCP", Number: 6}
	for i := 0; i < nCalico; i++ {
		ns := fmt.Sprintf("ns%02d", r.IntN(nNS))
		app := fmt.Sprintf("app == 'app%d'", r.IntN(10))
		var c CalicoPolicy
		switch i % 4 {
		case 0:
			c = CalicoPolicy{Kind: KindCalicoGlobalNetworkPolicy, Name: fmt.Sprintf("platform.p%03d", i), Spec: CalicoPolicySpec{
				Tier: "platform", Order: f(float64(r.IntN(100))), Selector: "tier == 'db'",
				Ingress: []CalicoRule{
					{Action: "Deny", Protocol: tcpProto, Source: CalicoEntityRule{NamespaceSelector: "env == 'dev'"}, Destination: CalicoEntityRule{Ports: []CalicoPort{port(8080)}}},
					{Action: "Pass"},
				}}}
		case 1:
			c = CalicoPolicy{Kind: KindCalicoNetworkPolicy, Namespace: ns, Name: fmt.Sprintf("security.p%03d", i), Spec: CalicoPolicySpec{
				Tier: "security", Order: f(10), Selector: app,
				Ingress: []CalicoRule{
					{Action: "Allow", Protocol: tcpProto, Source: CalicoEntityRule{Selector: app}, Destination: CalicoEntityRule{Ports: []CalicoPort{{Name: "http"}}}},
					{Action: "Deny", Source: CalicoEntityRule{Nets: []string{"10.0.2.0/24"}}},
					{Action: "Pass", Source: CalicoEntityRule{NamespaceSelector: "team == 't1'"}},
				},
				Egress: []CalicoRule{{Action: "Allow", Destination: CalicoEntityRule{NotNets: []string{"10.0.3.0/24"}}}}}}
		default:
			order := f(500)
			if i%4 == 3 {
				order = f(1500)
			}
			c = CalicoPolicy{Kind: KindCalicoNetworkPolicy, Namespace: ns, Name: fmt.Sprintf("p%03d", i), Spec: CalicoPolicySpec{
				Order: order, Selector: "tier == 'web'",
				Ingress: []CalicoRule{
					{Action: "Log"},
					{Action: "Deny", Source: CalicoEntityRule{NotSelector: "tier in {'web', 'cache'}", NamespaceSelector: "all()"}},
					{Action: "Allow", Protocol: tcpProto, Destination: CalicoEntityRule{Ports: []CalicoPort{{Min: 8000, Max: 8100}}}},
				}}}
		}
		s.CalicoPolicies = append(s.CalicoPolicies, c)
	}
	return s
}

// BenchmarkMatrixMixedCalico is BenchmarkMatrixMixedKinds with Calico
// policies in place of the Cilium ones.
func BenchmarkMatrixMixedCalico(b *testing.B) {
	benchMatrix(b, mixedCalicoCluster(20, 1000, 200))
}

func TestCalicoMatrixAgreesWithEvaluate(t *testing.T) {
	matrixAgreesWithEvaluate(t, mixedCalicoCluster(4, 60, 40))
}
