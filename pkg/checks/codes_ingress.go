package checks

// Ingress procedure.
const (
	IngExists            Code = "ING001"
	IngClass             Code = "ING002"
	IngController        Code = "ING003"
	IngControllerLogs    Code = "ING004"
	IngControllerService Code = "ING005"
	IngAddress           Code = "ING006"
	IngRules             Code = "ING007"
	IngBackendServices   Code = "ING008"
	IngBackendPorts      Code = "ING009"
	IngBackendEndpoints  Code = "ING010"
	IngBackendTargets    Code = "ING011"
	IngTLSSecrets        Code = "ING012"
	IngTLSCertificates   Code = "ING013"
	IngConflicts         Code = "ING014"
	IngRoutes            Code = "ING015"
	IngBackendAnswers    Code = "ING016"
	IngExternal          Code = "ING017"
)

func ingressProcedure() Procedure {
	return Procedure{
		Name: "ingress",
		Codes: []Info{
			{IngExists, "Ingress exists", "The Ingress exists in the namespace; if not, similar names in the namespace and other namespaces holding that name."},
			{IngClass, "Ingress class resolves", "The class resolves: spec.ingressClassName, the legacy kubernetes.io/ingress.class annotation or the one default IngressClass names a class that exists; no class and no default is the classic silent 404."},
			{IngController, "Controller pods ready", "The pods of the class's controller are ready and not restarting: known controllers by their labels (ingress-nginx, F5 NGINX, Traefik, HAProxy, Contour, Kong, Istio, AWS Load Balancer Controller, GCE), others by name heuristics, with the evidence."},
			{IngControllerLogs, "Controller log errors", "Recent error and warning lines of the controller's logs that concern this Ingress: they name its namespace or one of its hosts."},
			{IngControllerService, "Controller service", "The Service that exposes the controller pods, and its load-balancer address."},
			{IngAddress, "Ingress address", "The Ingress's own status.loadBalancer holds the address the controller publishes."},
			{IngRules, "Routing rules", "Every rule (host, path, pathType, backend) and the default backend; an Ingress that routes nothing."},
			{IngBackendServices, "Backend services exist", "Every backend Service of the rules and of the default backend exists in the namespace."},
			{IngBackendPorts, "Backend ports exist", "Every backend port, by number or name, is a port of its Service."},
			{IngBackendEndpoints, "Backends have ready endpoints", "The EndpointSlices of every backend Service hold ready endpoints for the backend's port."},
			{IngBackendTargets, "Backend target ports resolve", "Every backend port's targetPort resolves on the pods its Service selects."},
			{IngTLSSecrets, "TLS secrets usable", "Every TLS secret exists, is of type kubernetes.io/tls and holds tls.crt and tls.key; key material is never printed."},
			{IngTLSCertificates, "TLS certificates valid", "Every certificate parses, covers the hosts it is used for, and is not expired; one that expires within 14 days warns."},
			{IngConflicts, "No conflicting rules", "No other Ingress of the same class claims the same host and path."},
			{IngBackendAnswers, "Backends answer the controller", "Live, unless `--probe=none`: from a ready controller pod, a TCP connect to one ready endpoint of each backend; a refused or dropped connect is a 502 (or 504) the API cannot show."},
			{IngRoutes, "Routes and responses", "What a request to each route gets now (404, 503, certificate error) and, with `--host`/`--path`, where one request lands, as the controller routes it."},
			{IngExternal, "Answer from outside", "Only with `--external`: one GET sent from this machine to the ingress's load-balancer address (or `--address`/`--url`), with the request's Host and TLS SNI, bounded by `--external-timeout`; the status, or the connect error, and the certificate served (subject, SANs, expiry, whether it verifies for the host) are compared with the answer predicted inside (ING015, ING016): no answer from outside is the load balancer or a firewall, a different answer the controller, the same failure what is behind it."},
		},
	}
}
