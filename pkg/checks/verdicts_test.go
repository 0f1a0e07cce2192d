package checks

import (
	"testing"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// A verdict built from a warning's own message does not repeat it, and
// counts the other warnings in the right number.
func TestSettledDoesNotRepeatItsMessage(t *testing.T) {
	matrix := report.Check{Code: "NP008", Status: report.Warn, Message: "2 pod(s): 3 of 4 flow(s) allowed, 0 denied, 1 undecided", Next: []string{"kubectl netdebug netpol a b"}}
	cni := report.Check{Code: "CNI003", Status: report.Warn, Message: "no known network plugin found"}
	other := report.Check{Code: "NP010", Status: report.Warn, Message: "policy x selects no pod"}
	tests := []struct {
		name   string
		checks []report.Check
		want   string
	}{
		{"only itself", []report.Check{matrix}, matrix.Message},
		{"itself and one other", []report.Check{cni, matrix}, matrix.Message + "; warning: no known network plugin found"},
		{"itself and two others", []report.Check{matrix, cni, other}, matrix.Message + "; warning: no known network plugin found (and 1 more warning)"},
		{"two others", []report.Check{cni, other, {Code: "X", Status: report.Warn, Message: "z"}}, matrix.Message + "; warning: no known network plugin found (and 2 more warnings)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := report.New("netpol", report.Object{Kind: "Matrix", Name: "x"})
			r.Add(tt.checks...)
			r.Finish(Settled(matrix.Message))
			if r.Verdict.Message != tt.want || r.Verdict.Outcome != report.OK || r.Verdict.Code != tt.checks[0].Code {
				t.Errorf("verdict %+v, want %q", r.Verdict, tt.want)
			}
		})
	}
}
