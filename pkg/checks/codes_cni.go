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

func cniCodes() []Info {
	return []Info{
		{CNIPlugin, "Network plugin", "The CNI recognised from its node agents' DaemonSets (or unknown, with the evidence)."},
		{CNIAgents, "CNI agents healthy", "On each node in scope, the CNI agent pod is there, ready, and not restarting."},
		{CNIAgentLogs, "CNI agent log errors", "Recent errors in the CNI agents' logs, counted and quoted."},
		{CNIEnforcement, "NetworkPolicy enforced", "Whether the CNI enforces NetworkPolicy; if not, every policy verdict is theory."},
		{CNIKubeProxy, "kube-proxy", "kube-proxy (or the CNI's replacement) runs, so Service virtual IPs work."},
		{CNINodes, "Node network", "Nodes are Ready, not NetworkUnavailable, and have pod CIDRs when the CNI needs them."},
	}
}
