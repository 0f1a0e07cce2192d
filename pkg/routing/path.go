package routing

import "strings"

// PathKind is how a rule path matches a request path.
type PathKind int

const (
	// PathExact matches the request path as written, case-sensitively.
	PathExact PathKind = iota
	// PathPrefix matches the request paths whose leading elements are the
	// rule path's elements.
	PathPrefix
)

func (k PathKind) String() string {
	if k == PathExact {
		return "Exact"
	}
	return "Prefix"
}

// MatchPath says whether a rule path of kind matches a request path. An
// empty rule path is "/". Prefix matches element by element: /foo matches
// /foo, /foo/ and /foo/bar, not /foobar; a trailing slash on either side is
// ignored, and so are empty elements (/foo//bar is /foo/bar). Any kind
// other than PathExact matches as a prefix.
func MatchPath(kind PathKind, rulePath, reqPath string) bool {
	if rulePath == "" {
		rulePath = "/"
	}
	if kind == PathExact {
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

// PathLength ranks the rule paths that match one request: the longest wins.
// A Prefix path's trailing slashes do not count, since they do not change
// what it matches; an Exact path counts as written.
func PathLength(kind PathKind, rulePath string) int {
	if kind == PathExact {
		return len(rulePath)
	}
	return len(strings.TrimRight(rulePath, "/"))
}

// CanonicalPath is a rule path in the form it matches: two rule paths of
// one kind with the same canonical path match the same requests. An empty
// path is "/"; a Prefix path is its elements joined ("/foo/" is "/foo").
func CanonicalPath(kind PathKind, path string) string {
	if path == "" {
		path = "/"
	}
	if kind != PathExact {
		path = "/" + strings.Join(pathElements(path), "/")
	}
	return path
}

// pathElements are the non-empty elements of a path.
func pathElements(p string) []string {
	var out []string
	for _, e := range strings.Split(p, "/") {
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}
