package policy

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Matrix holds the result of every flow between a list of pods on one port.
type Matrix struct {
	Pods     []PodRef
	Protocol corev1.Protocol
	Port     intstr.IntOrString
	// cells holds one byte per flow (see resultCode) rather than a Result
	// string: 16 times less memory for large matrices.
	cells []byte
}

// At returns the result of the flow from Pods[src] to Pods[dst].
func (m *Matrix) At(src, dst int) Result {
	switch m.cells[src*len(m.Pods)+dst] {
	case 1:
		return Allowed
	case 2:
		return Denied
	default:
		return Undecided
	}
}

func resultCode(r Result) byte {
	switch r {
	case Allowed:
		return 1
	case Denied:
		return 2
	default:
		return 0
	}
}

// Matrix decides every flow between the given pods (including a pod to
// itself) on one port, without explanations; use Evaluate on a cell to
// explain it. Pods missing from the snapshot give Undecided cells. A named
// port is resolved on each destination.
func (e *Engine) Matrix(pods []PodRef, protocol corev1.Protocol, port intstr.IntOrString) *Matrix {
	n := len(pods)
	m := &Matrix{Pods: pods, Protocol: protocol, Port: port, cells: make([]byte, n*n)}
	idx := make([]int, n)
	bits := make([]uint8, n)
	for i, ref := range pods {
		idx[i] = -1
		if pi, ok := e.podByRef[ref]; ok {
			idx[i] = pi
			bits[i] = e.endpointBits(endpoint{pod: pi})
		}
	}
	for di := range pods {
		var base flowCtx
		var err error
		if idx[di] >= 0 {
			// normalize resolves the protocol and a named port on this
			// destination; the source is filled in per cell.
			base, _, err = e.normalize(Flow{Src: PodEndpoint(pods[di].Namespace, pods[di].Name), Dst: PodEndpoint(pods[di].Namespace, pods[di].Name), Protocol: protocol, Port: port}, false)
		}
		for si := range pods {
			if idx[si] < 0 || idx[di] < 0 || err != nil {
				continue // zero is Undecided
			}
			ctx := base
			ctx.src = endpoint{pod: idx[si]}
			m.cells[si*n+di] = resultCode(e.decideBits(&ctx, bits[si], bits[di]))
		}
	}
	return m
}

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
		for d := range before.Pods {
			if b, a := before.At(s, d), after.At(s, d); b != a {
				out = append(out, MatrixChange{Src: before.Pods[s], Dst: before.Pods[d], Before: b, After: a})
			}
		}
	}
	return out, nil
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
