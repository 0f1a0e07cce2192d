package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

func TestLoadDirectory(t *testing.T) {
	res, err := Load([]string{"testdata/good"}, Options{DefaultNamespace: "team-a", Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Snapshot

	var nsNames []string
	for _, ns := range s.Namespaces {
		nsNames = append(nsNames, ns.Name)
		if ns.Labels[corev1.LabelMetadataName] != ns.Name {
			t.Errorf("namespace %s has %s=%q", ns.Name, corev1.LabelMetadataName, ns.Labels[corev1.LabelMetadataName])
		}
	}
	// Only the declared ones: the others' labels are unknown.
	if want := []string{"shop", "ops"}; !slices.Equal(nsNames, want) {
		t.Errorf("namespaces = %v, want %v", nsNames, want)
	}

	pods := map[string]corev1.Pod{}
	for _, p := range s.Pods {
		pods[p.Namespace+"/"+p.Name] = p
	}
	for ref, app := range map[string]string{
		"shop/api": "api", "shop/db": "db", "ops/agent": "agent", "team-a/frontend": "frontend",
		"shop/migrate": "migrate", "shop/backup": "backup", "shop/debug": "debug", "elsewhere/lonely": "lonely",
	} {
		p, ok := pods[ref]
		if !ok {
			t.Errorf("missing pod %s (have %v)", ref, keys(pods))
			continue
		}
		if p.Labels["app"] != app {
			t.Errorf("pod %s labels %v", ref, p.Labels)
		}
		if p.Annotations[AnnotationSource] == "" {
			t.Errorf("pod %s has no source annotation", ref)
		}
	}
	if len(s.Pods) != 8 {
		t.Errorf("got %d pods, want 8", len(s.Pods))
	}
	if !pods["ops/agent"].Spec.HostNetwork || pods["shop/api"].Spec.Containers[0].Ports[0].Name != "http" {
		t.Error("pod template spec not carried over")
	}
	if got := pods["shop/api"].Annotations[AnnotationSource]; !strings.HasPrefix(got, "Deployment api (testdata/good/workloads.yaml, document 1)") {
		t.Errorf("source annotation %q", got)
	}
	if len(s.NetworkPolicies) != 1 || len(s.AdminNetworkPolicies) != 1 || s.BaselineAdminNetworkPolicy == nil {
		t.Fatalf("policies: %d NP, %d ANP, BANP %v", len(s.NetworkPolicies), len(s.AdminNetworkPolicies), s.BaselineAdminNetworkPolicy != nil)
	}

	var warnings []string
	for _, w := range res.Warnings {
		warnings = append(warnings, w.String())
	}
	for _, want := range []string{
		"testdata/good/ignored.yaml: document 1: Service (v1) skipped: not used by network policy analysis",
		"testdata/good/list.json: document 1: item 2: ConfigMap (v1) skipped: not used by network policy analysis",
		`namespace "elsewhere" is referenced but not declared: only its label kubernetes.io/metadata.name=elsewhere is known`,
	} {
		if !slices.Contains(warnings, want) {
			t.Errorf("missing warning %q in\n  %s", want, strings.Join(warnings, "\n  "))
		}
	}

	// The snapshot feeds the engine: frontend may reach api on its named
	// port, ops may not reach the database (AdminNetworkPolicy).
	if s.NamespacesComplete {
		t.Error("manifests cannot list every namespace of a cluster")
	}
	e := policy.New(s)
	for _, w := range e.Warnings() {
		if w.Code != "ImplicitNamespace" {
			t.Errorf("engine warning: %v", w)
		}
	}
	v := e.Evaluate(policy.Flow{Src: policy.PodEndpoint("team-a", "frontend"), Dst: policy.PodEndpoint("shop", "api"), Port: intstr.FromString("http")})
	if v.Result != policy.Allowed {
		t.Errorf("frontend -> api: %s", v.Reason)
	}
	v = e.Evaluate(policy.Flow{Src: policy.PodEndpoint("shop", "debug"), Dst: policy.PodEndpoint("shop", "api"), Port: intstr.FromInt32(8080)})
	if v.Result != policy.Denied {
		t.Errorf("debug -> api: %s", v.Reason)
	}
	v = e.Evaluate(policy.Flow{Src: policy.PodEndpoint("shop", "debug"), Dst: policy.PodEndpoint("shop", "db"), Port: intstr.FromInt32(5432)})
	if v.Result != policy.Allowed {
		t.Errorf("debug -> db: %s", v.Reason)
	}
}

func keys(m map[string]corev1.Pod) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestLoadMalformed(t *testing.T) {
	cases := []struct {
		file    string
		doc     int
		item    int
		message string
	}{
		{"syntax.yaml", 2, 0, "invalid YAML"},
		{"nokind.yaml", 1, 0, "object has no kind"},
		{"typo-netpol.yaml", 1, 0, `unknown field "spec.ingress[0].from[0].namespaceselector"`},
		{"old-netpol.yaml", 1, 0, `NetworkPolicy with apiVersion "extensions/v1beta1" is not supported: use networking.k8s.io/v1`},
		{"scalar.yaml", 2, 0, "a document must be a mapping"},
		{"type-mismatch.yaml", 1, 0, "NetworkPolicy: "},
		{"truncated.json", 2, 0, "invalid JSON"},
		{"noname.yaml", 1, 0, "Pod has neither metadata.name nor metadata.generateName"},
		{"duplicate-key-netpol.yaml", 1, 0, `"podSelector" already set`},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", c.file)
			res, err := Load([]string{path}, Options{})
			if err == nil {
				t.Fatalf("no error; warnings %v", res.Warnings)
			}
			var de *DocumentError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DocumentError", err)
			}
			if de.File != path || de.Document != c.doc || de.Item != c.item {
				t.Errorf("error at %s document %d item %d, want document %d item %d", de.File, de.Document, de.Item, c.doc, c.item)
			}
			prefix := path + ": document " + string(rune('0'+c.doc)) + ": "
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), c.message) {
				t.Errorf("error %q, want prefix %q and %q", err, prefix, c.message)
			}
		})
	}
}

func TestLoadReportsEveryMalformedDocument(t *testing.T) {
	_, err := LoadBytes("multi.yaml", []byte("kind: Pod\napiVersion: v1\nmetadata: {name: a}\n---\nmetadata: {name: c}\n---\nkind: Pod\napiVersion: v1\nmetadata: {name: b}\n---\n- a list\n"), Options{})
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	for _, want := range []string{"multi.yaml: document 2: object has no apiVersion and no kind", "multi.yaml: document 4: a document must be a mapping"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}

func TestLimits(t *testing.T) {
	big := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: big\n  annotations:\n    a: \"" + strings.Repeat("x", 2000) + "\"\n"
	if _, err := LoadBytes("big.yaml", []byte(big), Options{Limits: Limits{MaxDocumentBytes: 1000}}); err == nil || !strings.Contains(err.Error(), "big.yaml: document 1: document is") {
		t.Errorf("oversized YAML document: %v", err)
	}
	bigJSON := `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"big","annotations":{"a":"` + strings.Repeat("x", 2000) + `"}}}`
	if _, err := LoadBytes("big.json", []byte(bigJSON), Options{Limits: Limits{MaxDocumentBytes: 1000}}); err == nil || !strings.Contains(err.Error(), "more than the limit") {
		t.Errorf("oversized JSON document: %v", err)
	}
	deep := `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"deep","x":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}}`
	if _, err := LoadBytes("deep.json", []byte(deep), Options{}); err == nil || !strings.Contains(err.Error(), "nests deeper than 64") {
		t.Errorf("deep JSON: %v", err)
	}
	deepYAML := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: deep\nx: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n"
	if _, err := LoadBytes("deep.yaml", []byte(deepYAML), Options{}); err == nil || !strings.Contains(err.Error(), "nests deeper") {
		t.Errorf("deep YAML: %v", err)
	}
	// A YAML alias bomb must fail, not expand.
	bomb := "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n"
	prev := "a"
	for i, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb += name + ": &" + name + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n"
		prev = name
		_ = i
	}
	if _, err := LoadBytes("bomb.yaml", []byte(bomb), Options{}); err == nil {
		t.Error("alias bomb accepted")
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f.yaml"), []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load([]string{dir}, Options{Limits: Limits{MaxFileBytes: 100}}); err == nil || !strings.Contains(err.Error(), "more than the limit of 100") {
		t.Errorf("oversized file: %v", err)
	}
	if _, err := Load([]string{dir, dir}, Options{Limits: Limits{MaxTotalBytes: 3000}}); err == nil || !strings.Contains(err.Error(), "total more than") {
		t.Errorf("total limit: %v", err)
	}
}

func TestStdinAndDefaults(t *testing.T) {
	in := strings.NewReader(`{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-","labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"x"}]}}`)
	res, err := Load([]string{"-"}, Options{Stdin: in})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Snapshot.Pods) != 1 || res.Snapshot.Pods[0].Namespace != "default" || !strings.HasPrefix(res.Snapshot.Pods[0].Name, "web-") {
		t.Errorf("pods: %+v", res.Snapshot.Pods)
	}
	if _, err := Load([]string{"-"}, Options{}); err == nil {
		t.Error(`"-" without stdin should fail`)
	}
	if _, err := Load([]string{"testdata/does-not-exist"}, Options{}); err == nil {
		t.Error("missing path should fail")
	}
}

func TestDuplicatesReplaceWithWarning(t *testing.T) {
	doc := "apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {v: \"1\"}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {selector: {}, template: {metadata: {labels: {v: \"2\"}}}}\n"
	res, err := LoadBytes("dup.yaml", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Snapshot.Pods) != 1 || res.Snapshot.Pods[0].Labels["v"] != "2" {
		t.Errorf("pods: %+v", res.Snapshot.Pods)
	}
	if len(res.Warnings) == 0 || res.Warnings[0].Kind != WarnDuplicate ||
		res.Warnings[0].String() != "dup.yaml: document 2: Pod default/a of Deployment a replaces the one in dup.yaml, document 1" {
		t.Errorf("warnings: %v", res.Warnings)
	}
}

func TestTypedListItemsWithoutKind(t *testing.T) {
	doc := `{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicyList","items":[{"metadata":{"name":"np","namespace":"x"},"spec":{"podSelector":{}}}]}`
	res, err := LoadBytes("list.json", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Snapshot.NetworkPolicies) != 1 || res.Snapshot.NetworkPolicies[0].Name != "np" {
		t.Errorf("policies: %+v", res.Snapshot.NetworkPolicies)
	}
	if _, err := LoadBytes("nested.json", []byte(`{"kind":"List","items":[{"kind":"List","items":[]}]}`), Options{}); err == nil {
		t.Error("nested list accepted")
	}
}

// A final line without newline whose length is a multiple of 4096 used to
// vanish inside apimachinery's YAMLReader.
func TestFinalLineOfBufferSizeIsKept(t *testing.T) {
	head := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: edge\n"
	last := "  labels: {team: " + strings.Repeat("a", 63) + "}"
	last += strings.Repeat(" ", 4096-len(last))
	res, err := LoadBytes("edge.yaml", []byte(head+last), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Snapshot.Namespaces[0].Labels["team"]; got != strings.Repeat("a", 63) {
		t.Errorf("last line lost: labels %v", res.Snapshot.Namespaces[0].Labels)
	}
}
