package ingress

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// This file routes one request through Ingress rules as the Ingress API
// specifies it and controllers implement it: a host matches exactly or by
// a one-label wildcard, exact hosts before wildcards before rules without a
// host; paths match Exact or Prefix element by element (ImplementationSpecific
// is taken as Prefix), the longest path wins, Exact before Prefix on a tie,
// and a request no path matches goes to a default backend: that of the
// Ingress defining the host, or the catch-all of an Ingress without rules,
// as ingress-nginx builds its servers.

// NormalizeRequest checks --host and --path and returns them as a
// controller sees them: the host lower-cased without its port, the path
// without query or fragment. A URL in host is split into both.
func NormalizeRequest(host, path string) (string, string, error) {
	if strings.Contains(host, "://") {
		u, err := url.Parse(host)
		if err != nil {
			return "", "", fmt.Errorf("invalid --host %q: %v", host, err)
		}
		host = u.Host
		if path == "" {
			path = u.EscapedPath()
		}
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if strings.ContainsAny(host, "/ \t?#") {
		return "", "", fmt.Errorf("invalid --host %q: give a host name such as shop.example.com", host)
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		return "", "", fmt.Errorf("invalid --path %q: it must start with /", path)
	}
	return host, path, nil
}

// hostMatch says how a rule host matches a request host: "exact",
// "wildcard" or "" (no match). A rule without a host is handled apart.
func hostMatch(ruleHost, host string) string {
	ruleHost = strings.ToLower(ruleHost)
	switch {
	case ruleHost == host:
		return "exact"
	case strings.HasPrefix(ruleHost, "*.") && wildcardMatches(ruleHost, host):
		return "wildcard"
	}
	return ""
}

// wildcardMatches: *.example.com matches exactly one label in its place:
// a.example.com, not example.com nor a.b.example.com.
func wildcardMatches(pattern, host string) bool {
	suffix := pattern[1:] // .example.com
	if !strings.HasSuffix(host, suffix) {
		return false
	}
	label := strings.TrimSuffix(host, suffix)
	return label != "" && !strings.Contains(label, ".")
}

// pathType defaults a path's type as the API would show it.
func pathType(p networkingv1.HTTPIngressPath) networkingv1.PathType {
	if p.PathType == nil {
		return networkingv1.PathTypeImplementationSpecific
	}
	return *p.PathType
}

// pathMatches says whether a rule path matches a request path. Prefix
// matches element by element: /foo matches /foo, /foo/ and /foo/bar, not
// /foobar; a trailing slash on either side is ignored.
// ImplementationSpecific is taken as Prefix.
func pathMatches(pt networkingv1.PathType, rulePath, reqPath string) bool {
	if rulePath == "" {
		rulePath = "/"
	}
	if pt == networkingv1.PathTypeExact {
		return rulePath == reqPath
	}
	rule, req := pathElements(rulePath), pathElements(reqPath)
	if len(rule) > len(req) {
		return false
	}
	for i := range rule {
		if rule[i] != req[i] {
			return false
		}
	}
	return true
}

func pathElements(p string) []string {
	var out []string
	for _, e := range strings.Split(p, "/") {
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}

// matchLength ranks matching paths: the longest wins.
func matchLength(pt networkingv1.PathType, rulePath string) int {
	if pt == networkingv1.PathTypeExact {
		return len(rulePath)
	}
	return len(strings.TrimRight(rulePath, "/"))
}

// routeKey identifies what a rule path claims, for conflicts: the host, the
// path normalised as it matches, and the path type (ImplementationSpecific
// as Prefix).
func routeKey(host string, p networkingv1.HTTPIngressPath) string {
	pt := pathType(p)
	path := p.Path
	if path == "" {
		path = "/"
	}
	if pt != networkingv1.PathTypeExact {
		pt = networkingv1.PathTypePrefix
		path = "/" + strings.Join(pathElements(path), "/")
	}
	return strings.ToLower(host) + "\x00" + path + "\x00" + string(pt)
}

// candidate is one rule path of one Ingress.
type candidate struct {
	ing      *networkingv1.Ingress
	host     string // the rule's host, "" for any host
	path     networkingv1.HTTPIngressPath
	hostHow  string // exact, wildcard, any
	matchLen int
}

// routeResult is where one request lands.
type routeResult struct {
	host, path string
	// ing is the Ingress whose rule or default backend serves the request;
	// nil when none does (the controller's own default backend: 404).
	ing *networkingv1.Ingress
	// rule is the matching path, nil when the default backend serves.
	rule     *candidate
	backend  *networkingv1.IngressBackend
	hostHow  string // how the host matched: exact, wildcard, any, or "" (no rule host)
	ruleHost string
	// others: the other paths that matched, shorter or older.
	others []candidate
	// fallback: no path matched, the Ingress's default backend serves.
	fallback bool
}

// routeRequest routes host+path through ingresses, which must all be of the
// same class and sorted oldest first (ties by namespace/name): on equal
// matches the oldest Ingress wins, as ingress-nginx resolves conflicts.
func routeRequest(ingresses []*networkingv1.Ingress, host, path string) routeResult {
	res := routeResult{host: host, path: path}
	var exact, wild, anyHost []candidate
	for _, ing := range ingresses {
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			var how string
			if r.Host == "" {
				how = "any"
			} else if how = hostMatch(r.Host, host); how == "" {
				continue
			}
			for _, p := range r.HTTP.Paths {
				c := candidate{ing: ing, host: r.Host, path: p, hostHow: how}
				switch how {
				case "exact":
					exact = append(exact, c)
				case "wildcard":
					wild = append(wild, c)
				default:
					anyHost = append(anyHost, c)
				}
			}
		}
	}
	// The most specific host wins: its rules are the only ones consulted.
	var tier []candidate
	for _, t := range [][]candidate{exact, wild, anyHost} {
		if len(t) > 0 {
			tier = t
			break
		}
	}
	if len(tier) > 0 {
		res.hostHow, res.ruleHost = tier[0].hostHow, tier[0].host
	}
	var matching []candidate
	for _, c := range tier {
		if pathMatches(pathType(c.path), c.path.Path, path) {
			c.matchLen = matchLength(pathType(c.path), c.path.Path)
			matching = append(matching, c)
		}
	}
	sort.SliceStable(matching, func(i, j int) bool {
		a, b := matching[i], matching[j]
		if a.matchLen != b.matchLen {
			return a.matchLen > b.matchLen
		}
		ae, be := pathType(a.path) == networkingv1.PathTypeExact, pathType(b.path) == networkingv1.PathTypeExact
		return ae && !be
	})
	if len(matching) > 0 {
		best := matching[0]
		res.rule, res.ing, res.backend = &best, best.ing, &best.path.Backend
		res.others = matching[1:]
		return res
	}
	// No path matched. A host's unmatched paths go to the default backend
	// of an Ingress that defines the host; a request for no host (or whose
	// host only rules without a host match) goes to the catch-all: the
	// default backend of an Ingress that has no rules. Otherwise the
	// controller's own default backend answers 404.
	var holders []*networkingv1.Ingress
	if len(tier) > 0 && tier[0].hostHow != "any" {
		seen := map[*networkingv1.Ingress]bool{}
		for _, c := range tier {
			if !seen[c.ing] {
				seen[c.ing] = true
				holders = append(holders, c.ing)
			}
		}
	} else {
		for _, ing := range ingresses {
			if len(ing.Spec.Rules) == 0 {
				holders = append(holders, ing)
			}
		}
	}
	for _, ing := range holders {
		if ing.Spec.DefaultBackend != nil {
			res.ing, res.backend, res.fallback = ing, ing.Spec.DefaultBackend, true
			return res
		}
	}
	return res
}

// sortOldestFirst orders ingresses as conflicts are resolved: creation time,
// then namespace/name.
func sortOldestFirst(ings []*networkingv1.Ingress) {
	sort.SliceStable(ings, func(i, j int) bool {
		a, b := ings[i], ings[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// describePath is "/api (Prefix)".
func describePath(p networkingv1.HTTPIngressPath) string {
	path := p.Path
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("%s (%s)", path, pathType(p))
}

// hostLabel is the host as shown in reports; a rule without a host serves
// any host.
func hostLabel(host string) string {
	if host == "" {
		return "(any host)"
	}
	return host
}
