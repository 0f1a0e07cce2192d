package routing

import "strings"

// Hostnames in the Gateway API differ from Ingress hosts in one way: a
// wildcard "*.example.com" is a suffix match and covers any number of
// labels (a.example.com and a.b.example.com, not example.com), where an
// Ingress wildcard covers exactly one.

// MatchGatewayHost says how a Gateway API hostname (a listener's or a
// route's) matches a request host: exactly, by a wildcard suffix, or, for
// an empty hostname, as any host. The host is lower case, as
// NormalizeRequest returns it.
func MatchGatewayHost(pattern, host string) HostMatch {
	if pattern == "" {
		return HostAny
	}
	pattern = strings.ToLower(pattern)
	switch {
	case pattern == host:
		return HostExact
	case strings.HasPrefix(pattern, "*.") && wildcardSuffixCovers(pattern, host):
		return HostWildcard
	}
	return HostNone
}

// wildcardSuffixCovers says whether name (a host, or itself a wildcard)
// ends with the pattern's suffix after at least one label.
func wildcardSuffixCovers(pattern, name string) bool {
	suffix := pattern[1:] // ".example.com"
	return len(name) > len(suffix) && strings.HasSuffix(name, suffix) && !strings.HasSuffix(name[:len(name)-len(suffix)], ".")
}

// IntersectHostnames is the hostname a route serves on a listener: the
// more specific of the two when one covers the other (the spec's
// "intersecting hostnames"), "" for any host when both are empty. ok is
// false when they do not intersect.
//
// A listener *.example.com and a route foo.example.com give
// foo.example.com; a listener foo.example.com and a route *.example.com
// give foo.example.com; *.example.com and *.foo.example.com give
// *.foo.example.com.
func IntersectHostnames(listener, route string) (string, bool) {
	l, r := strings.ToLower(listener), strings.ToLower(route)
	switch {
	case l == "":
		return r, true
	case r == "":
		return l, true
	case l == r:
		return l, true
	case strings.HasPrefix(l, "*.") && wildcardSuffixCovers(l, r):
		return r, true
	case strings.HasPrefix(r, "*.") && wildcardSuffixCovers(r, l):
		return l, true
	}
	return "", false
}

// hostnameRank orders listener hostnames from the most specific: an exact
// hostname, then wildcards with more labels after the "*" (the spec:
// "the higher the number of dots in the hostname to the right of the
// wildcard character, the higher the precedence"), then an empty hostname.
func hostnameRank(h string) (exact bool, dots, length int) {
	if h == "" {
		return false, -1, 0
	}
	return !strings.HasPrefix(h, "*."), strings.Count(h, "."), len(h)
}

// moreSpecificHostname says whether hostname a takes precedence over b.
func moreSpecificHostname(a, b string) bool {
	ae, ad, al := hostnameRank(a)
	be, bd, bl := hostnameRank(b)
	if ae != be {
		return ae
	}
	if ad != bd {
		return ad > bd
	}
	return al > bl
}
