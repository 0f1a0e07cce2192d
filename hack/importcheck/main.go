// Command importcheck enforces the package layering described in
// ARCHITECTURE.md. It lists the module's packages with `go list`, puts each
// in a layer by its import path (the table below) and reports every import
// the table does not allow:
//
//	pkg/A imports pkg/B: <layer A> may not import <layer B> (see ARCHITECTURE.md)
//
// The rules govern non-test imports; _test.go files may import any package
// of the module (internal/testenv and internal/faultproxy exist for them).
// Only hack/ may import k8s.io/kubernetes, in tests too, and nothing the
// plugin's binary is built from may depend on it.
//
// `make lint` runs it. Exit status: 0 clean, 1 forbidden imports or an
// unclassified package, 2 when go list could not run.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// layer is a set of packages and what they may import.
type layer struct {
	name string
	// paths are module-relative import paths. "a/b" matches a/b and the
	// packages under it; "a/b/" matches only the packages under it. The
	// longest matching path decides a package's layer.
	paths []string
	// imports are the layers, or single packages (a path with a slash),
	// that the layer's packages may import; "*" is any.
	imports []string
	// banned are import-path prefixes outside the module that the layer's
	// packages may not import.
	banned []string
}

// layers is the table of ARCHITECTURE.md, from the bottom up. A package
// under pkg/checks/ is a procedure without a row of its own; any other new
// package needs a row here and a line in ARCHITECTURE.md.
var layers = []layer{
	{name: "leaf", paths: []string{"pkg/report", "pkg/podstatus", "pkg/stall", "internal/version"}},
	{name: "engine", paths: []string{"pkg/policy", "pkg/routing"},
		imports: []string{"engine"}, banned: []string{"k8s.io/client-go"}},
	{name: "kube", paths: []string{"pkg/kube"}, imports: []string{"pkg/report"}},
	{name: "reader", paths: []string{"pkg/cnidetect", "pkg/policyfetch", "pkg/target", "pkg/manifest", "pkg/flowtest", "pkg/probe", "pkg/capture", "pkg/gatewayapi"},
		imports: []string{"leaf", "engine", "kube", "reader"}},
	{name: "catalog", paths: []string{"pkg/checks"}, imports: []string{"leaf", "kube"}},
	{name: "procedure", paths: []string{"pkg/checks/"},
		imports: []string{"leaf", "engine", "kube", "reader", "catalog", "procedure"}},
	{name: "actions", paths: []string{"pkg/actions"},
		imports: []string{"leaf", "engine", "kube", "reader", "catalog", "procedure"}},
	{name: "printers", paths: []string{"pkg/printers"}, imports: []string{"pkg/report"}},
	{name: "plugin", paths: []string{"pkg/plugin"},
		imports: []string{"leaf", "engine", "kube", "reader", "catalog", "procedure", "actions", "printers"}},
	{name: "command", paths: []string{"cmd"}, imports: []string{"plugin", "internal/version"}},
	{name: "test-only", paths: []string{"internal/testenv", "internal/faultproxy"}, imports: []string{"*"}},
	{name: "hack", paths: []string{"hack"}, imports: []string{"*"}},
	{name: "test", paths: []string{"test"}, imports: []string{"*"}},
}

// kubernetes is the module only hack/ may import; the product is the
// command layer and everything it depends on.
const (
	kubernetes  = "k8s.io/kubernetes"
	kubeLayer   = "hack"
	productRoot = "command"
)

// Package is what importcheck reads of `go list -json`.
type Package struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
	Module       *struct{ Path string }
	Error        *struct{ Err string }
}

func main() {
	tags := flag.String("tags", "", "build tags passed to go list (e.g. e2e)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: importcheck [-tags list] [packages] (default ./...)")
		flag.PrintDefaults()
	}
	flag.Parse()
	patterns := flag.Args()
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	pkgs, err := goList(*tags, patterns)
	if err != nil {
		fmt.Fprintln(os.Stderr, "importcheck:", err)
		os.Exit(2)
	}
	for _, p := range pkgs {
		if p.Error != nil {
			// The tree may be mid-rename: check what go list could read.
			fmt.Fprintf(os.Stderr, "importcheck: warning: %s\n", p.Error.Err)
		}
	}
	problems := check(pkgs)
	for _, s := range problems {
		fmt.Println(s)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}

func goList(tags string, patterns []string) ([]Package, error) {
	args := []string{"list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Deps,Module,Error"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, patterns...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return decode(bytes.NewReader(out))
}

// decode reads the stream of JSON objects go list -json writes.
func decode(r io.Reader) ([]Package, error) {
	var pkgs []Package
	dec := json.NewDecoder(r)
	for {
		var p Package
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return pkgs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
}

// check returns every violation among pkgs, sorted: unclassified packages,
// imports the table forbids and imports of k8s.io/kubernetes outside hack/.
func check(pkgs []Package) []string {
	var problems []string
	add := func(format string, a ...any) {
		problems = append(problems, fmt.Sprintf(format, a...)+" (see ARCHITECTURE.md)")
	}
	for _, p := range pkgs {
		if p.Module == nil || !within(p.ImportPath, p.Module.Path) {
			continue
		}
		mod := p.Module.Path
		from := rel(p.ImportPath, mod)
		l := classify(from)
		if l == nil {
			problems = append(problems, from+": in no layer: add it to the table in hack/importcheck/main.go and to ARCHITECTURE.md")
			continue
		}
		for _, imp := range p.Imports {
			if within(imp, mod) {
				to := rel(imp, mod)
				if tl := classify(to); tl != nil && !l.mayImport(to, tl) {
					add("%s imports %s: %s may not import %s", from, to, l.name, tl.name)
				}
				continue
			}
			for _, b := range l.banned {
				if within(imp, b) {
					add("%s imports %s: %s may not import %s", from, imp, l.name, b)
				}
			}
		}
		if l.name != kubeLayer {
			for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
				if within(imp, kubernetes) {
					add("%s imports %s: only hack/ may import %s", from, imp, kubernetes)
				}
			}
		}
		if l.name == productRoot {
			var reached []string
			for _, d := range p.Deps {
				if within(d, kubernetes) {
					reached = append(reached, d)
				}
			}
			if len(reached) > 0 {
				add("%s depends on %s (%d package(s) of it): the product may not depend on %s",
					from, reached[0], len(reached), kubernetes)
			}
		}
	}
	slices.Sort(problems)
	return slices.Compact(problems)
}

// classify returns the layer of a module-relative path, or nil.
func classify(path string) *layer {
	var best *layer
	bestLen := -1
	for i := range layers {
		for _, pat := range layers[i].paths {
			if matches(path, pat) && len(pat) > bestLen {
				best, bestLen = &layers[i], len(pat)
			}
		}
	}
	return best
}

func matches(path, pat string) bool {
	if strings.HasSuffix(pat, "/") {
		return strings.HasPrefix(path, pat)
	}
	return within(path, pat)
}

// mayImport says whether l's packages may import the package at path, of
// layer to.
func (l *layer) mayImport(path string, to *layer) bool {
	for _, a := range l.imports {
		if a == "*" || a == to.name || a == path {
			return true
		}
	}
	return false
}

// within says whether path is prefix or a package under it.
func within(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// rel is path relative to the module; the module's root package is ".".
func rel(path, mod string) string {
	if path == mod {
		return "."
	}
	return strings.TrimPrefix(path, mod+"/")
}
