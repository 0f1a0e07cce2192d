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

// printHuman writes the one-screen report: verdict first, then one line per
// check in procedure order with the evidence of the checks that did not pass,
// then the sections, written as they come (a matrix may have thousands of
// lines).
func printHuman(ctx context.Context, w io.Writer, r *report.Report, opts Options) error {
	p := palette{on: opts.Color}
	b := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(b, "%s: %s\n", p.paint(r.Title, color.Bold), p.outcome(r.Verdict.Outcome))
	fmt.Fprintf(b, "Verdict: %s\n", p.paint(sentence(r.Verdict.Message), color.Bold))
	for _, n := range r.Verdict.Next {
		fmt.Fprintf(b, "Next:    %s\n", n)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "Note:    %s\n", n)
	}
	b.WriteString("\n")
	for _, c := range r.Checks {
		fmt.Fprintf(b, "%s  %-6s %s\n", p.status(c.Status), c.Code, c.Message)
		if c.Status == report.Pass && !opts.Verbose {
			continue
		}
		for _, f := range c.Facts {
			fmt.Fprintf(b, "%s%s: %s\n", indent, f.Name, f.Value)
		}
		if c.Forbidden != nil {
			fmt.Fprintf(b, "%smissing permission: %s\n", indent, c.Forbidden)
		}
		if c.Code == r.Verdict.Code {
			continue // its next steps are already under the verdict
		}
		for _, n := range c.Next {
			fmt.Fprintf(b, "%s%s %s\n", indent, p.paint("next:", color.Faint), n)
		}
	}
	s := r.Summary
	fmt.Fprintf(b, "\n%d pass, %d warn, %d fail, %d skip, %d error\n", s.Pass, s.Warn, s.Fail, s.Skip, s.Error)
	for _, sec := range r.Sections {
		b.WriteString("\n")
		if sec.Title != "" {
			fmt.Fprintf(b, "%s\n", p.paint(sec.Title, color.Bold))
		}
		for _, l := range sec.Lines {
			b.WriteString(l + "\n")
		}
		if sec.Write != nil {
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
