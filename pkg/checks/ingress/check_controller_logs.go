package ingress

import (
	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/controllerpods"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkControllerLogs (ING004): what the controller itself says about this
// ingress: it rejects a backend, a certificate, an annotation. Reading logs
// goes through the kubelet and may fail; that is a skip, never an error.
func checkControllerLogs(f *facts, a *analysis) report.Check {
	code := checks.IngControllerLogs
	c := &f.controller
	if len(c.logs) == 0 {
		switch {
		case c.kind != nil && c.kind.outside != "":
			return code.Skipped("not applicable: %s", c.kind.outside)
		case c.podsErr != nil:
			return code.Skipped("skipped: the controller's pods could not be read")
		}
		return code.Skipped("no controller pods to read logs from")
	}
	return controllerpods.LogsCheck(code, c.logs, controllerpods.LogQuery{
		Needles: logNeedles(f), About: "namespace " + f.namespace, Grep: f.namespace + "/",
	})
}

// logNeedles are the strings a log line must contain to concern this
// ingress: its namespace as a key prefix (ns/name of the ingress, its
// services, its secrets), as a structured field, or one of its hosts.
func logNeedles(f *facts) []string {
	ns := f.namespace
	needles := []string{ns + "/", "namespace=" + ns, `"namespace":"` + ns + `"`}
	seen := map[string]bool{}
	for _, r := range f.ing.Spec.Rules {
		if r.Host != "" && !seen[r.Host] {
			seen[r.Host] = true
			needles = append(needles, r.Host)
		}
	}
	return needles
}

func oneLine(s string) string { return controllerpods.OneLine(s) }
