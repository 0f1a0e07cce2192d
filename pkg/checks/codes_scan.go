package checks

// Cluster scan (kubectl netdebug scan). The scan reports the static codes of
// the other procedures, one check per code with counts; its own code says
// what it read.
const (
	ScanInventory Code = "SCAN001"
)

func scanCodes() []Info {
	return []Info{
		{ScanInventory, "Objects scanned", "What the scan read with one paged LIST per kind: pods, Services, EndpointSlices, Ingresses, IngressClasses, NetworkPolicies and namespaces, with counts."},
	}
}
