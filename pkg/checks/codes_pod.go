package checks

// Pod-to-pod procedure.
const (
	PodEndpoints Code = "POD001"
	PodIPs       Code = "POD002"
	PodPolicy    Code = "POD003"
	PodPing      Code = "POD004"
	PodTCP       Code = "POD005"
)

func podCodes() []Info {
	return []Info{
		{PodEndpoints, "Both pods up", "Source and destination exist, run, are ready and have IPs; their nodes; hostNetwork."},
		{PodIPs, "IPs inside the pods", "The addresses the pods see on their own interfaces match the API's pod IPs."},
		{PodPolicy, "Policy verdict", "NetworkPolicy on the source's egress and the destination's ingress, with the deciding rules."},
		{PodPing, "Ping", "ICMP echo from the source pod to the destination pod's IP."},
		{PodTCP, "TCP connect", "A TCP connect from the source pod to each destination port: connected, refused or timed out."},
	}
}
