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

// unreserved says whether b is an unreserved character of RFC 3986
// section 2.3, whose percent-encoded form is equivalent to itself.
func unreserved(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '.' || b == '_' || b == '~'
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// DecodePath decodes the percent-encoded octets of p for which decode
// returns true and writes the others with upper-case hex digits (RFC 3986
// section 6.2.2.1). A malformed escape is left as written.
func DecodePath(p string, decode func(b byte) bool) string {
	if !strings.Contains(p, "%") {
		return p
	}
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			hi, ok1 := unhex(p[i+1])
			lo, ok2 := unhex(p[i+2])
			if ok1 && ok2 {
				b := hi<<4 | lo
				if decode(b) {
					sb.WriteByte(b)
				} else {
					sb.WriteString(strings.ToUpper(p[i : i+3]))
				}
				i += 2
				continue
			}
		}
		sb.WriteByte(p[i])
	}
	return sb.String()
}

// DecodeUnreserved decodes the unreserved characters only: the
// normalisation every URI comparison may do (RFC 3986 section 6.2.2.2).
func DecodeUnreserved(p string) string { return DecodePath(p, unreserved) }

// CleanPath removes the dot segments of p ("." and "..", RFC 3986 section
// 5.2.4; ".." never climbs above the root) and merges repeated slashes.
// A trailing slash is kept; a path ending in a dot segment ends with a
// slash when dotSlash is set (RFC 3986, nginx) and without one otherwise
// (Go's path.Join, as Traefik cleans). Percent-encoded slashes and dots
// are not separators nor dot segments: decode them first where the
// controller does.
func CleanPath(p string, dotSlash bool) string {
	if p == "" {
		return "/"
	}
	var out []string
	elems := strings.Split(p, "/")
	trailing := strings.HasSuffix(p, "/")
	for i, e := range elems {
		last := i == len(elems)-1
		switch e {
		case "", ".":
			if last && e == "." && dotSlash {
				trailing = true
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last && dotSlash {
				trailing = true
			}
		default:
			out = append(out, e)
		}
	}
	s := "/" + strings.Join(out, "/")
	if trailing && s != "/" {
		s += "/"
	}
	return s
}
