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
	NPTest      Code = "NP013"
)

func netpolProcedure() Procedure {
	return Procedure{
		Name: "netpol",
		Codes: []Info{
			{NPEndpoints, "Endpoints", "The pods and IPs of the question exist: phase, IPs, node, labels; an IP is a pod's IP (and judged as that pod) or outside the pod network."},
			{NPPolicies, "Policies read", "The NetworkPolicies, AdminNetworkPolicies and BaselineAdminNetworkPolicy the verdict rests on, and what was skipped or assumed."},
			{NPIngress, "Ingress isolation", "The policies selecting the pod for ingress, and in words what may reach it."},
			{NPEgress, "Egress isolation", "The policies selecting the pod for egress, and in words what it may reach."},
			{NPFlow, "Flow verdict", "Whether the flow is allowed on each port checked (`--port`, else every port the destination declares): allowed, denied or undecided, with caveats; a flow it cannot decide from what it can see is undecided, never a guess."},
			{NPFlowOut, "Source egress", "The source's egress side of the flow: the allowing rule, or why each candidate rule missed, closest first."},
			{NPFlowIn, "Destination ingress", "The destination's ingress side of the flow: the allowing rule, or why each candidate rule missed, closest first."},
			{NPMatrix, "Reachability matrix", "`netpol matrix`: every flow between the pods in scope, a pod to itself included: allowed, denied or undecided."},
			{NPWhatIf, "What-if changes", "`--what-if -f FILE`: the flows whose verdict changes, from allowed to denied or back, when the manifests' policies are added or replace existing ones."},
			{NPFindings, "Policy findings", "Policies that select no pod and peers that match nothing (usually typos in labels)."},
			{NPAllowAll, "Temporary allow-all", "`netpol allow-all`: a NetworkPolicy allowing all traffic of one pod, printed by default; with `--apply` created, labelled as netdebug's with an expiry, and deleted when the TTL ends or on Ctrl-C."},
			{NPCleanup, "Leftover allow-all policies", "`netpol cleanup`: netdebug's allow-all NetworkPolicies whose expiry has passed, removed."},
			{NPTest, "Flow test", "`netpol test FILE`: one expectation of a flow tests file (from, to, ports, allowed or denied), expanded to every pair of pods it selects; it fails when any flow has another result, undecided included, or when a side selects no pod."},
		},
		// Against a cluster every netpol report starts with CNI004: when the
		// network plugin ignores NetworkPolicy, every verdict is theory.
		Also: []Code{CNIEnforcement},
	}
}
