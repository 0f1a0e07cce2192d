//go:build e2e

package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// twoNodes returns the first two nodes of the cluster (node 1 is this
// machine, node 2 lives in network namespace ndnode-2: hack/cluster), and
// skips on a single-node cluster.
func twoNodes(ctx context.Context, t *testing.T) (n1, n2 corev1.Node) {
	t.Helper()
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing nodes: %v", err)
	}
	if len(nodes.Items) < 2 {
		t.Skip("the test cluster has one node: make e2e NODES=2")
	}
	byName := map[string]corev1.Node{}
	for _, n := range nodes.Items {
		byName[n.Name] = n
	}
	return byName["netdebug-node"], byName["netdebug-node-2"]
}

// onNode runs argv on a node of the test cluster as root: node 1 in this
// machine's network namespace, node N in ndnode-N.
func onNode(t *testing.T, node string, argv ...string) {
	t.Helper()
	if i := strings.LastIndex(node, "-"); node != "netdebug-node" && i > 0 {
		argv = append([]string{"nsenter", "--net=/run/netns/ndnode-" + node[i+1:]}, argv...)
	}
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("on node %s: %s: %v\n%s", node, strings.Join(argv, " "), err, out)
	}
}

// inject runs a fault on a node and undoes it when the subtest ends.
func inject(t *testing.T, node string, fault, undo []string) {
	t.Helper()
	onNode(t, node, fault...)
	t.Cleanup(func() { onNode(t, node, undo...) })
}

func internalIP(n corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}

// TestCrossNode runs `pod A B --node-checks` from node 1 to node 2: healthy,
// then with each cross-node fault the procedure must name: a lower MTU on
// node 2, node 1's route to node 2's pod range removed, and node 2's own
// firewall dropping the port. Not parallel: the faults touch the nodes'
// network, which no other test may see.
func TestCrossNode(t *testing.T) {
	ctx := testContext(t, 6*time.Minute)
	n1, n2 := twoNodes(ctx, t)
	if n1.Name == "" || n2.Name == "" || n2.Spec.PodCIDR == "" {
		t.Fatalf("nodes netdebug-node and netdebug-node-2 (with a pod range) expected: %q %q %q", n1.Name, n2.Name, n2.Spec.PodCIDR)
	}
	ns := newNamespace(ctx, t)
	c := toolsPod("client", nil)
	c.Spec.NodeName = n1.Name
	s := serverPod("server", map[string]string{"app": "server"})
	s.Spec.NodeName = n2.Name
	createPod(ctx, t, ns, c)
	srv := createPod(ctx, t, ns, s)

	diagnose := func(t *testing.T) (report.Report, int) {
		t.Helper()
		r, stderr, code := netdebug(ctx, t, "pod", "client", "server", "-n", ns, "--port", "8080",
			"--node-checks", "--image", toolsImage, "--probe-timeout", "3s")
		// the node debug pods are gone when the command returns
		left, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: probe.LabelNodeDebug + "=true"})
		if err != nil || len(left.Items) > 0 {
			t.Errorf("node debug pods left behind: %v %v", left, err)
		}
		if t.Failed() || code == 2 {
			t.Fatalf("exit %d, stderr %s", code, stderr)
		}
		return r, code
	}
	expect := func(t *testing.T, r report.Report, code int, verdictCode string, words ...string) {
		t.Helper()
		if code != 1 || r.Verdict.Code != verdictCode {
			t.Fatalf("exit %d, verdict %s %q, want %s\nPOD006 %+v\nPOD007 %+v", code, r.Verdict.Code, r.Verdict.Message, verdictCode, find(t, r, "POD006"), find(t, r, "POD007"))
		}
		for _, w := range words {
			if !strings.Contains(r.Verdict.Message, w) {
				t.Errorf("verdict %q lacks %q", r.Verdict.Message, w)
			}
		}
	}

	// mesh runs the cluster's own probe pods across both nodes, every pair,
	// TCP to 8080 so that a firewall dropping it shows; busybox's ping needs
	// NET_RAW, so the fault runs give --privileged.
	mesh := func(t *testing.T, extra ...string) (report.Report, int) {
		t.Helper()
		args := append([]string{"mesh", "-n", ns, "--full", "--tcp-port", "8080",
			"--image", toolsImage, "--probe-timeout", "3s", "--start-timeout", "90s"}, extra...)
		r, stderr, code := netdebug(ctx, t, args...)
		left, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: probe.LabelMesh})
		if err != nil || len(left.Items) > 0 {
			t.Errorf("mesh probe pods left behind: %d %v", len(left.Items), err)
		}
		if code == 2 {
			t.Fatalf("mesh could not run: %s\n%+v", stderr, r)
		}
		return r, code
	}
	meshFails := func(t *testing.T, code string, words ...string) {
		t.Helper()
		r, exit := mesh(t, "--privileged")
		c := find(t, r, code)
		if exit != 1 || c.Status != report.Fail {
			t.Fatalf("mesh: exit %d, %s %s %q; verdict %q", exit, code, c.Status, c.Message, r.Verdict.Message)
		}
		for _, w := range words {
			if !strings.Contains(c.Message, w) {
				t.Errorf("mesh %s %q lacks %q", code, c.Message, w)
			}
		}
	}

	t.Run("healthy", func(t *testing.T) {
		// the restricted profile: TCP and DNS, no ping (busybox's needs NET_RAW)
		if r, code := mesh(t); code != 0 || !strings.Contains(find(t, r, "MESH003").Message, "all 2 pairs reach each other over TCP; ping could not run") {
			t.Errorf("mesh: exit %d: %s %q\n%+v", code, r.Verdict.Code, r.Verdict.Message, r.Checks)
		}
		mr, mcode := mesh(t, "--privileged")
		for _, code := range []string{"MESH003", "MESH004", "MESH005"} {
			if c := find(t, mr, code); c.Status != report.Pass {
				t.Errorf("mesh %s %s: %q", code, c.Status, c.Message)
			}
		}
		if mcode != 0 {
			t.Errorf("mesh --privileged: exit %d: %q", mcode, mr.Verdict.Message)
		}
		// node to node, from the nodes' own network namespaces
		if hr, hcode := mesh(t, "--host-network"); hcode != 0 || find(t, hr, "MESH003").Status != report.Pass {
			t.Errorf("mesh --host-network: exit %d: %q\n%+v", hcode, hr.Verdict.Message, hr.Checks)
		}
		r, code := diagnose(t)
		if code != 0 {
			t.Fatalf("exit %d: %s %q", code, r.Verdict.Code, r.Verdict.Message)
		}
		for _, code := range []string{"POD004", "POD005", "POD006", "POD007"} {
			if c := find(t, r, code); c.Status != report.Pass {
				t.Errorf("%s %s: %q %+v", code, c.Status, c.Message, c.Facts)
			}
		}
	})

	t.Run("MTU lowered on node 2", func(t *testing.T) {
		// node 2 takes no packet over 1200 bytes in: small ones pass, large
		// ones vanish without an ICMP error, as on a mismatched overlay
		inject(t, n2.Name, []string{"ip", "link", "set", "eth0", "mtu", "1200"}, []string{"ip", "link", "set", "eth0", "mtu", "1500"})
		r, code := diagnose(t)
		expect(t, r, code, "POD006", "bytes are lost (the pods' MTU is 1500) between nodes netdebug-node and netdebug-node-2",
			"interface eth0 of node netdebug-node-2", "has MTU 1200")
		meshFails(t, "MESH004", "an MTU mismatch", "netdebug-node -> netdebug-node-2 (passes up to about 1")
	})

	t.Run("route to node 2's pods removed", func(t *testing.T) {
		cidr := n2.Spec.PodCIDR
		inject(t, n1.Name, []string{"ip", "route", "del", cidr}, []string{"ip", "route", "replace", cidr, "via", internalIP(n2)})
		r, code := diagnose(t)
		expect(t, r, code, "POD007", "node netdebug-node has no route to "+srv.Status.PodIP, "default route")
		// replies to node 1's pods are lost too: both nodes are cut off
		meshFails(t, "MESH003", "2 of 2 pairs fail; cut off: netdebug-node (reached by none of 1 peers, reaches none of 1)")
	})

	t.Run("node 2's firewall drops the port", func(t *testing.T) {
		rule := []string{"FORWARD", "-p", "tcp", "--dport", "8080", "-j", "DROP"}
		inject(t, n2.Name, append([]string{"iptables", "-w", "-I"}, rule...), append([]string{"iptables", "-w", "-D"}, rule...))
		r, code := diagnose(t)
		expect(t, r, code, "POD007", "timed out although NetworkPolicy allows it", "the node's firewall rule", "--dport 8080 -j DROP", "on node netdebug-node-2 counted")
		// node 2 forwards its own pods' connections to 8080 through the
		// same chain: both directions lose TCP, neither loses ping
		meshFails(t, "MESH003", "2 of 2 pairs fail: netdebug-node -> netdebug-node-2 (ping passes, TCP timeout: a firewall or policy drops the port)")
	})
}
