package ingress

import "testing"

// NormalizeRequest is routing.NormalizeRequest with errors that name the
// flag at fault; the normalisation itself is tested in pkg/routing.
func TestIngressNormalizeRequest(t *testing.T) {
	h, p, err := NormalizeRequest("https://Shop.Example.com:8443/api?x=1", "")
	if err != nil || h != "shop.example.com" || p != "/api" {
		t.Errorf("NormalizeRequest = %q, %q, %v", h, p, err)
	}
	for _, tt := range []struct{ host, path, want string }{
		{"shop.example.com", "api", `invalid --path "api": it must start with /`},
		{"shop example", "/", `invalid --host "shop example": give a host name such as shop.example.com`},
		{"http://%zz", "", `invalid --host "http://%zz": parse "http://%zz": invalid URL escape "%zz"`},
		{"shop.example.com", "/a%zz", `invalid --path "/a%zz": invalid percent-encoding (proxies answer 400)`},
	} {
		if _, _, err := NormalizeRequest(tt.host, tt.path); err == nil || err.Error() != tt.want {
			t.Errorf("NormalizeRequest(%q, %q) error = %v, want %s", tt.host, tt.path, err, tt.want)
		}
	}
}
