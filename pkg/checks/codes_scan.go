package checks

// Cluster scan (kubectl netdebug scan). The scan reports the static codes of
// the other procedures, one check per code with counts; its own code says
// what it read.
const (
	ScanInventory Code = "SCAN001"
)

func scanProcedure() Procedure {
	return Procedure{
		Name: "scan",
		Codes: []Info{
			{ScanInventory, "Objects scanned", "What the scan read with one paged LIST per kind: pods, Services, EndpointSlices, Ingresses, IngressClasses, NetworkPolicies and namespaces, with counts; with every namespace in scope also the admin policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy), whose findings join NP010; when the cluster serves the Gateway API, its Gateways, ReferenceGrants, ListenerSets, HTTPRoutes, GRPCRoutes, TLSRoutes and TCPRoutes (else it says so); a Gateway's conflicts are those of its merged list, its listeners and those of the ListenerSets it admits. ListenerSets not served or that may not be listed are said once: the Gateways are then judged on their own listeners, and a parentRef naming a ListenerSet that could not be read is not judged."},
		},
		// The static checks of the other procedures, counted per code.
		Also: []Code{
			SvcSelector, SvcTargetPorts, SvcEndpoints,
			IngClass, IngBackendServices, IngBackendPorts, IngBackendEndpoints,
			GwStatus, GwConflicts,
			RtParents, RtBackends, RtGrants, RtEndpoints,
			DNSService, DNSPods, DNSEndpoints, DNSCorefile, DNSNodeLocal, DNSLogs,
			CNIPlugin, CNIAgents, CNIAgentLogs, CNIEnforcement, CNIKubeProxy, CNINodes,
			NPFindings,
		},
	}
}
