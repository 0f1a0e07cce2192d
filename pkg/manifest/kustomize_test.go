package manifest

import (
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// The overlay puts a namespace, a name prefix and a common label on a
// base's NetworkPolicy and Deployment; the URL among its annotations is data.
func TestLoadKustomization(t *testing.T) {
	dir := "testdata/kustomize/overlay"
	res, err := LoadKustomization(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Snapshot
	if len(s.NetworkPolicies) != 1 || len(s.Pods) != 1 {
		t.Fatalf("%d policies, %d pods", len(s.NetworkPolicies), len(s.Pods))
	}
	np, pod := s.NetworkPolicies[0], s.Pods[0]
	if np.Namespace != "shop" || np.Name != "prod-web-ingress" || np.Spec.PodSelector.MatchLabels["team"] != "a" {
		t.Errorf("policy %s/%s selects %v", np.Namespace, np.Name, np.Spec.PodSelector.MatchLabels)
	}
	if pod.Namespace != "shop" || pod.Name != "prod-web" || pod.Labels["app"] != "web" || pod.Labels["team"] != "a" {
		t.Errorf("pod %s/%s labels %v", pod.Namespace, pod.Name, pod.Labels)
	}
	// Documents are numbered in the build's output order (kubectl's:
	// workloads before policies).
	name := "kustomize build " + dir
	ref := policy.PolicyRef{Kind: policy.KindNetworkPolicy, Namespace: "shop", Name: "prod-web-ingress"}
	if got := res.Sources[ref]; got != name+", document 2" {
		t.Errorf("policy read at %q", got)
	}
	if got := pod.Annotations[AnnotationSource]; got != "Deployment prod-web ("+name+", document 1)" {
		t.Errorf("pod source %q", got)
	}
	if res.FilesRead != 1 {
		t.Errorf("%d file(s) read, want 1 (the build)", res.FilesRead)
	}
	for _, w := range res.Warnings {
		if w.Kind != WarnImplicitNamespace {
			t.Errorf("warning %v", w)
		}
	}
	// The built policy selects the built pod (both carry team=a): what
	// it does not admit is denied.
	e := policy.New(s)
	v := e.Evaluate(policy.Flow{Src: policy.IPEndpoint(netip.MustParseAddr("10.0.0.9")), Dst: policy.PodEndpoint("shop", "prod-web"), Port: intstr.FromInt32(8080)})
	if v.Result != policy.Denied {
		t.Errorf("IP -> prod-web: %s (%s)", v.Result, v.Reason)
	}
}

// A malformed object in a build is named by the build and its document.
func TestLoadKustomizationMalformedObject(t *testing.T) {
	dir := writeKustomization(t, "resources: [np.yaml, ns.yaml]\n", map[string]string{
		"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
		"np.yaml": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec: {podSelecter: {}}\n",
	})
	_, err := LoadKustomization(dir, Options{})
	// Legacy order: the Namespace first, then the policy.
	want := "kustomize build " + dir + ": document 2: NetworkPolicy: unknown field \"spec.podSelecter\""
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
}

func TestLoadKustomizationBuildErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadKustomization(dir, Options{}); err == nil || !strings.HasPrefix(err.Error(), "kustomize build "+dir+": ") {
		t.Errorf("no kustomization: %v", err)
	}
	dir = writeKustomization(t, "resources: [missing.yaml]\n", nil)
	if _, err := LoadKustomization(dir, Options{}); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing resource: %v", err)
	}
	// Files outside the kustomization's root are refused, as by kubectl.
	dir = writeKustomization(t, "resources: [../outside.yaml]\n", nil)
	if err := os.WriteFile(filepath.Join(dir, "..", "outside.yaml"), []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKustomization(dir, Options{}); err == nil || !strings.Contains(err.Error(), "is not in or below") {
		t.Errorf("file outside the root: %v", err)
	}
}

// Remote locations are refused before the build, so nothing is fetched
// (this test runs without network).
func TestLoadKustomizationRefusesRemote(t *testing.T) {
	for _, tc := range []struct {
		name, kustomization string
		files               map[string]string
	}{
		{"remote base", "resources:\n- github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v1.0.6\n", nil},
		{"https resource", "resources:\n- https://raw.githubusercontent.com/example/repo/main/np.yaml\n", nil},
		{"ssh base", "bases:\n- git@example.com:team/config.git//base\n", nil},
		{"git:: component", "components:\n- git::https://example.com/team/config//component\n", nil},
		{"patch URL", "patches:\n- path: https://example.com/patch.yaml\n", nil},
		{"configMap file URL", "configMapGenerator:\n- name: c\n  files: [conf=https://example.com/conf.txt]\n", nil},
		{"openapi URL", "openapi:\n  path: https://example.com/schema.json\n", nil},
		{"inline transformer", "transformers:\n- |\n  apiVersion: builtin\n  kind: PatchTransformer\n  metadata: {name: p}\n  path: https://example.com/patch.yaml\n", nil},
		{"transformer file", "transformers: [t.yaml]\n", map[string]string{
			"t.yaml": "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: http://example.com/patch.yaml\n",
		}},
		{"remote in a local base", "resources: [base]\n", map[string]string{
			"base/kustomization.yaml": "resources: [https://example.com/np.yaml]\n",
		}},
		{"unknown field", "futureField: {source: \"https://example.com/x\"}\n", nil},
	} {
		dir := writeKustomization(t, tc.kustomization, tc.files)
		_, err := LoadKustomization(dir, Options{})
		if err == nil || !strings.HasPrefix(err.Error(), "kustomize build "+dir+": ") || !strings.Contains(err.Error(), "is a remote location: nothing is fetched") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	_, err := LoadKustomization("https://github.com/example/config//overlay", Options{})
	if err == nil || !strings.Contains(err.Error(), "a remote kustomization") {
		t.Errorf("remote directory: %v", err)
	}
}

func TestLooksRemote(t *testing.T) {
	for s, want := range map[string]bool{
		"../base":                          false,
		"deploy.yaml":                      false,
		"nginx":                            false,
		"conf=settings.txt":                false,
		"github.com/org/repo":              true,
		"GitHub.com:org/repo":              true,
		"git@gitlab.com:org/repo":          true,
		"https://example.com/x.yaml":       true,
		"file:///tmp/repo":                 true,
		"ssh://git@example.com/org/repo":   true,
		"git::https://example.com/org/rep": true,
		" https://example.com/x ":          true,
	} {
		if got := looksRemote(s); got != want {
			t.Errorf("looksRemote(%q) = %v", s, got)
		}
	}
}

// writeKustomization writes a kustomization and its files to a new
// directory.
func writeKustomization(t *testing.T, kustomization string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files = maps.Clone(files)
	if files == nil {
		files = map[string]string{}
	}
	files["kustomization.yaml"] = kustomization
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
