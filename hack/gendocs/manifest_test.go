package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepoManifest is `make lint`'s check on the real files: plugins.yaml
// follows krew's rules and its caveats are the README's ClusterRoles, among
// them the rules the hand-written caveats had lost (issue 16).
func TestRepoManifest(t *testing.T) {
	if err := runManifest("../../plugins.yaml", "../../README.md", true); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../plugins.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"deployments, statefulsets, replicasets (apps)", "adminnetworkpolicies", "- get: jobs (batch)", "pods/ephemeralcontainers", "#rbac"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("caveats do not mention %q", want)
		}
	}
	if strings.Contains(string(b), "kubectl_complete-netdebug") {
		t.Error("the caveats still hold documentation (the completion helper): krew-index wants only what a user must do")
	}
}

const sampleReadme = "# Title\n\n## RBAC\n\nSteps are skipped. Read-only\nuse:\n\n```yaml\n" + `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: r
rules:
- apiGroups: [""]
  resources: [pods, services]
  verbs: [get, list]
# The Gateway API (the ` + "`gateway`" + ` command):
- apiGroups: [gateway.networking.k8s.io]
  resources: [gateways]
  verbs: [get, list]
# TLS checks:
# - apiGroups: [""]
#   resources: [secrets]
#   verbs: [get]
` + "```\n\nProbes:\n\n```yaml\n" + `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: p
rules:
- apiGroups: [""]
  resources: [pods/exec]   # --probe=exec
  verbs: [create]
` + "```\n\n## Next\n\n```yaml\nkind: ClusterRole\nmetadata:\n  name: elsewhere\n```\n"

const sampleCaveats = `netdebug acts with your kubeconfig's credentials. A step they do not allow
is skipped, naming the missing verb and resource; the rest of the diagnosis
still runs. Grant what you need; the README has these as ClusterRoles (r and
p): https://example.org/x#rbac

Read-only use (r):
  - get, list: pods, services
  The Gateway API (the gateway command):
  - get, list: gateways (gateway.networking.k8s.io)
  TLS checks:
  - get: secrets (optional)

Probes (p):
  - create: pods/exec, for --probe=exec
`

func TestCaveats(t *testing.T) {
	roles, err := readmeRoles(sampleReadme)
	if err != nil {
		t.Fatal(err)
	}
	if got := caveats(roles, "https://example.org/x"); got != sampleCaveats {
		t.Errorf("got:\n%s\nwant:\n%s", got, sampleCaveats)
	}
}

func TestReadmeRolesErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"no section":       "# Title\n",
		"no role":          "## RBAC\n\nNothing.\n",
		"no sentence":      "## RBAC\n\n```yaml\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- verbs: [get]\n```\n",
		"bad field":        "## RBAC\n\nUse:\n\n```yaml\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- verbs: [get]\n  resource: [pods]\n```\n",
		"comment at end":   "## RBAC\n\nUse:\n\n```yaml\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- verbs: [get]\n# dangling\n```\n",
		"misread rules":    "## RBAC\n\nUse:\n\n```yaml\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n  - verbs: [get]\n```\n",
		"unclosed block":   "## RBAC\n\nUse:\n\n```yaml\nkind: ClusterRole\n",
		"commented in mid": "## RBAC\n\nUse:\n\n```yaml\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- verbs: [get]\n#   resources: [pods]\n```\n",
	} {
		if _, err := readmeRoles(doc); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

const sampleManifest = `# A comment.
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: netdebug
spec:
  version: "{{VERSION}}"
  homepage: https://example.org/x
  shortDescription: Find why traffic in a cluster does not flow
  description: |
    Diagnoses why traffic does not flow.
  caveats: |
    stale
    text

  platforms:
  - selector:
      matchLabels:
        os: linux
        arch: amd64
    uri: https://github.com/netdebug/kubectl-netdebug/releases/download/{{VERSION}}/kubectl-netdebug_{{VERSION}}_linux_amd64.tar.gz
    sha256: "{{SHA256_linux_amd64}}"
    bin: kubectl-netdebug
  - selector:
      matchLabels:
        os: windows
        arch: arm64
    uri: https://github.com/netdebug/kubectl-netdebug/releases/download/{{VERSION}}/kubectl-netdebug_{{VERSION}}_windows_arm64.tar.gz
    sha256: "{{SHA256_windows_arm64}}"
    bin: kubectl-netdebug.exe
`

// TestRunManifest: -check writes nothing and says what to do; without it
// the caveats are rewritten in place, the rest of the file kept, after which
// -check passes.
func TestRunManifest(t *testing.T) {
	dir := t.TempDir()
	readme, manifest := filepath.Join(dir, "README.md"), filepath.Join(dir, "plugins.yaml")
	if err := os.WriteFile(readme, []byte(sampleReadme), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, []byte(sampleManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runManifest(manifest, readme, true); !errors.Is(err, errCaveatsOutdated) {
		t.Errorf("check of stale caveats: %v", err)
	}
	if b, _ := os.ReadFile(manifest); string(b) != sampleManifest {
		t.Error("-check wrote the file")
	}
	if err := runManifest(manifest, readme, false); err != nil {
		t.Fatal(err)
	}
	if err := runManifest(manifest, readme, true); err != nil {
		t.Errorf("check after a rewrite: %v", err)
	}
	b, _ := os.ReadFile(manifest)
	var indented strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(sampleCaveats, "\n"), "\n") {
		if l != "" {
			l = "    " + l
		}
		indented.WriteString(l + "\n")
	}
	want := strings.Replace(sampleManifest, "    stale\n    text\n", indented.String(), 1)
	if string(b) != want {
		t.Errorf("got:\n%s\nwant:\n%s", b, want)
	}
}

func TestCheckManifest(t *testing.T) {
	if err := checkManifest([]byte(sampleManifest)); err != nil {
		t.Fatalf("the sample: %v", err)
	}
	bad := map[string][2]string{
		// issue 16: `version: {{VERSION}}` is a YAML flow mapping, not a string.
		"unquoted version":  {`version: "{{VERSION}}"`, `version: {{VERSION}}`},
		"misspelt field":    {"  caveats: |", "  caveat: |"},
		"long short":        {"shortDescription: Find why traffic in a cluster does not flow", "shortDescription: Find out why traffic in a Kubernetes cluster does not flow"},
		"command list":      {"    Diagnoses why traffic does not flow.\n", "    Diagnoses why traffic does not flow:\n      pod SRC DST    pods and policy\n"},
		"listed":            {"    Diagnoses why traffic does not flow.\n", "    Diagnoses:\n    - pods\n"},
		"flag":              {"    Diagnoses why traffic does not flow.\n", "    Diagnoses why traffic does not flow; -o json for scripts.\n"},
		"long line":         {"    text\n", "    " + strings.Repeat("word ", 16) + "\n"},
		"name":              {"name: netdebug", "name: net-debug"},
		"apiVersion":        {"v1alpha2", "v1alpha1"},
		"no .exe":           {"bin: kubectl-netdebug.exe", "bin: kubectl-netdebug"},
		"checksum":          {`"{{SHA256_windows_arm64}}"`, `"{{SHA256_windows_amd64}}"`},
		"uri":               {"kubectl-netdebug_{{VERSION}}_windows_arm64.tar.gz", "kubectl-netdebug_{{VERSION}}_windows_arm64.zip"},
		"twice":             {"os: windows\n        arch: arm64", "os: linux\n        arch: amd64"},
		"unknown os":        {"os: windows", "os: plan9"},
		"extra label":       {"        arch: amd64\n", "        arch: amd64\n        libc: musl\n"},
		"match expressions": {"      matchLabels:\n        os: linux\n        arch: amd64\n", "      matchExpressions:\n      - {key: os, operator: In, values: [linux]}\n"},
	}
	for name, r := range bad {
		doc := strings.Replace(sampleManifest, r[0], r[1], 1)
		if doc == sampleManifest {
			t.Errorf("%s: the replacement did not apply", name)
			continue
		}
		if err := checkManifest([]byte(doc)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSetCaveats(t *testing.T) {
	for name, doc := range map[string]string{
		"none":  "spec:\n  description: |\n    x\n",
		"twice": "spec:\n  caveats: |\n    a\n  caveats: |\n    b\n",
	} {
		if _, err := setCaveats(doc, "x\n"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	got, err := setCaveats("spec:\n  caveats: |\n    old\n\n    more\n  platforms: []\n", "new\n\ntext\n")
	if want := "spec:\n  caveats: |\n    new\n\n    text\n  platforms: []\n"; err != nil || got != want {
		t.Errorf("got %q (%v), want %q", got, err, want)
	}
}
