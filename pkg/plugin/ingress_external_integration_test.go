package plugin_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/external"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// answering is a loopback server that answers status to requests for
// host, and records the Host headers it got.
func answering(t *testing.T, host string, status int) (*httptest.Server, *[]string) {
	t.Helper()
	var hosts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts = append(hosts, r.Host)
		if r.Host != host {
			w.WriteHeader(http.StatusMisdirectedRequest)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &hosts
}

func externalData(t *testing.T, r report.Report, code string) external.Data {
	t.Helper()
	var d external.Data
	remarshal(t, checkByCode(t, r, code).Data, &d)
	return d
}

// The external path only ever talks to loopback: the ingress publishes
// 127.0.0.1 and --address pins the connection to a server of the test.
func TestIngressExternal(t *testing.T) {
	ns := "ing-external"
	host := ns + ".example.com"
	ingApp(t, ns)
	c := ctx(t)
	created := must[*networkingv1.Ingress](t)(env.Client.NetworkingV1().Ingresses(ns).Create(c, shopIngress(ns, ""), metav1.CreateOptions{}))
	check(t, testenv.SetIngressAddress(c, env.Client, created, "127.0.0.1"))
	base := []string{"ingress", "shop", "-n", ns, "--probe", "none", "--host", host, "--path", "/products", "--external", "--external-timeout", "2s"}

	t.Run("answers as predicted", func(t *testing.T) {
		srv, hosts := answering(t, host, http.StatusOK)
		r := expect(t, 0, "", append(base, "--address", srv.Listener.Addr().String())...)
		ext := checkByCode(t, r, "ING017")
		d := externalData(t, r, "ING017")
		if ext.Status != report.Pass || d.Verdict != external.Agrees || d.Status != 200 || d.URL != "http://"+host+"/products" || d.Address != srv.Listener.Addr().String() {
			t.Errorf("ING017 = %s %s, data %+v", ext.Status, ext.Message, d)
		}
		if len(*hosts) == 0 || (*hosts)[0] != host {
			t.Errorf("Host headers %v, want %s", *hosts, host)
		}
		if len(r.Notes) == 0 || !strings.Contains(strings.Join(r.Notes, "\n"), "sent from this machine: GET http://"+host+"/products to "+srv.Listener.Addr().String()) {
			t.Errorf("notes %v", r.Notes)
		}
	})
	t.Run("404 outside where the route reaches its backend", func(t *testing.T) {
		srv, _ := answering(t, host, http.StatusNotFound)
		r := expect(t, 1, "", append(base, "--address", srv.Listener.Addr().String())...)
		d := externalData(t, r, "ING017")
		if d.Verdict != external.Controller || d.Status != 404 || d.Predicted != "ok" {
			t.Errorf("data %+v", d)
		}
		wantVerdict(t, r, "ING017", "answers 404 from outside although the route is predicted to reach its backend")
	})
	t.Run("refused outside", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		check(t, err)
		addr := l.Addr().String()
		check(t, l.Close())
		r := expect(t, 1, "", append(base, "--address", addr)...)
		d := externalData(t, r, "ING017")
		if d.Verdict != external.LoadBalancer || d.Outcome != "refused" || d.Error == "" {
			t.Errorf("data %+v", d)
		}
	})
	t.Run("no published address and none given", func(t *testing.T) {
		ing := shopIngress(ns, "")
		ing.Name = "unpublished"
		ing.Spec.Rules[0].Host = "unpublished." + host
		must[*networkingv1.Ingress](t)(env.Client.NetworkingV1().Ingresses(ns).Create(c, ing, metav1.CreateOptions{}))
		r := expect(t, 0, "", "ingress", "unpublished", "-n", ns, "--probe", "none", "--external")
		if ext := checkByCode(t, r, "ING017"); ext.Status != report.Skip || !strings.Contains(ext.Message, "--address") {
			t.Errorf("ING017 = %s %s", ext.Status, ext.Message)
		}
	})
	t.Run("flags", func(t *testing.T) {
		for _, args := range [][]string{
			{"--address", "127.0.0.1:1"},
			{"--external", "--address", "not-an-ip"},
			{"--external", "--address", "127.0.0.1", "--url", "http://127.0.0.1/"},
			{"--external", "--url", "ftp://x/"},
			{"--external", "--external-timeout", "1h"},
		} {
			if res := run(t, append([]string{"ingress", "shop", "-n", ns}, args...)...); res.code != 2 || res.stderr == "" {
				t.Errorf("%v: exit %d, stderr %q", args, res.code, res.stderr)
			}
		}
	})
}
