package printers

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

func sample() *report.Report {
	r := report.New("service", report.Object{Kind: "Service", Namespace: "shop", Name: "web"})
	r.Add(
		report.Check{Code: "SVC001", Status: report.Pass, Message: "exists", Facts: []report.Fact{{Name: "hidden", Value: "unless verbose"}}},
		report.Check{Code: "SVC003", Status: report.Fail, Message: "selector matches no pods", Facts: []report.Fact{{Name: "near miss", Value: "app=webapp"}}, Next: []string{"fix it"}},
	)
	r.Finish(nil)
	return r
}

func TestHuman(t *testing.T) {
	var b bytes.Buffer
	if err := Print(&b, sample(), Human, Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Service shop/web: PROBLEMS FOUND\n", "Verdict: Selector matches no pods.\n", "Next:    fix it\n", "FAIL   SVC003 selector matches no pods\n", "near miss: app=webapp", "1 pass, 0 warn, 1 fail"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "unless verbose") || strings.Contains(out, "\x1b[") {
		t.Errorf("passing evidence or colour shown:\n%s", out)
	}
	b.Reset()
	if err := Print(&b, sample(), Human, Options{Color: true, Verbose: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\x1b[") || !strings.Contains(b.String(), "unless verbose") {
		t.Errorf("colour or verbose evidence missing:\n%s", b.String())
	}
}

func TestJSONIsOneDocument(t *testing.T) {
	var b bytes.Buffer
	if err := Print(&b, sample(), JSON, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["apiVersion"] != report.APIVersion || got["kind"] != "Report" || strings.Contains(b.String(), "\x1b[") {
		t.Errorf("bad document: %s", b.String())
	}
	verdict := got["verdict"].(map[string]any)
	if verdict["outcome"] != "problems" || verdict["code"] != "SVC003" {
		t.Errorf("verdict %v", verdict)
	}
}

func TestParseFormat(t *testing.T) {
	for _, ok := range []string{"", "json", "yaml"} {
		if _, err := ParseFormat(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	if _, err := ParseFormat("wide"); err == nil {
		t.Error("wide accepted")
	}
}
