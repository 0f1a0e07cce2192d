package dns

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// logPattern is a class of DNS server error worth counting.
type logPattern struct {
	name  string
	re    *regexp.Regexp
	fatal bool
	hint  string
}

var logPatterns = []logPattern{
	{"loop detected", regexp.MustCompile(`plugin/loop: Loop .* detected`), true, "the forward target resolves back to CoreDNS: point forward at a real upstream, not a resolv.conf with 127.0.0.x"},
	{"upstream i/o timeout", regexp.MustCompile(`i/o timeout`), false, "the upstream resolver does not answer: check the forward target and egress from the DNS pods"},
	{"connection refused", regexp.MustCompile(`connection refused`), false, "something CoreDNS talks to refuses connections (upstream resolver or the API server)"},
	{"SERVFAIL", regexp.MustCompile(`SERVFAIL`), false, "the upstream answered SERVFAIL"},
	{"API access", regexp.MustCompile(`(?i)failed to (list|watch)|unauthorized|forbidden`), true, "CoreDNS cannot read Services/EndpointSlices: check its RBAC and the API server"},
	{"other error", regexp.MustCompile(`\[ERROR\]|\[FATAL\]`), false, ""},
}

// LogFinding is one class of error found in the DNS logs (Data of DNS006).
type LogFinding struct {
	Kind    string `json:"kind"`
	Count   int    `json:"count"`
	Example string `json:"example"`
	Pod     string `json:"pod"`
}

// checkLogs (DNS006): errors in the DNS pods' recent logs, counted by kind
// and quoted (the newest example of each).
func checkLogs(f *Facts) report.Check {
	code := checks.DNSLogs
	if len(f.Logs) == 0 && len(f.LogErrs) == 0 {
		return code.Skipped("no running DNS pod to read logs from")
	}
	findings := classifyLogs(f.Logs)
	var c report.Check
	var fatal bool
	for _, fd := range findings {
		for _, p := range logPatterns {
			if p.name == fd.Kind && p.fatal {
				fatal = true
			}
		}
	}
	switch {
	case len(findings) == 0 && len(f.Logs) == 0:
		// every read failed
		names := sortedKeys(f.LogErrs)
		c = code.FromError("reading the DNS pods' logs", f.LogErrs[names[0]])
		if c.Status == report.Error {
			c.Status = report.Warn
			c.Message = "could not read the DNS pods' logs: " + f.LogErrs[names[0]].Error()
		}
		return c
	case len(findings) == 0:
		c = code.New(report.Pass, "no errors in the last lines of %d DNS pod log(s)", len(f.Logs))
	default:
		var parts []string
		for _, fd := range findings {
			parts = append(parts, fmt.Sprintf("%d %s", fd.Count, fd.Kind))
		}
		status := report.Warn
		if fatal {
			status = report.Fail
		}
		c = code.New(status, "DNS pod logs show %s, e.g. %q", strings.Join(parts, ", "), findings[0].Example)
		for _, fd := range findings {
			c.Facts = append(c.Facts, report.Fact{Name: fmt.Sprintf("%s (%d, pod %s)", fd.Kind, fd.Count, fd.Pod), Value: fd.Example})
			for _, p := range logPatterns {
				if p.name == fd.Kind && p.hint != "" {
					c.Next = append(c.Next, p.hint)
				}
			}
		}
		c.Data = findings
	}
	for _, name := range sortedKeys(f.LogErrs) {
		c.Facts = append(c.Facts, report.Fact{Name: "log of " + name, Value: "not read: " + f.LogErrs[name].Error()})
	}
	return c
}

// classifyLogs counts each line under the first pattern it matches, keeping
// the newest example; most frequent first.
func classifyLogs(logs map[string]string) []LogFinding {
	byKind := map[string]*LogFinding{}
	for _, pod := range sortedKeys(logs) {
		for _, line := range strings.Split(logs[pod], "\n") {
			for _, p := range logPatterns {
				if !p.re.MatchString(line) {
					continue
				}
				fd, ok := byKind[p.name]
				if !ok {
					fd = &LogFinding{Kind: p.name}
					byKind[p.name] = fd
				}
				fd.Count++
				fd.Example, fd.Pod = trim(line), pod
				break
			}
		}
	}
	out := make([]LogFinding, 0, len(byKind))
	for _, fd := range byKind {
		out = append(out, *fd)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

func trim(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 240 {
		return s[:237] + "..."
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
