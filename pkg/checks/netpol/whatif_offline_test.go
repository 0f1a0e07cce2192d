package netpol

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

func load(t *testing.T, name, data string) *manifest.Result {
	t.Helper()
	res, err := manifest.LoadBytes(name, []byte(data), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Offline, the changed manifests are the whole world after the change: a
// policy missing from them is removed, a pod keeps the labels it has there.
func TestOfflineWhatIfReplacesTheWorld(t *testing.T) {
	base := load(t, "base.yaml", testShop)
	// The change drops db-from-api, relabels intruder (which does not open
	// anything: db is now open to all), adds a pod, removes frontend.
	changed := strings.Replace(testShop, `metadata: {name: db-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}`, `metadata: {name: db-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: nothing}}`, 1)
	changed = strings.Replace(changed, "labels: {app: intruder}", "labels: {app: intruder, v: '2'}", 1)
	changed = strings.Replace(changed, "name: frontend, namespace: shop", "name: frontend2, namespace: shop", 1)
	changed = strings.Replace(changed, "{name: other, labels: {team: other}}", "{name: other, labels: {team: x}}", 1)
	changed = strings.Replace(changed, `kind: NetworkPolicy
metadata: {name: api-egress, namespace: shop}`, `kind: NetworkPolicy
metadata: {name: api-egress2, namespace: shop}`, 1)
	w := FromManifests([]string{"base.yaml"}, base)
	wi := NewOfflineWhatIf([]string{"changed.yaml"}, load(t, "changed.yaml", changed), false)
	after, actions := w.withPolicies(wi)
	want := []string{
		"removes NetworkPolicy shop/api-egress",
		"adds NetworkPolicy shop/api-egress2",
		"changes NetworkPolicy shop/db-from-api",
		"relabels namespace other: kubernetes.io/metadata.name=other,team=other -> kubernetes.io/metadata.name=other,team=x",
		"relabels pod other/intruder: app=intruder -> app=intruder,v=2",
		"removes pod shop/frontend (its flows are not compared: it has no after)",
		"adds pod shop/frontend2 (its flows are not compared: it has no before)",
	}
	if strings.Join(actions, "\n") != strings.Join(want, "\n") {
		t.Errorf("actions:\n%s\nwant:\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
	f := policy.Flow{Src: policy.PodEndpoint("other", "intruder"), Dst: policy.PodEndpoint("shop", "db"), Protocol: corev1.ProtocolTCP, Port: intstr.FromInt32(5432)}
	if w.Engine.Decide(f) != policy.Denied || after.Decide(f) != policy.Allowed {
		t.Errorf("intruder -> db: before %s, after %s", w.Engine.Decide(f), after.Decide(f))
	}
}

func TestOfflineWhatIfCheck(t *testing.T) {
	base := load(t, "base.yaml", testShop)
	w := FromManifests([]string{"base.yaml"}, base)
	opened := strings.Replace(testShop, "podSelector: {matchLabels: {app: db}}\n  ingress:", "podSelector: {matchLabels: {app: nothing}}\n  ingress:", 1)
	invalid := testShop + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: shop}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}}]}]\n"
	flow := func(wi *WhatIf) report.Check {
		t.Helper()
		rep, err := Flow(w, FlowRequest{Src: Arg{Pod: policy.PodRef{Namespace: "other", Name: "intruder"}}, Dst: Arg{Pod: policy.PodRef{Namespace: "shop", Name: "db"}}, WhatIf: wi})
		if err != nil {
			t.Fatal(err)
		}
		return checkOf(t, rep, "NP009")
	}
	// A change fails when the question is whether anything changes.
	wi := NewOfflineWhatIf([]string{"changed.yaml"}, load(t, "changed.yaml", opened), false)
	wi.FailOnChange = true
	if c := flow(wi); c.Status != report.Fail || !strings.Contains(c.Message, "with the manifests of changed.yaml instead: 1 of 1 port(s) checked change: 1 newly allowed") || !strings.Contains(strings.Join(c.Next, " "), "--allow-changes") {
		t.Errorf("fail on change: %s %s %v", c.Status, c.Message, c.Next)
	}
	wi = NewOfflineWhatIf([]string{"changed.yaml"}, load(t, "changed.yaml", opened), false)
	if c := flow(wi); c.Status != report.Warn {
		t.Errorf("changes allowed: %s %s", c.Status, c.Message)
	}
	// Nothing changes: pass.
	wi = NewOfflineWhatIf([]string{"same.yaml"}, load(t, "same.yaml", testShop), false)
	wi.FailOnChange = true
	if c := flow(wi); c.Status != report.Pass || !strings.Contains(c.Message, "no change") {
		t.Errorf("no change: %s %s", c.Status, c.Message)
	}
	// The changed manifests are as strict as the base: a policy the API
	// server would reject fails, naming where it is; --lenient warns.
	wi = NewOfflineWhatIf([]string{"changed.yaml"}, load(t, "changed.yaml", invalid), false)
	if c := flow(wi); c.Status != report.Fail || !strings.Contains(c.Message, "1 polic(ies) of changed.yaml the API server would reject") || !strings.Contains(c.Message, "(changed.yaml, document 10)") {
		t.Errorf("rejected: %s %s", c.Status, c.Message)
	}
	wi = NewOfflineWhatIf([]string{"changed.yaml"}, load(t, "changed.yaml", invalid), true)
	if c := flow(wi); c.Status != report.Warn || firstFact(c.Facts, "ignored") == "" {
		t.Errorf("lenient: %s %s %+v", c.Status, c.Message, c.Facts)
	}
}
