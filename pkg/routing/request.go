package routing

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// RequestError is a host or path that no request could carry. It names the
// part, so that callers can word it in their own terms (a flag, a field).
type RequestError struct {
	Part   string // "host" or "path"
	Value  string
	Reason string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Part, e.Value, e.Reason)
}

// NormalizeRequest returns a request's host and path as a controller
// matches them: the host lower-cased, without its port, the brackets of an
// IPv6 literal or a trailing dot; the path without query or fragment, "/"
// when empty. A URL given as the host is split into both, its path used
// only when path is empty. Percent-encodings and dot segments are kept as
// written: each controller decodes and cleans the path its own way before
// matching (IngressController.MatchingPath); a malformed escape is an
// error.
func NormalizeRequest(host, path string) (string, string, error) {
	if strings.Contains(host, "://") {
		u, err := url.Parse(host)
		if err != nil {
			return "", "", &RequestError{Part: "host", Value: host, Reason: err.Error()}
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
		return "", "", &RequestError{Part: "host", Value: host, Reason: "give a host name such as shop.example.com"}
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		return "", "", &RequestError{Part: "path", Value: path, Reason: "it must start with /"}
	}
	// Go's HTTP server (Traefik) and nginx both answer 400 to a malformed
	// escape: no rule sees such a request.
	if _, err := url.PathUnescape(path); err != nil {
		return "", "", &RequestError{Part: "path", Value: path, Reason: "invalid percent-encoding (proxies answer 400)"}
	}
	return host, path, nil
}
