package ingress

import (
	"strings"
	"testing"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Only the request's own backend failing ING016 predicts a 502: found live
// on the test cluster, where one refusing backend of an ingress made every
// request to it predicted 502.
func TestUnansweredIsTheRequestsBackend(t *testing.T) {
	ans := checks.IngBackendAnswers.New(report.Fail, "502: backend service refused:80 ...")
	ans.Data = []BackendProbe{
		{Backend: "service web:80", Result: probe.TCPResult{Outcome: probe.Connected, Target: "10.244.0.5:8080"}},
		{Backend: "service refused:80", Result: probe.TCPResult{Outcome: probe.Refused, Target: "10.244.0.5:9090"}},
		{Backend: "service slow:80", Result: probe.TCPResult{Outcome: probe.TimedOut, Target: "10.244.0.6:8080"}},
	}
	for _, tc := range []struct{ backend, want string }{
		{"service web:80", ""},
		{"service refused:80", "refuses connections"},
		{"service slow:80", "are dropped"},
		{"service other:80", ""},
		{"", ""},
	} {
		got := unanswered(&ans, tc.backend)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("unanswered(%q) = %q, want %q", tc.backend, got, tc.want)
		}
	}
	if got := unanswered(nil, "service refused:80"); got != "" {
		t.Errorf("no ING016: %q", got)
	}
}
