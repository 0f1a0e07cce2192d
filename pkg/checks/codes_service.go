package checks

// Service procedure.
const (
	SvcExists      Code = "SVC001"
	SvcType        Code = "SVC002"
	SvcSelector    Code = "SVC003"
	SvcPodsReady   Code = "SVC004"
	SvcTargetPorts Code = "SVC005"
	SvcEndpoints   Code = "SVC006"
)

func serviceCodes() []Info {
	return []Info{
		{SvcExists, "Service exists", "The Service is in the namespace; if not, near-miss names and namespaces holding that name."},
		{SvcType, "Service type", "Type-specific facts: ExternalName, headless, selector-less, NodePort, LoadBalancer address."},
		{SvcSelector, "Selector matches pods", "The Service's selector matches pods; if none, pods whose labels differ by one key or value."},
		{SvcPodsReady, "Selected pods ready", "Each selected pod's phase, readiness, restarts and the readiness probe's last failure."},
		{SvcTargetPorts, "Target ports resolve", "Every port's targetPort (number or name, with protocol) resolves on every selected pod."},
		{SvcEndpoints, "EndpointSlices agree", "The Service's EndpointSlices hold ready endpoints that agree with the ready pods."},
	}
}
