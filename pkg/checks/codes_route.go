package checks

// Route procedure (kubectl netdebug route): an HTTPRoute or GRPCRoute, its
// parents, backends, and where one request through it lands.
const (
	RtExists       Code = "RT001"
	RtParents      Code = "RT002"
	RtHostnames    Code = "RT003"
	RtRules        Code = "RT004"
	RtBackends     Code = "RT005"
	RtGrants       Code = "RT006"
	RtEndpoints    Code = "RT007"
	RtWeights      Code = "RT008"
	RtRequest      Code = "RT009"
	RtAnswer       Code = "RT010"
	RtBackendProbe Code = "RT011"
	RtPolicy       Code = "RT012"
)

func routeProcedure() Procedure {
	return Procedure{
		Name: "route",
		Codes: []Info{
			{RtExists, "Route exists", "The HTTPRoute or GRPCRoute exists in the namespace; if not, similar names in the namespace and other namespaces holding that name."},
			{RtParents, "Parents accept the route", "Per parentRef: the Gateway exists (for a parentRef of kind ListenerSet: the ListenerSet exists, its parent Gateway exists and admits it by its allowedListeners) and its listeners (the ListenerSet's, for a ListenerSet) accept the route as a controller would decide it (NoMatchingParent, NotAllowedByListeners, NoMatchingListenerHostname), beside the controller's own Accepted and ResolvedRefs conditions with their reasons."},
			{RtHostnames, "Hostnames intersect", "The intersection of the route's hostnames with each accepting listener's hostname: the hostnames the route serves there, and those ignored."},
			{RtRules, "Rules and filters", "Every rule's matches, and its filters that redirect, rewrite or modify headers; values the API does not define (UnsupportedValue) and implementation-specific ones."},
			{RtBackends, "Backend references", "Every backendRef names a Service that exists, with the port given (BackendNotFound), of a kind the procedure can follow (InvalidKind)."},
			{RtGrants, "Cross-namespace grants", "Every backendRef to another namespace is permitted by a ReferenceGrant in that namespace (RefNotPermitted otherwise: the gateway answers 500)."},
			{RtEndpoints, "Backend endpoints", "The EndpointSlices of every backend Service hold ready endpoints for the port (none: the gateway answers 503)."},
			{RtWeights, "Backend weights", "The share of each rule's traffic per backend from the weights; every weight 0 means the gateway answers 500 (Traefik: 503), and the share sent to invalid backends gets 500."},
			{RtRequest, "Request routing", "Where one request (`--host`, `--path`, `--method`, `--header`; else the request the route's first rule describes) lands among every route attached to the listener it reaches, with the Gateway API's precedence, naming the winning route, rule and backends."},
			{RtPolicy, "Policy to backends", "NetworkPolicy lets a data-plane pod of the gateway reach the backend pods on their target ports."},
			{RtBackendProbe, "Backends answer the data plane", "Live, unless `--probe=none`: from a ready data-plane pod, a TCP connect to one ready endpoint of each backend of the winning rule; refused is a 502, dropped a 504, which the API cannot show."},
			{RtAnswer, "Predicted answer", "What the gateway answers the request: 404 (no route matches), 500 (invalid backends, every weight 0), 503 (no ready endpoint), 502/504 (the probe), a redirect's status, 200 when it is forwarded to a ready endpoint, or 0 when nothing serves the gateway; the spec's answers, except where the GatewayClass's controller is known to answer otherwise (Traefik); `data` holds `status`, `reason`, `route`, `rule`, `backends`."},
		},
	}
}
