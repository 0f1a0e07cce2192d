// Package printers renders reports: a human report for terminals and pipes,
// and JSON or YAML documents for programs. Checks never print.
package printers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Format is the value of -o/--output.
type Format string

const (
	Human Format = ""
	JSON  Format = "json"
	YAML  Format = "yaml"
	// JUnit is JUnit XML, for CI systems: one test case per check.
	JUnit Format = "junit"
)

// ParseFormat validates -o.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Human, JSON, YAML, JUnit:
		return f, nil
	}
	return "", fmt.Errorf("unsupported output format %q: use json, yaml or junit, or leave -o out for the human report", s)
}

// Options controls the human report.
type Options struct {
	Color bool
	// Verbose shows the evidence of passing checks too.
	Verbose bool
	// Width folds the lines of the human report at this many columns,
	// keeping each line's indent (a terminal's width); 0 never folds (a
	// pipe or a file).
	Width int
}

// Print renders r in format to w.
func Print(w io.Writer, r *report.Report, format Format, opts Options) error {
	return PrintContext(context.Background(), w, r, format, opts)
}

// PrintContext is Print for reports that may be large: it writes the rows
// of check Data that has them (report.RowData) one at a time, and stops
// with ctx's error once ctx is done (Ctrl-C), having written part of the
// document.
func PrintContext(ctx context.Context, w io.Writer, r *report.Report, format Format, opts Options) error {
	if format == JSON || format == YAML {
		if rows := rowData(r); len(rows) > 0 {
			return printStreamed(ctx, w, r, format, rows)
		}
	}
	switch format {
	case JSON:
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding report as JSON: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case YAML:
		b, err := yaml.Marshal(r)
		if err != nil {
			return fmt.Errorf("encoding report as YAML: %w", err)
		}
		_, err = w.Write(b)
		return err
	case JUnit:
		return printJUnit(w, r)
	default:
		return printHuman(ctx, w, r, opts)
	}
}
