package printers

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// The JUnit document parses back, counts each status where CI systems
// look for it, and keeps every test case apart by name.
func TestJUnit(t *testing.T) {
	r := report.New("netpol test", report.Object{Kind: "FlowTests", Name: "t.yaml"})
	r.Title = "Flow tests: t.yaml"
	r.Add(
		report.Check{Code: "NP002", Title: "Policies read", Status: report.Pass, Message: "1 file(s) read"},
		report.Check{Code: "NP013", Title: "Flow test", Subject: "a reaches b", Status: report.Pass, Message: "met"},
		report.Check{Code: "NP013", Title: "Flow test", Subject: "c <denied> & d", Status: report.Fail, Message: "expected denied", Facts: []report.Fact{{Name: "broken", Value: "x -> y\nallowed"}}, Next: []string{"fix it"}},
		report.Check{Code: "NP006", Title: "Source egress", Status: report.Warn, Message: "w"},
		report.Check{Code: "NP006", Title: "Source egress", Status: report.Skip, Message: "s"},
		report.Check{Code: "CNI004", Title: "Enforcement", Status: report.Error, Message: "e"},
	)
	r.Finish(nil)
	var out bytes.Buffer
	if err := Print(&out, r, JUnit, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), xml.Header) {
		t.Errorf("no XML header:\n%s", out.String())
	}
	var doc junitSuites
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if doc.Tests != 6 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 1 || len(doc.Suites) != 1 || doc.Suites[0].Name != "Flow tests: t.yaml" {
		t.Errorf("counts = %+v", doc)
	}
	var names []string
	for _, c := range doc.Suites[0].Cases {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, "|"); got != "NP002 Policies read|a reaches b|c <denied> & d|NP006 Source egress|NP006 Source egress #2|CNI004 Enforcement" {
		t.Errorf("names = %s", got)
	}
	failed := doc.Suites[0].Cases[2]
	if failed.Failure == nil || failed.Failure.Message != "expected denied" || failed.Failure.Text != "broken: x -> y\nallowed\nnext: fix it\n" || failed.ClassName != "netdebug.netpol.test.NP013" {
		t.Errorf("failure = %+v", failed)
	}
	if w := doc.Suites[0].Cases[3]; w.Failure != nil || w.SystemOut == nil || w.SystemOut.Text != "warn: w" {
		t.Errorf("a warning passes with its message: %+v", w)
	}
}

func TestParseFormatJUnit(t *testing.T) {
	if f, err := ParseFormat("junit"); err != nil || f != JUnit {
		t.Errorf("junit = %q %v", f, err)
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "json, yaml, junit, jsonpath=TEMPLATE or go-template=TEMPLATE") {
		t.Errorf("xml: %v", err)
	}
}
