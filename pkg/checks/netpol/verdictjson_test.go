package netpol

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"

	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// jsonObjects marshals check data and reads it back as a list of objects.
func jsonObjects(t *testing.T, data any) []map[string]any {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return out
}

// checkAllowedField: "allowed" is true or false for a decided flow and absent
// for an undecided one, so that a script reading it never takes an
// undecided flow for a deny.
func checkAllowedField(t *testing.T, o map[string]any) {
	t.Helper()
	allowed, has := o["allowed"]
	switch o["result"] {
	case string(policy.Allowed):
		if allowed != true {
			t.Errorf("allowed flow: %v", o)
		}
	case string(policy.Denied):
		if allowed != false {
			t.Errorf("denied flow: %v", o)
		}
	case string(policy.Undecided):
		if has {
			t.Errorf("undecided flow has \"allowed\": %v", o)
		}
	default:
		t.Errorf("result %v", o["result"])
	}
}

func TestNetpolFlowJSONUndecidedHasNoAllowed(t *testing.T) {
	w := NewWorld(shopSnapshot())
	shop := func(name string) Arg { return Arg{Pod: policy.PodRef{Namespace: "shop", Name: name}} }
	for _, tc := range []struct {
		src, dst string
		ports    []Port
		want     policy.Result
	}{
		{"frontend", "api", nil, policy.Allowed},
		{"webapp", "api", nil, policy.Denied},
		// A named port the destination does not declare.
		{"api", "webapp", []Port{{Port: intstr.FromString("grpc"), Protocol: corev1.ProtocolTCP}}, policy.Undecided},
	} {
		r, err := Flow(w, FlowRequest{Src: shop(tc.src), Dst: shop(tc.dst), Ports: tc.ports})
		if err != nil {
			t.Fatal(err)
		}
		flows := jsonObjects(t, checkOf(t, r, "NP005").Data)
		if len(flows) != 1 || flows[0]["result"] != string(tc.want) {
			t.Fatalf("%s -> %s: %v, want %s", tc.src, tc.dst, flows, tc.want)
		}
		checkAllowedField(t, flows[0])
	}
}

// tiedAdminPolicies: two AdminNetworkPolicies of equal priority that
// disagree about traffic from webapp, so that it is undecided.
func tiedAdminPolicies() []anp.AdminNetworkPolicy {
	rule := func(name string, action anp.AdminNetworkPolicyRuleAction) anp.AdminNetworkPolicy {
		return anp.AdminNetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: anp.AdminNetworkPolicySpec{
				Priority: 7,
				Subject:  anp.AdminNetworkPolicySubject{Namespaces: &metav1.LabelSelector{}},
				Ingress: []anp.AdminNetworkPolicyIngressRule{{Action: action, From: []anp.AdminNetworkPolicyIngressPeer{{
					Pods: &anp.NamespacedPod{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "webapp"}}},
				}}}},
			},
		}
	}
	return []anp.AdminNetworkPolicy{rule("a-allow", anp.AdminNetworkPolicyRuleActionAllow), rule("b-deny", anp.AdminNetworkPolicyRuleActionDeny)}
}

// An undecided flow has a code of its own in the rows (U), never read as a
// deny.
func TestNetpolMatrixJSONUndecidedHasItsCode(t *testing.T) {
	s := shopSnapshot()
	s.AdminNetworkPolicies = tiedAdminPolicies()
	w := NewWorld(s)
	w.AllPods = true
	r, err := Matrix(context.Background(), w, MatrixRequest{Ports: []Port{{Port: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}})
	if err != nil {
		t.Fatal(err)
	}
	data, cells := decodeMatrix(t, checkOf(t, r, "NP008").Data)
	undecided := 0
	for _, c := range cells {
		if c.Result == policy.Undecided {
			undecided++
		}
	}
	if undecided == 0 || undecided != data.Undecided {
		t.Errorf("%d undecided cells, count says %d: %+v", undecided, data.Undecided, cells)
	}
}

// Offline (--local), a policy the API server would reject is not used: the
// flow it would deny is allowed. By default NP002 fails (the manifests
// would not apply), naming the object, the field, the rule, the file and
// the document; Lenient, it warns and the verdict repeats the warning.
func TestNetpolLocalInvalidPolicyIsReportedAndNotUsed(t *testing.T) {
	const files = `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop, labels: {app: a}}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: shop, labels: {app: b}}
spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-port-80, namespace: shop}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{ports: [{port: "80"}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: deny-all}
spec:
  priority: 1001
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
`
	res, err := manifest.LoadBytes("m.yaml", []byte(files), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`NetworkPolicy shop/only-port-80 ignored: the API server would reject it: spec.ingress[0].ports[0].port: Invalid value: "80": must contain at least one letter (a-z)`,
		`AdminNetworkPolicy deny-all ignored: the API server would reject it: spec.priority: Invalid value: 1001: must be between 0 and 1000, inclusive`,
	}
	sources := []string{"(m.yaml, document 4)", "(m.yaml, document 5)"}
	for _, lenient := range []bool{false, true} {
		w := FromManifests([]string{"m.yaml"}, res)
		w.Lenient = lenient
		r, err := Flow(w, FlowRequest{Src: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "a"}}, Dst: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "b"}}})
		if err != nil {
			t.Fatal(err)
		}
		flows := jsonObjects(t, checkOf(t, r, "NP005").Data)
		if len(flows) != 1 || flows[0]["result"] != string(policy.Allowed) {
			t.Errorf("flow: %v", flows)
		}
		np2 := checkOf(t, r, "NP002")
		status, fact := report.Fail, "rejected"
		if lenient {
			status, fact = report.Warn, "ignored"
		}
		if np2.Status != status {
			t.Errorf("lenient %t: NP002 = %+v", lenient, np2)
		}
		var got []string
		for _, f := range np2.Facts {
			if f.Name == fact {
				got = append(got, f.Value)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("lenient %t: %s facts %q, want %q", lenient, fact, got, want)
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) || !strings.HasSuffix(got[i], sources[i]) {
				t.Errorf("%s fact\n got %q\nwant %q... %s", fact, got[i], want[i], sources[i])
			}
		}
		switch {
		case lenient && (r.Verdict.Outcome != report.OK || !strings.Contains(r.Verdict.Message, "warning: ") || !strings.Contains(r.Verdict.Message, "some objects were ignored")):
			t.Errorf("lenient verdict = %+v", r.Verdict)
		case !lenient && (r.Verdict.Outcome != report.Problems || r.Verdict.Code != "NP002" || !strings.Contains(r.Verdict.Message, "2 polic(ies) the API server would reject")):
			t.Errorf("strict verdict = %+v", r.Verdict)
		}
	}
}
