package netpol

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// DefaultMaxPods bounds a matrix: its JSON has one cell per pair and port.
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
	// or --port named it).
	applies []bool
	// number[d] is the port number on destination d (a named port
	// resolves per destination).
	number []int32
	m      *policy.Matrix
}

// MatrixPortData names a port of the matrix in JSON; port is 0 for a named
// port, which resolves per destination.
type MatrixPortData struct {
	Port     int32  `json:"port"`
	Name     string `json:"name,omitempty"`
	Protocol string `json:"protocol"`
}

// MatrixData is NP008's data: the pods (rows and columns), the ports, the
// counts of cells, and every cell.
type MatrixData struct {
	Pods      []string         `json:"pods"`
	Ports     []MatrixPortData `json:"ports"`
	Allowed   int              `json:"allowed"`
	Denied    int              `json:"denied"`
	Undecided int              `json:"undecided"`
	// LeftOut are pods not in the matrix, with why.
	LeftOut []string `json:"leftOut,omitempty"`
	// Cells lists, port by port, every checked flow: from, to, port,
	// portName, protocol, allowed, result (allowed is left out when the
	// result is Undecided).
	Cells *CellList `json:"cells"`
}

// Matrix answers `netpol matrix`: every flow between the pods in scope, on
// the given ports or each destination's declared ports, with engine.Matrix.
func Matrix(w *World, req MatrixRequest) (*report.Report, error) {
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
	}
	ports := matrixPorts(w.Engine, pods, req)
	n := len(pods)
	flags := make([]uint8, n*n)
	var counts [3]int
	var changes []FlowChangeData
	for i := range ports {
		mp := &ports[i]
		mp.m = engine.Matrix(pods, mp.Protocol, mp.Port.Port)
		var before *policy.Matrix
		if req.WhatIf != nil {
			before = w.Engine.Matrix(pods, mp.Protocol, mp.Port.Port)
		}
		for d := range n {
			if !mp.applies[d] {
				continue
			}
			for s := range n {
				r := mp.m.At(s, d)
				switch r {
				case policy.Allowed:
					flags[s*n+d] |= cellAllowed
					counts[0]++
				case policy.Denied:
					flags[s*n+d] |= cellDenied
					counts[1]++
				default:
					flags[s*n+d] |= cellUndecided
					counts[2]++
				}
				if before != nil {
					if b := before.At(s, d); b != r {
						changes = append(changes, FlowChangeData{From: pods[s].String(), To: pods[d].String(), Port: mp.number[d],
							PortName: portName(mp.Port.Port), Protocol: string(mp.Protocol), Before: string(b), After: string(r)})
					}
				}
			}
		}
	}
	slices.SortStableFunc(changes, func(a, b FlowChangeData) int {
		return cmp.Or(strings.Compare(a.From, b.From), strings.Compare(a.To, b.To))
	})
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
	rep.Finish(checks.Settled(mc.Message))
	details := matrixText(pods, flags, ports, req.Ports == nil)
	if len(leftOut) > 0 {
		details += "Left out: " + strings.Join(leftOut, ", ") + "\n"
	}
	if req.WhatIf != nil && len(changes) > 0 {
		details += fmt.Sprintf("\nChanged by %s (before -> after):\n", strings.Join(req.WhatIf.Files, ", "))
		for _, ch := range changes {
			details += "  " + ch.String() + "\n"
		}
	}
	if details != "" {
		rep.Sections = append(rep.Sections, report.TextSection("", details))
	}
	return rep, nil
}

// matrixPods lists the pods in scope that the matrix covers: hostNetwork
// pods (whose traffic most plugins see as the node's) and finished pods
// (which send nothing) are left out and named.
func matrixPods(w *World, namespaces []string) (pods []policy.PodRef, leftOut []string) {
	for _, ref := range w.Engine.Pods() {
		if len(namespaces) > 0 && !slices.Contains(namespaces, ref.Namespace) {
			continue
		}
		p := w.Engine.Pod(ref)
		switch {
		case p.Spec.HostNetwork:
			leftOut = append(leftOut, ref.String()+" (hostNetwork)")
		case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
			leftOut = append(leftOut, ref.String()+" ("+string(p.Status.Phase)+")")
		default:
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
			mp := matrixPort{Port: p, applies: make([]bool, n), number: make([]int32, n)}
			for d := range pods {
				if p.Port.Type == intstr.Int {
					mp.applies[d], mp.number[d] = true, p.Port.IntVal
					continue
				}
				for _, cp := range declared[d] {
					if cp.Name == p.Port.StrVal && cp.Protocol == p.Protocol {
						mp.applies[d], mp.number[d] = true, cp.Number
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
				out = append(out, matrixPort{Port: Port{Port: intstr.FromInt32(cp.Number), Protocol: cp.Protocol}, applies: make([]bool, n), number: make([]int32, n)})
			}
			out[i].applies[d], out[i].number[d] = true, cp.Number
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

// checkMatrix (NP008): the counts; the table itself is a section of the report (human) and
// Data (cells).
func checkMatrix(pods []policy.PodRef, ports []matrixPort, counts [3]int, leftOut []string, req MatrixRequest) report.Check {
	code := checks.NPMatrix
	var labels []string
	data := MatrixData{Pods: make([]string, len(pods)), Allowed: counts[0], Denied: counts[1], Undecided: counts[2], LeftOut: leftOut}
	for i, p := range pods {
		data.Pods[i] = p.String()
	}
	for _, p := range ports {
		labels = append(labels, p.String())
		data.Ports = append(data.Ports, MatrixPortData{Port: p.Port.Port.IntVal, Name: portName(p.Port.Port), Protocol: string(p.Protocol)})
	}
	data.Cells = &CellList{pods: data.Pods, ports: ports}
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
	if len(pods) == 0 {
		c = code.New(report.Warn, "no pod in scope")
	} else if total == 0 {
		c.Status = report.Warn
	}
	if len(leftOut) > 0 {
		c.Facts = append(c.Facts, report.Fact{Name: "left out", Value: strings.Join(leftOut, ", ")})
	}
	c.Data = data
	return c
}

// CellList is the matrix cells in JSON, written straight from the engine's
// matrices: a 1,000-pod matrix has a million cells, too many to hold as
// structs first.
type CellList struct {
	pods  []string
	ports []matrixPort
}

// MarshalJSON writes [{"from","to","port","portName","protocol","allowed","result"},...],
// without "allowed" for an Undecided cell: only "result" says undecided.
func (c *CellList) MarshalJSON() ([]byte, error) {
	names := make([][]byte, len(c.pods))
	for i, p := range c.pods {
		b, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		names[i] = b
	}
	var buf bytes.Buffer
	n := len(c.pods)
	cells := 0
	for _, mp := range c.ports {
		for d := range n {
			if mp.applies[d] {
				cells += n
			}
		}
	}
	buf.Grow(cells * (100 + 2*longest(c.pods)))
	buf.WriteByte('[')
	first := true
	var num []byte
	for _, mp := range c.ports {
		proto, _ := json.Marshal(string(mp.Protocol))
		name := ""
		if mp.Port.Port.Type == intstr.String {
			b, _ := json.Marshal(mp.Port.Port.StrVal)
			name = `,"portName":` + string(b)
		}
		for s := range n {
			for d := range n {
				if !mp.applies[d] {
					continue
				}
				if !first {
					buf.WriteByte(',')
				}
				first = false
				r := mp.m.At(s, d)
				buf.WriteString(`{"from":`)
				buf.Write(names[s])
				buf.WriteString(`,"to":`)
				buf.Write(names[d])
				buf.WriteString(`,"port":`)
				num = strconv.AppendInt(num[:0], int64(mp.number[d]), 10)
				buf.Write(num)
				buf.WriteString(name)
				buf.WriteString(`,"protocol":`)
				buf.Write(proto)
				switch r {
				case policy.Allowed:
					buf.WriteString(`,"allowed":true`)
				case policy.Denied:
					buf.WriteString(`,"allowed":false`)
				}
				buf.WriteString(`,"result":"`)
				buf.WriteString(string(r))
				buf.WriteString(`"}`)
			}
		}
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

func longest(s []string) int {
	n := 0
	for _, x := range s {
		n = max(n, len(x))
	}
	return n
}
