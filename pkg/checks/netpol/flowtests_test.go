package netpol

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/netdebug/kubectl-netdebug/pkg/flowtest"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// testShop: frontend and api reach anything; db admits api only on 5432;
// api may leave the cluster to 10.0.0.0/8 but 10.1.0.0/16 on 443.
const testShop = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: other, labels: {team: other}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: shop}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec: {containers: [{name: f, image: x, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: a, image: x, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: d, image: x, ports: [{containerPort: 5432}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: intruder, namespace: other, labels: {app: intruder}}
spec: {containers: [{name: i, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: other, labels: {app: agent}}
spec: {hostNetwork: true, containers: [{name: i, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 443}]
`

func runTestsOffline(t *testing.T, manifests, tests string) *report.Report {
	t.Helper()
	res, err := manifest.LoadBytes("k8s.yaml", []byte(manifests), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := flowtest.Parse("tests.yaml", []byte("apiVersion: netdebug/v1alpha1\nkind: FlowTests\nnamespace: shop\n"+tests))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := RunTests(context.Background(), kube.Clients{}, TestRequest{Tests: []*flowtest.File{f}, Namespace: "default", Manifests: res, Files: []string{"k8s.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// testCheck is the NP013 check of the test named name.
func testCheck(t *testing.T, rep *report.Report, name string) report.Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Code == "NP013" && c.Subject == name {
			return c
		}
	}
	t.Fatalf("no NP013 check for %q in %+v", name, rep.Checks)
	return report.Check{}
}

func TestFlowTestsMetAndBroken(t *testing.T) {
	rep := runTestsOffline(t, testShop, `tests:
- {name: workload to pod on declared ports, from: deploy/frontend, to: api, expect: allowed}
- {name: api to db, from: api, to: db, ports: [5432], expect: allowed}
- {name: api to db on another port, from: api, to: db, ports: [5433], expect: allowed}
- name: nothing but api reaches db
  from: {namespaceSelector: {}}
  to: {podSelector: {matchLabels: {app: db}}}
  ports: [5432]
  expect: denied
- {name: named port, from: frontend, to: api, ports: [http], expect: allowed}
`)
	if rep.Verdict.Outcome != report.Problems || !strings.HasPrefix(rep.Verdict.Message, "2 of 5 flow tests fail; first: api to db on another port: expected allowed, but 1 of 1 flow(s) are not") {
		t.Errorf("verdict = %+v", rep.Verdict)
	}
	if c := testCheck(t, rep, "workload to pod on declared ports"); c.Status != report.Pass || !strings.Contains(c.Message, "met on 1 flow(s); allowed: pod shop/frontend -> pod shop/api on TCP 8080") {
		t.Errorf("workload test = %s %s", c.Status, c.Message)
	}
	if c := testCheck(t, rep, "api to db"); c.Status != report.Pass || !strings.Contains(c.Message, "rule 1 of shop/db-from-api allows") {
		t.Errorf("api to db = %s %s", c.Status, c.Message)
	}
	// The selection expands to every pod but db itself and the hostNetwork
	// agent; the report names the pairs that break the expectation.
	c := testCheck(t, rep, "nothing but api reaches db")
	d := c.Data.(TestData)
	if c.Status != report.Fail || d.Flows != 3 || len(d.Broken) != 1 || d.Broken[0].From != "shop/api" || d.Broken[0].To != "shop/db" || d.Broken[0].Result != "Allowed" {
		t.Errorf("selection = %s %s %+v", c.Status, c.Message, d)
	}
	if !slices.ContainsFunc(c.Facts, func(f report.Fact) bool { return f.Value == "other/agent left out (hostNetwork)" }) {
		t.Errorf("hostNetwork pod not named: %+v", c.Facts)
	}
	if c := testCheck(t, rep, "named port"); c.Status != report.Pass || c.Data.(TestData).Flows != 1 {
		t.Errorf("named port = %s %s", c.Status, c.Message)
	}
	if rep.Verdict.Outcome.ExitCode() != 1 {
		t.Errorf("exit code %d", rep.Verdict.Outcome.ExitCode())
	}
}

func TestFlowTestsAllPass(t *testing.T) {
	rep := runTestsOffline(t, testShop, "tests: [{name: a, from: api, to: db, ports: [5432], expect: allowed}, {name: b, from: other/intruder, to: db, expect: denied}]\n")
	if rep.Verdict.Outcome != report.OK || rep.Verdict.Message != "All 2 flow tests pass" {
		t.Errorf("verdict = %+v", rep.Verdict)
	}
}

// A test that cannot be proven or checks nothing fails: undecided flows,
// empty selections, unknown pods, a port the destination does not declare.
func TestFlowTestsThatCannotPass(t *testing.T) {
	rep := runTestsOffline(t, testShop, `tests:
- {name: empty selection, from: {podSelector: {matchLabels: {app: nope}}}, to: db, ports: [5432], expect: denied}
- {name: unknown pod, from: ghost, to: db, ports: [5432], expect: denied}
- {name: unknown workload, from: deploy/ghost, to: db, ports: [5432], expect: denied}
- {name: no declared port, from: api, to: other/intruder, expect: allowed}
- {name: same pod only, from: db, to: db, ports: [5432], expect: allowed}
- {name: bad port, from: api, to: db, ports: [99999], expect: allowed}
`)
	for name, want := range map[string]string{
		"empty selection":  "matches no pod: a test that checks nothing cannot fail",
		"unknown pod":      "pod shop/ghost not found",
		"unknown workload": "pod shop/ghost not found",
		"no declared port": "pod other/intruder declares no port to check: give ports",
		"same pod only":    "no flow to judge",
		"bad port":         "out of range",
	} {
		if c := testCheck(t, rep, name); c.Status != report.Fail || !strings.Contains(c.Message, want) {
			t.Errorf("%s: %s %s, want %q", name, c.Status, c.Message, want)
		}
	}
}

// An undecided flow breaks the expectation either way: it is not proven.
func TestFlowTestsUndecidedFails(t *testing.T) {
	rep := runTestsOffline(t, testShop+`---
apiVersion: v1
kind: Pod
metadata: {name: prometheus, namespace: monitoring}
spec: {containers: [{name: p, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: monitoring}}}]}]
`, `tests:
- {name: undeclared namespace, from: monitoring/prometheus, to: api, ports: [8080], expect: denied}
`)
	c := testCheck(t, rep, "undeclared namespace")
	d := c.Data.(TestData)
	if c.Status != report.Fail || len(d.Broken) != 1 || d.Broken[0].Result != "Undecided" {
		t.Errorf("undecided = %s %s %+v", c.Status, c.Message, d)
	}
}

// A CIDR is judged at one address per range the policies treat alike, so
// an except inside it is found.
func TestFlowTestsCIDR(t *testing.T) {
	rep := runTestsOffline(t, testShop, `tests:
- {name: to 10/8, from: api, to: 10.0.0.0/8, ports: [443], expect: allowed}
- {name: to 10.2/16, from: api, to: 10.2.0.0/16, ports: [443], expect: allowed}
- {name: to the internet, from: api, to: 0.0.0.0/0, ports: [443], expect: denied}
- {name: from the internet, from: 0.0.0.0/0, to: db, ports: [5432], expect: denied}
`)
	c := testCheck(t, rep, "to 10/8")
	if d := c.Data.(TestData); c.Status != report.Fail || len(d.Broken) != 1 || d.Broken[0].To != "10.1.0.0" {
		t.Errorf("10/8 = %s %+v", c.Status, d)
	}
	if c := testCheck(t, rep, "to 10.2/16"); c.Status != report.Pass || c.Data.(TestData).Flows != 1 {
		t.Errorf("10.2/16 = %s %s", c.Status, c.Message)
	}
	if c := testCheck(t, rep, "to the internet"); c.Status != report.Fail || len(c.Data.(TestData).Broken) != 2 {
		t.Errorf("internet = %s %+v", c.Status, c.Data)
	}
	if c := testCheck(t, rep, "from the internet"); c.Status != report.Pass {
		t.Errorf("from the internet = %s %s", c.Status, c.Message)
	}
}

func TestSampleAddrs(t *testing.T) {
	p := func(s string) netip.Prefix { return netip.MustParsePrefix(s) }
	for _, tc := range []struct {
		prefix string
		ranges []string
		want   string
	}{
		{"10.0.0.0/8", nil, "10.0.0.0"},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}, "10.0.0.0"},
		{"10.0.0.0/8", []string{"10.1.0.0/16", "192.168.0.0/16", "fd00::/8"}, "10.0.0.0 10.1.0.0 10.2.0.0"},
		{"0.0.0.0/0", []string{"10.0.0.0/8", "10.1.0.0/16"}, "0.0.0.0 10.0.0.0 10.1.0.0 10.2.0.0 11.0.0.0"},
		{"10.1.2.0/24", []string{"10.0.0.0/8"}, "10.1.2.0"},
		{"255.255.255.0/24", []string{"255.255.255.255/32"}, "255.255.255.0 255.255.255.255"},
		{"::/0", []string{"fd00::/8"}, ":: fd00:: fe00::"},
	} {
		var ranges []netip.Prefix
		for _, r := range tc.ranges {
			ranges = append(ranges, p(r))
		}
		var got []string
		for _, a := range sampleAddrs(p(tc.prefix), ranges) {
			got = append(got, a.String())
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s over %v = %v, want %s", tc.prefix, tc.ranges, got, tc.want)
		}
	}
}

// A cancelled run (Ctrl-C) stops with the context's error, not a report.
func TestFlowTestsCancelled(t *testing.T) {
	res, err := manifest.LoadBytes("k8s.yaml", []byte(testShop), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := flowtest.Parse("tests.yaml", []byte("apiVersion: netdebug/v1alpha1\nkind: FlowTests\ntests: [{name: a, from: {namespaceSelector: {}}, to: {namespaceSelector: {}}, ports: [80], expect: denied}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := RunTests(ctx, kube.Clients{}, TestRequest{Tests: []*flowtest.File{f}, Manifests: res})
	if rep != nil || err != context.Canceled {
		t.Errorf("report %v, err %v", rep, err)
	}
}
