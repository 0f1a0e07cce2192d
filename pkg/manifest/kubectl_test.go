package manifest

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Tests of reading as kubectl apply -f reads: directories, -R, standard
// input, JSON and YAML documents, files that are not Kubernetes objects,
// duplicates and warning kinds.

func podNames(res *Result) []string {
	var out []string
	for _, p := range res.Snapshot.Pods {
		out = append(out, p.Namespace+"/"+p.Name)
	}
	return out
}

// warningsOf lists the warnings of one kind, as printed.
func warningsOf(res *Result, kind WarningKind) []string {
	var out []string
	for _, w := range res.Warnings {
		if w.Kind == kind {
			out = append(out, w.String())
		}
	}
	return out
}

func TestDirectoryWithoutRecursionIgnoresSubfolders(t *testing.T) {
	res, err := Load([]string{"testdata/recursive"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := podNames(res); !slices.Equal(got, []string{"shop/top"}) || res.FilesRead != 1 {
		t.Errorf("pods %v, %d file(s) read; want [shop/top], 1", got, res.FilesRead)
	}
}

func TestDirectoryWithRecursionReadsSubfolders(t *testing.T) {
	res, err := Load([]string{"testdata/recursive"}, Options{Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := podNames(res); !slices.Equal(got, []string{"shop/nested", "shop/top"}) || res.FilesRead != 2 {
		t.Errorf("pods %v, %d file(s) read; want [shop/nested shop/top], 2", got, res.FilesRead)
	}
}

func TestMaxFilesCountsSkippedFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.yaml", "kustomization.yaml", "c.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load([]string{dir}, Options{Limits: Limits{MaxFiles: 2}}); err == nil || !strings.Contains(err.Error(), "more than 2 files under") {
		t.Errorf("3 files with a limit of 2: %v", err)
	}
	if _, err := Load([]string{dir}, Options{Limits: Limits{MaxFiles: 3}}); err != nil {
		t.Errorf("3 files with a limit of 3: %v", err)
	}
}

func TestStdinCountsOnce(t *testing.T) {
	in := strings.NewReader("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n")
	res, err := Load([]string{"-", "testdata/recursive/top.yaml"}, Options{Stdin: in})
	if err != nil {
		t.Fatal(err)
	}
	if got := podNames(res); !slices.Equal(got, []string{"default/a", "default/b", "shop/top"}) || res.FilesRead != 2 {
		t.Errorf("pods %v, %d file(s) read; want 3 pods, 2", got, res.FilesRead)
	}
	_, err = Load([]string{"-"}, Options{Stdin: strings.NewReader("apiVersion: v1\nkind: Pod\n")})
	var de *DocumentError
	if !errors.As(err, &de) || de.File != "<stdin>" || de.Document != 1 {
		t.Errorf("malformed stdin: %v", err)
	}
}

const (
	nsA = `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}`
	nsB = `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}`
)

func namespaceNames(res *Result) []string {
	var out []string
	for _, ns := range res.Snapshot.Namespaces {
		out = append(out, ns.Name)
	}
	return out
}

func TestJSONDocumentsSeparatedByDashes(t *testing.T) {
	doc := nsA + "\n---\n" + nsB + "\n---\n" + strings.ReplaceAll(nsA, `"a"`, `"c"`) + strings.ReplaceAll(nsA, `"a"`, `"d"`) + "\n"
	res, err := LoadBytes("ns.json", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := namespaceNames(res); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("namespaces %v", got)
	}
	// Documents are numbered across parts: the fourth is the second
	// value of the third part.
	bad := nsA + "\n---\n" + nsB + "\n---\n" + nsA + `{"apiVersion": "v1", "kind": "Pod"}` + "\n"
	_, err = LoadBytes("ns.json", []byte(bad), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "ns.json: document 4: Pod has neither metadata.name") {
		t.Errorf("error %v, want one at document 4", err)
	}
}

func TestJSONThenYAMLInOneFile(t *testing.T) {
	doc := nsA + "\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n---\n" +
		strings.ReplaceAll(nsA, `"a"`, `"c"`) + "\n" +
		// YAML right after JSON, no separator: kubectl switches to YAML.
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: d}\n---\n" +
		// A flow mapping starts with '{' but is YAML.
		"{apiVersion: v1, kind: Namespace, metadata: {name: e}}\n"
	res, err := LoadBytes("mixed.yaml", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := namespaceNames(res); !slices.Equal(got, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("namespaces %v", got)
	}
	bad := nsA + "\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: [}\n---\n" + nsB + "\n"
	_, err = LoadBytes("mixed.yaml", []byte(bad), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "mixed.yaml: document 2: invalid YAML") {
		t.Errorf("error %v, want invalid YAML at document 2", err)
	}
	bad = nsA + "\n---\n" + nsB + "\n" + `{"apiVersion": "v1", "kind": ` + "\n"
	_, err = LoadBytes("mixed.json", []byte(bad), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "mixed.json: document 3: invalid JSON") {
		t.Errorf("error %v, want invalid JSON at document 3", err)
	}
}

func TestJSONDocumentLimitHoldsAfterDashes(t *testing.T) {
	big := `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"big","annotations":{"a":"` + strings.Repeat("x", 2000) + `"}}}`
	_, err := LoadBytes("big.json", []byte(nsA+"\n---\n"+big+"\n"), Options{Limits: Limits{MaxDocumentBytes: 1000}})
	if err == nil || !strings.HasPrefix(err.Error(), "big.json: document 2: document is more than the limit") {
		t.Errorf("oversized JSON document after ---: %v", err)
	}
	deep := `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"deep","x":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}}`
	_, err = LoadBytes("deep.json", []byte(nsA+"\n---\n"+deep+"\n"), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "deep.json: document 2: document nests deeper") {
		t.Errorf("deep JSON after ---: %v", err)
	}
}

func TestHelmChartAndKustomizationSkippedWithNotes(t *testing.T) {
	dir := "testdata/helm-and-kustomize"
	res, err := Load([]string{dir}, Options{Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Snapshot.NetworkPolicies) != 1 || res.Snapshot.NetworkPolicies[0].Name != "deny-all" {
		t.Errorf("policies %+v", res.Snapshot.NetworkPolicies)
	}
	want := []string{
		dir + "/chart: a Helm chart (it has a Chart.yaml): skipped; give the output of helm template instead",
		dir + "/kustomization.yaml: a kustomization file: skipped; build its directory with kustomize (-k) instead",
		dir + "/values.yaml: document 1: not a Kubernetes object (no apiVersion, kind or metadata): skipped",
	}
	if got := warningsOf(res, WarnNotKubernetes); !slices.Equal(got, want) {
		t.Errorf("notes\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// netpol.yaml and values.yaml were read; the others were not.
	if res.FilesRead != 2 {
		t.Errorf("%d file(s) read, want 2", res.FilesRead)
	}

	// The chart itself, or its Chart.yaml, given explicitly.
	for _, path := range []string{dir + "/chart", dir + "/chart/Chart.yaml"} {
		res, err := Load([]string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := warningsOf(res, WarnNotKubernetes); len(got) != 1 || res.FilesRead != 0 {
			t.Errorf("%s: notes %v, %d file(s) read", path, got, res.FilesRead)
		}
	}
	// A Helm template outside a chart is not YAML: an error.
	if _, err := Load([]string{dir + "/chart/templates/deploy.yaml"}, Options{}); err == nil || !strings.Contains(err.Error(), "invalid YAML") {
		t.Errorf("loose template: %v", err)
	}
}

// A document with some of apiVersion, kind and metadata but not both
// apiVersion and kind is a malformed object, not something else: a typo
// must not make a policy vanish.
func TestHalfKubernetesObjectIsAnError(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"kind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}}\n", "object has no apiVersion"},
		{"apiVersion: networking.k8s.io/v1\nmetadata: {name: x}\n", "object has no kind"},
		{"apiversion: networking.k8s.io/v1\nKind: NetworkPolicy\nmetadata: {name: x}\n", "object has no apiVersion and no kind"},
		{"metadata: {name: x}\nspec: {podSelector: {}}\n", "object has no apiVersion and no kind"},
		{"apiVersion: v1\nkind: List\nitems: [{metadata: {name: x}}]\n", "item 1: object has no apiVersion and no kind"},
	} {
		_, err := LoadBytes("half.yaml", []byte(tc.doc), Options{})
		if err == nil || !strings.HasPrefix(err.Error(), "half.yaml: document 1: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.doc, err, tc.want)
		}
	}
	res, err := LoadBytes("values.yaml", []byte("replicaCount: 1\n---\nimage: {tag: x}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := warningsOf(res, WarnNotKubernetes); len(got) != 2 || !strings.HasPrefix(got[1], "values.yaml: document 2: not a Kubernetes object") {
		t.Errorf("notes %v", got)
	}
}

func TestDuplicatesNameBothPlaces(t *testing.T) {
	const (
		pod      = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n"
		cilium   = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: c, namespace: shop}\nspec: {endpointSelector: {}}\n"
		ciliumUJ = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: c, namespace: shop}\nspec: {endpointSelector: {}, ingress: [{fromFuture: [{}]}]}\n"
		calico   = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: k, namespace: shop}\nspec: {selector: all()}\n"
	)
	for _, tc := range []struct{ first, second, what string }{
		{"apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", "", "Namespace shop"},
		{"apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n", "", "Node n1"},
		{pod, "", "Pod shop/p"},
		{pod, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: p, namespace: shop}\nspec: {selector: {}, template: {}}\n", "Pod shop/p of Deployment p"},
		{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec: {podSelector: {}}\n", "", "NetworkPolicy shop/x"},
		{"apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}}\n", "", "AdminNetworkPolicy a"},
		{"apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec: {subject: {namespaces: {}}}\n", "", "BaselineAdminNetworkPolicy default"},
		{"apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: p}" + cnpSpec, "", "ClusterNetworkPolicy p"},
		{cilium, "", "CiliumNetworkPolicy shop/c"},
		{calico, "", "NetworkPolicy.projectcalico.org shop/k"},
		{"apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100}\n", "", "Tier security"},
		{"apiVersion: k8s.ovn.org/v1\nkind: EgressFirewall\nmetadata: {name: default, namespace: ops}\n", "", "EgressFirewall ops/default"},
		// A policy decoded for the engine and one it does not judge, in
		// either order.
		{ciliumUJ, cilium, "CiliumNetworkPolicy shop/c"},
		{cilium, ciliumUJ, "CiliumNetworkPolicy shop/c"},
	} {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
		second := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n---\n" + cmp.Or(tc.second, tc.first)
		if err := os.WriteFile(a, []byte(tc.first), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(b, []byte(second), 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := Load([]string{a, b}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.what, err)
		}
		want := b + ": document 2: " + tc.what + " replaces the one in " + a + ", document 1"
		if got := warningsOf(res, WarnDuplicate); len(got) != 1 || got[0] != want {
			t.Errorf("duplicate warnings %q\nwant %q", got, want)
		}
	}
}

func TestWarningKinds(t *testing.T) {
	doc := "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: elsewhere}\n---\nfoo: bar\n---\napiVersion: v1\nkind: Pod\nmetadata: {generateName: g-}\n"
	res, err := LoadBytes("k.yaml", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []WarningKind
	for _, w := range res.Warnings {
		kinds = append(kinds, w.Kind)
		if w.Kind == WarnImplicitNamespace && w.Namespace != "elsewhere" && w.Namespace != "default" {
			t.Errorf("implicit namespace %q", w.Namespace)
		}
	}
	want := []WarningKind{WarnSkippedKind, WarnNotKubernetes, WarnOther, WarnImplicitNamespace, WarnImplicitNamespace}
	if !slices.Equal(kinds, want) {
		t.Errorf("kinds %v, want %v (%v)", kinds, want, res.Warnings)
	}
}
