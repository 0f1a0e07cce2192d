package printers

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// YAML keeps the fields in the order of JSON (the structs'): the verdict
// comes right after the target, not last as sorted keys put it.
func TestYAMLKeepsJSONFieldOrder(t *testing.T) {
	r := sample()
	r.Checks[1].Data = map[string]any{"true": "yes", "n": "0123", "off": "1:30", "null": "~", "multi": "a\nb", "empty": []string{}, "n1": 1.5}
	var b bytes.Buffer
	if err := Print(&b, r, YAML, Options{}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for line := range strings.Lines(b.String()) {
		if line[0] != ' ' && line[0] != '-' {
			k, _, _ := strings.Cut(line, ":")
			keys = append(keys, k)
		}
	}
	want := []string{"apiVersion", "kind", "command", "title", "target", "verdict", "summary", "checks"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("top-level keys %v, want %v\n%s", keys, want, b.String())
	}
	if !strings.Contains(b.String(), "checks:\n- code: SVC001\n  title: \"\"\n  status: pass\n") {
		t.Errorf("a check is not written as kubectl writes YAML:\n%s", b.String())
	}
	// The same document as JSON, strings that read as other types quoted.
	var fromYAML, fromJSON any
	if err := sigsyaml.Unmarshal(b.Bytes(), &fromYAML); err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(r)
	if err := json.Unmarshal(j, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromYAML, fromJSON) {
		t.Errorf("YAML reads back as\n%v\nJSON is\n%v", fromYAML, fromJSON)
	}
}

func TestTemplates(t *testing.T) {
	for _, tt := range []struct{ output, want string }{
		{"jsonpath={.verdict.outcome} {.checks[1].code}", "problems SVC003"},
		{`jsonpath={range .checks[*]}{.code}={.status}{"\n"}{end}`, "SVC001=pass\nSVC003=fail\n"},
		{"jsonpath={.nothing}", ""},
		{"go-template={{.verdict.code}} {{len .checks}} {{.summary.fail}}", "SVC003 2 1"},
		{"go-template={{range .checks}}{{.code}} {{end}}", "SVC001 SVC003 "},
	} {
		f, tmpl, err := ParseOutput(tt.output)
		if err != nil {
			t.Fatalf("%s: %v", tt.output, err)
		}
		var b bytes.Buffer
		if err := Print(&b, sample(), f, Options{Template: tmpl}); err != nil {
			t.Fatalf("%s: %v", tt.output, err)
		}
		if b.String() != tt.want {
			t.Errorf("%s: %q, want %q", tt.output, b.String(), tt.want)
		}
	}
}

func TestParseOutputRefusesBadTemplates(t *testing.T) {
	for _, bad := range []string{"jsonpath", "jsonpath=", "jsonpath={.verdict", "go-template={{.verdict", "go-template", "go-template=", "wide", "jsonpath-file=x"} {
		if f, _, err := ParseOutput(bad); err == nil {
			t.Errorf("%q accepted as %q", bad, f)
		}
	}
	if _, tmpl, err := ParseOutput("jsonpath={.a=b}"); err != nil || tmpl != "{.a=b}" {
		t.Errorf("a template with = in it: %q %v", tmpl, err)
	}
}

var _ = report.APIVersion
