package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
)

var sample = []checks.Procedure{
	{Name: "cni", Codes: []checks.Info{{Code: "CNI001", Title: "Plugin", Description: "The plugin | its agents."}}},
	{Name: "pod", Codes: []checks.Info{{Code: "POD001", Title: "Pods up", Description: "Both pods run."}}, Also: []checks.Code{"CNI001"}},
}

const sampleDoc = `# Title

## pod

<!-- codes:pod:begin -->
| code | check |
|---|---|
| POD001 | hand-written |
<!-- codes:pod:end -->

## cni
<!-- codes:cni:begin --><!-- codes:cni:end -->
Text after.
`

const sampleWant = `# Title

## pod

<!-- codes:pod:begin -->
| code | title | what it checks |
|---|---|---|
| POD001 | Pods up | Both pods run. |

Also in this report, described with their own command:

- ` + "`cni`" + `: CNI001 Plugin
<!-- codes:pod:end -->

## cni
<!-- codes:cni:begin -->
| code | title | what it checks |
|---|---|---|
| CNI001 | Plugin | The plugin \| its agents. |
<!-- codes:cni:end -->
Text after.
`

func TestRewrite(t *testing.T) {
	got, err := rewrite(sampleDoc, sample)
	if err != nil {
		t.Fatal(err)
	}
	if got != sampleWant {
		t.Errorf("got:\n%s\nwant:\n%s", got, sampleWant)
	}
	again, err := rewrite(got, sample)
	if err != nil || again != got {
		t.Errorf("rewriting its own output changes it (err %v):\n%s", err, again)
	}
}

func TestRewriteMarkers(t *testing.T) {
	for name, doc := range map[string]string{
		"missing":   strings.Replace(sampleDoc, "<!-- codes:cni:begin --><!-- codes:cni:end -->", "", 1),
		"no end":    strings.Replace(sampleDoc, "<!-- codes:pod:end -->", "", 1),
		"reversed":  strings.Replace(sampleDoc, "<!-- codes:cni:begin --><!-- codes:cni:end -->", "<!-- codes:cni:end --><!-- codes:cni:begin -->", 1),
		"twice":     sampleDoc + "<!-- codes:cni:begin --><!-- codes:cni:end -->\n",
		"unknown":   sampleDoc + "<!-- codes:capture:begin --><!-- codes:capture:end -->\n",
		"no marker": "# Title\n",
	} {
		if _, err := rewrite(doc, sample); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRunCheck: -check writes nothing and says what to do; without it the
// file is rewritten, after which -check passes.
func TestRunCheck(t *testing.T) {
	file := filepath.Join(t.TempDir(), "README.md")
	var doc strings.Builder
	for _, p := range checks.Procedures() {
		doc.WriteString("## " + p.Name + "\n" + beginMarker(p.Name) + "\nstale\n" + endMarker(p.Name) + "\n")
	}
	if err := os.WriteFile(file, []byte(doc.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(file, true); !errors.Is(err, errOutdated) || err.Error() != "README code tables are out of date: run make docs" {
		t.Errorf("check of a stale file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != doc.String() {
		t.Error("-check wrote the file")
	}
	if err := run(file, false); err != nil {
		t.Fatal(err)
	}
	if err := run(file, true); err != nil {
		t.Errorf("check after a rewrite: %v", err)
	}
	b, _ := os.ReadFile(file)
	for _, i := range checks.Catalog() {
		if !strings.Contains(string(b), "| "+string(i.Code)+" | ") {
			t.Errorf("%s has no row", i.Code)
		}
	}
}
