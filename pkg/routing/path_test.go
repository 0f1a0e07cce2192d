package routing

import "testing"

// The examples of the Kubernetes Ingress documentation's path-matching
// table, and the edges around them.
func TestMatchPath(t *testing.T) {
	tests := []struct {
		kind      PathKind
		rule, req string
		want      bool
	}{
		{PathPrefix, "/", "/anything/at/all", true},
		{PathPrefix, "", "/anything", true},
		{PathExact, "/foo", "/foo", true},
		{PathExact, "/foo", "/bar", false},
		{PathExact, "/foo", "/foo/", false},
		{PathExact, "/foo/", "/foo", false},
		{PathExact, "/Foo", "/foo", false},
		{PathExact, "", "/", true},
		{PathExact, "", "/foo", false},
		{PathPrefix, "/foo", "/foo", true},
		{PathPrefix, "/foo", "/foo/", true},
		{PathPrefix, "/foo/", "/foo", true},
		{PathPrefix, "/foo/", "/foo/", true},
		{PathPrefix, "/foo", "/foobar", false},
		{PathPrefix, "/foo", "/Foo", false},
		{PathPrefix, "/aaa/bb", "/aaa/bbb", false},
		{PathPrefix, "/aaa/bbb", "/aaa/bbb", true},
		{PathPrefix, "/aaa/bbb/", "/aaa/bbb", true},
		{PathPrefix, "/aaa/bbb", "/aaa/bbb/", true},
		{PathPrefix, "/aaa/bbb", "/aaa/bbb/ccc", true},
		{PathPrefix, "/aaa/bbb", "/aaa/bbbxyz", false},
		{PathPrefix, "/aaa/bbb/ccc", "/aaa/bbb", false},
		// Empty elements are ignored.
		{PathPrefix, "/aaa/bbb", "/aaa//bbb/ccc", true},
		{PathPrefix, "/aaa//bbb", "/aaa/bbb", true},
		// A kind this package does not know matches as a prefix.
		{PathKind(7), "/api", "/api/v1", true},
		{PathKind(7), "/api", "/apis", false},
	}
	for _, tt := range tests {
		if got := MatchPath(tt.kind, tt.rule, tt.req); got != tt.want {
			t.Errorf("MatchPath(%s, %q, %q) = %t, want %t", tt.kind, tt.rule, tt.req, got, tt.want)
		}
	}
}

func TestPathLength(t *testing.T) {
	tests := []struct {
		kind PathKind
		path string
		want int
	}{
		{PathExact, "/api", 4},
		{PathExact, "/api/", 5},
		{PathExact, "", 0},
		{PathPrefix, "/api", 4},
		{PathPrefix, "/api/", 4},
		{PathPrefix, "/", 0},
		{PathPrefix, "", 0},
	}
	for _, tt := range tests {
		if got := PathLength(tt.kind, tt.path); got != tt.want {
			t.Errorf("PathLength(%s, %q) = %d, want %d", tt.kind, tt.path, got, tt.want)
		}
	}
}

func TestCanonicalPath(t *testing.T) {
	tests := []struct {
		kind       PathKind
		path, want string
	}{
		{PathExact, "", "/"},
		{PathExact, "/foo/", "/foo/"},
		{PathPrefix, "", "/"},
		{PathPrefix, "/", "/"},
		{PathPrefix, "/foo/", "/foo"},
		{PathPrefix, "/foo//bar", "/foo/bar"},
	}
	for _, tt := range tests {
		if got := CanonicalPath(tt.kind, tt.path); got != tt.want {
			t.Errorf("CanonicalPath(%s, %q) = %q, want %q", tt.kind, tt.path, got, tt.want)
		}
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in                string
		dotSlash, noSlash string
	}{
		{"", "/", "/"},
		{"/", "/", "/"},
		{"/a/../b", "/b", "/b"},
		{"/a/b/../../c/", "/c/", "/c/"},
		{"/../../x", "/x", "/x"},
		{"/a/.", "/a/", "/a"},
		{"/a/b/..", "/a/", "/a"},
		{"/a/..", "/", "/"},
		{"//a///b//", "/a/b/", "/a/b/"},
		{"/a/.b/..c", "/a/.b/..c", "/a/.b/..c"},
		{"/a%2F..%2Fb", "/a%2F..%2Fb", "/a%2F..%2Fb"},
	}
	for _, tt := range tests {
		if got := CleanPath(tt.in, true); got != tt.dotSlash {
			t.Errorf("CleanPath(%q, true) = %q, want %q", tt.in, got, tt.dotSlash)
		}
		if got := CleanPath(tt.in, false); got != tt.noSlash {
			t.Errorf("CleanPath(%q, false) = %q, want %q", tt.in, got, tt.noSlash)
		}
	}
}

func TestDecodePath(t *testing.T) {
	tests := []struct{ in, unreserved, all string }{
		{"/plain", "/plain", "/plain"},
		{"/%61%2d%7E", "/a-~", "/a-~"},
		{"/a%2fb", "/a%2Fb", "/a/b"},
		{"/%e2%82%ac", "/%E2%82%AC", "/\u20ac"},
		{"/bad%zz%", "/bad%zz%", "/bad%zz%"},
		{"/%25%32", "/%252", "/%2"},
	}
	for _, tt := range tests {
		if got := DecodeUnreserved(tt.in); got != tt.unreserved {
			t.Errorf("DecodeUnreserved(%q) = %q, want %q", tt.in, got, tt.unreserved)
		}
		if got := DecodePath(tt.in, func(byte) bool { return true }); got != tt.all {
			t.Errorf("DecodePath(%q, all) = %q, want %q", tt.in, got, tt.all)
		}
	}
}
