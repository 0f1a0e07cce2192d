package mesh

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// maxListed bounds the pairs or nodes a message names; the rest are counted.
const maxListed = 5

// checkSelected (MESH005): the nodes in the mesh, those left out, and how
// peers were chosen.
func checkSelected(req Request, names, leftOut []string) report.Check {
	code := checks.MeshSelected
	k := req.Peers
	if k <= 0 {
		k = DefaultPeers
	}
	var c report.Check
	switch {
	case len(names) == 0:
		c = code.New(report.Error, "no node to probe: %s", orNone(leftOut))
	case len(names) == 1:
		c = code.New(report.Warn, "only node %s can take a probe pod: no pair to probe", names[0])
	case req.Full || len(names)-1 <= k:
		c = code.New(report.Pass, "%d nodes, every pair probed (%d pairs)", len(names), len(names)*(len(names)-1))
	default:
		c = code.New(report.Pass, "%d nodes, each probing %d peers spread evenly around the nodes sorted by name, and probed by as many (%d pairs; --full for all %d)", len(names), k, len(names)*k, len(names)*(len(names)-1))
	}
	if len(leftOut) > 0 {
		c.Facts = append(c.Facts, report.Fact{Name: fmt.Sprintf("left out (%d)", len(leftOut)), Value: listed(leftOut)})
	}
	return c
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no node matches"
	}
	return listed(s)
}

// checkPods (MESH001): a running probe pod on each node.
func checkPods(res Result) report.Check {
	code := checks.MeshPods
	var bad []string
	for _, n := range res.Nodes {
		if n.Problem != "" {
			bad = append(bad, fmt.Sprintf("%s: %s", n.Name, n.Problem))
		}
	}
	var c report.Check
	switch {
	case len(bad) == len(res.Nodes):
		c = code.New(report.Error, "no probe pod could probe: %s", listed(bad))
	case len(bad) > 0:
		c = code.New(report.Warn, "%d of %d nodes have no probe pod to probe from, so their pairs are not probed: %s", len(bad), len(res.Nodes), listed(bad))
	default:
		c = code.New(report.Pass, "a probe pod runs on each of the %d nodes (run %s)", len(res.Nodes), res.Run)
	}
	for _, n := range res.Nodes {
		if n.IP != "" {
			c.Facts = append(c.Facts, report.Fact{Name: n.Name, Value: n.Pod + " " + n.IP})
		}
	}
	c.Data = res.Nodes
	return c
}

// nodeTally counts a node's probed pairs and failures, both ways.
type nodeTally struct{ out, outFail, in, inFail int }

// checkReach (MESH002): each pair reached, with ICMP or TCP; nodes cut off
// from every peer first.
func checkReach(res Result) report.Check {
	code := checks.MeshReach
	tally := map[string]*nodeTally{}
	for _, n := range res.Nodes {
		tally[n.Name] = &nodeTally{}
	}
	var failed, icmpOnly []string
	probed, noPing := 0, 0
	for _, p := range res.Pairs {
		if !p.probed() {
			continue
		}
		probed++
		from, to := tally[p.From], tally[p.To]
		from.out++
		to.in++
		switch p.cell() {
		case "DOWN":
			// only a pair that loses everything counts toward "cut off"
			from.outFail++
			to.inFail++
			failed = append(failed, fmt.Sprintf("%s -> %s %s", p.From, p.To, describe(p)))
		case "TCP":
			failed = append(failed, fmt.Sprintf("%s -> %s %s", p.From, p.To, describe(p)))
		case "icmp":
			icmpOnly = append(icmpOnly, p.From+" -> "+p.To)
		}
		if p.ICMP == "not-run" {
			noPing++
		}
	}
	var cutOff []string
	for _, n := range slices.Sorted(maps.Keys(tally)) {
		t := tally[n]
		if t.in > 0 && t.inFail == t.in && t.out > 0 && t.outFail == t.out {
			cutOff = append(cutOff, fmt.Sprintf("%s (reached by none of %d peers, reaches none of %d)", n, t.in, t.out))
		} else if t.in > 1 && t.inFail == t.in {
			cutOff = append(cutOff, fmt.Sprintf("%s (reached by none of %d peers)", n, t.in))
		}
	}
	var c report.Check
	switch {
	case probed == 0:
		c = code.Skipped("no pair could be probed")
	case len(cutOff) > 0:
		c = code.New(report.Fail, "%d of %d pairs fail; cut off: %s", len(failed), probed, strings.Join(cutOff, ", "))
	case len(failed) > 0:
		c = code.New(report.Fail, "%d of %d pairs fail: %s", len(failed), probed, listed(failed))
	case len(icmpOnly) > 0:
		c = code.New(report.Warn, "every pair answers TCP, but ICMP is lost on %d of %d pairs (a firewall or policy dropping ICMP): %s", len(icmpOnly), probed, listed(icmpOnly))
	case noPing > 0:
		c = code.New(report.Pass, "all %d pairs reach each other over TCP; ping could not run on %d of them (under the restricted profile the node must allow unprivileged ICMP; --privileged gives ping NET_RAW)", probed, noPing)
	default:
		c = code.New(report.Pass, "all %d pairs reach each other (ICMP and TCP)", probed)
	}
	c.Data = res.Pairs
	return c
}

func describe(p Pair) string {
	if p.cell() == "TCP" {
		return fmt.Sprintf("(ping passes, TCP %s: a firewall or policy drops the port)", p.TCP)
	}
	return fmt.Sprintf("(ping %s, TCP %s)", p.ICMP, p.TCP)
}

// checkPathMTU (MESH003): full-size packets across each pair.
func checkPathMTU(res Result, req Request) report.Check {
	code := checks.MeshPathMTU
	if req.SkipMTU {
		return code.Skipped("not asked (--skip-mtu)")
	}
	var lost, lower []string
	ran := 0
	perNode := map[string]int{}
	for _, p := range res.Pairs {
		if p.MTU == nil || !p.MTU.Ran {
			continue
		}
		ran++
		switch {
		case p.MTU.Blackhole():
			lost = append(lost, fmt.Sprintf("%s -> %s (passes up to about %d of %d bytes)", p.From, p.To, p.MTU.Largest, p.MTU.MTU))
			perNode[p.From]++
			perNode[p.To]++
		case !p.MTU.Full:
			lower = append(lower, fmt.Sprintf("%s -> %s (a hop reports MTU %d)", p.From, p.To, p.MTU.Reported))
		}
	}
	switch {
	case ran == 0:
		return code.Skipped("no pair passed small pings to size (or the MTUs could not be read)")
	case len(lost) == 0 && len(lower) > 0:
		return code.New(report.Warn, "on %d of %d pairs the path MTU is below the pods' and a hop says so: path MTU discovery works and TCP adapts, but UDP and the extra round trip suffer: %s", len(lower), ran, listed(lower))
	case len(lost) == 0:
		return code.New(report.Pass, "packets of the pods' full MTU pass on all %d pairs", ran)
	}
	c := code.New(report.Fail, "large packets are lost on %d of %d pairs, small ones pass: an MTU mismatch%s: %s", len(lost), ran, commonNode(perNode, len(lost)), listed(lost))
	c.Next = []string{"compare the MTU of the nodes' interfaces and of the overlay with the pods' (ip link) and lower the CNI's MTU below the smallest"}
	return c
}

// commonNode names the node in every lossy pair, when exactly one is (with
// two nodes both are, and neither can be told).
func commonNode(perNode map[string]int, pairs int) string {
	var common []string
	for _, n := range slices.Sorted(maps.Keys(perNode)) {
		if perNode[n] == pairs {
			common = append(common, n)
		}
	}
	if len(common) == 1 && pairs > 1 {
		return " on the path to and from node " + common[0]
	}
	return ""
}

// checkDNS (MESH004): a lookup from each node.
func checkDNS(res Result, req Request) report.Check {
	code := checks.MeshDNS
	if req.SkipDNS {
		return code.Skipped("not asked (--skip-dns)")
	}
	var failed []string
	ran := 0
	for _, n := range res.Nodes {
		if n.DNS == "not-run" || n.DNS == "" {
			continue
		}
		ran++
		if n.DNS != "ok" {
			failed = append(failed, n.Name+": "+n.DNS)
		}
	}
	switch {
	case ran == 0:
		return code.Skipped("no probe pod could look up a name")
	case len(failed) == ran:
		c := code.New(report.Fail, "DNS fails from every node: %s", listed(failed))
		c.Next = []string{"kubectl netdebug dns"}
		return c
	case len(failed) > 0:
		c := code.New(report.Fail, "DNS fails from %d of %d nodes while the others resolve: their path to CoreDNS: %s", len(failed), ran, listed(failed))
		c.Next = []string{"kubectl netdebug dns"}
		return c
	}
	return code.New(report.Pass, "kubernetes.default.svc resolves from all %d nodes", ran)
}

func listed(items []string) string {
	if len(items) <= maxListed {
		return strings.Join(items, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(items[:maxListed], "; "), len(items)-maxListed)
}

// maxGridNodes bounds the matrix printed whole; beyond it only the rows of
// nodes with a failing pair are printed.
const maxGridNodes = 40

// matrix is the node × node grid for a person at a terminal: rows probe,
// columns are probed, nodes numbered in name order.
func matrix(res Result) report.Section {
	n := len(res.Nodes)
	index := map[string]int{}
	for i, node := range res.Nodes {
		index[node.Name] = i
	}
	cells := make([][]string, n)
	for i := range cells {
		cells[i] = make([]string, n)
		for j := range cells[i] {
			cells[i][j] = "-"
		}
		cells[i][i] = "."
	}
	rowFails := make([]bool, n)
	for _, p := range res.Pairs {
		i, j := index[p.From], index[p.To]
		cells[i][j] = p.cell()
		if cell := cells[i][j]; cell != "ok" && cell != "icmp" {
			rowFails[i] = true
		}
	}
	var lines []string
	lines = append(lines, "ok: the peer answers (ICMP and TCP, or TCP where ping cannot run); icmp: TCP only, pings lost; MTU: large packets lost; TCP: ping only; DOWN: nothing; ?: not probed (no probe pod); -: not in the sample")
	header := fmt.Sprintf("%-4s", "")
	for j := range res.Nodes {
		header += fmt.Sprintf(" %4d", j+1)
	}
	if n <= maxGridNodes {
		lines = append(lines, header)
	}
	for i, node := range res.Nodes {
		if n > maxGridNodes && !rowFails[i] {
			continue
		}
		row := fmt.Sprintf("%4d", i+1)
		for j := range res.Nodes {
			row += fmt.Sprintf(" %4s", cells[i][j])
		}
		if n > maxGridNodes {
			row = fmt.Sprintf("%4d %s: failing pairs only", i+1, node.Name)
			for j := range res.Nodes {
				if c := cells[i][j]; c != "ok" && c != "icmp" && c != "-" && c != "." {
					row += fmt.Sprintf(" %d:%s", j+1, c)
				}
			}
		}
		lines = append(lines, row)
	}
	for i, node := range res.Nodes {
		lines = append(lines, fmt.Sprintf("%4d %s", i+1, node.Name))
	}
	return report.Section{Title: "Matrix (rows probe columns)", Lines: lines}
}
