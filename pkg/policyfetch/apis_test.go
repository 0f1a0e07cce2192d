package policyfetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	sigsjson "sigs.k8s.io/json"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

var (
	calicoV3NP    = schema.GroupVersionResource{Group: "projectcalico.org", Version: "v3", Resource: "networkpolicies"}
	calicoCRDNP   = schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "networkpolicies"}
	calicoV3GNP   = schema.GroupVersionResource{Group: "projectcalico.org", Version: "v3", Resource: "globalnetworkpolicies"}
	calicoV3Tier  = schema.GroupVersionResource{Group: "projectcalico.org", Version: "v3", Resource: "tiers"}
	calicoCRDTier = schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "tiers"}
	ciliumNP      = schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumnetworkpolicies"}
)

func resource(gvr schema.GroupVersionResource, kind string, namespaced bool, verbs ...string) *metav1.APIResourceList {
	if verbs == nil {
		verbs = []string{"get", "list", "watch"}
	}
	return &metav1.APIResourceList{GroupVersion: gvr.GroupVersion().String(), APIResources: []metav1.APIResource{
		{Name: gvr.Resource, Kind: kind, Namespaced: namespaced, Verbs: verbs},
		{Name: gvr.Resource + "/status", Kind: kind, Namespaced: namespaced, Verbs: []string{"get"}},
	}}
}

func uobj(gvr schema.GroupVersionResource, kind, ns, name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: object(gvr.GroupVersion().String(), kind, ns, name)}
}

// fakeAPIs serves a namespace "shop" and the given discovery, with dynamic
// lists for every policy resource these tests use.
func fakeAPIs(t *testing.T, lists []*metav1.APIResourceList, objs ...runtime.Object) (*fake.Clientset, *dynamicfake.FakeDynamicClient) {
	t.Helper()
	client := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})
	client.Resources = lists
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		anpResource: "AdminNetworkPolicyList", banpResource: "BaselineAdminNetworkPolicyList",
		cnpBeta: "ClusterNetworkPolicyList", cnpAlpha2: "ClusterNetworkPolicyList",
		calicoV3NP: "NetworkPolicyList", calicoCRDNP: "NetworkPolicyList", ciliumNP: "CiliumNetworkPolicyList",
		calicoV3GNP: "GlobalNetworkPolicyList", calicoV3Tier: "TierList", calicoCRDTier: "TierList",
	}, objs...)
	return client, dyn
}

func fetchShop(t *testing.T, client *fake.Clientset, dyn *dynamicfake.FakeDynamicClient) (*Result, error) {
	t.Helper()
	return Fetch(context.Background(), client, dyn, Request{Known: []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}}})
}

func describe(us []policy.UnjudgedPolicy) []string {
	var out []string
	for _, u := range us {
		out = append(out, fmt.Sprintf("%s %s ns=%q name=%q: %s", u.Group, u.Kind, u.Namespace, u.Name, u.Reason))
	}
	return out
}

func requests(dyn *dynamicfake.FakeDynamicClient) []string {
	var out []string
	for _, a := range dyn.Actions() {
		out = append(out, a.GetVerb()+" "+a.GetResource().GroupResource().String()+" "+a.GetResource().Version)
	}
	slices.Sort(out)
	return out
}

// calicoRefs names the Calico policies of a snapshot.
func calicoRefs(s policy.Snapshot) []string {
	var out []string
	for _, c := range s.CalicoPolicies {
		out = append(out, c.Ref().String())
	}
	return out
}

// withSpec sets an object's spec, as JSON decodes it (numbers int64 or
// float64, as unstructured content must hold them).
func withSpec(u *unstructured.Unstructured, spec map[string]any) *unstructured.Unstructured {
	raw, err := json.Marshal(spec)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &m); err != nil {
		panic(err)
	}
	u.Object["spec"] = m
	return u
}

// Calico's aggregated API and its CRDs hold the same objects: the
// aggregated API is read when served, the CRDs otherwise; its policies and
// tiers alike. The CRDs show the name Calico stores ("default.a"), the
// aggregated API the v3 name ("a").
func TestCalicoGroupsReadOnce(t *testing.T) {
	v3 := resource(calicoV3NP, "NetworkPolicy", true)
	staged := resource(schema.GroupVersionResource{Group: "projectcalico.org", Version: "v3", Resource: "stagednetworkpolicies"}, "StagedNetworkPolicy", true)
	v3.APIResources = append(v3.APIResources, staged.APIResources...)
	v3.APIResources = append(v3.APIResources, resource(calicoV3Tier, "Tier", false).APIResources...)
	crd := resource(calicoCRDNP, "NetworkPolicy", true)
	crd.APIResources = append(crd.APIResources, resource(calicoCRDTier, "Tier", false).APIResources...)
	client, dyn := fakeAPIs(t, []*metav1.APIResourceList{v3, crd},
		withSpec(uobj(calicoV3NP, "NetworkPolicy", "shop", "a"), map[string]any{"selector": "app == 'web'", "order": 10}),
		uobj(calicoCRDNP, "NetworkPolicy", "shop", "default.a"),
		withSpec(uobj(calicoV3Tier, "Tier", "", "security"), map[string]any{"order": 100}),
		withSpec(uobj(calicoV3Tier, "Tier", "", "default"), map[string]any{"order": 1000000}),
		uobj(calicoCRDTier, "Tier", "", "crd-only"))
	res, err := fetchShop(t, client, dyn)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Snapshot.Unjudged) != 0 {
		t.Errorf("unjudged %q", describe(res.Snapshot.Unjudged))
	}
	if got, want := calicoRefs(res.Snapshot), []string{"NetworkPolicy.projectcalico.org shop/a"}; !slices.Equal(got, want) {
		t.Errorf("calico %q, want %q", got, want)
	}
	if c := res.Snapshot.CalicoPolicies; len(c) == 1 && (c[0].Spec.Selector != "app == 'web'" || *c[0].Spec.Order != 10) {
		t.Errorf("spec %+v", c[0].Spec)
	}
	var tiers []string
	for _, tr := range res.Snapshot.CalicoTiers {
		tiers = append(tiers, fmt.Sprintf("%s %v %s", tr.Name, *tr.Order, tr.DefaultAction))
	}
	if want := []string{"default 1e+06 Deny", "security 100 Deny"}; !slices.Equal(tiers, want) || !res.Snapshot.CalicoTiersKnown || res.CalicoTiersUnread != "" {
		t.Errorf("tiers %q (known %t, %q), want %q", tiers, res.Snapshot.CalicoTiersKnown, res.CalicoTiersUnread, want)
	}
	if want := []string{"crd.projectcalico.org/v1/NetworkPolicy", "projectcalico.org/v3/NetworkPolicy"}; !slices.Equal(res.PolicyAPIs, want) {
		t.Errorf("policy APIs %v, want %v", res.PolicyAPIs, want)
	}
	if got, want := requests(dyn), []string{"list networkpolicies.projectcalico.org v3", "list tiers.projectcalico.org v3"}; !slices.Equal(got, want) {
		t.Errorf("dynamic reads %v, want %v", got, want)
	}
}

// Without the aggregated API, Calico's policies and tiers are read from the
// CRDs, decoded as they are; an object with a field this version cannot
// read stays unjudged, with the error as its reason.
func TestCalicoCRDsDecoded(t *testing.T) {
	crd := resource(calicoCRDNP, "NetworkPolicy", true)
	crd.APIResources = append(crd.APIResources, resource(calicoCRDTier, "Tier", false).APIResources...)
	client, dyn := fakeAPIs(t, []*metav1.APIResourceList{crd},
		withSpec(uobj(calicoCRDNP, "NetworkPolicy", "shop", "default.allow"), map[string]any{"tier": "default", "ingress": []any{map[string]any{"action": "Allow"}}}),
		withSpec(uobj(calicoCRDNP, "NetworkPolicy", "shop", "security.block"), map[string]any{"tier": "security"}),
		withSpec(uobj(calicoCRDNP, "NetworkPolicy", "shop", "default.future"), map[string]any{"futureField": true}),
		withSpec(uobj(calicoCRDTier, "Tier", "", "security"), map[string]any{"order": 100, "defaultAction": "Pass"}))
	res, err := fetchShop(t, client, dyn)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := calicoRefs(res.Snapshot), []string{"NetworkPolicy.projectcalico.org shop/default.allow", "NetworkPolicy.projectcalico.org shop/security.block"}; !slices.Equal(got, want) {
		t.Errorf("calico %q, want %q", got, want)
	}
	for _, c := range res.Snapshot.CalicoPolicies {
		if tier, differs := c.LegacyNameTier(); differs {
			t.Errorf("%s: tier %s, but %s from its name", c.Ref(), c.Tier(), tier)
		}
	}
	want := []string{`crd.projectcalico.org NetworkPolicy ns="shop" name="default.future": has a field this version cannot read: spec: json: unknown field "futureField"`}
	if got := describe(res.Snapshot.Unjudged); !slices.Equal(got, want) {
		t.Errorf("unjudged %q, want %q", got, want)
	}
	if tr := res.Snapshot.CalicoTiers; !res.Snapshot.CalicoTiersKnown || len(tr) != 1 || tr[0].Name != "security" || tr[0].DefaultAction != "Pass" {
		t.Errorf("tiers %+v (known %t)", tr, res.Snapshot.CalicoTiersKnown)
	}
}

// Tiers that cannot be read leave them unknown, not an error, and the result
// says why; a failure to reach the API server is an error. No tier is read
// without a Calico policy kind.
func TestCalicoTiersUnread(t *testing.T) {
	gnp := resource(calicoV3GNP, "GlobalNetworkPolicy", false)
	gnp.APIResources = append(gnp.APIResources, resource(calicoV3Tier, "Tier", false).APIResources...)
	for _, tc := range []struct {
		name   string
		lists  []*metav1.APIResourceList
		tier   *unstructured.Unstructured
		err    error
		unread string // "-": Fetch fails
	}{
		{name: "forbidden", lists: []*metav1.APIResourceList{gnp}, err: apierrors.NewForbidden(calicoV3Tier.GroupResource(), "", errors.New("no")),
			unread: "cannot list projectcalico.org tiers: forbidden (needs list on tiers.projectcalico.org)"},
		{name: "unavailable", lists: []*metav1.APIResourceList{gnp}, err: apierrors.NewServiceUnavailable("try later"),
			unread: "cannot list projectcalico.org tiers: try later"},
		{name: "unreachable", lists: []*metav1.APIResourceList{gnp}, err: errors.New("connection reset by peer"), unread: "-"},
		{name: "unknown field", lists: []*metav1.APIResourceList{gnp}, tier: withSpec(uobj(calicoV3Tier, "Tier", "", "odd"), map[string]any{"colour": "blue"}),
			unread: `Tier odd has a field this version cannot read: spec: json: unknown field "colour"`},
		{name: "no Tier API", lists: []*metav1.APIResourceList{resource(calicoV3GNP, "GlobalNetworkPolicy", false)},
			unread: "Calico serves no Tier API that can be listed"},
		{name: "no Calico policy", lists: []*metav1.APIResourceList{resource(calicoV3Tier, "Tier", false)}},
	} {
		var objs []runtime.Object
		if tc.tier != nil {
			objs = append(objs, tc.tier)
		}
		client, dyn := fakeAPIs(t, tc.lists, objs...)
		if tc.err != nil {
			dyn.PrependReactor("list", "tiers", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, tc.err })
		}
		res, err := fetchShop(t, client, dyn)
		if tc.unread == "-" {
			if err == nil || !strings.Contains(err.Error(), "connection reset") {
				t.Errorf("%s: err = %v", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if res.Snapshot.CalicoTiersKnown || res.CalicoTiersUnread != tc.unread {
			t.Errorf("%s: known %t, unread %q, want %q", tc.name, res.Snapshot.CalicoTiersKnown, res.CalicoTiersUnread, tc.unread)
		}
		if tc.name == "no Calico policy" && slices.Contains(requests(dyn), "list tiers.projectcalico.org v3") {
			t.Errorf("%s: tiers read", tc.name)
		}
	}
}

// A group whose discovery failed: a known policy group becomes kinds that
// could not be listed (unless its objects are served by another group:
// Calico's NetworkPolicies are read from the CRDs, its GlobalNetworkPolicies
// have none here), and the judged group is read blindly.
func TestPartialDiscoveryFailure(t *testing.T) {
	client, dyn := fakeAPIs(t, []*metav1.APIResourceList{resource(calicoCRDNP, "NetworkPolicy", true)},
		withSpec(uobj(calicoCRDNP, "NetworkPolicy", "shop", "default.a"), map[string]any{"bogus": 1}))
	unavailable := apierrors.NewServiceUnavailable("the server is currently unable to handle the request")
	client.PrependReactor("get", "resource", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, &discovery.ErrGroupDiscoveryFailed{Groups: map[schema.GroupVersion]error{
			{Group: "projectcalico.org", Version: "v3"}:        unavailable,
			{Group: "cilium.io", Version: "v2"}:                unavailable,
			{Group: "policy.networking.k8s.io", Version: "v1"}: unavailable,
			{Group: "metrics.k8s.io", Version: "v1beta1"}:      unavailable,
		}}
	})
	res, err := fetchShop(t, client, dyn)
	if err != nil {
		t.Fatal(err)
	}
	reason := `discovery of cilium.io failed (cilium.io/v2: the server is currently unable to handle the request)`
	want := []string{
		`cilium.io CiliumClusterwideNetworkPolicy ns="" name="": ` + reason,
		`cilium.io CiliumNetworkPolicy ns="" name="": ` + reason,
		`crd.projectcalico.org NetworkPolicy ns="shop" name="default.a": has a field this version cannot read: spec: json: unknown field "bogus"`,
		`projectcalico.org GlobalNetworkPolicy ns="" name="": discovery of projectcalico.org failed (projectcalico.org/v3: the server is currently unable to handle the request)`,
	}
	if got := describe(res.Snapshot.Unjudged); !slices.Equal(got, want) {
		t.Errorf("unjudged\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, u := range res.Snapshot.Unjudged {
		if u.Kind == "CiliumNetworkPolicy" && !u.Namespaced {
			t.Errorf("%+v: the table says namespaced", u)
		}
	}
	tiersWant := "discovery of Calico's Tier API failed (projectcalico.org/v3: the server is currently unable to handle the request)"
	if res.Snapshot.CalicoTiersKnown || res.CalicoTiersUnread != tiersWant {
		t.Errorf("tiers known %t, unread %q, want %q", res.Snapshot.CalicoTiersKnown, res.CalicoTiersUnread, tiersWant)
	}
	for _, r := range []string{"list clusternetworkpolicies.policy.networking.k8s.io v1beta1", "list adminnetworkpolicies.policy.networking.k8s.io v1alpha1"} {
		if !slices.Contains(requests(dyn), r) {
			t.Errorf("no blind read %q among %v", r, requests(dyn))
		}
	}
}

func TestDiscoveryFailureIsAnError(t *testing.T) {
	client, dyn := fakeAPIs(t, nil)
	client.PrependReactor("get", "group", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	if _, err := fetchShop(t, client, dyn); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %v", err)
	}
}

// A refused list (any API answer) is an unjudged kind, not an error; a
// failure to reach the API server is an error.
func TestUnjudgedListFailures(t *testing.T) {
	lists := []*metav1.APIResourceList{resource(ciliumNP, "CiliumNetworkPolicy", true)}
	for _, tc := range []struct {
		err    error
		reason string // "" : Fetch fails
	}{
		{apierrors.NewForbidden(ciliumNP.GroupResource(), "", errors.New("no")),
			"cannot list cilium.io ciliumnetworkpolicies in namespace shop: forbidden (needs list on ciliumnetworkpolicies.cilium.io)"},
		{apierrors.NewServiceUnavailable("try later"), "cannot list cilium.io ciliumnetworkpolicies in namespace shop: try later"},
		{errors.New("connection reset by peer"), ""},
	} {
		client, dyn := fakeAPIs(t, lists)
		dyn.PrependReactor("list", "ciliumnetworkpolicies", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, tc.err
		})
		res, err := fetchShop(t, client, dyn)
		if tc.reason == "" {
			if err == nil || !strings.Contains(err.Error(), "connection reset") {
				t.Errorf("%v: err = %v", tc.err, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.err, err)
		}
		want := policy.UnjudgedPolicy{Group: "cilium.io", Kind: "CiliumNetworkPolicy", Namespaced: true, Namespace: "shop", Reason: tc.reason}
		if len(res.Snapshot.Unjudged) != 1 || res.Snapshot.Unjudged[0] != want {
			t.Errorf("%v: unjudged %+v, want %+v", tc.err, res.Snapshot.Unjudged, want)
		}
	}
}

// A policy kind that cannot be listed at all may hold anything.
func TestUnlistableKind(t *testing.T) {
	gvr := schema.GroupVersionResource{Group: "example.net", Version: "v1", Resource: "firewallnetworkpolicies"}
	client, dyn := fakeAPIs(t, []*metav1.APIResourceList{resource(gvr, "FirewallNetworkPolicy", false, "get", "create")})
	res, err := fetchShop(t, client, dyn)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`example.net FirewallNetworkPolicy ns="" name="": example.net firewallnetworkpolicies cannot be listed (the API offers no list)`}
	if got := describe(res.Snapshot.Unjudged); !slices.Equal(got, want) {
		t.Errorf("unjudged %q, want %q", got, want)
	}
}

func TestClassifyKind(t *testing.T) {
	for _, tc := range []struct {
		group, kind       string
		isPolicy, inTable bool
	}{
		{"cilium.io", "CiliumNetworkPolicy", true, true},
		{"crd.projectcalico.org", "GlobalNetworkPolicy", true, true},
		{"crd.projectcalico.org", "StagedGlobalNetworkPolicy", false, false},
		{"projectcalico.org", "StagedKubernetesNetworkPolicy", false, false},
		{"crd.antrea.io", "ClusterNetworkPolicy", true, true},
		{"crd.antrea.io", "AntreaNetworkPolicy", true, false},
		{"k8s.ovn.org", "EgressFirewall", true, true},
		{"k8s.cni.cncf.io", "MultiNetworkPolicy", true, false},
		{"example.net", "NetworkPolicies", true, false},
		{"networking.k8s.io", "NetworkPolicy", false, false},
		{"policy.networking.k8s.io", "ClusterNetworkPolicy", false, false},
		{"", "NetworkPolicy", false, false},
		{"controlplane.antrea.io", "NetworkPolicy", false, false},
		{"cilium.io", "CiliumEndpoint", false, false},
	} {
		_, isPolicy, inTable := ClassifyKind(tc.group, tc.kind)
		if isPolicy != tc.isPolicy || inTable != tc.inTable {
			t.Errorf("%s %s: policy %t, in table %t", tc.group, tc.kind, isPolicy, inTable)
		}
	}
}

func TestNodesPeerOfClusterNetworkPolicy(t *testing.T) {
	peer := func(p cnp.ClusterNetworkPolicyEgressPeer) policy.Snapshot {
		return policy.Snapshot{ClusterNetworkPolicies: []cnp.ClusterNetworkPolicy{{Spec: cnp.ClusterNetworkPolicySpec{
			Egress: []cnp.ClusterNetworkPolicyEgressRule{{To: []cnp.ClusterNetworkPolicyEgressPeer{p}}}}}}}
	}
	if !hasNodesPeer(peer(cnp.ClusterNetworkPolicyEgressPeer{Nodes: &metav1.LabelSelector{}})) {
		t.Error("a nodes peer of a ClusterNetworkPolicy not seen")
	}
	if hasNodesPeer(peer(cnp.ClusterNetworkPolicyEgressPeer{Namespaces: &metav1.LabelSelector{}})) {
		t.Error("a namespaces peer taken for a nodes peer")
	}
}
