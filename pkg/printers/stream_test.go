package printers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// table is RowData for the tests: a head and rows, with MarshalJSON the
// document in one piece.
type table struct {
	Name string   `json:"name,omitempty"`
	Tags []string `json:"tags,omitempty"`
	rows [][]string
}

type tableHead table

func (t table) RowsHead() any { return tableHead(t) }

func (t table) EachRow(emit func([][]byte) error) error {
	// One row in the same memory each time, as RowData may do.
	var row [][]byte
	for _, r := range t.rows {
		row = row[:0]
		for _, s := range r {
			row = append(row, []byte(s))
		}
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

func (t table) MarshalJSON() ([]byte, error) {
	m := map[string]any{"rows": t.rows}
	if t.rows == nil {
		m["rows"] = []any{}
	}
	if t.Name != "" {
		m["name"] = t.Name
	}
	if t.Tags != nil {
		m["tags"] = t.Tags
	}
	return json.Marshal(m)
}

// Streamed data, whatever its rows hold and wherever it is, gives the
// document encoding/json and sigs.k8s.io/yaml give in one piece.
func TestStreamedRowsAreTheSameDocument(t *testing.T) {
	r := sample()
	r.Checks[0].Data = table{Name: "first", Tags: []string{"a", "- b", "c: d"}, rows: [][]string{
		{"A-D", "---", "U"}, {`quote " and \ back`, "tab\tnewline\n", "é ü 世界", "<&>"}, {},
	}}
	r.Checks[1].Data = table{} // no head field, no row
	r.Checks = append(r.Checks, report.Check{Code: "X1", Status: report.Pass, Data: map[string]int{"plain": 1}},
		report.Check{Code: "X2", Status: report.Pass, Data: table{Name: "last", rows: [][]string{{"---"}}}})
	whole, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(whole, &want); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{JSON, YAML} {
		var b bytes.Buffer
		if err := PrintContext(context.Background(), &b, r, f, Options{}); err != nil {
			t.Fatal(err)
		}
		if f == JSON && !json.Valid(b.Bytes()) {
			t.Fatalf("invalid JSON:\n%s", b.String())
		}
		var got any
		if err := yaml.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v\n%s", f, err, b.String())
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s streamed:\n%s\nwant the same as\n%s", f, b.String(), whole)
		}
		if strings.Contains(b.String(), "netdebug-rows-") {
			t.Errorf("%s: a placeholder is left:\n%s", f, b.String())
		}
	}
	// Rows are one line each, in the data's indentation.
	var b bytes.Buffer
	if err := Print(&b, r, JSON, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\n        \"rows\": [\n          [\"A-D\", \"---\", \"U\"],\n") || !strings.Contains(b.String(), "\"rows\": []\n") {
		t.Errorf("rows not one per line:\n%s", b.String())
	}
}

// A cancelled context stops the rows; a failed write stops them too.
func TestStreamedRowsStop(t *testing.T) {
	r := sample()
	rows := make([][]string, 10000)
	for i := range rows {
		rows[i] = []string{strings.Repeat("A", 100)}
	}
	r.Checks[0].Data = table{rows: rows}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b bytes.Buffer
	for _, f := range []Format{JSON, YAML} {
		if err := PrintContext(ctx, &b, r, f, Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", f, err)
		}
	}
	broken := errors.New("broken pipe")
	if err := Print(failingWriter{broken}, r, JSON, Options{}); !errors.Is(err, broken) {
		t.Errorf("err = %v, want the write error", err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
