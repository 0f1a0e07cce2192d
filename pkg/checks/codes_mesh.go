package checks

// Mesh procedure: probes across every node pair, run by the cluster itself.
const (
	MeshSelected Code = "MESH001"
	MeshPods     Code = "MESH002"
	MeshReach    Code = "MESH003"
	MeshPathMTU  Code = "MESH004"
	MeshDNS      Code = "MESH005"
	MeshCleanup  Code = "MESH006"
)

func meshProcedure() Procedure {
	return Procedure{
		Name: "mesh",
		Codes: []Info{
			{MeshSelected, "Nodes in the mesh", "The nodes selected (--selector, --node), those left out and why: not Ready, or tainted without --tolerate-taints; and how each node's peers were chosen (all of them, or a bounded deterministic sample)."},
			{MeshPods, "Probe pods", "One short-lived probe pod per node, pinned with nodeName: created, running with an IP, and able to probe (tools found); a node whose pod cannot start is named with the reason."},
			{MeshReach, "Across nodes", "From each node's probe pod to its peers' pods: ICMP echo and a TCP connect (a refusal proves the path as well as a connect), so that a pair that loses both is cut off; nodes that no peer reaches, or that reach no peer, are named first."},
			{MeshPathMTU, "Path MTU per pair", "Pings that fill the probe pods' MTU across each pair whose small pings pass; where they are lost, the largest size that passes, bisected: an MTU mismatch between those nodes."},
			{MeshDNS, "DNS from every node", "A lookup of kubernetes.default through the pod's resolver from each node's probe pod: a node where DNS fails while others resolve points at that node's path to CoreDNS."},
			{MeshCleanup, "Leftover probe pods", "mesh cleanup: the probe pods of mesh runs and the node debug pods of --node-checks that a killed run left (labels netdebug.io/mesh, netdebug.io/node-debug), deleted."},
		},
	}
}
