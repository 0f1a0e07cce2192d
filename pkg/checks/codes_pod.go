package checks

// Pod-to-pod procedure.
const (
	PodEndpoints Code = "POD001"
	PodIPs       Code = "POD002"
	PodPolicy    Code = "POD003"
	PodPing      Code = "POD004"
	PodTCP       Code = "POD005"
)

func podProcedure() Procedure {
	return Procedure{
		Name: "pod",
		Codes: []Info{
			{PodEndpoints, "Both pods up", "Source and destination exist, run, are ready and have IPs; their nodes, the same node or not, and hostNetwork."},
			{PodIPs, "IPs inside the pods", "The addresses the pods see on their own interfaces (a probe) match the API's pod IPs."},
			{PodPolicy, "Policy verdict", "The NetworkPolicy verdict for the source's egress and the destination's ingress, per port, with the deciding rule or, for a deny, why each candidate rule missed, closest first."},
			{PodPing, "Ping", "Ping (ICMP echo) from the source pod to the destination pod's IP."},
			{PodTCP, "TCP connect", "A TCP connect from the source pod to each destination port: connected, refused or timed out, with the time taken; a refusal reads the destination's listening sockets (/proc/net/tcp through exec) to say whether it listens on loopback only, on other ports, or on the port after all."},
		},
		// The CNI checks of the two pods' nodes, between POD002 and POD003.
		Also: []Code{CNINodes, CNIAgents, CNIAgentLogs, CNIEnforcement},
	}
}
