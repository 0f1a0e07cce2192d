package netpol

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// "rule" is the number the prose says ("rule 1"), ruleIndex the 0-based
// index into the policy's rules; both are in the JSON.
func TestRuleNumberAgreesWithProse(t *testing.T) {
	w := NewWorld(shopSnapshot())
	shop := func(name string) Arg { return Arg{Pod: policy.PodRef{Namespace: "shop", Name: name}} }
	for _, tc := range []struct{ src, list string }{{"frontend", "allowedBy"}, {"webapp", "misses"}} {
		r, err := Flow(w, FlowRequest{Src: shop(tc.src), Dst: shop("api")})
		if err != nil {
			t.Fatal(err)
		}
		flows := jsonObjects(t, checkOf(t, r, "NP005").Data)
		side := flows[0]["ingress"].(map[string]any)
		list, _ := side[tc.list].([]any)
		if len(list) == 0 {
			t.Fatalf("%s: no %s in %v", tc.src, tc.list, side)
		}
		m := list[0].(map[string]any)
		if m["ruleIndex"] != 0.0 || m["rule"] != 1.0 {
			t.Errorf("%s: ruleIndex %v, rule %v, want 0 and 1: %v", tc.src, m["ruleIndex"], m["rule"], m)
		}
		if reason, _ := m["reason"].(string); tc.list == "misses" && !strings.Contains(reason, "rule 1 ") {
			t.Errorf("the prose says %q", reason)
		}
	}
	// No rule at all (-1): no rule number.
	b, _ := json.Marshal(MissData{Rule: -1, Number: ruleNumber(-1)})
	if strings.Contains(string(b), `"rule":`) || !strings.Contains(string(b), `"ruleIndex":-1`) {
		t.Errorf("a miss without a rule: %s", b)
	}
}

// A flow's target names its ends as objects, and its port when one was
// checked, so that scripts need not parse "a -> b".
func TestFlowTargetIsStructured(t *testing.T) {
	w := NewWorld(shopSnapshot())
	r, err := Flow(w, FlowRequest{Src: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "frontend"}}, Dst: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "api"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r.Target)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"Flow","name":"shop/frontend -\u003e shop/api","from":{"kind":"Pod","namespace":"shop","name":"frontend"},"to":{"kind":"Pod","namespace":"shop","name":"api"},"port":8080,"protocol":"TCP"}`
	if string(b) != want {
		t.Errorf("target\n%s\nwant\n%s", b, want)
	}
	ip, _ := ParseIP("10.0.0.9")
	r, err = Flow(w, FlowRequest{Src: Arg{IP: ip}, Dst: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "api"}},
		Ports: []Port{{Port: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}, {Port: intstr.FromInt32(9090), Protocol: corev1.ProtocolTCP}}})
	if err != nil {
		t.Fatal(err)
	}
	if tg := r.Target; tg.From == nil || *tg.From != (report.Object{Kind: "IP", Name: "10.0.0.9"}) || tg.Port != 0 || tg.Protocol != "" || tg.Name != "10.0.0.9 -> shop/api" {
		t.Errorf("target of an IP on two ports: %+v from %+v", tg, tg.From)
	}
}

// Matrix rows and columns are in natural order: web-2 before web-10.
func TestMatrixNaturalOrder(t *testing.T) {
	snap := shopSnapshot()
	for _, name := range []string{"web-10", "web-2", "web-1", "web-01b"} {
		p := snap.Pods[0].DeepCopy()
		p.ObjectMeta = metav1.ObjectMeta{Name: name, Namespace: "shop"}
		snap.Pods = append(snap.Pods, *p)
	}
	r, err := Matrix(context.Background(), NewWorld(snap), MatrixRequest{Ports: []Port{{Port: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := decodeMatrix(t, checkOf(t, r, "NP008").Data)
	want := []string{"shop/api", "shop/frontend", "shop/web-1", "shop/web-01b", "shop/web-2", "shop/web-10", "shop/webapp"}
	if !slices.Equal(m.Pods, want) {
		t.Errorf("pods %v, want %v", m.Pods, want)
	}
}

func TestNaturalCompare(t *testing.T) {
	got := []string{"pod-10", "pod-2", "pod-1", "pod-02", "pod", "pod-1a", "a10b2", "a10b10", "a9"}
	slices.SortFunc(got, naturalCompare)
	want := []string{"a9", "a10b2", "a10b10", "pod", "pod-1", "pod-1a", "pod-02", "pod-2", "pod-10"}
	if !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}
