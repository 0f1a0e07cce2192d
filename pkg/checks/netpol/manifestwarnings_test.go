package netpol

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// A policy given twice makes NP002 warn (the printer then shows its facts
// without -v), naming both places, even after more than maxWarningFacts
// other warnings.
func TestNP002WarnsOnDuplicates(t *testing.T) {
	dir := t.TempDir()
	np := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec: {podSelector: {}}\n"
	ns := "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
	other := strings.Repeat("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", maxWarningFacts+5)
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	for path, doc := range map[string]string{a: ns + other + "---\n" + np, b: np} {
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	res, err := manifest.Load([]string{a, b}, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := checkPolicies(FromManifests([]string{a, b}, res))
	if c.Status != report.Warn || !strings.Contains(c.Message, "; 25 document(s) of other kinds ignored") {
		t.Errorf("NP002 %s %q", c.Status, c.Message)
	}
	want := b + ": document 1: NetworkPolicy shop/x replaces the one in " + a + ", document 27"
	if len(c.Facts) != maxWarningFacts+1 || c.Facts[0].Value != want {
		t.Errorf("first of %d facts %q, want %q", len(c.Facts), c.Facts[0].Value, want)
	}
}

// Files and documents that are not Kubernetes objects are counted, and do
// not make NP002 warn.
func TestNP002CountsNonKubernetesSkipped(t *testing.T) {
	dir := t.TempDir()
	for name, doc := range map[string]string{
		"ns.yaml":            "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: shop}\n",
		"values.yaml":        "replicaCount: 1\n",
		"kustomization.yaml": "resources: [ns.yaml]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	res, err := manifest.Load([]string{dir}, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := checkPolicies(FromManifests([]string{dir}, res))
	want := "2 file(s) read: 1 pod(s), 0 NetworkPolicy(ies), 0 AdminNetworkPolicy(ies), no BaselineAdminNetworkPolicy; 2 file(s) or document(s) that are not Kubernetes objects skipped"
	if c.Status != report.Pass || c.Message != want {
		t.Errorf("NP002 %s %q\nwant %q", c.Status, c.Message, want)
	}
}
