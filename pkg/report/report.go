// Package report is netdebug's result model: a diagnosis is a Report made of
// Checks, each with a stable code, a status, a one-line message, the evidence
// it gathered and, where useful, the next action. Checks build reports;
// printers render them; neither knows about the other.
package report

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// APIVersion and Kind identify the JSON/YAML document. The schema is stable
// within an APIVersion: fields are only ever added.
const (
	APIVersion = "netdebug.io/v1alpha2"
	Kind       = "Report"
)

// Status is the outcome of one check.
type Status string

const (
	// Pass: the check found nothing wrong.
	Pass Status = "pass"
	// Warn: something unusual that is not by itself a cause of failure.
	Warn Status = "warn"
	// Fail: a problem that breaks traffic; any Fail makes the exit code 1.
	Fail Status = "fail"
	// Skip: the check did not run (not applicable, or forbidden by RBAC).
	Skip Status = "skip"
	// Error: the check could not run because of an unexpected error.
	Error Status = "error"
)

// severity orders statuses from worst to best, for sorting and summaries.
func (s Status) severity() int {
	switch s {
	case Fail:
		return 4
	case Error:
		return 3
	case Warn:
		return 2
	case Skip:
		return 1
	default:
		return 0
	}
}

// Worse reports whether s is more severe than o.
func (s Status) Worse(o Status) bool { return s.severity() > o.severity() }

// Outcome is the overall answer of a report; it maps onto the exit code.
type Outcome string

const (
	// OK: no problem found (exit 0).
	OK Outcome = "ok"
	// Problems: at least one check failed (exit 1).
	Problems Outcome = "problems"
	// Incomplete: the diagnosis could not run far enough to tell (exit 2).
	Incomplete Outcome = "incomplete"
)

// ExitCode is the process exit code for an outcome.
func (o Outcome) ExitCode() int {
	switch o {
	case Problems:
		return 1
	case Incomplete:
		return 2
	default:
		return 0
	}
}

// Report is one diagnosis.
type Report struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Command    string `json:"command"`
	// Title says in a few words what was diagnosed, for the first line of
	// the human report ("Service shop/web").
	Title   string  `json:"title"`
	Target  Object  `json:"target"`
	Verdict Verdict `json:"verdict"`
	Summary Summary `json:"summary"`
	Checks  []Check `json:"checks"`
	// Notes are things the user should know about this run, once: for
	// example that an ephemeral debug container was added to a pod.
	Notes []string `json:"notes,omitempty"`
	// Sections are detail for a person reading a terminal, printed after
	// the checks: a matrix grid, a policy's rules in words, a manifest to
	// review. Programs read the same facts from the checks' Data, so JSON
	// and YAML leave them out.
	Sections []Section `json:"-"`

	finished bool
}

// Section is a titled block of preformatted lines in the human report.
type Section struct {
	Title string
	Lines []string
	// Write, when set, writes more lines after Lines, at printing time:
	// for a block too large to hold (the grid of a matrix of thousands of
	// pods), which JSON and YAML never need. It stops with ctx's error
	// once ctx is done.
	Write func(ctx context.Context, w io.Writer) error
}

// TextSection is a section of text, one line per line of text.
func TextSection(title, text string) Section {
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return Section{Title: title}
	}
	return Section{Title: title, Lines: strings.Split(text, "\n")}
}

// Verdict is the most likely root cause, in one sentence, first in every
// output.
type Verdict struct {
	Outcome Outcome `json:"outcome"`
	// Code of the check the verdict comes from, when there is one.
	Code    string   `json:"code,omitempty"`
	Message string   `json:"message"`
	Next    []string `json:"next,omitempty"`
}

// Summary counts checks by status.
type Summary struct {
	Pass  int `json:"pass"`
	Warn  int `json:"warn"`
	Fail  int `json:"fail"`
	Skip  int `json:"skip"`
	Error int `json:"error"`
}

// Check is one step of a procedure.
type Check struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	// Subject names what the check is about when one code checks several
	// things in a report (a flow test's name); empty otherwise.
	Subject string `json:"subject,omitempty"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	// Evidence: the objects looked at and the facts found about them.
	Objects []Object `json:"objects,omitempty"`
	Facts   []Fact   `json:"facts,omitempty"`
	// Forbidden is set when the check was skipped because RBAC denied a
	// request; it names the permission that is missing.
	Forbidden *Permission `json:"forbidden,omitempty"`
	// Next lists commands or actions that would take the user further.
	Next []string `json:"next,omitempty"`
	// Data carries check-specific structured results (documented per code).
	Data any `json:"data,omitempty"`
}

// Object names a Kubernetes object, or a flow between two endpoints.
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	// Name is for people; for a flow (Kind Flow) "ns/src -> ns/dst".
	Name string `json:"name"`
	// From and To are the ends of a flow (Kind Flow), for programs: a
	// pod (Kind Pod), or an IP address (Kind IP, the address as Name).
	From *Object `json:"from,omitempty"`
	To   *Object `json:"to,omitempty"`
	// Port and Protocol are the port of a flow, when one port was checked.
	Port     int32  `json:"port,omitempty"`
	Protocol string `json:"protocol,omitempty"`
}

// FlowObject names the flow from one endpoint to another.
func FlowObject(from, to Object) Object {
	return Object{Kind: "Flow", Name: from.endpointName() + " -> " + to.endpointName(), From: &from, To: &to}
}

// endpointName is "ns/name" for a pod, the address for an IP.
func (o Object) endpointName() string {
	if o.Namespace == "" {
		return o.Name
	}
	return o.Namespace + "/" + o.Name
}

func (o Object) String() string {
	kind := strings.ToLower(o.Kind)
	if o.Namespace == "" {
		return kind + "/" + o.Name
	}
	return kind + "/" + o.Namespace + "/" + o.Name
}

// Fact is one piece of evidence, kept in the order the check found it.
type Fact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Permission is an RBAC permission a step needed.
type Permission struct {
	Verb      string `json:"verb"`
	Group     string `json:"group,omitempty"`
	Resource  string `json:"resource"`
	Namespace string `json:"namespace,omitempty"`
}

func (p Permission) String() string {
	res := p.Resource
	if p.Group != "" {
		res += "." + p.Group
	}
	if p.Namespace != "" {
		return fmt.Sprintf("%s %s in namespace %s", p.Verb, res, p.Namespace)
	}
	return fmt.Sprintf("%s %s (cluster-wide)", p.Verb, res)
}

// New starts a report for a command and target; the title defaults to the
// target's kind and name.
func New(command string, target Object) *Report {
	title := target.Kind + " " + target.Name
	if target.Namespace != "" {
		title = target.Kind + " " + target.Namespace + "/" + target.Name
	}
	return &Report{APIVersion: APIVersion, Kind: Kind, Command: command, Title: title, Target: target, Checks: []Check{}}
}

// Add appends checks in procedure order.
func (r *Report) Add(checks ...Check) {
	r.Checks = append(r.Checks, checks...)
}

// Decide picks a report's verdict from its checks, given the default one
// (DefaultVerdict). A procedure whose root cause is not simply its first
// failure passes its own to Finish.
type Decide func(checks []Check, def Verdict) Verdict

// Finish computes the summary and sets the verdict, once, after the last
// check: decide's answer, or DefaultVerdict when decide is nil. Procedures
// add checks root-cause first, so the first failing check is the default
// root cause. Finishing a report twice is a programming error: the second
// verdict would silently replace the first.
func (r *Report) Finish(decide Decide) {
	if r.finished {
		panic("report: Finish called twice on " + r.Title)
	}
	r.finished = true
	r.Summary = Summary{}
	for _, c := range r.Checks {
		switch c.Status {
		case Pass:
			r.Summary.Pass++
		case Warn:
			r.Summary.Warn++
		case Fail:
			r.Summary.Fail++
		case Skip:
			r.Summary.Skip++
		case Error:
			r.Summary.Error++
		}
	}
	r.Verdict = DefaultVerdict(r.Checks)
	if decide != nil {
		r.Verdict = decide(r.Checks, r.Verdict)
	}
}

// Find returns the first check with code, or nil. Procedures look their
// checks up by their typed codes (checks.Code), never by literal strings.
func Find[C ~string](checks []Check, code C) *Check {
	for i := range checks {
		if checks[i].Code == string(code) {
			return &checks[i]
		}
	}
	return nil
}

// DefaultVerdict picks the verdict from checks in procedure order: the first
// fail, else the first error (the diagnosis is incomplete), else, when every
// check was skipped, incomplete too (naming a missing permission first),
// else a clean bill of health that mentions warnings and skips.
func DefaultVerdict(checks []Check) Verdict {
	for _, c := range checks {
		if c.Status == Fail {
			return Verdict{Outcome: Problems, Code: c.Code, Message: c.Message, Next: c.Next}
		}
	}
	for _, c := range checks {
		if c.Status == Error {
			return Verdict{Outcome: Incomplete, Code: c.Code, Message: "Could not finish the diagnosis: " + c.Message, Next: c.Next}
		}
	}
	var warns, skips, passes int
	var firstWarn, firstSkip *Check
	for i, c := range checks {
		switch c.Status {
		case Pass:
			passes++
		case Warn:
			if firstWarn == nil {
				firstWarn = &checks[i]
			}
			warns++
		case Skip:
			if c.Forbidden != nil {
				skips++
			}
			if firstSkip == nil || (firstSkip.Forbidden == nil && c.Forbidden != nil) {
				firstSkip = &checks[i]
			}
		}
	}
	if passes == 0 && warns == 0 && firstSkip != nil {
		// Every check was skipped: finding nothing is not "no problem".
		return Verdict{Outcome: Incomplete, Code: firstSkip.Code, Message: "Nothing could be checked: " + firstSkip.Message, Next: firstSkip.Next}
	}
	v := Verdict{Outcome: OK, Message: "No problem found"}
	if firstWarn != nil {
		v.Message, _ = WithWarnings("No failure found", checks)
		v.Code = firstWarn.Code
		v.Next = firstWarn.Next
	}
	if skips > 0 {
		v.Message += fmt.Sprintf("; %d step(s) skipped for lack of permissions", skips)
	}
	return v
}

// WithWarnings adds to message, the verdict of a report that found no
// failure, the first warning of checks other than message itself, and how
// many more there are: "message; warning: first (and 2 more warnings)".
// A warning that reads as message (a verdict built from the warning's own
// message), in another case or with a full stop, is not repeated. It returns the first warning of
// checks, repeated or not, whose code and next steps the verdict takes.
func WithWarnings(message string, checks []Check) (string, *Check) {
	var first, shown *Check
	more := 0
	said := normal(message)
	for i, c := range checks {
		if c.Status != Warn {
			continue
		}
		if first == nil {
			first = &checks[i]
		}
		if normal(c.Message) == said {
			continue // message already says it
		}
		if shown == nil {
			shown = &checks[i]
			continue
		}
		more++
	}
	if shown != nil {
		message += "; warning: " + shown.Message
		if more > 0 {
			message += fmt.Sprintf(" (and %d more %s)", more, plural(more, "warning"))
		}
	}
	return message, first
}

// normal is a message compared with another: lower case, without its
// closing full stop.
func normal(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}

// plural is word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
