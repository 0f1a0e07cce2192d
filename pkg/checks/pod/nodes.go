package pod

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// nodeSide is what the debug pod on one node read around the live probes.
type nodeSide struct {
	sess   probe.NodeSession
	peer   string // the address routed: the other pod's IP
	before probe.NodeFacts
	after  probe.NodeFacts
	read   bool
	// drops: drop and reject rules whose counters grew while the probes
	// ran and that could apply to the probes' packets.
	drops []probe.FirewallRule
}

// nodeProbe runs the opt-in node checks (--node-checks) on the nodes of
// both pods (one node when they share it).
type nodeProbe struct {
	// how says why the node checks did not run; "" when they did.
	how   string
	sides map[string]*nodeSide // by node name
}

// openNodes starts a node debug pod on each pod's node; nothing is created
// without --node-checks.
func openNodes(ctx context.Context, c kube.Clients, req Request, src, dst *corev1.Pod) *nodeProbe {
	np := &nodeProbe{sides: map[string]*nodeSide{}}
	switch {
	case !req.NodeChecks:
		np.how = "not asked: --node-checks reads routes, MTUs and firewall counters on the nodes through a short-lived privileged debug pod"
		return np
	case src.Spec.NodeName == "" || dst.Spec.NodeName == "":
		np.how = "a pod is not scheduled on a node"
		return np
	}
	np.sides[src.Spec.NodeName] = &nodeSide{peer: dst.Status.PodIP}
	if dst.Spec.NodeName != src.Spec.NodeName {
		np.sides[dst.Spec.NodeName] = &nodeSide{peer: src.Status.PodIP}
	}
	var wg sync.WaitGroup
	for node, side := range np.sides {
		wg.Go(func() { side.sess = probe.OpenNode(ctx, c.REST, c.Typed, node, req.Node) })
	}
	wg.Wait()
	return np
}

// readBefore reads every node's facts; readAfter reads the firewall rules
// again and keeps the drops that happened in between and could be the
// probes' packets.
func (np *nodeProbe) readBefore(ctx context.Context) {
	np.each(func(node string, s *nodeSide) {
		s.before = s.sess.Prober.ReadNode(ctx, node, s.peer, true)
		s.read = true
	})
}

func (np *nodeProbe) readAfter(ctx context.Context, flows []probe.Flow) {
	np.each(func(node string, s *nodeSide) {
		s.after = s.sess.Prober.ReadNode(ctx, node, s.peer, false)
		for _, r := range probe.DroppedBetween(s.before.Rules, s.after.Rules) {
			if slices.ContainsFunc(flows, r.Matches) {
				s.drops = append(s.drops, r)
			}
		}
	})
}

func (np *nodeProbe) each(f func(node string, s *nodeSide)) {
	var wg sync.WaitGroup
	for node, s := range np.sides {
		if s.sess.Prober == nil {
			continue
		}
		wg.Go(func() { f(node, s) })
	}
	wg.Wait()
}

// close deletes the debug pods.
func (np *nodeProbe) close() []string {
	var notes []string
	for _, s := range np.sides {
		if err := s.sess.Close(); err != nil {
			notes = append(notes, err.Error()+": delete it by hand (label "+probe.LabelNodeDebug+"=true)")
		}
	}
	return notes
}

// probeFlows are the packets the live probes sent from src to dst.
func probeFlows(src, dst *corev1.Pod, l *live) []probe.Flow {
	s, d := net.ParseIP(src.Status.PodIP), net.ParseIP(dst.Status.PodIP)
	flows := []probe.Flow{{Proto: "icmp", Src: s, Dst: d}}
	for i, r := range l.tcp {
		if r != nil {
			flows = append(flows, probe.Flow{Proto: "tcp", Src: s, Dst: d, DPort: int(l.numbers[i])})
		}
	}
	return flows
}

// nodeFinding is what the node checks found on one node.
type nodeFinding struct {
	node string
	// noRoute: the node has no route to the peer, or sends its packets by
	// the default route (not to the peer's node or an overlay device);
	// route is the line that says so.
	noRoute bool
	route   string
	// lowMTU: the interface the route uses has a smaller MTU than the pods.
	lowMTU string
	// firewall: node-firewall, kube-proxy or plugin drop rules that
	// counted the probes' packets; policy: a plugin's policy rules did.
	firewall, policy []probe.FirewallRule
}

// findings judges each node's facts. failed says whether the live probes
// failed: only then is leaving by the default route a fault (in a cloud
// network that routes pod ranges it is how pods reach other nodes).
func (np *nodeProbe) findings(src, dst *corev1.Pod, nodes []corev1.Node, podMTU int, failed bool) []nodeFinding {
	var out []nodeFinding
	for _, node := range slices.Sorted(maps.Keys(np.sides)) {
		s := np.sides[node]
		if !s.read {
			continue
		}
		f := nodeFinding{node: node}
		peerNode := dst.Spec.NodeName
		if node == dst.Spec.NodeName && node != src.Spec.NodeName {
			peerNode = src.Spec.NodeName
		}
		if peerNode != node {
			f.noRoute, f.route = judgeRoute(s.before, s.peer, addressesOf(nodes, peerNode), failed)
		}
		if r := s.before.Route; r != nil && r.Dev != "" && podMTU > 0 {
			if m := s.before.MTUs[r.Dev]; m > 0 && m < podMTU {
				f.lowMTU = fmt.Sprintf("interface %s of node %s, which carries the packets to %s, has MTU %d, below the pods' %d", r.Dev, node, s.peer, m, podMTU)
			}
		}
		for _, r := range s.drops {
			if r.Owner == probe.OwnerPolicy {
				f.policy = append(f.policy, r)
			} else {
				f.firewall = append(f.firewall, r)
			}
		}
		out = append(out, f)
	}
	return out
}

// judgeRoute says whether the node fails to route to peer: no route at
// all, or (when the probes failed) only the default route, where the route
// neither leads to one of the peer node's addresses nor through a device of
// its own.
func judgeRoute(f probe.NodeFacts, peer string, peerNodeIPs []string, failed bool) (bool, string) {
	if f.Route == nil {
		for _, u := range f.Unread {
			if strings.HasPrefix(u, "route: ") && strings.Contains(strings.ToLower(u), "unreachable") {
				return true, fmt.Sprintf("node %s has no route to %s (%s)", f.Node, peer, strings.TrimPrefix(u, "route: "))
			}
		}
		return false, ""
	}
	r := f.Route
	if r.Via != "" && slices.Contains(peerNodeIPs, r.Via) {
		return false, fmt.Sprintf("node %s routes %s to its node (%s)", f.Node, peer, r.Line)
	}
	byDefault := f.Default != nil && r.Via == f.Default.Via && r.Dev == f.Default.Dev
	if !byDefault {
		return false, fmt.Sprintf("node %s routes %s through %s (%s)", f.Node, peer, r.Dev, r.Line)
	}
	if !failed {
		return false, fmt.Sprintf("node %s sends packets for %s by its default route (%s), and they arrive: the network under the nodes routes pod addresses", f.Node, peer, r.Line)
	}
	return true, fmt.Sprintf("node %s has no route to %s but its default route (%s), which leads neither to the peer's node (%s) nor into an overlay", f.Node, peer, r.Line, strings.Join(peerNodeIPs, ", "))
}

func addressesOf(nodes []corev1.Node, name string) []string {
	for _, n := range nodes {
		if n.Name != name {
			continue
		}
		var ips []string
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeExternalIP {
				ips = append(ips, a.Address)
			}
		}
		return ips
	}
	return nil
}

// checkNodes (POD007): the nodes' routes, MTUs and firewall drops.
func checkNodes(np *nodeProbe, found []nodeFinding) report.Check {
	code := checks.PodNodes
	if np.how != "" {
		return code.Skipped("%s", np.how)
	}
	var facts []report.Fact
	var problems, unread []string
	var forbidden *report.Permission
	for _, node := range slices.Sorted(maps.Keys(np.sides)) {
		s := np.sides[node]
		if s.sess.Prober == nil {
			unread = append(unread, s.sess.How)
			if s.sess.Forbidden != nil {
				forbidden = s.sess.Forbidden
			}
			continue
		}
		facts = append(facts, report.Fact{Name: "node " + node, Value: s.sess.How})
		if r := s.before.Route; r != nil {
			facts = append(facts, report.Fact{Name: node + " route to " + s.peer, Value: r.Line})
		}
		for _, u := range append(s.before.Unread, s.after.Unread...) {
			facts = append(facts, report.Fact{Name: node + " not read", Value: u})
		}
	}
	for _, f := range found {
		if f.route != "" {
			facts = append(facts, report.Fact{Name: f.node + " routing", Value: f.route})
		}
		if f.noRoute {
			problems = append(problems, f.route)
		}
		if f.lowMTU != "" {
			problems = append(problems, f.lowMTU)
		}
		for _, r := range f.firewall {
			problems = append(problems, fmt.Sprintf("%s on node %s counted %d packet(s) while the probes ran, and can match them", describeRule(r), f.node, r.Packets))
		}
		for _, r := range f.policy {
			problems = append(problems, fmt.Sprintf("the network plugin's policy rule %s on node %s counted %d packet(s) while the probes ran, and can match them", describeRule(r), f.node, r.Packets))
		}
	}
	var c report.Check
	switch {
	case len(problems) > 0:
		c = code.New(report.Fail, "%s", strings.Join(problems, "; "))
	case len(unread) > 0 && len(found) == 0:
		c = code.Skipped("%s", strings.Join(unread, "; "))
		c.Forbidden = forbidden
	default:
		c = code.New(report.Pass, "the nodes route the pods' packets to each other, and no drop rule counted the probes' packets")
		if len(unread) > 0 {
			c.Message += "; not read: " + strings.Join(unread, "; ")
		}
	}
	c.Facts = facts
	return c
}

// describeRule names a rule the way its tool prints it.
func describeRule(r probe.FirewallRule) string {
	owner := map[probe.RuleOwner]string{
		probe.OwnerNode: "the node's firewall rule", probe.OwnerKubeProxy: "kube-proxy's rule",
		probe.OwnerCNI: "the network plugin's rule", probe.OwnerPolicy: "",
	}[r.Owner]
	where := fmt.Sprintf("(%s table %s, chain %s)", r.Source, r.Table, r.Chain)
	return strings.TrimSpace(fmt.Sprintf("%s %q %s", owner, r.Rule, where))
}
