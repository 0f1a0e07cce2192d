package checks

// CNI procedure (also used by the pod-to-pod procedure for the two nodes).
const (
	CNIPlugin      Code = "CNI001"
	CNIAgents      Code = "CNI002"
	CNIAgentLogs   Code = "CNI003"
	CNIEnforcement Code = "CNI004"
	CNIKubeProxy   Code = "CNI005"
	CNINodes       Code = "CNI006"
)

func cniProcedure() Procedure {
	return Procedure{
		Name: "cni",
		Codes: []Info{
			{CNIPlugin, "Network plugin", "The network plugin, recognised from its node agents' DaemonSets: calico, cilium, flannel, canal, weave, antrea, kube-router, ovn-kubernetes, aws-node, azure, kindnet, GKE Dataplane V2, kube-network-policies; or unknown, with the DaemonSets looked at."},
			{CNIAgents, "CNI agents healthy", "On each node in scope, the CNI agent pod is present, ready and not restarting."},
			{CNIAgentLogs, "CNI agent log errors", "Error lines in the CNI agents' logs of the last hour (the most suspicious agents first), counted and quoted."},
			{CNIEnforcement, "NetworkPolicy enforced", "Whether the CNI enforces NetworkPolicy at all, and whether policies exist; if it does not, every policy verdict is theory."},
			{CNIKubeProxy, "kube-proxy", "kube-proxy (a DaemonSet or static pods) is ready on every node, or the CNI's replacement runs, so Service virtual IPs work."},
			{CNINodes, "Node network", "Nodes are Ready, not NetworkUnavailable, and have pod CIDRs when the CNI needs them."},
		},
	}
}
