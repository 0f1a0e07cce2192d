package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

const mod = "example.com/m"

// pkg builds a package of the module from module-relative paths; imports
// with a dot in their first element are left as they are.
func pkg(path string, imports ...string) Package {
	p := Package{ImportPath: abs(path), Module: &struct{ Path string }{mod}}
	for _, i := range imports {
		p.Imports = append(p.Imports, abs(i))
	}
	return p
}

func abs(path string) string {
	if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
		return path
	}
	return mod + "/" + path
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		pkg  Package
		want string // "" when allowed
	}{
		// allowed
		{"leaf imports outside only", pkg("pkg/report", "fmt"), ""},
		{"engine imports engine and API types", pkg("pkg/routing", "pkg/policy", "k8s.io/api/networking/v1", "sigs.k8s.io/network-policy-api/apis/v1alpha1"), ""},
		{"kube imports report", pkg("pkg/kube", "pkg/report", "k8s.io/client-go/kubernetes"), ""},
		{"reader imports leaf, engine, kube, reader", pkg("pkg/probe", "pkg/podstatus", "pkg/policy", "pkg/kube", "pkg/target"), ""},
		{"catalog imports leaf and kube", pkg("pkg/checks", "pkg/report", "pkg/kube"), ""},
		{"new procedure is a procedure", pkg("pkg/checks/newproc", "pkg/checks", "pkg/cnidetect", "pkg/routing"), ""},
		{"procedure imports procedure", pkg("pkg/checks/scan", "pkg/checks/service", "pkg/checks/dns"), ""},
		{"actions import procedure", pkg("pkg/actions", "pkg/checks/netpol", "pkg/kube"), ""},
		{"plugin imports all it needs", pkg("pkg/plugin", "pkg/actions", "pkg/printers", "pkg/checks/pod", "internal/version", "pkg/stall"), ""},
		{"command imports plugin and version", pkg("cmd/kubectl-netdebug", "pkg/plugin", "internal/version"), ""},
		{"hack imports test helpers and kubernetes", pkg("hack/bench", "internal/testenv", "pkg/plugin", "k8s.io/kubernetes/pkg/apis/core"), ""},
		{"test imports test helpers", pkg("test/e2e", "internal/faultproxy", "pkg/checks"), ""},

		// forbidden
		{"procedure imports actions", pkg("pkg/checks/service", "pkg/actions"),
			"pkg/checks/service imports pkg/actions: procedure may not import actions (see ARCHITECTURE.md)"},
		{"reader imports catalog", pkg("pkg/probe", "pkg/checks"),
			"pkg/probe imports pkg/checks: reader may not import catalog (see ARCHITECTURE.md)"},
		{"reader imports procedure", pkg("pkg/target", "pkg/checks/pod"),
			"pkg/target imports pkg/checks/pod: reader may not import procedure (see ARCHITECTURE.md)"},
		{"engine imports client-go", pkg("pkg/policy", "k8s.io/client-go/kubernetes"),
			"pkg/policy imports k8s.io/client-go/kubernetes: engine may not import k8s.io/client-go (see ARCHITECTURE.md)"},
		{"engine imports kube", pkg("pkg/routing", "pkg/kube"),
			"pkg/routing imports pkg/kube: engine may not import kube (see ARCHITECTURE.md)"},
		{"printers import catalog", pkg("pkg/printers", "pkg/checks"),
			"pkg/printers imports pkg/checks: printers may not import catalog (see ARCHITECTURE.md)"},
		{"kube imports a leaf other than report", pkg("pkg/kube", "pkg/stall"),
			"pkg/kube imports pkg/stall: kube may not import leaf (see ARCHITECTURE.md)"},
		{"leaf imports leaf", pkg("pkg/podstatus", "pkg/report"),
			"pkg/podstatus imports pkg/report: leaf may not import leaf (see ARCHITECTURE.md)"},
		{"catalog imports reader", pkg("pkg/checks", "pkg/probe"),
			"pkg/checks imports pkg/probe: catalog may not import reader (see ARCHITECTURE.md)"},
		{"actions import printers", pkg("pkg/actions", "pkg/printers"),
			"pkg/actions imports pkg/printers: actions may not import printers (see ARCHITECTURE.md)"},
		{"plugin imports testenv", pkg("pkg/plugin", "internal/testenv"),
			"pkg/plugin imports internal/testenv: plugin may not import test-only (see ARCHITECTURE.md)"},
		{"command imports a procedure", pkg("cmd/kubectl-netdebug", "pkg/checks/dns"),
			"cmd/kubectl-netdebug imports pkg/checks/dns: command may not import procedure (see ARCHITECTURE.md)"},
		{"unclassified package", pkg("pkg/cni", "pkg/kube"),
			"pkg/cni: in no layer: add it to the table in hack/importcheck/main.go and to ARCHITECTURE.md"},
		{"unclassified internal package", pkg("internal/util"),
			"internal/util: in no layer: add it to the table in hack/importcheck/main.go and to ARCHITECTURE.md"},
		{"test imports kubernetes", pkg("test/e2e", "k8s.io/kubernetes/test/e2e/framework"),
			"test/e2e imports k8s.io/kubernetes/test/e2e/framework: only hack/ may import k8s.io/kubernetes (see ARCHITECTURE.md)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check([]Package{tt.pkg})
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %q\nwant %q", got, want)
			}
		})
	}
}

func TestCheckTestImports(t *testing.T) {
	p := pkg("pkg/plugin")
	p.TestImports = []string{abs("internal/testenv"), abs("pkg/checks/scan")}
	p.XTestImports = []string{abs("internal/faultproxy"), abs("pkg/plugin")}
	if got := check([]Package{p}); len(got) != 0 {
		t.Errorf("tests may import test helpers, got %q", got)
	}
	p.XTestImports = append(p.XTestImports, "k8s.io/kubernetes/pkg/apis/core")
	want := []string{"pkg/plugin imports k8s.io/kubernetes/pkg/apis/core: only hack/ may import k8s.io/kubernetes (see ARCHITECTURE.md)"}
	if got := check([]Package{p}); !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestCheckProductDeps(t *testing.T) {
	p := pkg("cmd/kubectl-netdebug", "pkg/plugin")
	p.Deps = []string{"fmt", abs("pkg/plugin"), "k8s.io/kubernetes/pkg/api", "k8s.io/kubernetes/pkg/util", "some.org/lib"}
	want := []string{"cmd/kubectl-netdebug depends on k8s.io/kubernetes/pkg/api (2 package(s) of it): the product may not depend on k8s.io/kubernetes (see ARCHITECTURE.md)"}
	if got := check([]Package{p}); !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	h := pkg("hack/tool")
	h.Deps = p.Deps
	if got := check([]Package{h}); len(got) != 0 {
		t.Errorf("hack may depend on kubernetes, got %q", got)
	}
}

func TestCheckListsEveryViolationSorted(t *testing.T) {
	got := check([]Package{
		pkg("pkg/printers", "pkg/checks", "pkg/report"),
		pkg("pkg/checks/pod", "pkg/actions", "pkg/plugin"),
		pkg("example.com/other/pkg", "example.com/m/pkg/plugin"), // not of the module: ignored
	})
	want := []string{
		"pkg/checks/pod imports pkg/actions: procedure may not import actions (see ARCHITECTURE.md)",
		"pkg/checks/pod imports pkg/plugin: procedure may not import plugin (see ARCHITECTURE.md)",
		"pkg/printers imports pkg/checks: printers may not import catalog (see ARCHITECTURE.md)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestClassify(t *testing.T) {
	for path, want := range map[string]string{
		"pkg/report":           "leaf",
		"internal/version":     "leaf",
		"pkg/checks":           "catalog",
		"pkg/checks/flowcheck": "procedure",
		"pkg/checks/dns/sub":   "procedure",
		"pkg/policyfetch":      "reader",
		"pkg/policy":           "engine",
		"cmd/kubectl-netdebug": "command",
		"internal/faultproxy":  "test-only",
		"hack/gendocs":         "hack",
		"pkg/reportx":          "",
		"pkg/cni":              "",
		".":                    "",
	} {
		got := ""
		if l := classify(path); l != nil {
			got = l.name
		}
		if got != want {
			t.Errorf("classify(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestTable keeps the table consistent: a path in one layer only, imports
// naming layers or classified packages, every path in ARCHITECTURE.md.
func TestTable(t *testing.T) {
	names := map[string]bool{"*": true}
	seen := map[string]string{}
	for _, l := range layers {
		names[l.name] = true
		for _, p := range l.paths {
			if other, ok := seen[p]; ok {
				t.Errorf("%s is in layers %s and %s", p, other, l.name)
			}
			seen[p] = l.name
		}
	}
	for _, l := range layers {
		for _, i := range l.imports {
			if strings.Contains(i, "/") {
				if classify(i) == nil {
					t.Errorf("layer %s may import %s, which is in no layer", l.name, i)
				}
			} else if !names[i] {
				t.Errorf("layer %s may import %s, which is no layer", l.name, i)
			}
		}
	}
	doc, err := os.ReadFile("../../ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	for p := range seen {
		if !strings.Contains(string(doc), p) {
			t.Errorf("ARCHITECTURE.md does not mention %s", p)
		}
	}
}

func TestDecode(t *testing.T) {
	stream := `{"ImportPath": "example.com/m/pkg/a", "Module": {"Path": "example.com/m"}, "Imports": ["fmt"]}
{"ImportPath": "example.com/m/pkg/b", "Error": {"Err": "no Go files"}}
`
	pkgs, err := decode(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 || pkgs[0].Module.Path != mod || pkgs[0].Imports[0] != "fmt" || pkgs[1].Error.Err != "no Go files" {
		t.Errorf("decoded %+v", pkgs)
	}
}
