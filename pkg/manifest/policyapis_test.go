package manifest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

const cnpSpec = `
spec:
  tier: Admin
  priority: 10
  subject:
    namespaces: {matchLabels: {team: shop}}
  ingress:
  - name: deny-ops
    action: Deny
    from:
    - namespaces: {matchLabels: {team: ops}}
`

func TestClusterNetworkPolicyVersions(t *testing.T) {
	for _, version := range []string{"v1beta1", "v1alpha2"} {
		doc := "apiVersion: policy.networking.k8s.io/" + version + "\nkind: ClusterNetworkPolicy\nmetadata: {name: deny-ops}" + cnpSpec
		res, err := LoadBytes("cnp.yaml", []byte(doc), Options{})
		if err != nil {
			t.Fatalf("%s: %v", version, err)
		}
		cnps := res.Snapshot.ClusterNetworkPolicies
		if len(cnps) != 1 {
			t.Fatalf("%s: %d ClusterNetworkPolicies", version, len(cnps))
		}
		p := cnps[0]
		if p.APIVersion != "policy.networking.k8s.io/v1beta1" || p.Name != "deny-ops" || p.Spec.Tier != "Admin" || p.Spec.Priority != 10 ||
			len(p.Spec.Ingress) != 1 || p.Spec.Ingress[0].From[0].Namespaces.MatchLabels["team"] != "ops" {
			t.Errorf("%s: decoded %+v", version, p)
		}
		if len(res.Warnings) != 0 {
			t.Errorf("%s: warnings %v", version, res.Warnings)
		}
	}
}

// The two versions are one CRD: a v1alpha2 object replaces a v1beta1 one
// of the same name, as kubectl apply would.
func TestClusterNetworkPolicyReplacedAcrossVersions(t *testing.T) {
	doc := "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}" + cnpSpec +
		"---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: p}" +
		strings.Replace(cnpSpec, "priority: 10", "priority: 20", 1)
	res, err := LoadBytes("cnp.yaml", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cnps := res.Snapshot.ClusterNetworkPolicies; len(cnps) != 1 || cnps[0].Spec.Priority != 20 {
		t.Errorf("ClusterNetworkPolicies %+v, want the second one only", cnps)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].String() != "cnp.yaml: document 2: ClusterNetworkPolicy p replaces the one in cnp.yaml, document 1" {
		t.Errorf("warnings %v", res.Warnings)
	}
}

func TestClusterNetworkPolicyErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"apiVersion: policy.networking.k8s.io/v1alpha1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}" + cnpSpec,
			`ClusterNetworkPolicy with apiVersion "policy.networking.k8s.io/v1alpha1" is not supported: use policy.networking.k8s.io/v1beta1`},
		{"apiVersion: networking.k8s.io/v1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}" + cnpSpec,
			`ClusterNetworkPolicy with apiVersion "networking.k8s.io/v1" is not supported: use policy.networking.k8s.io/v1beta1`},
		{"apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: p}" + strings.Replace(cnpSpec, "tier:", "teir:", 1),
			`unknown field "spec.teir"`},
		{"apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {}" + cnpSpec,
			"ClusterNetworkPolicy has no metadata.name"},
	} {
		_, err := LoadBytes("cnp.yaml", []byte(tc.doc), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

const unjudgedDocs = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: l7, namespace: shop}
spec: {endpointSelector: {}}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: defaulted}
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: host-fw}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: default.allow-dns, namespace: shop}
spec: {selector: all()}
---
apiVersion: crd.projectcalico.org/v1
kind: GlobalNetworkPolicy
metadata: {name: default-deny}
---
apiVersion: crd.projectcalico.org/v1
kind: StagedNetworkPolicy
metadata: {name: trial, namespace: shop}
---
apiVersion: k8s.ovn.org/v1
kind: EgressFirewall
metadata: {name: default, namespace: ops}
---
apiVersion: example.net/v1
kind: FirewallNetworkPolicy
metadata: {name: odd, namespace: ops}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicyList
items:
- metadata: {name: from-list, namespace: ops}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: future, namespace: shop}
spec: {endpointSelector: {}, ingress: [{fromFuture: [{}]}]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: future}
spec: {selector: all(), futureField: true}
`

// Cilium and Calico policies are decoded for the engine, unless they hold a
// field this version cannot read. Policies of APIs the engine does not
// evaluate become unjudged entries (dropping them could turn a deny into a
// wrong "allowed"), with a warning each; Calico's staged policies do not
// enforce and are skipped.
func TestUnjudgedKinds(t *testing.T) {
	res, err := LoadBytes("cni.yaml", []byte(unjudgedDocs), Options{DefaultNamespace: "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range res.Snapshot.Unjudged {
		if u.Reason != u.Kind+" is not evaluated by this version" {
			t.Errorf("%+v: reason", u)
		}
		got = append(got, fmt.Sprintf("%s %s namespaced=%t", u.Group, u, u.Namespaced))
	}
	want := []string{
		"k8s.ovn.org EgressFirewall ops/default namespaced=true",
		// Outside the table the scope is unknown: taken as cluster-wide.
		"example.net FirewallNetworkPolicy odd namespaced=false",
		"cilium.io CiliumNetworkPolicy shop/future namespaced=true",
		"projectcalico.org GlobalNetworkPolicy future namespaced=false",
	}
	if !slices.Equal(got, want) {
		t.Errorf("unjudged\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	var cilium []string
	for _, c := range res.Snapshot.CiliumPolicies {
		cilium = append(cilium, c.Ref().String())
	}
	wantCilium := []string{"CiliumNetworkPolicy shop/l7", "CiliumNetworkPolicy team-a/defaulted", "CiliumClusterwideNetworkPolicy host-fw", "CiliumNetworkPolicy ops/from-list"}
	if !slices.Equal(cilium, wantCilium) {
		t.Errorf("cilium\n  %s\nwant\n  %s", strings.Join(cilium, "\n  "), strings.Join(wantCilium, "\n  "))
	}
	var calico []string
	for _, c := range res.Snapshot.CalicoPolicies {
		calico = append(calico, c.Ref().String())
	}
	wantCalico := []string{"NetworkPolicy.projectcalico.org shop/default.allow-dns", "GlobalNetworkPolicy.projectcalico.org default-deny"}
	if !slices.Equal(calico, wantCalico) {
		t.Errorf("calico\n  %s\nwant\n  %s", strings.Join(calico, "\n  "), strings.Join(wantCalico, "\n  "))
	}
	var warnings []string
	for _, w := range res.Warnings {
		warnings = append(warnings, w.String())
	}
	for _, w := range []string{
		`cni.yaml: document 11: GlobalNetworkPolicy (projectcalico.org/v3): not judged, it has a field this version cannot read: spec: json: unknown field "futureField"`,
		"cni.yaml: document 11: GlobalNetworkPolicy future (projectcalico.org/v3) not evaluated by this version: pods it may select are undecided",
		`cni.yaml: document 10: CiliumNetworkPolicy: not judged, it has a field this version cannot read: spec: json: unknown field "fromFuture"`,
		"cni.yaml: document 6: StagedNetworkPolicy (crd.projectcalico.org/v1) skipped: not used by network policy analysis",
		"cni.yaml: document 8: FirewallNetworkPolicy odd (example.net/v1) not evaluated by this version: pods it may select are undecided; its scope is unknown, so it may select pods of every namespace",
	} {
		if !slices.Contains(warnings, w) {
			t.Errorf("missing warning %q in\n  %s", w, strings.Join(warnings, "\n  "))
		}
	}
}

// The same object given twice is one entry: the later one.
func TestUnjudgedReplaced(t *testing.T) {
	doc := "apiVersion: crd.antrea.io/v1beta1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: shop}\n---\n" +
		"apiVersion: crd.antrea.io/v1beta1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: shop}\n"
	res, err := LoadBytes("antrea.yaml", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if u := res.Snapshot.Unjudged; len(u) != 1 || u[0].Group != "crd.antrea.io" {
		t.Errorf("unjudged %+v, want one", u)
	}
}

// A NetworkPolicy of the core group is a mistake, not another API: still an
// error, as before.
func TestCoreNetworkPolicyStillAnError(t *testing.T) {
	_, err := LoadBytes("np.yaml", []byte("apiVersion: v1\nkind: NetworkPolicy\nmetadata: {name: a}\n"), Options{})
	if err == nil || !strings.Contains(err.Error(), `NetworkPolicy with apiVersion "v1" is not supported: use networking.k8s.io/v1`) {
		t.Errorf("err = %v", err)
	}
}

// The engine leaves undecided a flow to a pod an unjudged policy may select,
// and decides one to a pod it cannot select.
func TestUnjudgedPolicyMakesFlowsUndecided(t *testing.T) {
	doc := `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ops, labels: {app: web}}
status: {podIP: 10.0.0.2}
---
apiVersion: crd.antrea.io/v1beta1
kind: NetworkPolicy
metadata: {name: l7, namespace: shop}
`
	res, err := LoadBytes("flow.yaml", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := policy.New(res.Snapshot)
	flow := func(dstNS string) policy.Flow {
		return policy.Flow{Src: policy.PodEndpoint("ops", "web"), Dst: policy.PodEndpoint(dstNS, "web"), Port: intstr.FromInt32(80)}
	}
	if got := e.Decide(flow("shop")); got != policy.Undecided {
		t.Errorf("to shop/web (an Antrea NetworkPolicy may select it): %s", got)
	}
	if got := e.Decide(flow("ops")); got != policy.Allowed {
		t.Errorf("to ops/web (no policy may select it): %s", got)
	}
}

// Cilium policies from manifests are judged: the allow decides for the pod
// it selects, and default deny holds for the others it selects.
func TestCiliumFromManifests(t *testing.T) {
	doc := `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: ops, labels: {app: client}}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: ops, labels: {app: other}}
status: {podIP: 10.0.0.3}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: client, k8s:io.kubernetes.pod.namespace: ops}}]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
`
	res, err := LoadBytes("cilium.yaml", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := policy.New(res.Snapshot)
	for _, tc := range []struct {
		from string
		port int32
		want policy.Result
	}{{"client", 80, policy.Allowed}, {"client", 81, policy.Denied}, {"other", 80, policy.Denied}} {
		f := policy.Flow{Src: policy.PodEndpoint("ops", tc.from), Dst: policy.PodEndpoint("shop", "web"), Port: intstr.FromInt32(tc.port)}
		if v := e.Evaluate(f); v.Result != tc.want {
			t.Errorf("%s -> shop/web:%d = %s, want %s (%s)", tc.from, tc.port, v.Result, tc.want, v.Reason)
		}
	}
}

// Calico policies of both groups are decoded for the engine: a namespaced
// one without a namespace gets the default one, the same identity under the
// other group replaces the earlier object (also across decoded and unjudged),
// and Tier objects of both groups become the snapshot's tiers, which stay
// not known to be complete offline.
func TestCalicoFromManifests(t *testing.T) {
	doc := `apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow-dns}
spec: {selector: all(), order: 100, types: [Egress], egress: [{action: Allow, protocol: UDP, destination: {ports: [53]}}]}
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {name: allow-dns, namespace: team-a}
spec: {selector: all(), order: 200}
---
apiVersion: crd.projectcalico.org/v1
kind: GlobalNetworkPolicy
metadata: {name: security.deny-ops, namespace: ignored}
spec: {tier: security, namespaceSelector: team == 'ops', ingress: [{action: Deny}]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: wide, namespace: shop}
spec: {namespaceSelector: all()}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: later-bad, namespace: shop}
spec: {selector: all()}
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {name: later-bad, namespace: shop}
spec: {selector: all(), bogus: 1}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: later-good, namespace: shop}
spec: {bogus: 1}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: later-good, namespace: shop}
spec: {selector: all()}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: crd.projectcalico.org/v1
kind: Tier
metadata: {name: security}
spec: {order: 50, defaultAction: Pass}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: odd}
spec: {order: 10, colour: blue}
`
	res, err := LoadBytes("calico.yaml", []byte(doc), Options{DefaultNamespace: "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	var calico []string
	for _, c := range res.Snapshot.CalicoPolicies {
		order := "-"
		if c.Spec.Order != nil {
			order = fmt.Sprint(*c.Spec.Order)
		}
		calico = append(calico, fmt.Sprintf("%s tier=%s order=%s", c.Ref(), c.Tier(), order))
	}
	wantCalico := []string{
		"NetworkPolicy.projectcalico.org team-a/allow-dns tier=default order=200",
		"GlobalNetworkPolicy.projectcalico.org security.deny-ops tier=security order=-",
		"NetworkPolicy.projectcalico.org shop/later-good tier=default order=-",
	}
	if !slices.Equal(calico, wantCalico) {
		t.Errorf("calico\n  %s\nwant\n  %s", strings.Join(calico, "\n  "), strings.Join(wantCalico, "\n  "))
	}
	var unjudged []string
	for _, u := range res.Snapshot.Unjudged {
		unjudged = append(unjudged, u.Group+" "+u.String())
	}
	wantUnjudged := []string{"projectcalico.org NetworkPolicy shop/wide", "crd.projectcalico.org NetworkPolicy shop/later-bad"}
	if !slices.Equal(unjudged, wantUnjudged) {
		t.Errorf("unjudged %q, want %q", unjudged, wantUnjudged)
	}
	s := res.Snapshot
	if len(s.CalicoTiers) != 1 || s.CalicoTiers[0].Name != "security" || *s.CalicoTiers[0].Order != 50 || s.CalicoTiers[0].DefaultAction != "Pass" {
		t.Errorf("tiers %+v, want the second security tier only", s.CalicoTiers)
	}
	if s.CalicoTiersKnown {
		t.Error("tiers known offline")
	}
	var warnings []string
	for _, w := range res.Warnings {
		warnings = append(warnings, w.String())
	}
	for _, w := range []string{
		"calico.yaml: document 2: NetworkPolicy.projectcalico.org team-a/allow-dns replaces the one in calico.yaml, document 1",
		"calico.yaml: document 4: NetworkPolicy (projectcalico.org/v3): not judged, it has a field this version cannot read: spec.namespaceSelector: only a GlobalNetworkPolicy has this field",
		`calico.yaml: document 6: NetworkPolicy (crd.projectcalico.org/v1): not judged, it has a field this version cannot read: spec: json: unknown field "bogus"`,
		"calico.yaml: document 6: NetworkPolicy shop/later-bad (crd.projectcalico.org/v1) not evaluated by this version: pods it may select are undecided",
		"calico.yaml: document 6: NetworkPolicy shop/later-bad replaces the one in calico.yaml, document 5",
		"calico.yaml: document 8: NetworkPolicy.projectcalico.org shop/later-good replaces the one in calico.yaml, document 7",
		"calico.yaml: document 10: Tier security replaces the one in calico.yaml, document 9",
		`calico.yaml: document 11: Tier odd (projectcalico.org/v3) skipped: it has a field this version cannot read: spec: json: unknown field "colour"`,
	} {
		if !slices.Contains(warnings, w) {
			t.Errorf("missing warning %q in\n  %s", w, strings.Join(warnings, "\n  "))
		}
	}
	if _, err := LoadBytes("tier.yaml", []byte("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {}\n"), Options{}); err == nil ||
		!strings.Contains(err.Error(), "Tier has no metadata.name") {
		t.Errorf("a Tier without a name: %v", err)
	}
}

// Calico policies from manifests are judged in their tiers: a
// GlobalNetworkPolicy of an earlier tier denies what a NetworkPolicy of the
// default tier allows; Pass hands the flow to the default tier.
func TestCalicoJudgedFromManifests(t *testing.T) {
	doc := `apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: tool, namespace: ops, labels: {app: tool}}
status: {podIP: 10.0.0.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-all, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{namespaceSelector: {}}]}]
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.db-guard}
spec:
  tier: security
  order: 10
  selector: app == 'db'
  types: [Ingress]
  ingress:
  - action: Pass
    source: {namespaceSelector: projectcalico.org/name == 'shop'}
  - action: Deny
`
	res, err := LoadBytes("calico.yaml", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := policy.New(res.Snapshot)
	for _, tc := range []struct {
		from policy.Endpoint
		want policy.Result
	}{{policy.PodEndpoint("shop", "web"), policy.Allowed}, {policy.PodEndpoint("ops", "tool"), policy.Denied}} {
		f := policy.Flow{Src: tc.from, Dst: policy.PodEndpoint("shop", "db"), Port: intstr.FromInt32(5432)}
		if v := e.Evaluate(f); v.Result != tc.want {
			t.Errorf("%s -> shop/db = %s, want %s (%s)", tc.from, v.Result, tc.want, v.Reason)
		}
	}
}
