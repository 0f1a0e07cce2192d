package ingress

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// maxLogLines is how many matching lines are reported per pod.
const maxLogLines = 5

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
	needles := logNeedles(f)
	var facts []report.Fact
	var found, failed int
	var firstErr error
	var objects []report.Object
	for _, l := range c.logs {
		where := l.namespace + "/" + l.pod
		objects = append(objects, report.Object{Kind: "Pod", Namespace: l.namespace, Name: l.pod})
		if l.err != nil {
			failed++
			if firstErr == nil {
				firstErr = l.err
			}
			facts = append(facts, report.Fact{Name: "logs of " + where, Value: "unreadable: " + oneLine(l.err.Error())})
			continue
		}
		lines := relevantLines(l.text, needles)
		found += len(lines)
		if len(lines) == 0 {
			facts = append(facts, report.Fact{Name: "logs of " + where, Value: fmt.Sprintf("no error or warning about namespace %s in the last %d lines", f.namespace, logTail)})
		}
		for _, line := range lines {
			facts = append(facts, report.Fact{Name: where, Value: line})
		}
	}
	var chk report.Check
	switch {
	case failed == len(c.logs):
		var fe *kube.ForbiddenError
		if errors.As(firstErr, &fe) {
			chk = code.FromError("reading the controller's logs", firstErr)
		} else {
			chk = code.Skipped("could not read the controller's logs (the API server reads them from the node's kubelet): %s", oneLine(firstErr.Error()))
			if len(c.logs) > 1 {
				chk.Facts = facts
			}
		}
		chk.Next = append(chk.Next, fmt.Sprintf("kubectl -n %s logs %s --tail=%d", c.logs[0].namespace, c.logs[0].pod, logTail))
	case found > 0:
		chk = code.New(report.Warn, "the controller logged %d error or warning line(s) about namespace %s recently", found, f.namespace)
		chk.Facts = facts
		chk.Next = []string{fmt.Sprintf("kubectl -n %s logs %s --tail=%d | grep %s/", c.logs[0].namespace, c.logs[0].pod, logTail, f.namespace)}
	default:
		chk = code.New(report.Pass, "no error or warning about namespace %s in the controller's recent logs", f.namespace)
		chk.Facts = facts
	}
	chk.Objects = objects
	return chk
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

// levelRE matches the error and warning lines of the log formats ingress
// controllers use: klog (E1127 12:00:00...), logfmt and JSON levels, and
// NGINX's error log ([error], [warn], [crit]).
var levelRE = regexp.MustCompile(`(?i)^[EW]\d{4} |level=(error|warn|warning|fatal)\b|"level":\s*"(error|warn|warning|fatal)"|\[(error|warn|crit|alert|emerg)\]`)

// relevantLines are the error and warning lines that contain a needle, the
// most recent last, at most maxLogLines, each shortened to one line.
func relevantLines(text string, needles []string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if !levelRE.MatchString(line) {
			continue
		}
		for _, n := range needles {
			if strings.Contains(line, n) {
				out = append(out, oneLine(line))
				break
			}
		}
	}
	if len(out) > maxLogLines {
		out = out[len(out)-maxLogLines:]
	}
	return out
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 240 {
		s = s[:237] + "..."
	}
	return s
}
