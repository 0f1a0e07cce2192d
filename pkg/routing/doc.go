// Package routing decides where an HTTP request lands among the routing
// rules of a cluster, as the Ingress and Gateway APIs specify it and
// controllers implement it. It is the request-routing engine as pkg/policy is the
// NetworkPolicy engine: pure, it reads typed objects only, never talks to an
// API server and never prints; pkg/checks explains its results to users.
//
// # Requests, hosts and paths
//
// The primitives know nothing of Ingress, so that the Gateway API routes
// (HTTPRoute and GRPCRoute hostnames, Exact and PathPrefix path matches)
// can share them:
//
//   - NormalizeRequest turns a host and path as a user gives them (a URL, a
//     host with a port, upper case, a query) into what a proxy matches on.
//     A RequestError says which of the two is invalid and why. The path's
//     escapes and dot segments stay: DecodePath and CleanPath are the
//     steps controllers apply their own way.
//   - MatchHost says how a rule's host pattern matches a request host:
//     exactly, by a wildcard "*.example.com" covering exactly one DNS label
//     (a.example.com, not example.com nor a.b.example.com), or, for a rule
//     without a host, as any host. HostMatch orders these by specificity.
//   - MatchPath says whether a rule path of a PathKind matches a request
//     path. Exact compares whole strings; Prefix compares whole path
//     elements, so /foo matches /foo, /foo/ and /foo/bar but not /foobar,
//     and a trailing slash on either side is ignored. PathLength ranks
//     matching paths (the longest wins) and CanonicalPath says when two
//     rule paths match the same requests.
//
// # Ingress
//
// The Ingress adapter applies the primitives to networking.k8s.io/v1
// Ingresses of one class. Where several Ingresses meet the Ingress API is
// silent, so RouteIngressFor routes one request as a given controller
// (IngressController) does, and returns an IngressResult. Each controller
// first turns the request path into the path it matches
// (IngressController.MatchingPath): dot segments removed and repeated
// slashes merged by all; ingress-nginx decodes every escape (%2F is a
// slash), Traefik keeps the reserved characters encoded (%2F is not).
//
// IngressNginx, as ingress-nginx builds its servers:
//
//  1. Ingresses are read oldest first, and in the same second by
//     "namespace/name" descending (SortOldestFirst); the first to define
//     a host or a path keeps it.
//  2. The most specific host wins, and only its rules are consulted: rules
//     whose host equals the request's, else wildcard rules, else rules
//     without a host. A rule naming a host without http paths claims it
//     too. A host whose rules match no path does not fall back to less
//     specific hosts.
//  3. Among those rules' paths, nginx's location selection: an Exact path
//     equal to the request (then the exact location a Prefix path /p adds,
//     "= /p"), else the longest prefix location; a Prefix path /p matches
//     by elements (location "/p/"), an ImplementationSpecific one character
//     by character.
//  4. When no path matches, the default backend of the host's first
//     Ingress (HostOwner) serves, or the controller's 404 when it has none,
//     whatever the other Ingresses of the host have. For a request matching
//     no rule host, or only rules without a host, the catch-all: the
//     default backend of the first Ingress without rules.
//
// IngressTraefik, as Traefik v3's kubernetesingress provider: every rule
// path with http is a router of one muxer, with no host tiers; the router
// with the longest rule text wins (TraefikRule; router.priority annotation
// aside), so a wildcard rule outranks the exact host's rule of the same
// path, and a request may fall through to a rule without host. Prefix is
// matched character by character (strictPrefixMatching off, its default).
// Rules without http are ignored, and so is the spec.defaultBackend of an
// Ingress with rules; the default backend of an Ingress without rules
// catches every request no router takes, whatever its host. Routers of
// equal priority, and several Ingresses without rules, are in no defined
// order: IngressResult.Depends says so.
//
// IngressGeneric, for other controllers: the ingress-nginx model where
// the API is generic (Prefix by elements, ImplementationSpecific as
// Prefix, a rule without http ignored, the first default backend among
// the host's Ingresses), the path cleaned as RFC 3986 allows; and
// IngressResult.Depends names the known controllers that would answer
// otherwise. RouteIngress is RouteIngressFor(IngressGeneric, ...).
//
// IngressRouteKey says which rule paths claim the same requests, for
// finding conflicts.
//
// # Gateway API
//
// The Gateway adapter applies the primitives to gateway.networking.k8s.io/v1
// objects, as the Gateway API v1.6 specification words it (the comments of
// its API types are the specification):
//
//   - MatchGatewayHost and IntersectHostnames: a wildcard "*.example.com"
//     is a suffix match covering any number of labels; a route attaches to
//     a listener when their hostnames intersect, and serves the more
//     specific of the two (HTTPRouteSpec.Hostnames).
//   - ListenerConflicts: listeners that are not distinct (GatewaySpec
//     "Distinct Listeners"): HostnameConflict, ProtocolConflict.
//   - SelectListener: listener isolation, the most specific listener
//     hostname that matches the request takes it (GatewaySpec "Listeners
//     that are distinct only by Hostname").
//   - Attach: whether a route attaches to a Gateway through a parentRef
//     (ParentReference sectionName and port, AllowedRoutes kinds and
//     namespaces, hostname intersection), with the reason a controller
//     would set: NoMatchingParent, NotAllowedByListeners,
//     NoMatchingListenerHostname.
//   - GrantFor: the ReferenceGrant that permits a cross-namespace
//     reference.
//   - RouteHTTP and RouteGRPC: where one request lands among the routes of
//     a listener, with the precedence of HTTPRouteRule.Matches and
//     GRPCRouteRule.Matches (see RouteHTTP).
package routing
