package netpol

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// NP002's summary names the ClusterNetworkPolicies, Cilium and Calico
// policies read, Calico tiers that could not be read and the policies not
// evaluated, and stays as it was when there are none.
func TestNetpolDescribeReadPolicyAPIs(t *testing.T) {
	cilium := func(ns, name string) policy.UnjudgedPolicy {
		return policy.UnjudgedPolicy{Group: "cilium.io", Kind: "CiliumNetworkPolicy", Namespaced: true, Namespace: ns, Name: name}
	}
	for _, tc := range []struct {
		name string
		w    World
		want string
	}{
		{"nothing new", World{Cluster: true, PolicyNamespaces: []string{"shop"}},
			"0 NetworkPolicy(ies) in namespace(s) shop; AdminNetworkPolicy API not installed"},
		{"ClusterNetworkPolicy API, none", World{Cluster: true, PolicyNamespaces: []string{"shop"},
			PolicyAPIs: []string{"policy.networking.k8s.io/v1alpha2/ClusterNetworkPolicy"}},
			"0 NetworkPolicy(ies) in namespace(s) shop; AdminNetworkPolicy API not installed; 0 ClusterNetworkPolicy(ies)"},
		{"unjudged", World{Cluster: true, PolicyNamespaces: []string{""}, PolicyAPIs: []string{"policy.networking.k8s.io/v1beta1/ClusterNetworkPolicy"},
			Snapshot: policy.Snapshot{
				ClusterNetworkPolicies: make([]cnp.ClusterNetworkPolicy, 2),
				Unjudged: []policy.UnjudgedPolicy{
					cilium("a", "x"), cilium("b", "y"),
					{Group: "crd.projectcalico.org", Kind: "GlobalNetworkPolicy", Name: "deny"},
					{Group: "cilium.io", Kind: "CiliumClusterwideNetworkPolicy", Reason: "cannot list ..."},
				}}},
			"0 NetworkPolicy(ies) in all namespaces; AdminNetworkPolicy API not installed; 2 ClusterNetworkPolicy(ies)" +
				"; not evaluated: 2 CiliumNetworkPolicy, 1 GlobalNetworkPolicy; not listed: CiliumClusterwideNetworkPolicy"},
		{"calico", World{Cluster: true, PolicyNamespaces: []string{"shop"},
			CalicoTiersUnread: "cannot list projectcalico.org tiers: forbidden (needs list on tiers.projectcalico.org)",
			Snapshot:          policy.Snapshot{CiliumPolicies: make([]policy.CiliumPolicy, 1), CalicoPolicies: make([]policy.CalicoPolicy, 3)}},
			"0 NetworkPolicy(ies) in namespace(s) shop; AdminNetworkPolicy API not installed; 1 Cilium policy(ies); 3 Calico policy(ies)" +
				"; Calico tiers not readable (cannot list projectcalico.org tiers: forbidden (needs list on tiers.projectcalico.org))"},
		{"offline calico", World{Snapshot: policy.Snapshot{CalicoPolicies: make([]policy.CalicoPolicy, 1)}},
			"0 NetworkPolicy(ies), 0 AdminNetworkPolicy(ies), no BaselineAdminNetworkPolicy; 1 Calico policy(ies)"},
		{"offline", World{Snapshot: policy.Snapshot{ClusterNetworkPolicies: make([]cnp.ClusterNetworkPolicy, 1), Unjudged: []policy.UnjudgedPolicy{cilium("a", "x")}}},
			"0 NetworkPolicy(ies), 0 AdminNetworkPolicy(ies), no BaselineAdminNetworkPolicy; 1 ClusterNetworkPolicy(ies); not evaluated: 1 CiliumNetworkPolicy"},
	} {
		if got := tc.w.describeRead(); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// Gather hands the ClusterNetworkPolicies and the Cilium policies read to
// the engine: a CiliumNetworkPolicy with an empty ingress rule selects the
// destination (named among the policies isolating it), and the
// NetworkPolicy's allow adds to it, as Cilium enforces them.
func TestNetpolGatherUnjudged(t *testing.T) {
	client, _ := fakeCluster(t)
	ciliumGVR := schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumnetworkpolicies"}
	client.Resources = []*metav1.APIResourceList{
		{GroupVersion: "cilium.io/v2", APIResources: []metav1.APIResource{{Name: "ciliumnetworkpolicies", Kind: "CiliumNetworkPolicy", Namespaced: true, Verbs: []string{"list"}}}},
		{GroupVersion: "policy.networking.k8s.io/v1beta1", APIResources: []metav1.APIResource{{Name: "clusternetworkpolicies", Kind: "ClusterNetworkPolicy", Verbs: []string{"list"}}}},
	}
	l7 := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
		"metadata": map[string]any{"name": "l7", "namespace": "shop"},
		"spec":     map[string]any{"endpointSelector": map[string]any{}, "ingress": []any{map[string]any{}}}}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		ciliumGVR: "CiliumNetworkPolicyList",
		{Group: "policy.networking.k8s.io", Version: "v1beta1", Resource: "clusternetworkpolicies"}: "ClusterNetworkPolicyList",
	}, l7)
	w, err := Gather(context.Background(), client, dyn, GatherRequest{Pods: []policy.PodRef{{Namespace: "shop", Name: "frontend"}, {Namespace: "shop", Name: "api"}}, SkipCNI: true})
	if err != nil || w.ReadErr != nil {
		t.Fatal(err, w.ReadErr)
	}
	if got := w.describeRead(); !strings.HasSuffix(got, "; 0 ClusterNetworkPolicy(ies); 1 Cilium policy(ies)") {
		t.Errorf("summary %q", got)
	}
	res, err := Flow(w, FlowRequest{Src: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "frontend"}}, Dst: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "api"}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"selected by","value":"shop/allow-frontend, CiliumNetworkPolicy shop/l7"`) || res.Verdict.Outcome != report.OK {
		t.Errorf("the report does not name the CiliumNetworkPolicy: %s", out)
	}
}

// NP002 counts the files read, not the -f arguments: a directory's files
// each count.
func TestNetpolLocalCountsFilesRead(t *testing.T) {
	dir := t.TempDir()
	for name, doc := range map[string]string{
		"pods.yaml":     "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: shop}\n",
		"more.yml":      "apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: shop}\n",
		"policies.json": `{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"p","namespace":"shop"},"spec":{"podSelector":{}}}`,
		"notes.txt":     "not a manifest",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	res, err := manifest.Load([]string{dir}, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := checkPolicies(FromManifests([]string{dir}, res))
	if !strings.HasPrefix(c.Message, "3 file(s) read: 2 pod(s)") {
		t.Errorf("NP002 %q", c.Message)
	}
}
