package policy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"math/bits"
	"runtime"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Matrix holds the result of every flow between a list of pods on one port.
type Matrix struct {
	Pods     []PodRef
	Protocol corev1.Protocol
	Port     intstr.IntOrString
	// allowed and denied hold one bit per flow, a flow in neither being
	// Undecided: two bits per flow rather than a Result string, so that a
	// 5,000-pod matrix takes 6 MB. Each source's row starts on a word of
	// its own (stride words per row), so that rows can be written
	// concurrently and read a word at a time.
	allowed, denied bitset
	stride          int
}

// At returns the result of the flow from Pods[src] to Pods[dst].
func (m *Matrix) At(src, dst int) Result {
	i := src*m.stride + dst>>6
	bit := uint64(1) << (uint(dst) & 63)
	switch {
	case m.allowed[i]&bit != 0:
		return Allowed
	case m.denied[i]&bit != 0:
		return Denied
	default:
		return Undecided
	}
}

// Row is the row of Pods[src] as bits: bit d&63 of word d>>6 of allowed
// (denied) is set when the flow to Pods[d] is Allowed (Denied); a flow with
// neither bit is Undecided. The slices are the matrix's own: read only.
// Encoders of large matrices read rows this way, a word at a time.
func (m *Matrix) Row(src int) (allowed, denied []uint64) {
	i := src * m.stride
	return m.allowed[i : i+m.stride], m.denied[i : i+m.stride]
}

// Counts are the Allowed and Denied flows of the matrix.
func (m *Matrix) Counts() (allowed, denied int) {
	for i := range m.allowed {
		allowed += bits.OnesCount64(m.allowed[i])
		denied += bits.OnesCount64(m.denied[i])
	}
	return allowed, denied
}

// Matrix decides every flow between the given pods (including a pod to
// itself) on one port, without explanations; use Evaluate on a cell to
// explain it. Pods missing from the snapshot give Undecided cells. A named
// port is resolved on each destination.
func (e *Engine) Matrix(pods []PodRef, protocol corev1.Protocol, port intstr.IntOrString) *Matrix {
	m, _ := e.MatrixContext(context.Background(), pods, protocol, port, nil)
	return m
}

// MatrixContext is Matrix for large matrices: it decides only the columns
// (destinations) d with columns[d] (nil: all of them; the others are
// Undecided), on every CPU, and stops with ctx's error once ctx is done. It
// looks at ctx once per row, so that an interrupted matrix of thousands of
// pods ends within milliseconds.
func (e *Engine) MatrixContext(ctx context.Context, pods []PodRef, protocol corev1.Protocol, port intstr.IntOrString, columns []bool) (*Matrix, error) {
	n := len(pods)
	stride := (n + 63) / 64
	m := &Matrix{Pods: pods, Protocol: protocol, Port: port, allowed: make(bitset, n*stride), denied: make(bitset, n*stride), stride: stride}
	idx := make([]int, n)
	podBits := make([]uint8, n)
	for i, ref := range pods {
		idx[i] = -1
		if pi, ok := e.podByRef[ref]; ok {
			idx[i] = pi
			podBits[i] = e.endpointBits(endpoint{pod: pi})
		}
	}
	// The destinations to decide, each normalized once: normalize
	// resolves the protocol and a named port on the destination; the
	// source is filled in per cell.
	type column struct {
		d    int
		base flowCtx
	}
	var cols []column
	for d := range pods {
		if idx[d] < 0 || (columns != nil && !columns[d]) {
			continue // Undecided
		}
		self := PodEndpoint(pods[d].Namespace, pods[d].Name)
		base, _, err := e.normalize(Flow{Src: self, Dst: self, Protocol: protocol, Port: port}, false)
		if err != nil {
			continue // a named port the destination lacks: Undecided
		}
		cols = append(cols, column{d, base})
	}
	// Rows are independent (the engine is read-only and each row has its
	// own words): workers take them in turn.
	var next atomic.Int64
	row := func() error {
		for {
			s := int(next.Add(1) - 1)
			if s >= n {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if idx[s] < 0 {
				continue
			}
			allowed, denied := m.Row(s)
			for i := range cols {
				c := &cols[i]
				fc := c.base
				fc.src = endpoint{pod: idx[s]}
				bit := uint64(1) << (uint(c.d) & 63)
				switch e.decideBits(&fc, podBits[s], podBits[c.d]) {
				case Allowed:
					allowed[c.d>>6] |= bit
				case Denied:
					denied[c.d>>6] |= bit
				}
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, n/minRowsPerWorker))
	errs := make(chan error, workers)
	for range workers - 1 {
		go func() { errs <- row() }()
	}
	err := row()
	for range workers - 1 {
		err = cmp.Or(err, <-errs)
	}
	if err != nil {
		return nil, fmt.Errorf("deciding the matrix: %w", err)
	}
	return m, nil
}

// minRowsPerWorker keeps small matrices on one goroutine: starting more
// would cost more than the rows.
const minRowsPerWorker = 64

// MatrixChange is a cell whose result differs between two matrices.
type MatrixChange struct {
	Src, Dst      PodRef
	Before, After Result
}

// CompareMatrices lists the cells that differ, for what-if comparisons of
// two policy sets over the same pods and port.
func CompareMatrices(before, after *Matrix) ([]MatrixChange, error) {
	if len(before.Pods) != len(after.Pods) {
		return nil, errors.New("matrices cover different pods")
	}
	for i := range before.Pods {
		if before.Pods[i] != after.Pods[i] {
			return nil, fmt.Errorf("matrices differ at pod %d: %s vs %s", i, before.Pods[i], after.Pods[i])
		}
	}
	var out []MatrixChange
	for s := range before.Pods {
		for d := range ChangedColumns(before, after, s) {
			out = append(out, MatrixChange{Src: before.Pods[s], Dst: before.Pods[d], Before: before.At(s, d), After: after.At(s, d)})
		}
	}
	return out, nil
}

// ChangedColumns yields, in order, the destinations whose flow from
// Pods[src] has a different result in a and b, two matrices over the same
// pods; it compares a word of 64 flows at a time.
func ChangedColumns(a, b *Matrix, src int) iter.Seq[int] {
	return func(yield func(int) bool) {
		aa, ad := a.Row(src)
		ba, bd := b.Row(src)
		for w := range aa {
			diff := (aa[w] ^ ba[w]) | (ad[w] ^ bd[w])
			for diff != 0 {
				if !yield(w<<6 + bits.TrailingZeros64(diff)) {
					return
				}
				diff &= diff - 1
			}
		}
	}
}

// FlowChange is a flow whose verdict differs between two engines.
type FlowChange struct {
	Flow          Flow
	Before, After Verdict
}

// Compare evaluates flows against two engines (for example the cluster's
// policies and a proposed set) and returns those whose result changes.
func Compare(before, after *Engine, flows []Flow) []FlowChange {
	var out []FlowChange
	for _, f := range flows {
		if before.Decide(f) == after.Decide(f) {
			continue
		}
		out = append(out, FlowChange{Flow: f, Before: before.Evaluate(f), After: after.Evaluate(f)})
	}
	return out
}
