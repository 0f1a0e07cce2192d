package plugin_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/external"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// gateway gw-external/front publishes 127.0.0.1; --address and --url pin
// every request to a loopback server of the test.
func TestGatewayExternal(t *testing.T) {
	ns := "gw-external"
	gwApp(t, ns, nil, "10.244.90")
	gwDataPlane(t, ns, "front", "10.244.60.40", "10.0.0.16", "", true)
	gwService(t, ns, "cart", "10.244.90.3", false)
	tlsSecret(t, ns, "secure-tls", []string{"secure.gw-external.example"}, now.AddDate(0, -1, 0), now.AddDate(0, 3, 0))
	front := []gwv1.ParentReference{parentRef("", "front", "")}
	createGW(t,
		programmedGateway(ns, "front", "127.0.0.1", []int32{2, 1},
			listener("http", gwv1.HTTPProtocolType, 80, "*.gw-external.example", ""),
			withCert(listener("https", gwv1.HTTPSProtocolType, 443, "secure.gw-external.example", ""), "", "secure-tls")),
		httpRoute(ns, "shop", front, []string{"shop.gw-external.example"}, true, prefixRule("/", backendRef("", "web", 80, nil))),
		httpRoute(ns, "secure", front, []string{"secure.gw-external.example"}, true, prefixRule("/", backendRef("", "api", 80, nil))),
		httpRoute(ns, "cart", front, []string{"cart.gw-external.example"}, true, prefixRule("/", backendRef("", "cart", 80, nil))),
	)
	base := []string{"gateway", ns + "/front", "--external", "--external-timeout", "2s"}

	t.Run("answers as predicted", func(t *testing.T) {
		srv, hosts := answering(t, "shop.gw-external.example", http.StatusOK)
		r := expect(t, 0, "", append(base, "--host", "shop.gw-external.example", "--path", "/cart", "--address", srv.Listener.Addr().String())...)
		d := externalData(t, r, "GW013")
		if c := checkByCode(t, r, "GW013"); c.Status != report.Pass || d.Verdict != external.Agrees || d.URL != "http://shop.gw-external.example/cart" {
			t.Errorf("GW013 = %s %s, data %+v", c.Status, c.Message, d)
		}
		if len(*hosts) != 2 || (*hosts)[0] != "shop.gw-external.example" { // once per run: human, then -o json
			t.Errorf("Host headers %v", *hosts)
		}
		if !strings.Contains(strings.Join(r.Notes, "\n"), "sent from this machine") {
			t.Errorf("notes %v", r.Notes)
		}
	})
	t.Run("no route: 404 predicted and got", func(t *testing.T) {
		srv, _ := answering(t, "nope.gw-external.example", http.StatusNotFound)
		r := expect(t, 1, "", append(base, "--host", "nope.gw-external.example", "--address", srv.Listener.Addr().String())...)
		if d := externalData(t, r, "GW013"); d.Verdict != external.Routing || d.Predicted != "404" {
			t.Errorf("data %+v", d)
		}
		wantVerdict(t, r, "GW013", "no rule or route takes it")
	})
	// The route's backend has no ready endpoint: the route procedure
	// predicts 503, so a 503 from outside is the backend's fault and a 200
	// is not what this gateway's configuration gives.
	t.Run("backend without endpoints: 503 predicted by the route", func(t *testing.T) {
		srv, _ := answering(t, "cart.gw-external.example", http.StatusServiceUnavailable)
		r := expect(t, 1, "", append(base, "--host", "cart.gw-external.example", "--address", srv.Listener.Addr().String())...)
		d := externalData(t, r, "GW013")
		if d.Verdict != external.Backend || d.Predicted != "503" {
			t.Errorf("data %+v", d)
		}
		wantVerdict(t, r, "GW013", "the same failure predicted inside")
		if c := checkByCode(t, r, "GW013"); !strings.Contains(c.Message, "[prediction: RT007]") {
			t.Errorf("GW013 does not name the route's finding: %s", c.Message)
		}
	})
	t.Run("backend without endpoints answered 200 outside", func(t *testing.T) {
		srv, _ := answering(t, "cart.gw-external.example", http.StatusOK)
		r := expect(t, 1, "", append(base, "--host", "cart.gw-external.example", "--address", srv.Listener.Addr().String())...)
		if d := externalData(t, r, "GW013"); d.Verdict != external.Controller || d.Predicted != "503" {
			t.Errorf("data %+v", d)
		}
	})
	t.Run("https with the host as SNI, untrusted certificate reported", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
		t.Cleanup(srv.Close)
		r := expect(t, 0, "", append(base, "--host", "secure.gw-external.example", "--url", srv.URL+"/")...)
		d := externalData(t, r, "GW013")
		c := checkByCode(t, r, "GW013")
		if c.Status != report.Warn || d.Verdict != external.Agrees || d.SNI != "secure.gw-external.example" || d.TLSVerified == nil || *d.TLSVerified ||
			d.Certificate == nil || d.Address != srv.Listener.Addr().String() || !strings.HasPrefix(d.URL, "https://secure.gw-external.example:") {
			t.Errorf("GW013 = %s %s, data %+v", c.Status, c.Message, d)
		}
	})
	t.Run("refused outside", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		check(t, err)
		addr := l.Addr().String()
		check(t, l.Close())
		r := expect(t, 1, "", append(base, "--host", "shop.gw-external.example", "--address", addr)...)
		if d := externalData(t, r, "GW013"); d.Verdict != external.LoadBalancer || d.Outcome != "refused" {
			t.Errorf("data %+v", d)
		}
	})
	t.Run("flags", func(t *testing.T) {
		for _, args := range [][]string{
			{"--host", "shop.gw-external.example"},
			{"--address", "127.0.0.1"},
			{"--external", "--address", "nope"},
		} {
			if res := run(t, append([]string{"gateway", ns + "/front"}, args...)...); res.code != 2 || res.stderr == "" {
				t.Errorf("%v: exit %d, stderr %q", args, res.code, res.stderr)
			}
		}
	})
}
