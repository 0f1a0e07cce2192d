package netpol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/printers"
)

// matrixJSON is NP008's data as a script reads it.
type matrixJSON struct {
	Pods  []string `json:"pods"`
	Ports []struct {
		Port     int32   `json:"port"`
		Name     string  `json:"name"`
		Protocol string  `json:"protocol"`
		Numbers  []int32 `json:"numbers"`
	} `json:"ports"`
	Allowed   int        `json:"allowed"`
	Denied    int        `json:"denied"`
	Undecided int        `json:"undecided"`
	Rows      [][]string `json:"rows"`
}

// matrixCell is one checked flow of the matrix.
type matrixCell struct {
	From, To, Protocol, PortName string
	Port                         int32
	Result                       policy.Result
}

// decodeMatrix reads NP008's data through its JSON, as a script would, and
// lists the checked flows; it fails on a row of the wrong shape or an
// unknown code.
func decodeMatrix(t *testing.T, data any) (matrixJSON, []matrixCell) {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	var m matrixJSON
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if len(m.Rows) != len(m.Pods) {
		t.Fatalf("%d rows for %d pods: %s", len(m.Rows), len(m.Pods), b)
	}
	var cells []matrixCell
	for s, row := range m.Rows {
		if len(row) != len(m.Ports) {
			t.Fatalf("row %d has %d ports, want %d: %s", s, len(row), len(m.Ports), b)
		}
		for p, codes := range row {
			port := m.Ports[p]
			if len(codes) != len(m.Pods) {
				t.Fatalf("row %d port %d: %q is not one code per pod", s, p, codes)
			}
			for d := range len(codes) {
				c := matrixCell{From: m.Pods[s], To: m.Pods[d], Protocol: port.Protocol, PortName: port.Name, Port: port.Port}
				if port.Name != "" {
					c.Port = port.Numbers[d]
				}
				switch codes[d] {
				case '-':
					continue
				case 'A':
					c.Result = policy.Allowed
				case 'D':
					c.Result = policy.Denied
				case 'U':
					c.Result = policy.Undecided
				default:
					t.Fatalf("row %d port %d: unknown code %q", s, p, codes[d])
				}
				cells = append(cells, c)
			}
		}
	}
	return m, cells
}

// The compact form: pods and ports once, a string of codes per source and
// port; a named port carries its number on each destination.
func TestMatrixRows(t *testing.T) {
	w := NewWorld(shopSnapshot())
	w.AllPods = true
	r, err := Matrix(context.Background(), w, MatrixRequest{Ports: []Port{{Port: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}, {Port: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(checkOf(t, r, "NP008").Data)
	if err != nil {
		t.Fatal(err)
	}
	// api (http 8080) admits frontend (and itself) only; the others have
	// no http port.
	want := `{"pods":["shop/api","shop/frontend","shop/webapp"],` +
		`"ports":[{"port":0,"name":"http","protocol":"TCP","numbers":[8080,0,0]},{"port":8080,"protocol":"TCP"}],` +
		`"allowed":10,"denied":2,"undecided":0,` +
		`"rows":[["A--","AAA"],["A--","AAA"],["D--","DAA"]]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

// The printers stream the rows; the document is the one encoding/json and
// sigs.k8s.io/yaml make of the report in one piece.
func TestMatrixStreamedIsTheSameDocument(t *testing.T) {
	w := NewWorld(shopSnapshot())
	w.AllPods = true
	r, err := Matrix(context.Background(), w, MatrixRequest{})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal(whole, &want); err != nil {
		t.Fatal(err)
	}
	for _, f := range []printers.Format{printers.JSON, printers.YAML} {
		var b bytes.Buffer
		if err := printers.PrintContext(context.Background(), &b, r, f, printers.Options{}); err != nil {
			t.Fatal(err)
		}
		var got any
		if err := yaml.Unmarshal(b.Bytes(), &got); err != nil { // YAML reads JSON too
			t.Fatalf("%s: %v\n%s", f, err, b.String())
		}
		if f == printers.JSON && !json.Valid(b.Bytes()) {
			t.Errorf("invalid JSON:\n%s", b.String())
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s streamed:\n%s\nwant the same as\n%s", f, b.String(), whole)
		}
	}
}

// Ctrl-C during a large matrix ends it promptly, computing or printing.
func TestMatrixInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 3,000-pod world")
	}
	w := benchWorld(3000)
	ctx, cancel := context.WithCancel(context.Background())
	const after = 50 * time.Millisecond
	time.AfterFunc(after, cancel)
	start := time.Now()
	_, err := Matrix(ctx, w, MatrixRequest{MaxPods: 3000})
	took := time.Since(start)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v after %s, want context.Canceled", err, took)
	}
	t.Logf("matrix: interrupted %s after the cancel", took-after)
	if took > 5*time.Second {
		t.Errorf("matrix took %s to stop", took)
	}

	// While printing: the printer stops within a row.
	r, err := Matrix(context.Background(), w, MatrixRequest{MaxPods: 3000})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []printers.Format{printers.JSON, printers.YAML, printers.Human} {
		ctx, cancel = context.WithCancel(context.Background())
		out := &cancelAfter{n: 1 << 20, cancel: cancel}
		err = printers.PrintContext(ctx, out, r, f, printers.Options{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("printing %q: err = %v, want context.Canceled", f, err)
		}
		if out.written > 2<<20 {
			t.Errorf("printing %q: %d bytes printed after the cancel at 1 MiB", f, out.written)
		}
	}
}

// cancelAfter calls cancel once n bytes were written to it.
type cancelAfter struct {
	n, written int
	cancel     func()
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	c.written += len(p)
	if c.written >= c.n {
		c.cancel()
	}
	return len(p), nil
}
