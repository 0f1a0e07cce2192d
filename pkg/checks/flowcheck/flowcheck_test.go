package flowcheck

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// An undecided flow has no "allowed" in JSON: only "result" says it, so that
// a script never reads it as a deny. Decided flows keep "allowed".
func TestJudgeJSONUndecidedHasNoAllowed(t *testing.T) {
	pod := func(name string) corev1.Pod {
		return corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": name}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0." + map[string]string{"a": "1", "b": "2", "c": "3"}[name]},
		}
	}
	// Two admin policies of equal priority disagree about traffic from a:
	// the API leaves the choice to the implementation.
	tied := func(name string, action anp.AdminNetworkPolicyRuleAction, from string) anp.AdminNetworkPolicy {
		return anp.AdminNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: anp.AdminNetworkPolicySpec{
			Priority: 3,
			Subject:  anp.AdminNetworkPolicySubject{Namespaces: &metav1.LabelSelector{}},
			Ingress: []anp.AdminNetworkPolicyIngressRule{{Action: action, From: []anp.AdminNetworkPolicyIngressPeer{{
				Pods: &anp.NamespacedPod{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": from}}},
			}}}},
		}}
	}
	e := policy.New(policy.Snapshot{
		Namespaces:           []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}},
		Pods:                 []corev1.Pod{pod("a"), pod("b"), pod("c")},
		AdminNetworkPolicies: []anp.AdminNetworkPolicy{tied("allow-a", "Allow", "a"), tied("deny-a", "Deny", "a"), tied("deny-c", "Deny", "c")},
	})
	flow := func(src string) policy.Flow {
		return policy.Flow{Src: policy.PodEndpoint("shop", src), Dst: policy.PodEndpoint("shop", "b"), Port: intstr.FromInt32(80)}
	}
	c, verdicts := Judge(checks.PodPolicy, e, []policy.Flow{flow("a"), flow("b"), flow("c")})
	if c.Status != report.Fail || len(verdicts) != 3 {
		t.Fatalf("check %+v", c)
	}
	b, err := json.Marshal(c.Data)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		result  policy.Result
		allowed any // nil: absent
	}{{policy.Undecided, nil}, {policy.Allowed, true}, {policy.Denied, false}}
	for i, w := range want {
		allowed, has := got[i]["allowed"]
		if got[i]["result"] != string(w.result) || allowed != w.allowed || has != (w.allowed != nil) {
			t.Errorf("flow %d: %v, want result %s and allowed %v", i, got[i], w.result, w.allowed)
		}
	}
}
