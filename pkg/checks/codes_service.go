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

func serviceProcedure() Procedure {
	return Procedure{
		Name: "service",
		Codes: []Info{
			{SvcExists, "Service exists", "The Service exists in the namespace; if not, similar names in the namespace, the same name in other namespaces, or a missing namespace."},
			{SvcType, "Service type", "Type-specific facts: ExternalName (no endpoints expected; an IP used as a name), headless, selector-less, NodePort, a LoadBalancer still waiting for its address (with the Service's warning events)."},
			{SvcSelector, "Selector matches pods", "The Service's selector matches pods; when it matches none, the pods that miss by one label (`app=web` vs `app=web-frontend`, `app=web` vs `name=web`, a missing key)."},
			{SvcPodsReady, "Selected pods ready", "Each selected pod's phase, readiness, restarts, node and IP; for a pod that is not ready, why: the readiness probe's last failure from its events (with age and count), a waiting container, unscheduled, a readiness gate, terminating."},
			{SvcTargetPorts, "Target ports resolve", "Every port's targetPort (number or name, with protocol) resolves on every selected pod, sidecar ports included, as the EndpointSlice controller resolves it; a named port missing on some pods fails and names them."},
			{SvcEndpoints, "EndpointSlices agree", "The Service's EndpointSlices (never the deprecated Endpoints): ready, serving and terminating endpoints, and whether they agree with the ready pods."},
			{SvcDNSFromPod, "Service name resolves", "With `--from`: the Service's name resolves to its ClusterIP from inside the pod."},
			{SvcPolicy, "Policy to backends", "With `--from`: NetworkPolicy lets the pod reach the backends on their target ports."},
			{SvcBackendTCP, "Backend answers", "With `--from`: a TCP connect from the pod straight to one ready endpoint's IP:targetPort (the backend path); a refusal reads the endpoint pod's listening sockets, as POD005 does."},
			{SvcClusterIP, "ClusterIP answers", "With `--from`: a TCP connect from the pod to ClusterIP:port (the kube-proxy path)."},
		},
	}
}
