package checks

// Pod-to-pod procedure.
const (
	PodEndpoints Code = "POD001"
	PodIPs       Code = "POD002"
	PodPolicy    Code = "POD003"
	PodPing      Code = "POD004"
	PodTCP       Code = "POD005"
	PodPathMTU   Code = "POD006"
	PodNodes     Code = "POD007"
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
			{PodPathMTU, "Packet sizes", "The MTU of both pods' interfaces, and whether pings that fill it reach the destination once small ones do; when they are lost, the largest size that passes, bisected: small packets passing and large ones vanishing is an MTU mismatch on the path, where connections open and then stall."},
			{PodNodes, "Nodes' datapath", "With --node-checks, a short-lived privileged debug pod on each pod's node reads how packets to the other pod leave the node (ip route get: to the peer node, an overlay device, or only the default route), the MTU of that interface, and which drop or reject rules of iptables and nftables counted packets while the probes ran, told apart by owner: the node's own firewall, kube-proxy, the network plugin, or its NetworkPolicy rules."},
		},
		// The CNI checks of the two pods' nodes, between POD002 and POD003.
		Also: []Code{CNINodes, CNIAgents, CNIAgentLogs, CNIEnforcement},
	}
}
