package policy

import (
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func calicoObject(t *testing.T, doc string) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// calicoKindOf maps a manifest's kind to the engine's PolicyKind.
func calicoKindOf(obj map[string]any) PolicyKind {
	switch obj["kind"] {
	case "NetworkPolicy":
		return KindCalicoNetworkPolicy
	case "GlobalNetworkPolicy":
		return KindCalicoGlobalNetworkPolicy
	}
	return PolicyKind(obj["kind"].(string))
}

func decodeCalico(t *testing.T, doc string) CalicoPolicy {
	t.Helper()
	obj := calicoObject(t, doc)
	p, err := DecodeCalicoPolicy(calicoKindOf(obj), obj)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func calicoF64(v float64) *float64 { return &v }
func calicoIntp(v int) *int        { return &v }

// The samples of https://docs.tigera.io/calico/latest/reference/resources/networkpolicy
// and .../globalnetworkpolicy.
const calicoDocsNetworkPolicy = `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-tcp-6379
  namespace: production
spec:
  selector: role == 'database'
  types:
    - Ingress
    - Egress
  ingress:
    - action: Allow
      metadata:
        annotations:
          from: frontend
          to: database
      protocol: TCP
      source:
        selector: role == 'frontend'
      destination:
        ports:
          - 6379
  egress:
    - action: Allow
`

func TestDecodeCalicoDocumentedPolicies(t *testing.T) {
	wantSample := CalicoPolicySpec{
		Selector: "role == 'database'",
		Types:    []string{"Ingress", "Egress"},
		Ingress: []CalicoRule{{
			Action:      "Allow",
			Metadata:    &CalicoRuleMetadata{Annotations: map[string]string{"from": "frontend", "to": "database"}},
			Protocol:    &CalicoProtocol{Name: "TCP", Number: 6},
			Source:      CalicoEntityRule{Selector: "role == 'frontend'"},
			Destination: CalicoEntityRule{Ports: []CalicoPort{{Min: 6379, Max: 6379}}},
		}},
		Egress: []CalicoRule{{Action: "Allow"}},
	}
	np := decodeCalico(t, calicoDocsNetworkPolicy)
	if np.Kind != KindCalicoNetworkPolicy || np.Namespace != "production" || np.Name != "allow-tcp-6379" || np.Tier() != "default" {
		t.Errorf("NetworkPolicy: got %s tier %s", np.Ref(), np.Tier())
	}
	if !reflect.DeepEqual(np.Spec, wantSample) {
		t.Errorf("NetworkPolicy spec:\n got %+v\nwant %+v", np.Spec, wantSample)
	}
	if got := np.Ref().String(); got != "NetworkPolicy.projectcalico.org production/allow-tcp-6379" {
		t.Errorf("Ref: %s", got)
	}

	gnp := decodeCalico(t, strings.Replace(strings.Replace(calicoDocsNetworkPolicy,
		"kind: NetworkPolicy", "kind: GlobalNetworkPolicy", 1), "  namespace: production\n", "", 1))
	if gnp.Kind != KindCalicoGlobalNetworkPolicy || gnp.Namespace != "" || !reflect.DeepEqual(gnp.Spec, wantSample) {
		t.Errorf("GlobalNetworkPolicy: got %s %+v", gnp.Ref(), gnp.Spec)
	}

	// https://docs.tigera.io/calico/latest/network-policy/get-started/kubernetes-default-deny
	deny := decodeCalico(t, `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-app-policy
spec:
  namespaceSelector: kubernetes.io/metadata.name not in {"calico-system", "kube-public", "kube-system", "tigera-operator"}
  types:
  - Ingress
  - Egress
  egress:
   # allow all namespaces to communicate to DNS pods
  - action: Allow
    protocol: UDP
    destination:
      selector: 'k8s-app == "kube-dns"'
      ports:
      - 53
  - action: Allow
    protocol: TCP
    destination:
      selector: 'k8s-app == "kube-dns"'
      ports:
      - 53
`)
	if got := deny.Spec.NamespaceSelector; got != `kubernetes.io/metadata.name not in {"calico-system", "kube-public", "kube-system", "tigera-operator"}` {
		t.Errorf("namespaceSelector %q", got)
	}
	if len(deny.Spec.Egress) != 2 || deny.Spec.Egress[0].Protocol.String() != "UDP" || deny.Spec.Egress[0].Protocol.Number != 17 ||
		deny.Spec.Egress[1].Destination.Selector != `k8s-app == "kube-dns"` || deny.Spec.Egress[1].Destination.Ports[0].String() != "53" {
		t.Errorf("egress %+v", deny.Spec.Egress)
	}
	for _, s := range []string{deny.Spec.NamespaceSelector, deny.Spec.Egress[0].Destination.Selector} {
		if _, err := parseCalicoSelector(s); err != nil {
			t.Errorf("selector %q: %v", s, err)
		}
	}

	// https://docs.tigera.io/calico/latest/network-policy/get-started/calico-policy/calico-labels
	labels := decodeCalico(t, `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: foo-and-bar
spec:
  namespaceSelector: projectcalico.org/name in {"foo", "bar"}
  selector: color == "red"
  types:
  - Ingress
  ingress:
  - action: Allow
    source:
      namespaceSelector: projectcalico.org/name == "baz"
    destination:
      ports:
      - 8080
`)
	if r := labels.Spec.Ingress[0]; r.Source.NamespaceSelector != `projectcalico.org/name == "baz"` || r.Protocol != nil || r.Destination.Ports[0].Min != 8080 {
		t.Errorf("foo-and-bar rule %+v", r)
	}

	// https://docs.tigera.io/calico/latest/network-policy/policy-tiers/tiered-policy
	devops := decodeCalico(t, `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: devops.stage-env
spec:
  tier: devops
  order: 255
  selector: env == "stage"
  ingress:
    - action: Deny
      source:
        selector: env != "stage"
    - action: Pass
  egress:
    - action: Deny
      destination:
        selector: env != "stage"
    - action: Pass
  types:
    - Ingress
    - Egress
`)
	if devops.Tier() != "devops" || *devops.Spec.Order != 255 || devops.Spec.Ingress[1].Action != "Pass" || devops.Spec.Egress[0].Destination.Selector != `env != "stage"` {
		t.Errorf("devops.stage-env: tier %s %+v", devops.Tier(), devops.Spec)
	}
	if tier, differs := devops.LegacyNameTier(); differs {
		t.Errorf("devops.stage-env: legacy name tier %s differs", tier)
	}
}

func TestDecodeCalicoRuleFields(t *testing.T) {
	p := decodeCalico(t, `
apiVersion: crd.projectcalico.org/v1
kind: GlobalNetworkPolicy
metadata: {name: default.everything}
spec:
  tier: default
  order: 10.5
  selector: all()
  serviceAccountSelector: has(team)
  doNotTrack: true
  preDNAT: false
  applyOnForward: true
  performanceHints: [AssumeNeededOnEveryNode]
  ingress:
  - action: Log
    protocol: 58
    ipVersion: 6
    icmp: {type: 128, code: 0}
    notICMP: {type: 129}
  - action: Deny
    notProtocol: "17"
    source:
      nets: [10.0.0.0/8]
      notNets: [10.1.0.0/16]
      notSelector: has(bad)
      namespaceSelector: global()
      ports: [1]
      notPorts: ["2:3"]
      serviceAccounts: {names: [api, web], selector: "tier == 'x'"}
  - action: Allow
    protocol: TCP
    http:
      methods: [GET]
      paths: [{exact: /a}, {prefix: /b}]
    destination:
      services: {name: kubernetes, namespace: default}
  - action: Allow
    http: null
    source: null
`)
	want := []CalicoRule{
		{
			Action:    "Log",
			Protocol:  &CalicoProtocol{Number: 58},
			IPVersion: calicoIntp(6),
			ICMP:      &CalicoICMP{Type: calicoIntp(128), Code: calicoIntp(0)},
			NotICMP:   &CalicoICMP{Type: calicoIntp(129)},
		},
		{
			Action:      "Deny",
			NotProtocol: &CalicoProtocol{Number: 17},
			Source: CalicoEntityRule{
				Nets: []string{"10.0.0.0/8"}, NotNets: []string{"10.1.0.0/16"},
				NotSelector: "has(bad)", NamespaceSelector: "global()",
				Ports: []CalicoPort{{Min: 1, Max: 1}}, NotPorts: []CalicoPort{{Min: 2, Max: 3}},
				ServiceAccounts: &CalicoServiceAccountMatch{Names: []string{"api", "web"}, Selector: "tier == 'x'"},
			},
		},
		{
			Action:      "Allow",
			Protocol:    &CalicoProtocol{Name: "TCP", Number: 6},
			HTTP:        []byte(`{"methods":["GET"],"paths":[{"exact":"/a"},{"prefix":"/b"}]}`),
			Destination: CalicoEntityRule{Services: &CalicoServiceMatch{Name: "kubernetes", Namespace: "default"}},
		},
		{Action: "Allow"},
	}
	if !reflect.DeepEqual(p.Spec.Ingress, want) {
		t.Errorf("ingress:\n got %+v\nwant %+v", p.Spec.Ingress, want)
	}
	s := p.Spec
	if *s.Order != 10.5 || s.Selector != "all()" || s.ServiceAccountSelector != "has(team)" || !s.DoNotTrack || s.PreDNAT || !s.ApplyOnForward ||
		!reflect.DeepEqual(s.PerformanceHints, []string{"AssumeNeededOnEveryNode"}) {
		t.Errorf("spec %+v", s)
	}
	if p.Name != "default.everything" || p.Tier() != "default" {
		t.Errorf("name %s tier %s", p.Name, p.Tier())
	}
	if tier, differs := p.LegacyNameTier(); differs {
		t.Errorf("legacy name tier %s differs", tier)
	}

	// No spec at all: every field takes its default.
	empty, err := DecodeCalicoPolicy(KindCalicoNetworkPolicy, map[string]any{"metadata": map[string]any{"name": "n", "namespace": "ns"}})
	if err != nil || !reflect.DeepEqual(empty.Spec, CalicoPolicySpec{}) || empty.Tier() != "default" {
		t.Errorf("no spec: %+v %v", empty, err)
	}
}

// TestDecodeCalicoPorts covers https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#ports:
// numbers, "start:end" ranges and names, and Calico's validation of them.
func TestDecodeCalicoPorts(t *testing.T) {
	decode := func(ports string) ([]CalicoPort, error) {
		obj := calicoObject(t, `
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: `+ports)
		p, err := DecodeCalicoPolicy(KindCalicoNetworkPolicy, obj)
		if err != nil {
			return nil, err
		}
		return p.Spec.Ingress[0].Destination.Ports, nil
	}
	got, err := decode(`[8080, '1234:5678', 'named-port', "443", "0080", 65535, "1:65535", "9:9", "web_1.x"]`)
	if err != nil {
		t.Fatal(err)
	}
	want := []CalicoPort{
		{Min: 8080, Max: 8080}, {Min: 1234, Max: 5678}, {Name: "named-port"}, {Min: 443, Max: 443}, {Min: 80, Max: 80},
		{Min: 65535, Max: 65535}, {Min: 1, Max: 65535}, {Min: 9, Max: 9}, {Name: "web_1.x"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ports:\n got %+v\nwant %+v", got, want)
	}
	var texts []string
	for _, p := range got {
		texts = append(texts, p.String())
	}
	if s := strings.Join(texts, ","); s != "8080,1234:5678,named-port,443,80,65535,1:65535,9,web_1.x" {
		t.Errorf("String: %s", s)
	}
	for _, c := range []struct{ ports, want string }{
		{`[0]`, "port 0: not a port number 1-65535"},
		{`[65536]`, "port 65536: not a port number 1-65535"},
		{`[-1]`, "port -1: not a port number"},
		{`[80.5]`, "port 80.5: not a port number"},
		{`[true]`, "port true: not a port number"},
		{`[null]`, "port null: not a port number"},
		{`["0"]`, `port "0": not a port number`},
		{`["70000"]`, `port "70000": not a port number`},
		{`["10:5"]`, `port range "10:5": start is greater than end`},
		{`["0:5"]`, `port range "0:5": not a port number`},
		{`["5:70000"]`, `port range "5:70000": not a port number`},
		{`["80:"]`, `port "80:" is neither a number, a range start:end nor a port name`},
		{`["http port"]`, `port "http port" is neither`},
		{`[""]`, `port "" is neither`},
		{`["` + strings.Repeat("p", 129) + `"]`, `is neither`},
		{`[{port: 80}]`, `port {"port":80}: not a port number`},
	} {
		_, err := decode(c.ports)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ports %s: got error %v, want %q", c.ports, err, c.want)
		}
	}
}

func TestDecodeCalicoProtocols(t *testing.T) {
	decode := func(proto string) (*CalicoProtocol, error) {
		obj := calicoObject(t, `
kind: GlobalNetworkPolicy
metadata: {name: p}
spec:
  egress:
  - action: Allow
    protocol: `+proto)
		p, err := DecodeCalicoPolicy(KindCalicoGlobalNetworkPolicy, obj)
		if err != nil {
			return nil, err
		}
		return p.Spec.Egress[0].Protocol, nil
	}
	for _, c := range []struct {
		proto string
		want  CalicoProtocol
		text  string
	}{
		{"TCP", CalicoProtocol{Name: "TCP", Number: 6}, "TCP"},
		{"UDP", CalicoProtocol{Name: "UDP", Number: 17}, "UDP"},
		{"ICMP", CalicoProtocol{Name: "ICMP", Number: 1}, "ICMP"},
		{"ICMPv6", CalicoProtocol{Name: "ICMPv6", Number: 58}, "ICMPv6"},
		{"SCTP", CalicoProtocol{Name: "SCTP", Number: 132}, "SCTP"},
		{"UDPLite", CalicoProtocol{Name: "UDPLite", Number: 136}, "UDPLite"},
		{"6", CalicoProtocol{Number: 6}, "6"},
		{`"6"`, CalicoProtocol{Number: 6}, "6"},
		{"255", CalicoProtocol{Number: 255}, "255"},
	} {
		got, err := decode(c.proto)
		if err != nil || got == nil || *got != c.want || got.String() != c.text {
			t.Errorf("protocol %s: got %+v %v, want %+v", c.proto, got, err, c.want)
		}
	}
	for _, proto := range []string{"tcp", "Tcp", "ICMPV6", "HTTP", "0", `"0"`, "256", "-6", "6.5", "true", `""`, "{}"} {
		if _, err := decode(proto); err == nil || !strings.Contains(err.Error(), "is not one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255") {
			t.Errorf("protocol %s: got %v, want a protocol error", proto, err)
		}
	}
	if got, err := decode("null"); err != nil || got != nil {
		t.Errorf("protocol null: got %+v %v, want none", got, err)
	}
}

func TestDecodeCalicoPolicyRejects(t *testing.T) {
	for _, c := range []struct{ name, doc, want string }{
		{"unknown spec field", `
kind: GlobalNetworkPolicy
metadata: {name: p}
spec: {selector: all(), priority: 3}`, `spec: json: unknown field "priority"`},
		{"unknown rule field", `
kind: GlobalNetworkPolicy
metadata: {name: p}
spec:
  ingress: [{action: Allow, dscp: 4}]`, `unknown field "dscp"`},
		{"unknown entity rule field", `
kind: GlobalNetworkPolicy
metadata: {name: p}
spec:
  egress: [{action: Allow, destination: {domains: [example.com]}}]`, `unknown field "domains"`},
		{"unknown icmp field", `
kind: GlobalNetworkPolicy
metadata: {name: p}
spec:
  egress: [{action: Allow, protocol: ICMP, icmp: {type: 8, kind: x}}]`, `unknown field "kind"`},
		{"unknown serviceAccounts field", `
kind: GlobalNetworkPolicy
metadata: {name: p}
spec:
  egress: [{action: Allow, destination: {serviceAccounts: {namespace: x}}}]`, `unknown field "namespace"`},
		{"unknown services field", `
kind: GlobalNetworkPolicy
metadata: {name: p}
spec:
  egress: [{action: Allow, destination: {services: {name: x, port: 80}}}]`, `unknown field "port"`},
		{"unknown rule metadata field", `
kind: GlobalNetworkPolicy
metadata: {name: p}
spec:
  egress: [{action: Allow, metadata: {labels: {a: b}}}]`, `unknown field "labels"`},
		{"wrong type", `
kind: GlobalNetworkPolicy
metadata: {name: p}
spec: {order: first}`, `spec: json: cannot unmarshal string`},
		{"namespaceSelector in a NetworkPolicy", `
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec: {namespaceSelector: all()}`, `spec.namespaceSelector: only a GlobalNetworkPolicy has this field`},
		{"doNotTrack in a NetworkPolicy", `
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec: {doNotTrack: false}`, `spec.doNotTrack: only a GlobalNetworkPolicy has this field`},
		{"preDNAT in a NetworkPolicy", `
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec: {preDNAT: true}`, `spec.preDNAT: only`},
		{"applyOnForward in a NetworkPolicy", `
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec: {applyOnForward: true}`, `spec.applyOnForward: only`},
		{"not a Calico kind", `
kind: CiliumNetworkPolicy
metadata: {name: p, namespace: x}
spec: {}`, `kind "CiliumNetworkPolicy" is not a Calico policy kind`},
	} {
		obj := calicoObject(t, c.doc)
		_, err := DecodeCalicoPolicy(calicoKindOf(obj), obj)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want %q", c.name, err, c.want)
		}
	}
	// A GlobalNetworkPolicy ignores a namespace in its metadata, as the
	// API server does for a cluster-scoped kind.
	obj := calicoObject(t, `
kind: GlobalNetworkPolicy
metadata: {name: p, namespace: x}
spec: {namespaceSelector: global(), preDNAT: true, applyOnForward: true}`)
	if p, err := DecodeCalicoPolicy(KindCalicoGlobalNetworkPolicy, obj); err != nil || p.Namespace != "" || !p.Spec.PreDNAT {
		t.Errorf("GlobalNetworkPolicy: %+v %v", p, err)
	}
}

func TestCalicoLegacyNameTier(t *testing.T) {
	for _, c := range []struct {
		name, specTier string
		tier, legacy   string
		differs        bool
	}{
		{name: "allow-dns", tier: "default", legacy: "default"},
		{name: "default.allow-dns", tier: "default", legacy: "default"},
		{name: "default.allow-dns", specTier: "default", tier: "default", legacy: "default"},
		{name: "security.allow-dns", specTier: "security", tier: "security", legacy: "security"},
		{name: "knp.default.web", tier: "default", legacy: "default"},
		{name: "ossg.default.sg-1", tier: "default", legacy: "default"},
		{name: "kanp.adminnetworkpolicy.x", specTier: "adminnetworkpolicy", tier: "adminnetworkpolicy", legacy: "adminnetworkpolicy"},
		{name: "kbanp.baselineadminnetworkpolicy.x", specTier: "baselineadminnetworkpolicy", tier: "baselineadminnetworkpolicy", legacy: "baselineadminnetworkpolicy"},
		// v3.32 lets names hold dots and a tier be named by spec.tier alone.
		{name: "allow.dns", tier: "default", legacy: "allow", differs: true},
		{name: "allow-dns", specTier: "security", tier: "security", legacy: "default", differs: true},
		{name: "platform.allow-dns", specTier: "security", tier: "security", legacy: "platform", differs: true},
	} {
		p := CalicoPolicy{Kind: KindCalicoGlobalNetworkPolicy, Name: c.name, Spec: CalicoPolicySpec{Tier: c.specTier}}
		legacy, differs := p.LegacyNameTier()
		if p.Tier() != c.tier || legacy != c.legacy || differs != c.differs {
			t.Errorf("%s (spec.tier %q): Tier %s, LegacyNameTier %s %t; want %s, %s %t", c.name, c.specTier, p.Tier(), legacy, differs, c.tier, c.legacy, c.differs)
		}
	}
}

// TestDecodeCalicoTier decodes the samples of
// https://docs.tigera.io/calico/latest/reference/resources/tier and
// .../network-policy/policy-tiers/tiered-policy.
func TestDecodeCalicoTier(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want CalicoTier
	}{
		{`
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: internal-access
spec:
  order: 100
  defaultAction: Deny
`, CalicoTier{Name: "internal-access", Order: calicoF64(100), DefaultAction: "Deny"}},
		{`
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: devops
spec:
  order: 300
  defaultAction: Pass
`, CalicoTier{Name: "devops", Order: calicoF64(300), DefaultAction: "Pass"}},
		{`
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: security
spec:
  order: 300
`, CalicoTier{Name: "security", Order: calicoF64(300), DefaultAction: "Deny"}},
		{`
apiVersion: crd.projectcalico.org/v1
kind: Tier
metadata: {name: last}
spec: {}
status:
  conditions: [{type: Ready, status: "True", reason: Ready}]
`, CalicoTier{Name: "last", DefaultAction: "Deny"}},
		{`
kind: Tier
metadata: {name: nospec}
`, CalicoTier{Name: "nospec", DefaultAction: "Deny"}},
	} {
		got, err := DecodeCalicoTier(calicoObject(t, c.doc))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v %v, want %+v", c.want.Name, got, err, c.want)
		}
	}
	for _, c := range []struct{ doc, want string }{
		{`{kind: Tier, metadata: {name: t}, spec: {order: 1, priority: 2}}`, `spec: json: unknown field "priority"`},
		{`{kind: Tier, metadata: {name: t}, spec: {defaultAction: Allow}}`, `spec.defaultAction "Allow" is neither Deny nor Pass`},
		{`{kind: Tier, metadata: {name: t}, spec: {defaultAction: deny}}`, `spec.defaultAction "deny" is neither Deny nor Pass`},
		{`{kind: Tier, metadata: {name: t}, spec: {order: high}}`, `cannot unmarshal string`},
	} {
		_, err := DecodeCalicoTier(calicoObject(t, c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want %q", c.doc, err, c.want)
		}
	}
}
