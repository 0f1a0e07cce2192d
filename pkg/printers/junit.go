package printers

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// JUnit XML is what CI systems (GitLab, Jenkins, GitHub test reporters)
// display: the report is one test suite and each check one test case.
// A failed check is a failure, a check that could not run an error, a
// skipped check skipped; a warning passes, its message in system-out.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

// junitText is text kept as written: CDATA, where character data would
// turn each line break into "&#xA;".
type junitText struct {
	Text string `xml:",cdata"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// printJUnit writes r as a JUnit XML document. A test case is named by the
// check's subject when it has one (a flow test's name), else by its code and
// title; names that repeat get " #2", " #3" so that each stays apart.
func printJUnit(w io.Writer, r *report.Report) error {
	suite := junitSuite{Name: r.Title}
	seen := map[string]int{}
	for _, c := range r.Checks {
		name := c.Subject
		if name == "" {
			name = c.Code + " " + c.Title
		}
		if seen[name]++; seen[name] > 1 {
			name = fmt.Sprintf("%s #%d", name, seen[name])
		}
		tc := junitCase{ClassName: "netdebug." + strings.ReplaceAll(r.Command, " ", ".") + "." + c.Code, Name: name}
		detail := evidence(c)
		problem := &junitProblem{Message: c.Message, Type: c.Code, Text: detail}
		switch c.Status {
		case report.Fail:
			tc.Failure = problem
			suite.Failures++
		case report.Error:
			tc.Error = problem
			suite.Errors++
		case report.Skip:
			tc.Skipped = &junitProblem{Message: c.Message}
			suite.Skipped++
		default:
			tc.SystemOut = &junitText{strings.TrimSpace(string(c.Status) + ": " + c.Message + "\n" + detail)}
		}
		suite.Tests++
		suite.Cases = append(suite.Cases, tc)
	}
	doc := junitSuites{Name: "kubectl-netdebug " + r.Command, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Skipped: suite.Skipped, Suites: []junitSuite{suite}}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding report as JUnit XML: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s%s\n", xml.Header, b)
	return err
}

// evidence is a check's facts and next steps as lines of text.
func evidence(c report.Check) string {
	var b strings.Builder
	for _, f := range c.Facts {
		fmt.Fprintf(&b, "%s: %s\n", f.Name, f.Value)
	}
	for _, n := range c.Next {
		fmt.Fprintf(&b, "next: %s\n", n)
	}
	return b.String()
}
