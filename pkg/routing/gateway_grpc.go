package routing

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// GRPCRequest is one gRPC call to route through a Gateway's GRPCRoutes.
type GRPCRequest struct {
	Host string
	// Service ("shop.v1.Cart") and Method ("AddItem") of the call, whose
	// HTTP/2 path is /Service/Method.
	Service, Method string
	// Headers by lower-case name.
	Headers map[string]string
}

// ParseGRPCRequest builds a gRPC call from a host and the call's path,
// "/package.Service/Method" (a path of one element names only the
// service), and "Name=value" headers.
func ParseGRPCRequest(host, path string, headers []string) (GRPCRequest, error) {
	h, p, err := NormalizeRequest(host, path)
	if err != nil {
		return GRPCRequest{}, err
	}
	req := GRPCRequest{Host: h, Headers: map[string]string{}}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case p == "/":
	case len(parts) == 1:
		req.Service = parts[0]
	case len(parts) == 2:
		req.Service, req.Method = parts[0], parts[1]
	default:
		return GRPCRequest{}, &RequestError{Part: "path", Value: path, Reason: "a gRPC call's path is /package.Service/Method"}
	}
	for _, hv := range headers {
		name, value, ok := strings.Cut(hv, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t:") {
			return GRPCRequest{}, &RequestError{Part: "header", Value: hv, Reason: "give it as Name=value"}
		}
		req.Headers[strings.ToLower(name)] = value
	}
	return req, nil
}

// AttachedGRPCRoute is a GRPCRoute attached to the listener a call
// reaches, with the hostnames it serves there.
type AttachedGRPCRoute struct {
	Route     *gwv1.GRPCRoute
	Hostnames []string
}

// GRPCMatch is one rule of one route that matches a call, by its best
// match.
type GRPCMatch struct {
	Route       *gwv1.GRPCRoute
	Rule, Match int // from 0; Match -1 for a rule without matches
	Hostname    string
	HostMatch   HostMatch
	// Service and Method are the characters of the matching service and
	// method (0 when the match does not name them); Headers counts header
	// matches.
	Service, Method, Headers int
}

// RuleName is "rule 2" (counted from 1), with the rule's name.
func (m GRPCMatch) RuleName() string { return ruleLabel(m.Rule, m.Route.Spec.Rules[m.Rule].Name) }

// DescribeMatch is the match in words.
func (m GRPCMatch) DescribeMatch() string {
	if m.Match < 0 {
		return "no matches: every call"
	}
	gm := m.Route.Spec.Rules[m.Rule].Matches[m.Match]
	var parts []string
	if gm.Method != nil {
		svc, meth := "*", "*"
		if gm.Method.Service != nil {
			svc = *gm.Method.Service
		}
		if gm.Method.Method != nil {
			meth = *gm.Method.Method
		}
		parts = append(parts, fmt.Sprintf("method %s/%s", svc, meth))
	}
	if m.Headers > 0 {
		parts = append(parts, fmt.Sprintf("%d header match(es)", m.Headers))
	}
	if len(parts) == 0 {
		return "every call"
	}
	return strings.Join(parts, ", ")
}

// GRPCResult is where one call lands among the routes of a listener.
type GRPCResult struct {
	Request    GRPCRequest
	Winner     *GRPCMatch
	Others     []GRPCMatch
	HostRoutes int
	Caveats    []string
}

// RouteGRPC routes a call through the GRPCRoutes attached to one listener,
// with the precedence of GRPCRouteRule.Matches (Gateway API v1.6): the
// most characters in a matching non-wildcard hostname, then in a matching
// hostname, then in a matching service, then in a matching method, then
// the most header matches; then the oldest route, then namespace/name;
// within a route the first matching rule.
func RouteGRPC(routes []AttachedGRPCRoute, req GRPCRequest) GRPCResult {
	res := GRPCResult{Request: req}
	caveats := map[string]bool{}
	var matches []GRPCMatch
	for _, ar := range routes {
		host, how := bestHostname(ar.Hostnames, req.Host)
		if how == HostNone {
			continue
		}
		res.HostRoutes++
		for ri, rule := range ar.Route.Spec.Rules {
			var best *GRPCMatch
			consider := func(m GRPCMatch) {
				if best == nil || grpcBefore(m, *best) {
					best = &m
				}
			}
			if len(rule.Matches) == 0 {
				consider(GRPCMatch{Route: ar.Route, Rule: ri, Match: -1, Hostname: host, HostMatch: how})
			}
			for mi, m := range rule.Matches {
				ok, gm := matchGRPC(m, req, caveats)
				if !ok {
					continue
				}
				gm.Route, gm.Rule, gm.Match, gm.Hostname, gm.HostMatch = ar.Route, ri, mi, host, how
				consider(gm)
			}
			if best != nil {
				matches = append(matches, *best)
			}
		}
	}
	sort.SliceStable(matches, func(i, j int) bool { return grpcBefore(matches[i], matches[j]) })
	if len(matches) > 0 {
		res.Winner = &matches[0]
		res.Others = matches[1:]
	}
	for c := range caveats {
		res.Caveats = append(res.Caveats, c)
	}
	sort.Strings(res.Caveats)
	return res
}

func grpcBefore(a, b GRPCMatch) bool {
	if x, y := exactHostLen(a.Hostname, a.HostMatch), exactHostLen(b.Hostname, b.HostMatch); x != y {
		return x > y
	}
	if len(a.Hostname) != len(b.Hostname) {
		return len(a.Hostname) > len(b.Hostname)
	}
	if a.Service != b.Service {
		return a.Service > b.Service
	}
	if a.Method != b.Method {
		return a.Method > b.Method
	}
	if a.Headers != b.Headers {
		return a.Headers > b.Headers
	}
	return routeBefore(&a.Route.CreationTimestamp, &b.Route.CreationTimestamp,
		a.Route.Namespace+"/"+a.Route.Name, b.Route.Namespace+"/"+b.Route.Name, a.Rule, b.Rule, a.Match, b.Match)
}

func matchGRPC(m gwv1.GRPCRouteMatch, req GRPCRequest, caveats map[string]bool) (bool, GRPCMatch) {
	var out GRPCMatch
	if mm := m.Method; mm != nil {
		regex := mm.Type != nil && *mm.Type == gwv1.GRPCMethodMatchRegularExpression
		if mm.Service != nil {
			if !valueMatches(regex, *mm.Service, req.Service, caveats) {
				return false, out
			}
			out.Service = len(*mm.Service)
		}
		if mm.Method != nil {
			if !valueMatches(regex, *mm.Method, req.Method, caveats) {
				return false, out
			}
			out.Method = len(*mm.Method)
		}
	}
	seen := map[string]bool{}
	for _, h := range m.Headers {
		name := strings.ToLower(string(h.Name))
		if seen[name] {
			continue
		}
		seen[name] = true
		v, ok := req.Headers[name]
		if !ok || !valueMatches(h.Type != nil && *h.Type == gwv1.GRPCHeaderMatchRegularExpression, h.Value, v, caveats) {
			return false, out
		}
		out.Headers++
	}
	return true, out
}

// routeBefore breaks ties between routes, then rules and matches: the
// oldest route, then namespace/name, then the first rule and match.
func routeBefore(ta, tb *metav1.Time, ka, kb string, ra, rb, ma, mb int) bool {
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	if ka != kb {
		return ka < kb
	}
	if ra != rb {
		return ra < rb
	}
	return ma < mb
}
