// Package printers renders reports: a human report for terminals and pipes,
// JSON or YAML documents for programs, JUnit XML for CI, and kubectl's
// jsonpath and go-template over the JSON document. Checks never print.
package printers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	cliprinters "k8s.io/cli-runtime/pkg/printers"

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
	// JSONPath (-o jsonpath=TEMPLATE) and GoTemplate (-o
	// go-template=TEMPLATE) apply Options.Template to the JSON document,
	// as kubectl does to objects.
	JSONPath   Format = "jsonpath"
	GoTemplate Format = "go-template"
)

// Formats are the values of -o, for help and shell completion; a template
// follows jsonpath= and go-template=.
var Formats = []string{string(JSON), string(YAML), string(JUnit), string(JSONPath) + "=", string(GoTemplate) + "="}

// ParseFormat validates -o.
func ParseFormat(s string) (Format, error) {
	f, _, err := ParseOutput(s)
	return f, err
}

// ParseOutput validates -o and splits off the template of jsonpath=TEMPLATE
// and go-template=TEMPLATE, which must parse.
func ParseOutput(s string) (Format, string, error) {
	switch f := Format(s); f {
	case Human, JSON, YAML, JUnit:
		return f, "", nil
	case JSONPath, GoTemplate:
		return "", "", fmt.Errorf("-o %s needs a template: -o %s=TEMPLATE, for example -o %s", s, s, example(f))
	}
	name, tmpl, ok := strings.Cut(s, "=")
	if f := Format(name); ok && (f == JSONPath || f == GoTemplate) {
		if tmpl == "" {
			return "", "", fmt.Errorf("-o %s= needs a template, for example -o %s", name, example(f))
		}
		if _, err := templatePrinter(f, tmpl); err != nil {
			return "", "", fmt.Errorf("invalid %s template %q: %v", name, tmpl, err)
		}
		return f, tmpl, nil
	}
	return "", "", fmt.Errorf("unsupported output format %q: use json, yaml, junit, jsonpath=TEMPLATE or go-template=TEMPLATE, or leave -o out for the human report", s)
}

func example(f Format) string {
	if f == JSONPath {
		return "jsonpath='{.verdict.outcome}'"
	}
	return "go-template='{{.verdict.outcome}}'"
}

// templatePrinter is cli-runtime's printer of a jsonpath or go-template.
// As kubectl (--allow-missing-template-keys defaults to true), a key the
// document lacks prints nothing rather than failing.
func templatePrinter(f Format, tmpl string) (cliprinters.ResourcePrinter, error) {
	if f == JSONPath {
		p, err := cliprinters.NewJSONPathPrinter(tmpl)
		if err != nil {
			return nil, err
		}
		p.AllowMissingKeys(true)
		return p, nil
	}
	p, err := cliprinters.NewGoTemplatePrinter([]byte(tmpl))
	if err != nil {
		return nil, err
	}
	p.AllowMissingKeys(true)
	return p, nil
}

// PrintValue writes v, any value that encodes as a JSON object, as a
// document: JSON, YAML (in the fields' order), or through a jsonpath or
// go-template (opts.Template). It is for what is not a report (`version`).
func PrintValue(w io.Writer, v any, format Format, opts Options) error {
	switch format {
	case JSON:
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding as JSON: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case YAML:
		b, err := marshalYAML(v)
		if err != nil {
			return fmt.Errorf("encoding as YAML: %w", err)
		}
		_, err = w.Write(b)
		return err
	case JSONPath, GoTemplate:
		return printTemplate(w, v, format, opts.Template)
	}
	return fmt.Errorf("output format %q is for reports only", format)
}

// printTemplate applies a jsonpath or go-template to v's JSON document.
func printTemplate(w io.Writer, v any, f Format, tmpl string) error {
	p, err := templatePrinter(f, tmpl)
	if err != nil {
		return fmt.Errorf("invalid %s template %q: %w", f, tmpl, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding as JSON: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("encoding as JSON: %w", err)
	}
	var obj runtime.Object = &unstructured.Unstructured{Object: doc}
	return p.PrintObj(obj, w)
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
	// Template is the template of the JSONPath and GoTemplate formats.
	Template string
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
		b, err := marshalYAML(r)
		if err != nil {
			return fmt.Errorf("encoding report as YAML: %w", err)
		}
		_, err = w.Write(b)
		return err
	case JUnit:
		return printJUnit(w, r)
	case JSONPath, GoTemplate:
		return printTemplate(w, r, format, opts.Template)
	default:
		return printHuman(ctx, w, r, opts)
	}
}
