package routing

import (
	"errors"
	"testing"
)

func TestNormalizeRequest(t *testing.T) {
	tests := []struct {
		name, host, path, wantHost, wantPath string
	}{
		{"port and upper case", "Shop.Example.com:8443", "", "shop.example.com", "/"},
		{"upper case", "SHOP.EXAMPLE.COM", "/api", "shop.example.com", "/api"},
		{"URL split into host and path", "https://shop.example.com/api/v1?x=1", "", "shop.example.com", "/api/v1"},
		{"URL path only when no path is given", "https://shop.example.com/api", "/web", "shop.example.com", "/web"},
		{"URL with port", "http://Shop.Example.com:8080/", "", "shop.example.com", "/"},
		{"query and fragment dropped", "shop.example.com", "/a?b#c", "shop.example.com", "/a"},
		{"query only", "shop.example.com", "?a=b", "shop.example.com", "/"},
		{"trailing slash kept", "shop.example.com", "/api/", "shop.example.com", "/api/"},
		{"trailing dot dropped", "shop.example.com.", "/", "shop.example.com", "/"},
		{"host with an empty port", "shop.example.com:", "/", "shop.example.com", "/"},
		{"IPv4 with port", "10.0.0.1:80", "/", "10.0.0.1", "/"},
		{"IPv6 with port", "[::1]:80", "/", "::1", "/"},
		{"IPv6 in brackets", "[2001:DB8::1]", "/", "2001:db8::1", "/"},
		{"IPv6 bare", "2001:db8::1", "/", "2001:db8::1", "/"},
		{"IPv6 URL", "http://[2001:db8::1]:8080/x", "", "2001:db8::1", "/x"},
		{"no host", "", "/api", "", "/api"},
		{"nothing", "", "", "", "/"},
		// Escapes and dot segments are kept: each controller decodes and
		// cleans its own way (IngressController.MatchingPath).
		{"dot segments kept", "shop.example.com", "/a/../b", "shop.example.com", "/a/../b"},
		{"escapes kept", "shop.example.com", "/a%2Fb%20c", "shop.example.com", "/a%2Fb%20c"},
		{"URL path escapes kept", "http://shop.example.com/a%2Fb", "", "shop.example.com", "/a%2Fb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, p, err := NormalizeRequest(tt.host, tt.path)
			if err != nil || h != tt.wantHost || p != tt.wantPath {
				t.Errorf("NormalizeRequest(%q, %q) = %q, %q, %v; want %q, %q", tt.host, tt.path, h, p, err, tt.wantHost, tt.wantPath)
			}
		})
	}
}

func TestNormalizeRequestRejects(t *testing.T) {
	tests := []struct {
		name, host, path string
		want             RequestError
	}{
		{"relative path", "shop.example.com", "api", RequestError{Part: "path", Value: "api", Reason: "it must start with /"}},
		{"space in host", "shop example", "/", RequestError{Part: "host", Value: "shop example", Reason: "give a host name such as shop.example.com"}},
		{"path in host", "Shop.example.com/api", "", RequestError{Part: "host", Value: "shop.example.com/api", Reason: "give a host name such as shop.example.com"}},
		{"malformed escape", "shop.example.com", "/a%zzb", RequestError{Part: "path", Value: "/a%zzb", Reason: "invalid percent-encoding (proxies answer 400)"}},
		{"truncated escape", "shop.example.com", "/a%2", RequestError{Part: "path", Value: "/a%2", Reason: "invalid percent-encoding (proxies answer 400)"}},
		{"unparsable URL", "http://%zz", "", RequestError{Part: "host", Value: "http://%zz", Reason: `parse "http://%zz": invalid URL escape "%zz"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, p, err := NormalizeRequest(tt.host, tt.path)
			var re *RequestError
			if !errors.As(err, &re) || *re != tt.want || h != "" || p != "" {
				t.Fatalf("NormalizeRequest(%q, %q) = %q, %q, %v; want error %+v", tt.host, tt.path, h, p, err, tt.want)
			}
			if want := "invalid " + tt.want.Part + " "; err.Error()[:len(want)] != want {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}
