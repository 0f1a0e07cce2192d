package pod

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Two nodes on one network: n1 at 10.250.0.1 (default route via 192.0.2.1), n2 at
// 10.250.0.2; web on n1, db on n2.
func twoNodes() (src, dst *corev1.Pod, nodes []corev1.Node) {
	mk := func(name, node, ip string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Spec: corev1.PodSpec{NodeName: node}, Status: corev1.PodStatus{PodIP: ip}}
	}
	node := func(name, ip string) corev1.Node {
		return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}}}
	}
	return mk("web", "n1", "10.244.0.5"), mk("db", "n2", "10.244.1.6"), []corev1.Node{node("n1", "10.250.0.1"), node("n2", "10.250.0.2")}
}

// side is a node whose debug pod read route (to the peer) and MTUs, and
// whose rules counted drops while the probes ran.
func side(node, peer, route string, mtus map[string]int, drops ...probe.FirewallRule) *nodeSide {
	def := &probe.RouteGet{Via: "192.0.2.1", Dev: "eth0", Line: "default via 192.0.2.1 dev eth0"}
	if node == "n2" {
		def = &probe.RouteGet{Via: "10.250.0.1", Dev: "eth0", Line: "default via 10.250.0.1 dev eth0"}
	}
	s := &nodeSide{peer: peer, read: true, drops: drops,
		sess:   probe.NodeSession{Node: node, Prober: &probe.Prober{}, How: "node debug pod on " + node},
		before: probe.NodeFacts{Node: node, Default: def, MTUs: mtus}}
	if route != "" {
		f := strings.Fields(route)
		s.before.Route = &probe.RouteGet{Dst: f[0], Via: f[2], Dev: f[4], Line: route}
	}
	return s
}

func TestNodeFindings(t *testing.T) {
	src, dst, nodes := twoNodes()
	timedOut := &live{tcp: []*probe.TCPResult{{Outcome: probe.TimedOut}}, numbers: []int32{8080}, ping: &probe.PingResult{Ran: true, Sent: 3}}
	allowed := []policy.Verdict{{Result: policy.Allowed, Allowed: true}}
	mtu1500 := map[string]int{"eth0": 1500, "ndnodes": 1500}
	healthy := func() map[string]*nodeSide {
		return map[string]*nodeSide{
			"n1": side("n1", "10.244.1.6", "10.244.1.6 via 10.250.0.2 dev ndnodes src 10.250.0.1", mtu1500),
			"n2": side("n2", "10.244.0.5", "10.244.0.5 via 10.250.0.1 dev eth0 src 10.250.0.2", mtu1500),
		}
	}
	dropRule := probe.FirewallRule{Source: "iptables", Table: "filter", Chain: "FORWARD", Rule: "-A FORWARD -p tcp -m tcp --dport 8080 -j DROP", Verdict: "DROP", Packets: 2, Counted: true, Owner: probe.OwnerNode}
	policyRule := probe.FirewallRule{Source: "iptables", Table: "filter", Chain: "cali-tw-cali1", Rule: "-A cali-tw-cali1 -j DROP", Verdict: "DROP", Packets: 1, Counted: true, Owner: probe.OwnerPolicy}

	tests := []struct {
		name   string
		sides  func() map[string]*nodeSide
		l      *live
		code   string
		status report.Status
		words  string
	}{
		{"healthy, probes pass", healthy, &live{tcp: []*probe.TCPResult{{Outcome: probe.Connected}}, numbers: []int32{8080}}, "BASE", report.Pass, "no drop rule counted"},
		{"timeout, nothing on the nodes", healthy, timedOut, "POD005", report.Pass, "no drop rule counted"},
		{"node firewall drops the port", func() map[string]*nodeSide {
			s := healthy()
			s["n2"].drops = []probe.FirewallRule{dropRule}
			return s
		}, timedOut, "POD007", report.Fail, `the node's firewall rule "-A FORWARD -p tcp -m tcp --dport 8080 -j DROP" (iptables table filter, chain FORWARD) on node n2 counted 2 packet(s) while the probes ran`},
		{"policy rules drop it", func() map[string]*nodeSide {
			s := healthy()
			s["n2"].drops = []probe.FirewallRule{policyRule}
			return s
		}, timedOut, "POD007", report.Fail, "the network plugin's policy rule"},
		{"route by default only", func() map[string]*nodeSide {
			s := healthy()
			s["n1"] = side("n1", "10.244.1.6", "10.244.1.6 via 192.0.2.1 dev eth0 src 192.0.2.2", mtu1500)
			return s
		}, timedOut, "POD007", report.Fail, "node n1 has no route to 10.244.1.6 but its default route (10.244.1.6 via 192.0.2.1 dev eth0 src 192.0.2.2), which leads neither to the peer's node (10.250.0.2)"},
		{"route by default, and traffic flows: the network routes pods", func() map[string]*nodeSide {
			s := healthy()
			s["n1"] = side("n1", "10.244.1.6", "10.244.1.6 via 192.0.2.1 dev eth0 src 192.0.2.2", mtu1500)
			return s
		}, &live{tcp: []*probe.TCPResult{{Outcome: probe.Connected}}, numbers: []int32{8080}}, "BASE", report.Pass, "no drop rule counted"},
		{"no route at all", func() map[string]*nodeSide {
			s := healthy()
			s["n1"] = side("n1", "10.244.1.6", "", mtu1500)
			s["n1"].before.Unread = []string{"route: RTNETLINK answers: Network is unreachable"}
			return s
		}, timedOut, "POD007", report.Fail, "node n1 has no route to 10.244.1.6 (RTNETLINK answers: Network is unreachable)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			np := &nodeProbe{sides: tt.sides()}
			found := np.findings(src, dst, nodes, 1500, tt.l.failed())
			c := checkNodes(np, found)
			if c.Status != tt.status || (tt.status == report.Fail && !strings.Contains(c.Message, tt.words)) || (tt.status == report.Pass && !strings.Contains(c.Message, tt.words)) {
				t.Errorf("POD007 %s %q", c.Status, c.Message)
			}
			v := conclude(report.Verdict{Code: "BASE"}, src, dst, tt.l, allowed, nil, np, found)
			if v.Code != tt.code || (tt.code == "POD007" && !strings.Contains(v.Message, tt.words)) {
				t.Errorf("verdict %s %q", v.Code, v.Message)
			}
		})
	}
}

// Small packets pass and large ones are lost: POD006 fails and the verdict
// names the size, with the node interface whose MTU is below the pods'.
func TestPathMTUVerdict(t *testing.T) {
	src, dst, nodes := twoNodes()
	l := &live{tcp: []*probe.TCPResult{{Outcome: probe.Connected}}, numbers: []int32{8080}, srcMTU: 1500, dstMTU: 1500,
		src:     probe.Session{Prober: &probe.Prober{}},
		ping:    &probe.PingResult{Ran: true, Sent: 3, Received: 3},
		pathMTU: &probe.PathMTUResult{Target: "10.244.1.6", MTU: 1500, Ran: true, Largest: 1196, Pings: []probe.SizedPing{{Payload: 1472}, {Payload: 56, Passed: true}}}}
	c := checkPathMTU(src, dst, l)
	if c.Status != report.Fail || !strings.Contains(c.Message, "packets of more than 1196 bytes are lost (MTU 1500): an MTU mismatch on the path between nodes n1 and n2") {
		t.Errorf("POD006 %s %q", c.Status, c.Message)
	}
	np := &nodeProbe{sides: map[string]*nodeSide{
		"n1": side("n1", "10.244.1.6", "10.244.1.6 via 10.250.0.2 dev ndnodes src 10.250.0.1", map[string]int{"ndnodes": 1500}),
		"n2": side("n2", "10.244.0.5", "10.244.0.5 via 10.250.0.1 dev eth0 src 10.250.0.2", map[string]int{"eth0": 1200}),
	}}
	found := np.findings(src, dst, nodes, l.podMTU(), l.failed())
	v := conclude(report.Verdict{Code: "BASE"}, src, dst, l, []policy.Verdict{{Result: policy.Allowed}}, nil, np, found)
	if v.Code != "POD006" || !strings.Contains(v.Message, "more than about 1196 bytes are lost") || !strings.Contains(v.Message, "interface eth0 of node n2, which carries the packets to 10.244.0.5, has MTU 1200, below the pods' 1500") {
		t.Errorf("verdict %s %q", v.Code, v.Message)
	}
	l.pathMTU = &probe.PathMTUResult{MTU: 1500, Ran: true, Full: true, Largest: 1500}
	if c := checkPathMTU(src, dst, l); c.Status != report.Pass {
		t.Errorf("full size passes: %s %q", c.Status, c.Message)
	}
}
