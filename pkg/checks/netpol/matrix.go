package netpol

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// DefaultMaxPods bounds a matrix: its cells grow as the square of the pods.
const DefaultMaxPods = 1000

// MatrixRequest is `netpol matrix`.
type MatrixRequest struct {
	// Namespaces in scope; empty means every pod of the world.
	Namespaces []string
	// Ports are checked on every destination; empty means every
	// destination on the ports it declares.
	Ports []Port
	// Protocol keeps only the declared ports of this protocol ("" = all).
	Protocol corev1.Protocol
	WhatIf   *WhatIf
	// MaxPods refuses larger scopes (0: DefaultMaxPods).
	MaxPods int
}

// Cell results, as bits: a pair checked on several ports may collect more
// than one.
const (
	cellAllowed uint8 = 1 << iota
	cellDenied
	cellUndecided
)

// matrixPort is one port of a matrix and the destinations it applies to.
type matrixPort struct {
	Port
	// applies[d]: destination d is checked on this port (it declares it,
	// or --port named it); mask is the same as bits (d&63 of word d>>6),
	// to combine with the matrix's rows a word at a time.
	applies []bool
	mask    []uint64
	// number[d] is the port number on destination d (a named port
	// resolves per destination).
	number []int32
	m      *policy.Matrix
}

func newMatrixPort(p Port, n int) matrixPort {
	return matrixPort{Port: p, applies: make([]bool, n), mask: make([]uint64, (n+63)/64), number: make([]int32, n)}
}

// apply checks destination d on the port, whose number there is num.
func (mp *matrixPort) apply(d int, num int32) {
	mp.applies[d], mp.number[d] = true, num
	mp.mask[d>>6] |= 1 << (uint(d) & 63)
}

// MatrixPortData names a port of the matrix in JSON. Port is 0 for a named
// port, which resolves per destination: Numbers[d] is its number on pod d
// (0 where the pod has no such port and nothing is checked).
type MatrixPortData struct {
	Port     int32   `json:"port"`
	Name     string  `json:"name,omitempty"`
	Protocol string  `json:"protocol"`
	Numbers  []int32 `json:"numbers,omitempty"`
}

// Result codes of the matrix's rows in JSON and YAML, one character per
// flow.
const (
	codeAllowed   = 'A'
	codeDenied    = 'D'
	codeUndecided = 'U'
	codeUnchecked = '-' // the destination does not have the port
)

// MatrixData is NP008's data: the pods (rows and columns), the ports, the
// counts of flows, and the rows. Rows[s][p] is a string with one character
// per destination d, the flow from Pods[s] to Pods[d] on Ports[p]: A
// allowed, D denied, U undecided, - not checked (d does not have the port).
// A row is a few bytes per flow where one object per flow took a hundred:
// the printers write the rows one at a time (report.RowData), so that a
// matrix of millions of flows is never whole in memory as text.
type MatrixData struct {
	Pods      []string         `json:"pods"`
	Ports     []MatrixPortData `json:"ports"`
	Allowed   int              `json:"allowed"`
	Denied    int              `json:"denied"`
	Undecided int              `json:"undecided"`
	// LeftOut are pods not in the matrix, with why.
	LeftOut []string `json:"leftOut,omitempty"`

	ports []matrixPort
}

// matrixHead is MatrixData without its methods: what encoding/json makes of
// its fields, the rows aside.
type matrixHead MatrixData

// RowsHead is the data without its rows (report.RowData).
func (d MatrixData) RowsHead() any { return matrixHead(d) }

// EachRow yields the row of each source in turn, in the same memory
// (report.RowData).
func (d MatrixData) EachRow(emit func(row [][]byte) error) error {
	n := len(d.Pods)
	row := make([][]byte, len(d.ports))
	for p := range row {
		row[p] = make([]byte, n)
	}
	for s := range n {
		for p := range d.ports {
			d.ports[p].codes(s, row[p])
		}
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

// codes writes the result code of each flow from source s on the port into
// buf, which has one byte per pod.
func (mp *matrixPort) codes(s int, buf []byte) {
	allowed, denied := mp.m.Row(s)
	for w, mask := range mp.mask {
		a, d := allowed[w], denied[w]
		end := min(len(buf), (w+1)*64)
		for i := w * 64; i < end; i++ {
			bit := uint64(1) << (uint(i) & 63)
			switch {
			case mask&bit == 0:
				buf[i] = codeUnchecked
			case a&bit != 0:
				buf[i] = codeAllowed
			case d&bit != 0:
				buf[i] = codeDenied
			default:
				buf[i] = codeUndecided
			}
		}
	}
}

// MarshalJSON is the whole document in one piece, for encoders other than
// the printers' (report.RowData). The codes and the brackets need no
// escaping: the rows are written as they are.
func (d MatrixData) MarshalJSON() ([]byte, error) {
	head, err := json.Marshal(matrixHead(d))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(head) + len(d.Pods)*(len(d.ports)*(len(d.Pods)+3)+3) + 12)
	b.Write(head[:len(head)-1])
	b.WriteString(`,"rows":[`)
	first := true
	err = d.EachRow(func(row [][]byte) error {
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteByte('[')
		for p, codes := range row {
			if p > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('"')
			b.Write(codes)
			b.WriteByte('"')
		}
		b.WriteByte(']')
		return nil
	})
	b.WriteString("]}")
	return b.Bytes(), err
}

// Matrix answers `netpol matrix`: every flow between the pods in scope, on
// the given ports or each destination's declared ports, with
// engine.MatrixContext. The flows are decided once, two bits each per port
// (6 MB per port at 5,000 pods): the verdict comes first in the report and
// needs their counts, and the printers then read the rows from these bits.
// It stops with ctx's error once ctx is done (Ctrl-C).
func Matrix(ctx context.Context, w *World, req MatrixRequest) (*report.Report, error) {
	scope := "all namespaces"
	target := report.Object{Kind: "Namespaces", Name: "all"}
	if len(req.Namespaces) == 1 {
		scope = "namespace " + req.Namespaces[0]
		target = report.Object{Kind: "Namespace", Name: req.Namespaces[0]}
	} else if len(req.Namespaces) > 1 {
		scope = "namespaces " + strings.Join(req.Namespaces, ", ")
		target = report.Object{Kind: "Namespaces", Name: strings.Join(req.Namespaces, ",")}
	}
	title := "NetworkPolicy matrix, " + scope
	if req.WhatIf != nil {
		title += " (what-if)"
	}
	rep := newReport(w, CommandMatrix, target, title)
	pol := checkPolicies(w)
	rep.Add(pol)
	if w.ReadErr != nil {
		rep.Finish(checks.CouldNot("build the matrix"))
		return rep, nil
	}
	pods, leftOut := matrixPods(w, req.Namespaces)
	max := req.MaxPods
	if max <= 0 {
		max = DefaultMaxPods
	}
	if len(pods) > max {
		return nil, fmt.Errorf("%d pods in %s, more than --max-pods %d: narrow the scope with -n, or raise --max-pods", len(pods), scope, max)
	}
	engine := w.Engine
	var actions []string
	if req.WhatIf != nil {
		engine, actions = w.withPolicies(req.WhatIf)
		// Offline, a pod the change adds or removes has no flow to
		// compare (the actions name it).
		pods = slices.DeleteFunc(pods, func(p policy.PodRef) bool { return engine.Pod(p) == nil })
	}
	ports := matrixPorts(w.Engine, pods, req)
	n := len(pods)
	var counts [3]int
	var changes []FlowChangeData
	for i := range ports {
		mp := &ports[i]
		var err error
		if mp.m, err = engine.MatrixContext(ctx, pods, mp.Protocol, mp.Port.Port, mp.applies); err != nil {
			return nil, err
		}
		allowed, denied := mp.m.Counts()
		counts[0] += allowed
		counts[1] += denied
		counts[2] += n*checkedCount(mp.mask) - allowed - denied
		if req.WhatIf == nil {
			continue
		}
		before, err := w.Engine.MatrixContext(ctx, pods, mp.Protocol, mp.Port.Port, mp.applies)
		if err != nil {
			return nil, err
		}
		for s := range n {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("comparing the matrices: %w", err)
			}
			for d := range policy.ChangedColumns(before, mp.m, s) {
				changes = append(changes, FlowChangeData{From: pods[s].String(), To: pods[d].String(), Port: mp.number[d],
					PortName: portName(mp.Port.Port), Protocol: string(mp.Protocol), Before: string(before.At(s, d)), After: string(mp.m.At(s, d))})
			}
		}
	}
	slices.SortStableFunc(changes, func(a, b FlowChangeData) int {
		return cmp.Or(naturalCompare(a.From, b.From), naturalCompare(a.To, b.To))
	})
	explainChanges(engine, pods, changes)
	mc := checkMatrix(pods, ports, counts, leftOut, req)
	if missing := missingNamespaces(w, req.Namespaces); len(pods) == 0 && len(missing) > 0 {
		// A typo in -n is not an empty matrix to be happy about.
		mc.Status = report.Fail
		mc.Message = fmt.Sprintf("no pod in scope: namespace(s) %s do not exist", strings.Join(missing, ", "))
		mc.Next = []string{"kubectl get namespaces"}
	}
	rep.Add(mc)
	if req.WhatIf != nil {
		rep.Add(checkWhatIf(req.WhatIf, actions, changes, counts[0]+counts[1]+counts[2], "flows"))
	}
	if w.AllPods {
		rep.Add(checkFindings(engine, nil))
	}
	if mc.Status == report.Skip {
		rep.Finish(checks.CouldNot("build the matrix"))
	} else {
		rep.Finish(checks.Settled(mc.Message))
	}
	if n > 0 || len(leftOut) > 0 || len(changes) > 0 {
		// The grid is as large as the matrix: it is written when the
		// human report is printed, never held.
		rep.Sections = append(rep.Sections, report.Section{Write: func(ctx context.Context, out io.Writer) error {
			b := bufio.NewWriter(out)
			if err := matrixText(ctx, b, pods, ports, req.Ports == nil); err != nil {
				return err
			}
			if len(leftOut) > 0 {
				b.WriteString("Left out: " + strings.Join(leftOut, ", ") + "\n")
			}
			if len(changes) > 0 {
				fmt.Fprintf(b, "\nChanged by %s (before -> after):\n", strings.Join(req.WhatIf.Files, ", "))
				for _, ch := range changes {
					b.WriteString("  " + ch.String() + "\n")
				}
			}
			return b.Flush()
		}})
	}
	return rep, nil
}

// checkedCount is the number of destinations a port's mask checks.
func checkedCount(mask []uint64) int {
	c := 0
	for _, w := range mask {
		c += bits.OnesCount64(w)
	}
	return c
}

// matrixPods lists the pods in scope that the matrix covers: hostNetwork
// pods (whose traffic most plugins see as the node's) and finished pods
// (which send nothing) are left out and named. The rows and columns are in
// natural order: pod web-2 before web-10.
func matrixPods(w *World, namespaces []string) (pods []policy.PodRef, leftOut []string) {
	all := w.Engine.Pods()
	slices.SortStableFunc(all, naturalPods)
	for _, ref := range all {
		if len(namespaces) > 0 && !slices.Contains(namespaces, ref.Namespace) {
			continue
		}
		if why := leftOutReason(w.Engine.Pod(ref)); why != "" {
			leftOut = append(leftOut, ref.String()+" ("+why+")")
		} else {
			pods = append(pods, ref)
		}
	}
	return pods, leftOut
}

// matrixPorts is --port on every destination, else every distinct declared
// port (by protocol and number) on the destinations that declare it.
func matrixPorts(e *policy.Engine, pods []policy.PodRef, req MatrixRequest) []matrixPort {
	n := len(pods)
	declared := make([][]policy.ContainerPort, n)
	for d, ref := range pods {
		declared[d] = policy.PortsOf(e.Pod(ref))
	}
	var out []matrixPort
	if len(req.Ports) > 0 {
		for _, p := range req.Ports {
			mp := newMatrixPort(p, n)
			for d := range pods {
				if p.Port.Type == intstr.Int {
					mp.apply(d, p.Port.IntVal)
					continue
				}
				for _, cp := range declared[d] {
					if cp.Name == p.Port.StrVal && cp.Protocol == p.Protocol {
						mp.apply(d, cp.Number)
						break
					}
				}
			}
			out = append(out, mp)
		}
		return out
	}
	type key struct {
		proto corev1.Protocol
		num   int32
	}
	index := map[key]int{}
	for d := range pods {
		for _, cp := range declared[d] {
			if req.Protocol != "" && cp.Protocol != req.Protocol {
				continue
			}
			k := key{cp.Protocol, cp.Number}
			i, ok := index[k]
			if !ok {
				i = len(out)
				index[k] = i
				out = append(out, newMatrixPort(Port{Port: intstr.FromInt32(cp.Number), Protocol: cp.Protocol}, n))
			}
			out[i].apply(d, cp.Number)
		}
	}
	slices.SortFunc(out, func(a, b matrixPort) int {
		if a.Protocol != b.Protocol {
			return strings.Compare(string(a.Protocol), string(b.Protocol))
		}
		return int(a.Port.Port.IntVal) - int(b.Port.Port.IntVal)
	})
	return out
}

func portName(p intstr.IntOrString) string {
	if p.Type == intstr.String {
		return p.StrVal
	}
	return ""
}

// missingNamespaces are the namespaces of the scope a cluster does not have
// (offline, a namespace needs no manifest of its own: none is missing).
func missingNamespaces(w *World, scope []string) []string {
	if !w.Cluster || len(scope) == 0 {
		return nil
	}
	have := map[string]bool{}
	for _, ns := range w.Snapshot.Namespaces {
		have[ns.Name] = true
	}
	var missing []string
	for _, ns := range scope {
		if !have[ns] {
			missing = append(missing, ns)
		}
	}
	return missing
}

// checkMatrix (NP008): the counts; the table itself is a section of the
// report (human) and Data (rows).
func checkMatrix(pods []policy.PodRef, ports []matrixPort, counts [3]int, leftOut []string, req MatrixRequest) report.Check {
	code := checks.NPMatrix
	var labels []string
	data := MatrixData{Pods: make([]string, len(pods)), Ports: []MatrixPortData{}, Allowed: counts[0], Denied: counts[1], Undecided: counts[2], LeftOut: leftOut, ports: ports}
	for i, p := range pods {
		data.Pods[i] = p.String()
	}
	for _, p := range ports {
		labels = append(labels, p.String())
		pd := MatrixPortData{Port: p.Port.Port.IntVal, Name: portName(p.Port.Port), Protocol: string(p.Protocol)}
		if p.Port.Port.Type == intstr.String {
			pd.Numbers = p.number
		}
		data.Ports = append(data.Ports, pd)
	}
	on := "on " + strings.Join(labels, ", ")
	if len(req.Ports) == 0 {
		on = "each destination on the ports it declares (" + strings.Join(labels, ", ") + ")"
		if len(labels) == 0 {
			on = "each destination on the ports it declares (none declares any: pass --port)"
		}
	}
	total := counts[0] + counts[1] + counts[2]
	c := code.New(report.Pass, "%d pod(s), %s: %d of %d flow(s) allowed, %d denied", len(pods), on, counts[0], total, counts[1])
	if counts[2] > 0 {
		c.Status = report.Warn
		c.Message += fmt.Sprintf(", %d undecided (see netpol SRC DST for why)", counts[2])
	}
	// A matrix that checked nothing is not a clean bill (exit 2).
	if len(pods) == 0 {
		c = code.New(report.Skip, "no pod in scope: nothing to check")
	} else if total == 0 {
		c.Status = report.Skip
	}
	if len(leftOut) > 0 {
		c.Facts = append(c.Facts, report.Fact{Name: "left out", Value: strings.Join(leftOut, ", ")})
	}
	c.Data = data
	return c
}
