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
//     A RequestError says which of the two is invalid and why.
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
// Ingresses of one class. RouteIngress routes one request as ingress-nginx
// builds its servers, and returns an IngressResult:
//
//  1. The most specific host wins, and only its rules are consulted: rules
//     whose host equals the request's, else wildcard rules, else rules
//     without a host. A host whose rules match no path does not fall back
//     to less specific hosts.
//  2. Among those rules' paths that match, the longest path wins, Exact
//     before Prefix on a tie. ImplementationSpecific is taken as Prefix
//     (IngressPathKind).
//  3. Between equal paths of several Ingresses the oldest Ingress wins,
//     then namespace/name (SortOldestFirst), as ingress-nginx resolves
//     conflicts.
//  4. When no path matches, the default backend of an Ingress defining the
//     host serves; for a request matching no rule host (or only rules
//     without a host), the default backend of an Ingress without rules, the
//     catch-all. Otherwise no Ingress serves it: the controller's own
//     default backend answers 404.
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
