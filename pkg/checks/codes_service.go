package checks

// Service procedure.
const (
	SvcExists      Code = "SVC001"
	SvcType        Code = "SVC002"
	SvcSelector    Code = "SVC003"
	SvcPodsReady   Code = "SVC004"
	SvcTargetPorts Code = "SVC005"
	SvcEndpoints   Code = "SVC006"
	SvcDNSFromPod  Code = "SVC007"
	SvcPolicy      Code = "SVC008"
	SvcBackendTCP  Code = "SVC009"
	SvcClusterIP   Code = "SVC010"
)

func serviceCodes() []Info {
	return []Info{
		{SvcExists, "Service exists", "The Service is in the namespace; if not, near-miss names and namespaces holding that name."},
		{SvcType, "Service type", "Type-specific facts: ExternalName, headless, selector-less, NodePort, LoadBalancer address."},
		{SvcSelector, "Selector matches pods", "The Service's selector matches pods; if none, pods whose labels differ by one key or value."},
		{SvcPodsReady, "Selected pods ready", "Each selected pod's phase, readiness, restarts and the readiness probe's last failure."},
		{SvcTargetPorts, "Target ports resolve", "Every port's targetPort (number or name, with protocol) resolves on every selected pod."},
		{SvcEndpoints, "EndpointSlices agree", "The Service's EndpointSlices hold ready endpoints that agree with the ready pods."},
		{SvcDNSFromPod, "Service name resolves", "With --from: the Service's name resolves to its ClusterIP from inside the pod."},
		{SvcPolicy, "Policy to backends", "With --from: NetworkPolicy lets the pod reach the backends on their target ports."},
		{SvcBackendTCP, "Backend answers", "With --from: a TCP connect from the pod straight to a ready endpoint's IP:targetPort (the backend path)."},
		{SvcClusterIP, "ClusterIP answers", "With --from: a TCP connect from the pod to ClusterIP:port (the kube-proxy path)."},
	}
}
