package policyfetch

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// clients serves one pod, one node and the admin policies given.
func clients(t *testing.T, admins ...runtime.Object) (*fake.Clientset, *dynamicfake.FakeDynamicClient) {
	t.Helper()
	client := fake.NewClientset(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-1"}},
	)
	client.Resources = []*metav1.APIResourceList{{GroupVersion: anpResource.GroupVersion().String(),
		APIResources: []metav1.APIResource{{Name: anpResource.Resource}, {Name: banpResource.Resource}}}}
	scheme := runtime.NewScheme()
	if err := anp.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, map[schema.GroupVersionResource]string{
		anpResource:  "AdminNetworkPolicyList",
		banpResource: "BaselineAdminNetworkPolicyList",
	}, admins...)
	return client, dyn
}

func adminPolicy(peer anp.AdminNetworkPolicyEgressPeer) *anp.AdminNetworkPolicy {
	return &anp.AdminNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: anp.GroupVersion.String(), Kind: "AdminNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: anp.AdminNetworkPolicySpec{Priority: 1, Subject: anp.AdminNetworkPolicySubject{Namespaces: &metav1.LabelSelector{}},
			Egress: []anp.AdminNetworkPolicyEgressRule{{Action: anp.AdminNetworkPolicyRuleActionDeny, To: []anp.AdminNetworkPolicyEgressPeer{peer}}}},
	}
}

func fetch(t *testing.T, client *fake.Clientset, dyn *dynamicfake.FakeDynamicClient) *Result {
	t.Helper()
	res, err := Fetch(context.Background(), client, dyn, Request{Pods: []policy.PodRef{{Namespace: "shop", Name: "web"}}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestNodesAreReadOnlyForNodesPeers(t *testing.T) {
	client, dyn := clients(t, adminPolicy(anp.AdminNetworkPolicyEgressPeer{Nodes: &metav1.LabelSelector{}}))
	res := fetch(t, client, dyn)
	if len(res.Snapshot.Nodes) != 1 || !res.AdminCRDs {
		t.Errorf("with a nodes peer: nodes %v, admin CRDs %t", res.Snapshot.Nodes, res.AdminCRDs)
	}
	client, dyn = clients(t, adminPolicy(anp.AdminNetworkPolicyEgressPeer{Namespaces: &metav1.LabelSelector{}}))
	res = fetch(t, client, dyn)
	if res.Snapshot.Nodes != nil {
		t.Errorf("without a nodes peer the Nodes were read: %v", res.Snapshot.Nodes)
	}
}

func TestForbiddenNodesLeaveThemUnknown(t *testing.T) {
	client, dyn := clients(t, adminPolicy(anp.AdminNetworkPolicyEgressPeer{Nodes: &metav1.LabelSelector{}}))
	client.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", nil)
	})
	if res := fetch(t, client, dyn); res.Snapshot.Nodes != nil {
		t.Errorf("nodes %v, want unknown (nil)", res.Snapshot.Nodes)
	}
}

// A cluster read lists every namespace: one the snapshot lacks does not
// exist, which the engine may rely on (manifests cannot).
func TestClusterSnapshotListsEveryNamespace(t *testing.T) {
	client, dyn := clients(t)
	res := fetch(t, client, dyn)
	if !res.Snapshot.NamespacesComplete || len(res.Snapshot.Namespaces) != 1 {
		t.Errorf("namespaces %v, complete %t; want every namespace, complete", res.Snapshot.Namespaces, res.Snapshot.NamespacesComplete)
	}
}
