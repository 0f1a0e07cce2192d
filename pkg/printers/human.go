package printers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// palette paints text when colour is on. Each colour is its own object with
// colour forced on or off, so no package-level switch of fatih/color is used.
type palette struct{ on bool }

func (p palette) paint(s string, attrs ...color.Attribute) string {
	if !p.on {
		return s
	}
	c := color.New(attrs...)
	c.EnableColor()
	return c.Sprint(s)
}

func (p palette) status(s report.Status) string {
	label := fmt.Sprintf("%-5s", strings.ToUpper(string(s)))
	switch s {
	case report.Pass:
		return p.paint(label, color.FgGreen)
	case report.Warn:
		return p.paint(label, color.FgYellow)
	case report.Fail:
		return p.paint(label, color.FgRed, color.Bold)
	case report.Error:
		return p.paint(label, color.FgMagenta, color.Bold)
	default:
		return p.paint(label, color.Faint)
	}
}

func (p palette) outcome(o report.Outcome) string {
	switch o {
	case report.OK:
		return p.paint("OK", color.FgGreen, color.Bold)
	case report.Problems:
		return p.paint("PROBLEMS FOUND", color.FgRed, color.Bold)
	default:
		return p.paint("INCOMPLETE", color.FgMagenta, color.Bold)
	}
}

const indent = "             " // aligns evidence under the message column

// labelIndent is the width of the labels of the report's head ("Verdict: ",
// "Next:    "): their text folds under it.
const labelIndent = "         "

// printHuman writes the one-screen report: verdict first, then one line per
// check in procedure order with the evidence of the checks that did not pass,
// then the sections, written as they come (a matrix may have thousands of
// lines).
func printHuman(ctx context.Context, w io.Writer, r *report.Report, opts Options) error {
	p := palette{on: opts.Color}
	b := bufio.NewWriterSize(w, 64<<10)
	f := folder{w: b, width: opts.Width}
	f.line("", fmt.Sprintf("%s: %s", p.paint(r.Title, color.Bold), p.outcome(r.Verdict.Outcome)), 2)
	f.line("Verdict: ", p.paint(sentence(r.Verdict.Message), color.Bold), len(labelIndent))
	for _, n := range r.Verdict.Next {
		f.line("Next:    ", n, len(labelIndent))
	}
	for _, n := range r.Notes {
		f.line("Note:    ", n, len(labelIndent))
	}
	b.WriteString("\n")
	// Evidence folds with a hanging indent, so a continuation line does not
	// read as a fact of its own; a next step's continues under its text.
	hanging := len(indent) + 2
	next := indent + p.paint("next:", color.Faint) + " "
	for _, c := range r.Checks {
		head := fmt.Sprintf("%s  %-6s ", p.status(c.Status), c.Code)
		f.line(head, c.Message, visibleLen(head))
		if c.Status == report.Pass && !opts.Verbose {
			continue
		}
		for _, fact := range c.Facts {
			f.line(indent, fact.Name+": "+fact.Value, hanging)
		}
		if c.Forbidden != nil {
			f.line(indent, fmt.Sprintf("missing permission: %s", c.Forbidden), hanging)
		}
		if c.Code == r.Verdict.Code {
			continue // its next steps are already under the verdict
		}
		for _, n := range c.Next {
			f.line(next, n, visibleLen(next))
		}
	}
	s := r.Summary
	fmt.Fprintf(b, "\n%d pass, %d warn, %d fail, %d skip, %d error\n", s.Pass, s.Warn, s.Fail, s.Skip, s.Error)
	for _, sec := range r.Sections {
		b.WriteString("\n")
		if sec.Title != "" {
			f.line("", p.paint(sec.Title, color.Bold), 2)
		}
		for _, l := range sec.Lines {
			// A line of text folds under its own indent, plus two.
			lead := len(l) - len(strings.TrimLeft(l, " "))
			f.line(l[:lead], l[lead:], lead+2)
		}
		if sec.Write != nil {
			// A block written at printing time (a matrix grid) is a
			// table: folding would break its columns.
			if err := sec.Write(ctx, b); err != nil {
				return err
			}
		}
	}
	return b.Flush()
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// sentence capitalises the verdict and ends it with a full stop.
func sentence(s string) string {
	s = titleCase(s)
	if s != "" && !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}
