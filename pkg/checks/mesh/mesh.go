// Package mesh probes the network between every selected node, run by the
// cluster itself: one short-lived probe pod per node, pinned with nodeName,
// probing the pods of its peers (ICMP, TCP, path MTU) and DNS, then deleted.
// The result is a node × node matrix and the nodes or pairs that fail.
package mesh

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// DefaultPeers is how many peers each node probes unless --full: every
// node is then probed by as many, and the API requests per node stay
// constant however large the cluster.
const DefaultPeers = 8

// DefaultTCPPort is the port the TCP probes connect to. Nothing needs to
// listen: a refusal comes from the peer pod's own stack, so it proves the
// path as well as an accepted connection does.
const DefaultTCPPort = 7

// Request says which nodes to probe and how.
type Request struct {
	// Selector picks nodes by label; Nodes names them; neither: all.
	Selector string
	Nodes    []string
	// Peers per node (DefaultPeers when 0); Full probes every pair.
	Peers int
	Full  bool
	// TCPPort is the TCP probes' port (DefaultTCPPort when 0).
	TCPPort int32
	// SkipMTU and SkipDNS leave those probes out.
	SkipMTU, SkipDNS bool
	Fleet            probe.FleetSettings
	// Progress, when set, is told how many probes of how many are done.
	Progress func(done, total int)
}

// Pair is what one node's probe pod saw of a peer's.
type Pair struct {
	From string           `json:"from"`
	To   string           `json:"to"`
	ICMP string           `json:"icmp"` // ok, lost, not-run
	TCP  probe.TCPOutcome `json:"tcp"`
	// MTU: the path MTU probe, when small pings passed.
	MTU *probe.PathMTUResult `json:"mtu,omitempty"`
}

// Reached: the peer answered something: an echo, a connect or a refusal.
func (p Pair) Reached() bool {
	return p.ICMP == "ok" || p.TCP == probe.Connected || p.TCP == probe.Refused
}

// probed: the probes ran and were understood.
func (p Pair) probed() bool {
	return p.ICMP != "not-run" || (p.TCP != probe.NotRun && p.TCP != probe.Unknown)
}

// cell is the pair in one word, for the matrix.
func (p Pair) cell() string {
	switch {
	case !p.probed():
		return "?"
	case !p.Reached():
		return "DOWN"
	case p.TCP == probe.TimedOut || p.TCP == probe.Unreachable:
		return "TCP"
	case p.MTU != nil && p.MTU.Blackhole():
		return "MTU"
	case p.ICMP == "lost":
		return "icmp"
	}
	return "ok"
}

// Node is one node of the mesh and its probe pod.
type Node struct {
	Name    string `json:"name"`
	Pod     string `json:"pod,omitempty"`
	IP      string `json:"ip,omitempty"`
	Problem string `json:"problem,omitempty"`
	// DNS: ok, failed (with why), or not-run.
	DNS string `json:"dns,omitempty"`
}

// Result is the mesh: its nodes, in name order, and the probed pairs.
type Result struct {
	Run   string `json:"run"`
	Nodes []Node `json:"nodes"`
	Pairs []Pair `json:"pairs"`
	// Sampled: each node probed a bounded sample of peers, not all.
	Sampled bool `json:"sampled"`
}

// Diagnose runs the mesh. The probe pods are deleted before it returns,
// also when ctx ends early (Ctrl-C).
func Diagnose(ctx context.Context, c kube.Clients, req Request) (rep *report.Report, err error) {
	rep = report.New("mesh", report.Object{Kind: "Cluster"})
	rep.Title = "Node mesh"
	selected, leftOut, err := selectNodes(ctx, c, req)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(selected))
	for i, n := range selected {
		names[i] = n.Name
	}
	sel := checkSelected(req, names, leftOut)
	rep.Add(sel)
	if len(names) == 0 {
		rep.Finish(nil)
		return rep, nil
	}

	fleet, err := probe.StartFleet(ctx, c.REST, c.Typed, names, req.Fleet)
	defer func() {
		if cerr := fleet.Close(); cerr != nil {
			if err == nil && rep != nil {
				rep.Notes = append(rep.Notes, cerr.Error()+"; or run: kubectl netdebug mesh cleanup")
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	res := run(ctx, fleet, req)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Add(checkPods(res), checkReach(res), checkPathMTU(res, req), checkDNS(res, req))
	rep.Sections = append(rep.Sections, matrix(res))
	rep.Finish(nil)
	return rep, nil
}

// selectNodes lists the nodes and keeps those selected that can take a
// probe pod: Ready, and untainted unless taints are tolerated.
func selectNodes(ctx context.Context, c kube.Clients, req Request) (selected []corev1.Node, leftOut []string, err error) {
	if _, err := labels.Parse(req.Selector); err != nil {
		return nil, nil, fmt.Errorf("invalid --selector %q: %w", req.Selector, err)
	}
	list, err := c.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: req.Selector})
	if err != nil {
		return nil, nil, kube.Read(kube.List("", "nodes", ""), err)
	}
	want := map[string]bool{}
	for _, n := range req.Nodes {
		want[n] = true
	}
	for _, n := range list.Items {
		if len(want) > 0 && !want[n.Name] {
			continue
		}
		delete(want, n.Name)
		switch {
		case !ready(n):
			leftOut = append(leftOut, n.Name+" (not Ready)")
		case !req.Fleet.Tolerate && hasNoScheduleTaint(n):
			leftOut = append(leftOut, n.Name+" (tainted: --tolerate-taints)")
		default:
			selected = append(selected, n)
		}
	}
	for n := range want {
		leftOut = append(leftOut, n+" (no such node)")
	}
	sort.Slice(selected, func(i, j int) bool { return selected[i].Name < selected[j].Name })
	sort.Strings(leftOut)
	return selected, leftOut, nil
}

func ready(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func hasNoScheduleTaint(n corev1.Node) bool {
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			return true
		}
	}
	return n.Spec.Unschedulable
}

// Peers returns the indexes node i of n probes: every other node when
// n-1 <= k (or full), else k peers spread evenly around the ring of nodes
// sorted by name (offsets 1 + j*(n-1)/k), so that each node is probed by
// exactly k others and the choice is the same on every run.
func Peers(i, n, k int, full bool) []int {
	if full || n-1 <= k {
		out := make([]int, 0, n-1)
		for j := 1; j < n; j++ {
			out = append(out, (i+j)%n)
		}
		return out
	}
	out := make([]int, 0, k)
	for j := 0; j < k; j++ {
		out = append(out, (i+1+j*(n-1)/k)%n)
	}
	return out
}

// run probes every chosen pair, within the fleet's concurrency.
func run(ctx context.Context, fleet *probe.Fleet, req Request) Result {
	k := req.Peers
	if k <= 0 {
		k = DefaultPeers
	}
	port := req.TCPPort
	if port == 0 {
		port = DefaultTCPPort
	}
	pods := fleet.Pods
	res := Result{Run: fleet.Run, Sampled: !req.Full && len(pods)-1 > k}
	res.Nodes = make([]Node, len(pods))
	type job struct{ from, to int }
	var jobs []job
	for i, p := range pods {
		res.Nodes[i] = Node{Name: p.Node, Pod: p.Name, IP: p.IP, Problem: p.Problem, DNS: "not-run"}
		for _, j := range Peers(i, len(pods), k, req.Full) {
			jobs = append(jobs, job{i, j})
		}
	}
	res.Pairs = make([]Pair, len(jobs))
	total := len(jobs)
	if !req.SkipDNS {
		total += len(pods)
	}
	var mu sync.Mutex
	done := 0
	tick := func() {
		mu.Lock()
		done++
		d := done
		mu.Unlock()
		if req.Progress != nil {
			req.Progress(d, total)
		}
	}
	g := probe.NewGroup(max(1, req.Fleet.Concurrency))
	// Each pod's MTU, read once: the size its pings fill.
	mtus := make([]int, len(pods))
	if !req.SkipMTU {
		for i, p := range pods {
			if p.Prober != nil {
				g.Go(func() { mtus[i] = podMTU(ctx, p) })
			}
		}
		g.Wait()
	}
	for idx, jb := range jobs {
		from, to := pods[jb.from], pods[jb.to]
		res.Pairs[idx] = Pair{From: from.Node, To: to.Node, ICMP: "not-run", TCP: probe.NotRun}
		if from.Prober == nil || to.IP == "" {
			tick()
			continue
		}
		g.Go(func() {
			defer tick()
			if ctx.Err() != nil {
				return
			}
			res.Pairs[idx] = probePair(ctx, from, to, port, min(mtus[jb.from], mtus[jb.to]))
		})
	}
	if !req.SkipDNS {
		for i, p := range pods {
			if p.Prober == nil {
				tick()
				continue
			}
			g.Go(func() {
				defer tick()
				r := p.Prober.Lookup(ctx, kubernetesName(ctx, p.Prober), "", false)
				switch {
				case r.Resolved():
					res.Nodes[i].DNS = "ok"
				default:
					res.Nodes[i].DNS = "failed: " + oneLine(orEvidence(r))
				}
			})
		}
	}
	g.Wait()
	return res
}

// kubernetesName is the API server Service's full name in the pod's
// cluster domain, read from the "svc.<domain>" entry of its resolv.conf
// search list: lookup tools do not all apply the search list.
func kubernetesName(ctx context.Context, p *probe.Prober) string {
	for _, s := range p.ReadResolvConf(ctx).Search {
		if strings.HasPrefix(s, "svc.") {
			return "kubernetes.default." + s
		}
	}
	return "kubernetes.default.svc.cluster.local"
}

// podMTU is the MTU of the interface that carries the pod's IP; 0 when
// unknown.
func podMTU(ctx context.Context, p probe.FleetPod) int {
	iface := p.Prober.Network(ctx).InterfaceOf(p.IP)
	return p.Prober.Links(ctx).MTUs[iface]
}

// probePair pings and connects from one probe pod to another's IP, then
// fills the smaller of their MTUs (0: unknown, no size probe) when small
// pings pass.
func probePair(ctx context.Context, from, to probe.FleetPod, port int32, mtu int) Pair {
	p := Pair{From: from.Node, To: to.Node, ICMP: "not-run"}
	ping := from.Prober.Ping(ctx, to.IP)
	switch {
	case ping.Reachable():
		p.ICMP = "ok"
	case ping.Ran:
		p.ICMP = "lost"
	}
	p.TCP = from.Prober.TCP(ctx, to.IP, port).Outcome
	if mtu > 0 && ping.Reachable() {
		r := from.Prober.PathMTU(ctx, to.IP, mtu)
		p.MTU = &r
	}
	return p
}

func orEvidence(r probe.DNSResult) string {
	switch {
	case r.Evidence.Error != "":
		return r.Evidence.Error
	case r.Evidence.Output != "":
		return r.Evidence.Output
	}
	return "no answer"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		return s[:157] + "..."
	}
	return s
}
