package scan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// factFindings bounds the findings repeated as facts in the human report;
// the JSON data holds up to Request.MaxFindings.
const factFindings = 10

// tally is what is known of one code across every object checked.
type tally struct {
	code     string
	kind     string // what the code is checked on ("service")
	pass     int
	skip     int
	findings []Finding
	// next: the next steps of the first finding.
	next   []string
	total  int
	counts map[report.Status]int
	// skipped keeps the first skip that names a missing permission, or the
	// first skip, for when nothing else is known.
	skipped *report.Check
	// cluster is a check of the cluster as a whole (DNS, CNI), kept as is.
	cluster *report.Check
}

type aggregator struct {
	max   int
	order []string
	codes map[string]*tally
}

func newAggregator(max int) *aggregator {
	return &aggregator{max: max, codes: map[string]*tally{}}
}

func (a *aggregator) tally(code, kind string) *tally {
	t, ok := a.codes[code]
	if !ok {
		t = &tally{code: code, kind: kind, counts: map[report.Status]int{}}
		a.codes[code] = t
		a.order = append(a.order, code)
	}
	return t
}

// expect registers codes checked on kind, so that they are reported even
// when there is nothing of that kind to check.
func (a *aggregator) expect(kind string, codes ...checks.Code) {
	for _, c := range codes {
		a.tally(string(c), kind)
	}
}

// add records the checks of one object.
func (a *aggregator) add(obj report.Object, list ...report.Check) {
	for _, c := range list {
		t := a.tally(c.Code, strings.ToLower(obj.Kind))
		switch c.Status {
		case report.Pass:
			t.pass++
		case report.Skip:
			t.skip++
			if t.skipped == nil || (t.skipped.Forbidden == nil && c.Forbidden != nil) {
				cc := c
				t.skipped = &cc
			}
		default:
			if t.total == 0 {
				t.next = c.Next
			}
			t.total++
			t.counts[c.Status]++
			if len(t.findings) < a.max {
				t.findings = append(t.findings, Finding{Code: c.Code, Status: c.Status, Object: obj, Message: c.Message})
			}
		}
	}
}

// addCluster records checks made once for the cluster.
func (a *aggregator) addCluster(list ...report.Check) {
	for _, c := range list {
		cc := c
		a.tally(c.Code, "cluster").cluster = &cc
	}
}

// skipAll records that a code could not run at all, for every object.
func (a *aggregator) skipAll(code checks.Code, kind, what string, err error) {
	c := code.FromError(what, err)
	t := a.tally(string(code), kind)
	t.skip++
	t.skipped = &c
}

func (a *aggregator) checks() []report.Check {
	out := make([]report.Check, 0, len(a.order))
	for _, code := range a.order {
		out = append(out, a.codes[code].check())
	}
	return out
}

func (t *tally) check() report.Check {
	code := checks.Code(t.code)
	if t.cluster != nil {
		return *t.cluster
	}
	checked := t.pass + t.total
	if t.total == 0 {
		switch {
		case t.skipped != nil && (t.skipped.Forbidden != nil || checked == 0):
			c := *t.skipped
			c.Title = code.Title()
			if checked > 0 {
				c.Message = fmt.Sprintf("%d %s(s) fine; %d skipped: %s", checked, t.kind, t.skip, c.Message)
			}
			return c
		case checked == 0:
			return code.New(report.Skip, "no %s to check", t.kind)
		}
		c := code.New(report.Pass, "no problem in %d %s(s)", checked, t.kind)
		c.Facts = t.countFacts()
		c.Data = CodeData{Findings: []Finding{}}
		return c
	}
	status := report.Warn
	for s := range t.counts {
		if s.Worse(status) {
			status = s
		}
	}
	first := t.findings[0]
	c := code.New(status, "%d of %d %s(s): %s: %s", t.total, checked, t.kind, objectName(first.Object), first.Message)
	if t.total > 1 {
		c.Message = fmt.Sprintf("%d of %d %s(s), first %s: %s", t.total, checked, t.kind, objectName(first.Object), first.Message)
	}
	c.Facts = t.countFacts()
	if t.skipped != nil {
		// Say what could not be checked, and which permission it needs.
		c.Facts = append(c.Facts, report.Fact{Name: "skipped", Value: t.skipped.Message})
	}
	for i, f := range t.findings {
		if i == factFindings {
			break
		}
		c.Facts = append(c.Facts, report.Fact{Name: objectName(f.Object), Value: string(f.Status) + ": " + f.Message})
	}
	if t.total > factFindings {
		c.Facts = append(c.Facts, report.Fact{Name: "more", Value: fmt.Sprintf("%d more (all counted; -o json lists up to %d per code)", t.total-factFindings, len(t.findings))})
	}
	c.Next = t.next
	c.Data = CodeData{Total: t.total, Shown: len(t.findings), Findings: t.findings}
	return c
}

// countFacts are the counts per status, worst first.
func (t *tally) countFacts() []report.Fact {
	var facts []report.Fact
	statuses := []report.Status{report.Fail, report.Error, report.Warn}
	sort.SliceStable(statuses, func(i, j int) bool { return statuses[i].Worse(statuses[j]) })
	for _, s := range statuses {
		if n := t.counts[s]; n > 0 {
			facts = append(facts, report.Fact{Name: string(s), Value: fmt.Sprint(n)})
		}
	}
	facts = append(facts, report.Fact{Name: "pass", Value: fmt.Sprint(t.pass)})
	if t.skip > 0 {
		facts = append(facts, report.Fact{Name: "skip", Value: fmt.Sprint(t.skip)})
	}
	return facts
}

func objectName(o report.Object) string {
	if o.Namespace == "" {
		return o.Name
	}
	return o.Namespace + "/" + o.Name
}
