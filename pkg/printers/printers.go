// Package printers renders reports: a human report for terminals and pipes,
// and JSON or YAML documents for programs. Checks never print.
package printers

import (
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
)

// ParseFormat validates -o.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Human, JSON, YAML:
		return f, nil
	}
	return "", fmt.Errorf("unsupported output format %q: use json or yaml, or leave -o out for the human report", s)
}

// Options controls the human report.
type Options struct {
	Color bool
	// Verbose shows the evidence of passing checks too.
	Verbose bool
}

// Print renders r in format to w.
func Print(w io.Writer, r *report.Report, format Format, opts Options) error {
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
	default:
		return printHuman(w, r, opts)
	}
}
