package checks

// NetworkPolicy procedure (kubectl netdebug netpol).
const (
	NPEndpoints Code = "NP001"
	NPPolicies  Code = "NP002"
	NPIngress   Code = "NP003"
	NPEgress    Code = "NP004"
	NPFlow      Code = "NP005"
	NPFlowOut   Code = "NP006"
	NPFlowIn    Code = "NP007"
	NPMatrix    Code = "NP008"
	NPWhatIf    Code = "NP009"
	NPFindings  Code = "NP010"
	NPAllowAll  Code = "NP011"
	NPCleanup   Code = "NP012"
)

func netpolCodes() []Info {
	return []Info{
		{NPEndpoints, "Endpoints", "The pods and IPs of the question exist: phase, IPs, node, labels; an IP is a pod's IP or outside the pod network."},
		{NPPolicies, "Policies read", "The NetworkPolicies, AdminNetworkPolicies and BaselineAdminNetworkPolicy the verdict rests on, and what was skipped or assumed."},
		{NPIngress, "Ingress isolation", "The policies selecting the pod for ingress, and in words what may reach it."},
		{NPEgress, "Egress isolation", "The policies selecting the pod for egress, and in words what it may reach."},
		{NPFlow, "Flow verdict", "Whether the flow is allowed on each port checked (allowed, denied, undecided), with caveats."},
		{NPFlowOut, "Source egress", "The source's egress side of the flow: the allowing rule, or why each candidate rule missed, closest first."},
		{NPFlowIn, "Destination ingress", "The destination's ingress side of the flow: the allowing rule, or why each candidate rule missed, closest first."},
		{NPMatrix, "Reachability matrix", "Every flow between the pods in scope: allowed, denied or undecided."},
		{NPWhatIf, "What-if changes", "Flows whose verdict changes when the given policies are added or replace existing ones."},
		{NPFindings, "Policy findings", "Policies that select no pod and peers that match nothing (usually typos in labels)."},
		{NPAllowAll, "Temporary allow-all", "A NetworkPolicy allowing all traffic of one pod, created for a limited time and deleted afterwards."},
		{NPCleanup, "Leftover allow-all policies", "netdebug-managed NetworkPolicies whose expiry has passed, removed."},
	}
}
