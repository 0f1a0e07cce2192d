package checks

// Gateway procedure (kubectl netdebug gateway): a Gateway API Gateway, its
// class, controller, listeners and the routes that attach to them.
const (
	GwExists          Code = "GW001"
	GwClass           Code = "GW002"
	GwController      Code = "GW003"
	GwControllerLogs  Code = "GW004"
	GwStatus          Code = "GW005"
	GwAddresses       Code = "GW006"
	GwConflicts       Code = "GW007"
	GwListeners       Code = "GW008"
	GwTLSRefs         Code = "GW009"
	GwTLSCertificates Code = "GW010"
	GwAllowedRoutes   Code = "GW011"
	GwAttachedRoutes  Code = "GW012"
	GwExternal        Code = "GW013"
	GwListenerSets    Code = "GW014"
)

func gatewayProcedure() Procedure {
	return Procedure{
		Name: "gateway",
		Codes: []Info{
			{GwExists, "Gateway exists", "The Gateway exists in the namespace; if not, similar names in the namespace and other namespaces holding that name. A cluster that does not serve the Gateway API is said so in one line (exit 2)."},
			{GwClass, "GatewayClass accepted", "The GatewayClass exists and its controller has accepted it (condition Accepted, with its reason); the class's controllerName names the controller."},
			{GwController, "Controller pods ready", "The pods that serve the Gateway are ready and not restarting: its data plane by the label gateway.networking.k8s.io/gateway-name (GEP-1762) or the labels known implementations use (Envoy Gateway, Istio, Contour, NGINX Gateway Fabric, Traefik, Cilium, Kong, kgateway), the controller by its labels, else by the Service at the Gateway's address; with the evidence."},
			{GwControllerLogs, "Controller log errors", "Recent error and warning lines of the controller's logs that concern this Gateway: they name its namespace or one of its listener hostnames."},
			{GwStatus, "Gateway accepted and programmed", "The Gateway's Accepted and Programmed conditions, with their reasons; no condition at all means no controller has processed it."},
			{GwAddresses, "Addresses and service", "The Gateway's status addresses and the Service or load balancer in front of it (labelled with the Gateway's name, holding one of its addresses, or selecting its pods); a load balancer still waiting for its address."},
			{GwConflicts, "No listener conflicts", "Listeners are distinct: on one port, listeners of one protocol differ in hostname (HostnameConflict) and protocols that cannot share a port are not mixed (ProtocolConflict), computed from the spec and from the listeners' Conflicted conditions."},
			{GwListeners, "Listener status", "Each listener's Accepted, Programmed and ResolvedRefs conditions with their reasons (UnsupportedProtocol, PortUnavailable, InvalidCertificateRef, InvalidRouteKinds, RefNotPermitted...)."},
			{GwTLSRefs, "TLS certificate references", "Every certificateRef of the HTTPS and TLS listeners, the Gateway's and those of the ListenerSets it admits, names a Secret that exists, is of type kubernetes.io/tls and holds a matching tls.crt and tls.key. A ListenerSet's reference resolves in its own namespace; a Secret of another namespace needs a ReferenceGrant there from the Gateway, or, for a ListenerSet's listener, from ListenerSet in the ListenerSet's namespace (a grant to the Gateway does not extend to its ListenerSets). Key material is never printed."},
			{GwTLSCertificates, "TLS certificates valid", "Every certificate of the Gateway's listeners and of those of the ListenerSets it admits parses, covers the listener's hostname (or, without one, the hostnames of the routes attached to it) and is not expired; one that expires within 14 days warns."},
			{GwAllowedRoutes, "Allowed routes", "Each listener's allowedRoutes: the route kinds it admits (kinds its protocol cannot carry are invalid) and the namespaces it admits routes from (Same, All, Selector with the namespaces it selects, None)."},
			{GwAttachedRoutes, "Attached routes", "Each listener's attachedRoutes (HTTPRoutes and GRPCRoutes; TLSRoutes and TCPRoutes too, listed with their matching not modelled), and when it is 0, which routes try to attach and why they cannot (NoMatchingParent, NotAllowedByListeners, NoMatchingListenerHostname)."},
			{GwExternal, "Answer from outside", "Only with `--external`: one GET sent from this machine to the gateway's status address (or `--address`/`--url`) on the port of the listener that takes the request, with the request's Host (`--host`, else a listener's or route's hostname) and TLS SNI, bounded by `--external-timeout`; the status, or the connect error, and the certificate served (subject, SANs, expiry, whether it verifies for the host) are compared with the answer predicted inside (GW005, GW003, the listener, the attached HTTPRoute that takes the request, and what its backends give: the route procedure's RT010, with its probe from the data plane): no answer from outside is the load balancer or a firewall, the same failure what is behind the gateway, a different answer the gateway."},
			{GwListenerSets, "ListenerSets", "Only when a ListenerSet names the Gateway or its allowedListeners admits some: each ListenerSet whose parentRef is the Gateway, allowed or not by `spec.allowedListeners` (None by default, Same, All, Selector) (NotAllowed), its Accepted and Programmed conditions with their reasons, and each of its listeners like the Gateway's own: protocol, port, hostname, TLS certificateRefs, allowedRoutes, the controller's attachedRoutes and conditions, the routes netdebug finds attached through the ListenerSet and those that cannot attach. A cluster that does not serve ListenerSet is said so (skip)."},
		},
	}
}
