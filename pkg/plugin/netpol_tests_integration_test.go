package plugin_test

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
)

const (
	noCluster     = "/nonexistent/kubeconfig"
	testsDir      = "testdata/netpol-tests"
	testsFile     = testsDir + "/tests.yaml"
	testsBase     = testsDir + "/base"
	testsChanged  = testsDir + "/changed"
	flowTestsHead = "apiVersion: netdebug/v1alpha1\nkind: FlowTests\n"
)

// TestNetpolTestLocal: the expectations of a tests file against manifests,
// in every output, and a broken expectation naming the pairs that break it.
func TestNetpolTestLocal(t *testing.T) {
	res := runAs(t, noCluster, "netpol", "test", testsFile, "--local", "-f", testsBase)
	if res.code != 0 || !strings.Contains(res.stdout, "All 3 flow tests pass") {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// The changed manifests open db to namespace other: the test breaks.
	res = runAs(t, noCluster, "netpol", "test", testsFile, "--local", "-f", testsChanged)
	if res.code != 1 || !strings.Contains(res.stdout, "1 of 3 flow tests fail; first: only api reaches db: expected denied, but 1 of 2 flow(s) are not; allowed: pod other/intruder -> pod shop/db on TCP 5432") {
		t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	r := decode(t, runAs(t, noCluster, "netpol", "test", testsFile, "--local", "-f", testsChanged, "-o", "json").stdout)
	var data netpol.TestData
	npRemarshal(t, checkByCode(t, r, "NP013").Data, &data)
	if r.Command != "netpol test" || data.Name != "frontend reaches api" || data.File != testsFile || data.Flows != 1 || len(data.Broken) != 0 {
		t.Errorf("first test = %s %+v", r.Command, data)
	}
	junit := runAs(t, noCluster, "netpol", "test", testsFile, "--local", "-f", testsChanged, "-o", "junit")
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal([]byte(junit.stdout), &doc); err != nil || junit.code != 1 {
		t.Fatalf("junit: exit %d, %v\n%s", junit.code, err, junit.stdout)
	}
	if doc.Tests != 4 || doc.Failures != 1 || doc.Cases[2].Name != "only api reaches db" || doc.Cases[2].Failure == nil {
		t.Errorf("junit = %+v", doc)
	}
}

// Mistakes in the tests or the flags are one line and exit 2, before any
// cluster is looked for.
func TestNetpolTestErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	check(t, os.WriteFile(bad, []byte(flowTestsHead+"tests: [{name: a, from: api, to: db, expect: alowed}]\n"), 0o600))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"netpol", "test", "--local", "-f", testsBase}, "netpol test needs at least one argument: TESTS.yaml"},
		{[]string{"netpol", "test", filepath.Join(dir, "none.yaml"), "--local", "-f", testsBase}, "none.yaml: no such file"},
		{[]string{"netpol", "test", bad, "--local", "-f", testsBase}, `bad.yaml: test 1 (a): expect must be "allowed" or "denied", got "alowed"`},
		{[]string{"netpol", "test", testsFile, "--local"}, "pass -f FILE, -f DIR or -k DIR"},
		{[]string{"netpol", "test", "-", "--local", "-f", "-"}, "standard input"},
	} {
		res := runAs(t, noCluster, tc.args...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
}

// TestNetpolTestCluster: against a cluster, a workload stands for every pod
// its selector picks, and a selection reads every namespace.
func TestNetpolTestCluster(t *testing.T) {
	ns := "np-tests"
	npShop(t, ns, "10.77.9")
	npPod(t, ns, "frontend-2", "10.77.9.13", npLabels("app", "frontend"), nil)
	replicas := int32(2)
	sel := &metav1.LabelSelector{MatchLabels: npLabels("app", "frontend")}
	must[*appsv1.Deployment](t)(env.Client.AppsV1().Deployments(ns).Create(ctx(t), &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "frontend"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: sel, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: sel.MatchLabels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example/frontend"}}},
		}},
	}, metav1.CreateOptions{}))
	tests := filepath.Join(t.TempDir(), "tests.yaml")
	check(t, os.WriteFile(tests, []byte(flowTestsHead+`namespace: np-tests
tests:
- {name: frontends reach api on http, from: deploy/frontend, to: api, ports: [http], expect: allowed}
- {name: webapp reaches api, from: webapp, to: api, ports: [8080], expect: allowed}
- name: only frontends reach api
  from: {namespaceSelector: {}, podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [frontend]}]}}
  to: {namespace: np-tests, podSelector: {matchLabels: {app: api}}}
  ports: [8080]
  expect: denied
`), 0o600))
	res := run(t, "netpol", "test", tests)
	if res.code != 1 || !strings.Contains(res.stdout, "1 of 3 flow tests fail; first: webapp reaches api") {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	r := decode(t, run(t, "netpol", "test", tests, "-o", "json").stdout)
	var got []netpol.TestData
	for _, c := range r.Checks {
		if c.Code == "NP013" {
			var d netpol.TestData
			npRemarshal(t, c.Data, &d)
			got = append(got, d)
		}
	}
	if len(got) != 3 || got[0].Flows != 2 || len(got[0].Broken) != 0 || len(got[1].Broken) != 1 || len(got[2].Broken) != 0 || got[2].Flows < 2 {
		t.Errorf("tests = %+v", got)
	}
}

// TestNetpolLocalWhatIf: two sets of manifests, the base before --what-if
// and the change after it; any changed flow fails the matrix unless
// --allow-changes.
func TestNetpolLocalWhatIf(t *testing.T) {
	res := runAs(t, noCluster, "netpol", "matrix", "--local", "-f", testsBase, "--what-if", "-f", testsChanged)
	if res.code != 1 || !strings.Contains(res.stdout, "with the manifests of "+testsChanged+" instead: 1 of") || !strings.Contains(res.stdout, "other/intruder -> shop/db TCP 5432: Denied -> Allowed") {
		t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := runAs(t, noCluster, "netpol", "matrix", "--local", "-f", testsBase, "--what-if", "-f", testsChanged, "--allow-changes"); res.code != 0 {
		t.Errorf("--allow-changes: exit %d\n%s", res.code, res.stdout)
	}
	// Scoped to a namespace the change does not touch: nothing changes.
	// (Without --port nothing there declares a port: nothing is checked,
	// exit 2.)
	if res := runAs(t, noCluster, "netpol", "matrix", "-n", "other", "--local", "-f", testsBase); res.code != 2 || !strings.Contains(res.stdout, "Could not build the matrix") {
		t.Errorf("nothing checked: exit %d\n%s", res.code, res.stdout)
	}
	if res := runAs(t, noCluster, "netpol", "matrix", "-n", "other", "--port", "80", "--local", "-f", testsBase, "--what-if", "-f", testsChanged); res.code != 0 || !strings.Contains(res.stdout, "no change") {
		t.Errorf("-n other: exit %d\n%s", res.code, res.stdout)
	}
	// The same manifests on both sides: no change.
	if res := runAs(t, noCluster, "netpol", "matrix", "--local", "-f", testsBase, "--what-if", "-f", testsBase); res.code != 0 {
		t.Errorf("same manifests: exit %d\n%s", res.code, res.stdout)
	}
	// A kustomization on either side (-k), as kubectl apply -k builds it.
	overlay := "../manifest/testdata/kustomize/overlay"
	if res := runAs(t, noCluster, "netpol", "matrix", "--local", "-k", overlay, "--what-if", "-k", overlay); res.code != 0 || !strings.Contains(res.stdout, "with the manifests of "+overlay+" instead: no change on the 1 flows") {
		t.Errorf("-k: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// A flow: its verdict after the change decides the exit code.
	if res := runAs(t, noCluster, "netpol", "other/intruder", "shop/db", "--local", "-f", testsBase, "--what-if", "-f", testsChanged); res.code != 0 || !strings.Contains(res.stdout, "without them: TCP 5432 was Denied") {
		t.Errorf("flow: exit %d\n%s", res.code, res.stdout)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"netpol", "matrix", "--local", "--what-if", "-f", testsChanged}, "give the base with -f before --what-if"},
		{[]string{"netpol", "matrix", "--local", "-f", testsBase, "--what-if"}, "give the base with -f before --what-if"},
		{[]string{"netpol", "matrix", "--local", "-f", testsBase, "--allow-changes"}, "--allow-changes is for --what-if"},
	} {
		res := runAs(t, noCluster, tc.args...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
}
