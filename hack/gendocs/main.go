// Command gendocs writes the finding-code tables of README.md from the code
// catalog of pkg/checks, so the two cannot drift. Each procedure's table
// sits between a pair of marker comments, placed in the section of its
// command:
//
//	<!-- codes:service:begin -->
//	(generated: do not edit)
//	<!-- codes:service:end -->
//
// It also writes the caveats of the krew manifest template (plugins.yaml)
// from the ClusterRoles of the README's RBAC section, and checks that
// template against krew's rules (manifest.go).
//
// `make docs` runs it; `make lint` runs it with -check, which writes
// nothing and fails when README.md or plugins.yaml is not what gendocs would
// write, or when plugins.yaml breaks a krew rule.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
)

func main() {
	file := flag.String("file", "README.md", "the Markdown file whose code tables to rewrite")
	manifest := flag.String("manifest", "plugins.yaml", "the krew manifest template whose caveats to write from the file's RBAC section (empty: none)")
	check := flag.Bool("check", false, "write nothing; exit 1 when the file's code tables or the manifest's caveats are out of date")
	flag.Parse()
	failed := false
	if err := run(*file, *check); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		failed = true
	}
	if *manifest != "" {
		if err := runManifest(*manifest, *file, *check); err != nil {
			fmt.Fprintln(os.Stderr, "gendocs:", err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// errOutdated is what -check says when the file differs.
var errOutdated = errors.New("README code tables are out of date: run make docs")

func run(file string, check bool) error {
	old, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	doc, err := rewrite(string(old), checks.Procedures())
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if doc == string(old) {
		return nil
	}
	if check {
		return errOutdated
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	return os.WriteFile(file, []byte(doc), st.Mode().Perm())
}

// marker matches a marker comment: its procedure and begin or end.
var marker = regexp.MustCompile(`<!-- codes:([a-z0-9-]+):(begin|end) -->`)

func beginMarker(name string) string { return "<!-- codes:" + name + ":begin -->" }
func endMarker(name string) string   { return "<!-- codes:" + name + ":end -->" }

// rewrite replaces what lies between each procedure's markers with its
// table. Every procedure must have its pair exactly once, begin before end;
// a marker of no procedure is an error too, so that none goes stale.
func rewrite(doc string, procs []checks.Procedure) (string, error) {
	known := map[string]bool{}
	for _, p := range procs {
		known[p.Name] = true
	}
	for _, m := range marker.FindAllStringSubmatch(doc, -1) {
		if !known[m[1]] {
			return "", fmt.Errorf("marker %s names no procedure (known: %s)", m[0], names(procs))
		}
	}
	owners := index(procs)
	for _, p := range procs {
		begin, end := beginMarker(p.Name), endMarker(p.Name)
		if n, m := strings.Count(doc, begin), strings.Count(doc, end); n != 1 || m != 1 {
			return "", fmt.Errorf("want %s and %s once each, found %d and %d", begin, end, n, m)
		}
		i := strings.Index(doc, begin) + len(begin)
		j := strings.Index(doc, end)
		if j < i {
			return "", fmt.Errorf("%s comes before %s", end, begin)
		}
		doc = doc[:i] + "\n" + table(p, owners) + doc[j:]
	}
	return doc, nil
}

// table is the Markdown of a procedure's codes: a table of its own codes,
// then the codes it borrows from other procedures, by procedure.
func table(p checks.Procedure, owners map[checks.Code]owned) string {
	var b strings.Builder
	b.WriteString("| code | title | what it checks |\n|---|---|---|\n")
	for _, i := range p.Codes {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", i.Code, cell(i.Title), cell(i.Description))
	}
	if len(p.Also) == 0 {
		return b.String()
	}
	var order []string
	byOwner := map[string][]string{}
	for _, c := range p.Also {
		o := owners[c]
		if byOwner[o.procedure] == nil {
			order = append(order, o.procedure)
		}
		byOwner[o.procedure] = append(byOwner[o.procedure], fmt.Sprintf("%s %s", c, o.Title))
	}
	b.WriteString("\nAlso in this report, described with their own command:\n\n")
	for _, o := range order {
		fmt.Fprintf(&b, "- `%s`: %s\n", o, strings.Join(byOwner[o], ", "))
	}
	return b.String()
}

// cell escapes what would end a table cell.
func cell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

// owned is a code of the catalog and the procedure that owns it.
type owned struct {
	checks.Info
	procedure string
}

func index(procs []checks.Procedure) map[checks.Code]owned {
	m := map[checks.Code]owned{}
	for _, p := range procs {
		for _, i := range p.Codes {
			m[i.Code] = owned{i, p.Name}
		}
	}
	return m
}

func names(procs []checks.Procedure) string {
	var s []string
	for _, p := range procs {
		s = append(s, p.Name)
	}
	return strings.Join(s, ", ")
}
