package routing

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// HTTPRequest is one request to route through a Gateway's HTTPRoutes.
type HTTPRequest struct {
	// Host and Path as NormalizeRequest returns them.
	Host, Path string
	// Method in upper case; GET when the caller gives none.
	Method string
	// Headers by lower-case name.
	Headers map[string]string
	// Query parameters, the first value of each.
	Query map[string]string
}

// ParseHTTPRequest builds a request from what a user gives: a host (or a
// URL), a path that may carry a query, a method and "Name=value" headers.
func ParseHTTPRequest(host, path, method string, headers []string) (HTTPRequest, error) {
	var query string
	if strings.Contains(host, "://") {
		if u, err := url.Parse(host); err == nil && path == "" {
			path, query = u.EscapedPath(), u.RawQuery
		}
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	h, p, err := NormalizeRequest(host, path)
	if err != nil {
		return HTTPRequest{}, err
	}
	req := HTTPRequest{Host: h, Path: p, Method: strings.ToUpper(method), Headers: map[string]string{}, Query: map[string]string{}}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	for _, hv := range headers {
		name, value, ok := strings.Cut(hv, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t:") {
			return HTTPRequest{}, &RequestError{Part: "header", Value: hv, Reason: "give it as Name=value"}
		}
		req.Headers[strings.ToLower(name)] = value
	}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return HTTPRequest{}, &RequestError{Part: "path", Value: path + "?" + query, Reason: "its query does not parse: " + err.Error()}
		}
		for k, v := range q {
			if len(v) > 0 {
				req.Query[k] = v[0]
			}
		}
	}
	return req, nil
}

// AttachedHTTPRoute is an HTTPRoute attached to the listener a request
// reaches, with the hostnames it serves there (IntersectHostnames of its
// hostnames with the listener's; "" for any host).
type AttachedHTTPRoute struct {
	Route     *gwv1.HTTPRoute
	Hostnames []string
}

// HTTPMatch is one rule of one route that matches a request, by its best
// match, with what ranks it.
type HTTPMatch struct {
	Route *gwv1.HTTPRoute
	// Rule and Match index the rule in the route and the match in the
	// rule, from 0; Match is -1 for a rule without matches (every request).
	Rule, Match int
	// Hostname is the route hostname that matched the host ("" any).
	Hostname  string
	HostMatch HostMatch
	PathType  gwv1.PathMatchType
	PathValue string
	// Method: the match names the method; Headers and Query count its
	// header and query parameter matches.
	Method         bool
	Headers, Query int
}

// RuleName is "rule 2" (counted from 1), with the rule's name when it has
// one.
func (m HTTPMatch) RuleName() string { return ruleLabel(m.Rule, m.Route.Spec.Rules[m.Rule].Name) }

func ruleLabel(i int, name *gwv1.SectionName) string {
	s := fmt.Sprintf("rule %d", i+1)
	if name != nil && *name != "" {
		s += " (" + string(*name) + ")"
	}
	return s
}

// DescribeMatch is the match in words: "PathPrefix /api, method GET, 1
// header".
func (m HTTPMatch) DescribeMatch() string {
	parts := []string{fmt.Sprintf("%s %s", m.PathType, m.PathValue)}
	if m.Match < 0 {
		parts[0] += " (no matches: every request)"
	}
	if m.Method {
		parts = append(parts, "method "+string(*m.Route.Spec.Rules[m.Rule].Matches[m.Match].Method))
	}
	if m.Headers > 0 {
		parts = append(parts, fmt.Sprintf("%d header match(es)", m.Headers))
	}
	if m.Query > 0 {
		parts = append(parts, fmt.Sprintf("%d query match(es)", m.Query))
	}
	return strings.Join(parts, ", ")
}

// HTTPResult is where one request lands among the routes of a listener.
type HTTPResult struct {
	Request HTTPRequest
	// Winner is the rule that takes the request; nil when none matches:
	// the gateway answers 404.
	Winner *HTTPMatch
	// Others are the other matching rules, in precedence order.
	Others []HTTPMatch
	// HostRoutes counts the routes whose hostnames match the host.
	HostRoutes int
	// Caveats are where the result rests on implementation-specific
	// behaviour (regular expressions).
	Caveats []string
}

// RouteHTTP routes req through the HTTPRoutes attached to one listener,
// with the precedence of HTTPRouteSpec.Hostnames and HTTPRouteRule.Matches
// (Gateway API v1.6), continuing on ties:
//
//  1. the most characters in a matching non-wildcard hostname, then in a
//     matching hostname (wildcards included);
//  2. an Exact path match, then the PathPrefix match with the most
//     characters (RegularExpression paths, whose precedence is
//     implementation-specific, after both);
//  3. a method match;
//  4. the most header matches, then the most query parameter matches;
//  5. the oldest route by creation timestamp, then namespace/name in
//     alphabetical order;
//  6. within a route, the first matching rule, then its first matching
//     match.
//
// A route's hostnames are those it serves on the listener: a route
// without hostnames attached to a listener with one serves the
// listener's.
func RouteHTTP(routes []AttachedHTTPRoute, req HTTPRequest) HTTPResult {
	res := HTTPResult{Request: req}
	caveats := map[string]bool{}
	var matches []HTTPMatch
	var hosts []hostCandidate
	for _, ar := range routes {
		host, how := bestHostname(ar.Hostnames, req.Host)
		if how == HostNone {
			continue
		}
		res.HostRoutes++
		hosts = append(hosts, hostCandidate{ar.Route.Namespace + "/" + ar.Route.Name, host, how})
		for ri, rule := range ar.Route.Spec.Rules {
			var best *HTTPMatch
			consider := func(m HTTPMatch) {
				if best == nil || httpBefore(m, *best) {
					best = &m
				}
			}
			if len(rule.Matches) == 0 {
				consider(HTTPMatch{Route: ar.Route, Rule: ri, Match: -1, Hostname: host, HostMatch: how, PathType: gwv1.PathMatchPathPrefix, PathValue: "/"})
			}
			for mi, m := range rule.Matches {
				ok, hm := matchHTTP(m, req, caveats)
				if !ok {
					continue
				}
				hm.Route, hm.Rule, hm.Match, hm.Hostname, hm.HostMatch = ar.Route, ri, mi, host, how
				consider(hm)
			}
			if best != nil {
				matches = append(matches, *best)
			}
		}
	}
	sort.SliceStable(matches, func(i, j int) bool { return httpBefore(matches[i], matches[j]) })
	if len(matches) > 0 {
		res.Winner = &matches[0]
		res.Others = matches[1:]
		if c := shadowCaveat(hosts, res.Winner.Hostname, res.Winner.HostMatch); c != "" {
			caveats[c] = true
		}
	}
	for c := range caveats {
		res.Caveats = append(res.Caveats, c)
	}
	sort.Strings(res.Caveats)
	return res
}

// hostCandidate is a route whose hostnames match the request host.
type hostCandidate struct {
	route, host string
	how         HostMatch
}

// shadowCaveat says when a route serving a more specific hostname than the
// winner's matched no rule: the spec ranks every matching rule, so a less
// specific hostname serves; gateways that first pick a virtual host by the
// most specific hostname answer 404 instead.
func shadowCaveat(hosts []hostCandidate, winner string, how HostMatch) string {
	for _, h := range hosts {
		if exactHostLen(h.host, h.how) > exactHostLen(winner, how) || (exactHostLen(h.host, h.how) == exactHostLen(winner, how) && len(h.host) > len(winner)) {
			return fmt.Sprintf("route %s serves the more specific hostname %s but none of its rules matches: by the spec's precedence the rule of a less specific hostname takes the request (Traefik does so); gateways that pick a virtual host by the most specific hostname first (Envoy-based ones: Envoy Gateway, Istio, Contour) answer 404", h.route, h.host)
		}
	}
	return ""
}

// bestHostname is the most specific of a route's hostnames that matches
// host.
func bestHostname(hostnames []string, host string) (string, HostMatch) {
	best, how := "", HostNone
	for _, h := range hostnames {
		m := MatchGatewayHost(h, host)
		if m == HostNone {
			continue
		}
		if how == HostNone || m > how || (m == how && len(h) > len(best)) {
			best, how = h, m
		}
	}
	return best, how
}

// httpBefore says whether a takes precedence over b (RouteHTTP).
func httpBefore(a, b HTTPMatch) bool {
	if x, y := exactHostLen(a.Hostname, a.HostMatch), exactHostLen(b.Hostname, b.HostMatch); x != y {
		return x > y
	}
	if len(a.Hostname) != len(b.Hostname) {
		return len(a.Hostname) > len(b.Hostname)
	}
	if x, y := pathRank(a.PathType), pathRank(b.PathType); x != y {
		return x > y
	}
	if x, y := pathLen(a), pathLen(b); x != y {
		return x > y
	}
	if a.Method != b.Method {
		return a.Method
	}
	if a.Headers != b.Headers {
		return a.Headers > b.Headers
	}
	if a.Query != b.Query {
		return a.Query > b.Query
	}
	return routeBefore(&a.Route.ObjectMeta.CreationTimestamp, &b.Route.ObjectMeta.CreationTimestamp,
		a.Route.Namespace+"/"+a.Route.Name, b.Route.Namespace+"/"+b.Route.Name, a.Rule, b.Rule, a.Match, b.Match)
}

func exactHostLen(h string, m HostMatch) int {
	if m == HostExact {
		return len(h)
	}
	return 0
}

// pathRank: Exact before PathPrefix before RegularExpression.
func pathRank(t gwv1.PathMatchType) int {
	switch t {
	case gwv1.PathMatchExact:
		return 3
	case gwv1.PathMatchPathPrefix:
		return 2
	}
	return 1
}

func pathLen(m HTTPMatch) int {
	if m.PathType == gwv1.PathMatchPathPrefix {
		return PathLength(PathPrefix, m.PathValue)
	}
	return len(m.PathValue)
}

// matchHTTP says whether one HTTPRouteMatch matches req.
func matchHTTP(m gwv1.HTTPRouteMatch, req HTTPRequest, caveats map[string]bool) (bool, HTTPMatch) {
	out := HTTPMatch{PathType: gwv1.PathMatchPathPrefix, PathValue: "/"}
	if m.Path != nil {
		if m.Path.Type != nil {
			out.PathType = *m.Path.Type
		}
		if m.Path.Value != nil {
			out.PathValue = *m.Path.Value
		}
	}
	switch out.PathType {
	case gwv1.PathMatchExact:
		if out.PathValue != req.Path {
			return false, out
		}
	case gwv1.PathMatchPathPrefix:
		if !MatchPath(PathPrefix, out.PathValue, req.Path) {
			return false, out
		}
	case gwv1.PathMatchRegularExpression:
		caveats["RegularExpression paths are matched as RE2 over the whole path and ranked after Exact and PathPrefix; both are implementation-specific"] = true
		if !fullMatch(out.PathValue, req.Path) {
			return false, out
		}
	default:
		return false, out
	}
	if m.Method != nil {
		if string(*m.Method) != req.Method {
			return false, out
		}
		out.Method = true
	}
	seen := map[string]bool{}
	for _, h := range m.Headers {
		name := strings.ToLower(string(h.Name))
		if seen[name] {
			continue // only the first entry of a name counts
		}
		seen[name] = true
		v, ok := req.Headers[name]
		if !ok || !valueMatches(h.Type != nil && *h.Type == gwv1.HeaderMatchRegularExpression, h.Value, v, caveats) {
			return false, out
		}
		out.Headers++
	}
	seen = map[string]bool{}
	for _, q := range m.QueryParams {
		name := string(q.Name)
		if seen[name] {
			continue
		}
		seen[name] = true
		v, ok := req.Query[name]
		if !ok || !valueMatches(q.Type != nil && *q.Type == gwv1.QueryParamMatchRegularExpression, q.Value, v, caveats) {
			return false, out
		}
		out.Query++
	}
	return true, out
}

func valueMatches(regex bool, want, got string, caveats map[string]bool) bool {
	if !regex {
		return want == got
	}
	caveats["RegularExpression header, query or method matches are matched as RE2 over the whole value; dialects are implementation-specific"] = true
	return fullMatch(want, got)
}

// fullMatch matches s against the whole regular expression; an invalid
// expression matches nothing.
func fullMatch(expr, s string) bool {
	re, err := regexp.Compile("^(?:" + expr + ")$")
	return err == nil && re.MatchString(s)
}
