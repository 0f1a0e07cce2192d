//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

var anpResource = schema.GroupVersionResource{Group: "policy.networking.k8s.io", Version: "v1alpha1", Resource: "adminnetworkpolicies"}

// TestAdminDenyOverridesNetworkPolicy: kube-network-policies enforces
// AdminNetworkPolicy in the test cluster. An admin Deny drops a flow that a
// NetworkPolicy allows, and `pod A B` names the admin rule as the cause of
// the timed-out probe.
func TestAdminDenyOverridesNetworkPolicy(t *testing.T) {
	ctx := testContext(t, 4*time.Minute)
	ns := newNamespace(ctx, t)
	createPod(ctx, t, ns, toolsPod("client", map[string]string{"app": "client"}))
	createPod(ctx, t, ns, serverPod("server", map[string]string{"app": "server"}))
	if _, err := client.NetworkingV1().NetworkPolicies(ns).Create(ctx, ingressOnlyFrom(ns, "allow-client", map[string]string{"app": "server"}, map[string]string{"app": "client"}, 8080), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var r report.Report
	eventually(ctx, t, 60*time.Second, "the NetworkPolicy allows the client", func(ctx context.Context) error {
		var code int
		r, _, code = netdebug(ctx, t, "pod", "client", "server", "-n", ns, "--port", "8080", "--probe-timeout", "3s")
		if code != 0 {
			return errorf("exit %d verdict %+v", code, r.Verdict)
		}
		return nil
	})

	dyn, err := dynamic.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	name := ns + "-deny-client"
	anp := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "policy.networking.k8s.io/v1alpha1",
		"kind":       "AdminNetworkPolicy",
		"metadata":   map[string]any{"name": name, "labels": map[string]any{labelE2E: "true"}},
		"spec": map[string]any{
			"priority": int64(10),
			"subject":  map[string]any{"namespaces": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": ns}}},
			"ingress": []any{map[string]any{
				"name":   "no-client",
				"action": "Deny",
				"from": []any{map[string]any{"pods": map[string]any{
					"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": ns}},
					"podSelector":       map[string]any{"matchLabels": map[string]any{"app": "client"}},
				}}},
				"ports": []any{map[string]any{"portNumber": map[string]any{"protocol": "TCP", "port": int64(8080)}}},
			}},
		},
	}}
	if _, err := dyn.Resource(anpResource).Create(ctx, anp, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating AdminNetworkPolicy %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := dyn.Resource(anpResource).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("deleting AdminNetworkPolicy %s: %v", name, err)
		}
	})
	eventually(ctx, t, 60*time.Second, "the admin Deny enforced", func(ctx context.Context) error {
		var code int
		r, _, code = netdebug(ctx, t, "pod", "client", "server", "-n", ns, "--port", "8080", "--probe-timeout", "3s")
		if code != 1 || r.Verdict.Code != "POD003" {
			return errorf("exit %d verdict %+v", code, r.Verdict)
		}
		return nil
	})
	for _, want := range []string{"timed out because AdminNetworkPolicy denied", `rule 1 "no-client" of AdminNetworkPolicy ` + name + " (priority 10) denies"} {
		if !strings.Contains(r.Verdict.Message, want) {
			t.Errorf("verdict %q lacks %q", r.Verdict.Message, want)
		}
	}
	if c := find(t, r, "POD005"); c.Status != report.Fail || !strings.Contains(c.Message, "8080 timeout") {
		t.Errorf("POD005 = %s %s", c.Status, c.Message)
	}
}
