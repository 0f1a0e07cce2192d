package external

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

func TestExternalCompare(t *testing.T) {
	answered := func(s int) probe.ExternalResult {
		return probe.ExternalResult{URL: "http://a.example.com/", Address: "127.0.0.1:80", Outcome: probe.ExternalAnswered, Status: s}
	}
	failed := func(o probe.ExternalOutcome) probe.ExternalResult {
		return probe.ExternalResult{URL: "http://a.example.com/", Address: "127.0.0.1:80", Outcome: o, Error: "x"}
	}
	no := false
	untrusted := answered(200)
	untrusted.SNI, untrusted.TLSVerified, untrusted.VerifyError = "a.example.com", &no, "x509: unknown authority"
	for _, tc := range []struct {
		name   string
		r      probe.ExternalResult
		pred   string
		want   Verdict
		status report.Status
	}{
		{"agrees", answered(200), "ok", Agrees, report.Pass},
		{"redirect agrees", answered(308), "ok", Agrees, report.Pass},
		{"untrusted certificate warns", untrusted, "ok", Agrees, report.Warn},
		{"404 where ok predicted", answered(404), "ok", Controller, report.Fail},
		{"502 where ok predicted", answered(502), "ok", Controller, report.Fail},
		{"refused where ok predicted", failed(probe.ExternalRefused), "ok", LoadBalancer, report.Fail},
		{"timeout where 503 predicted", failed(probe.ExternalTimedOut), "503", LoadBalancer, report.Fail},
		{"tls error", failed(probe.ExternalTLS), "ok", LoadBalancer, report.Fail},
		{"same 503", answered(503), "503 (no ready endpoint)", Backend, report.Fail},
		{"same 404", answered(404), "404", Routing, report.Fail},
		{"redirect predicted and answered", answered(301), "301", Agrees, report.Pass},
		{"redirect predicted, 200 answered", answered(200), "301", Controller, report.Fail},
		{"200 where 503 predicted", answered(200), "503", Controller, report.Fail},
		{"no answer predicted, none", failed(probe.ExternalTimedOut), "no answer", Controller, report.Fail},
		{"nothing predicted", answered(200), "unknown", Unknown, report.Warn},
	} {
		c := Compare(checks.IngExternal, tc.r, Prediction{Response: tc.pred, From: "test"})
		d := c.Data.(Data)
		if d.Verdict != tc.want || c.Status != tc.status {
			t.Errorf("%s: verdict %s status %s (%s), want %s %s", tc.name, d.Verdict, c.Status, c.Message, tc.want, tc.status)
		}
	}
}

func TestExternalRunSendsToLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer srv.Close()
	c := Run(context.Background(), checks.IngExternal, Settings{}, BuildURL("http", "a.example.com", "", "/x"), srv.Listener.Addr().String(), Prediction{Response: "ok"})
	if d := c.Data.(Data); d.Verdict != Agrees || d.URL != "http://a.example.com/x" {
		t.Fatalf("%+v", d)
	}
}
