package routing

import "strings"

// HostMatch is how a rule's host pattern matches a request host, from no
// match to the most specific: a more specific match takes precedence.
type HostMatch int

const (
	// HostNone: the pattern does not match the host.
	HostNone HostMatch = iota
	// HostAny: the rule has no host and so serves any host.
	HostAny
	// HostWildcard: a "*." pattern covers the host's first label.
	HostWildcard
	// HostExact: the pattern is the host.
	HostExact
)

func (m HostMatch) String() string {
	switch m {
	case HostAny:
		return "any"
	case HostWildcard:
		return "wildcard"
	case HostExact:
		return "exact"
	}
	return "none"
}

// MatchHost says how a rule's host pattern matches host, which must be
// normalised (NormalizeRequest); the pattern is compared case-insensitively.
// An empty pattern matches any host. A wildcard *.example.com covers exactly
// one label in its place: a.example.com, not example.com nor
// a.b.example.com.
func MatchHost(pattern, host string) HostMatch {
	if pattern == "" {
		return HostAny
	}
	pattern = strings.ToLower(pattern)
	switch {
	case pattern == host:
		return HostExact
	case strings.HasPrefix(pattern, "*.") && wildcardCovers(pattern, host):
		return HostWildcard
	}
	return HostNone
}

// wildcardCovers says whether host is one label followed by the pattern's
// suffix (".example.com" for "*.example.com").
func wildcardCovers(pattern, host string) bool {
	suffix := pattern[1:]
	if !strings.HasSuffix(host, suffix) {
		return false
	}
	label := strings.TrimSuffix(host, suffix)
	return label != "" && !strings.Contains(label, ".")
}
