package cni

import (
	"fmt"
	"sort"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// CheckAgents (CNI002): on every node in scope each agent has a ready pod;
// a missing or failing agent breaks pod networking on that node only.
func CheckAgents(f *Facts) report.Check {
	code := checks.CNIAgents
	if len(f.Info.Agents) == 0 {
		return code.Skipped("no known CNI agent to check")
	}
	if f.AgentPodsErr != nil && len(f.AgentPods) == 0 {
		return code.FromError("listing the CNI agent pods", f.AgentPodsErr)
	}
	var bad, warn []string
	c := code.New(report.Pass, "")
	for _, a := range f.Info.Agents {
		byNode := f.AgentPods[a.Namespace+"/"+a.DaemonSet]
		for _, n := range f.Nodes {
			pods := byNode[n.Name]
			if len(pods) == 0 {
				bad = append(bad, fmt.Sprintf("no %s pod on node %s", a.Plugin, n.Name))
				continue
			}
			for i := range pods {
				s := podstatus.Of(&pods[i], nil, f.now)
				v := fmt.Sprintf("%s pod %s: %s, ready=%t, restarts=%d", a.Plugin, s.Name, s.Phase, s.Ready, s.Restarts)
				switch {
				case !s.Ready:
					bad = append(bad, fmt.Sprintf("%s pod %s on node %s is not ready: %s", a.Plugin, s.Name, n.Name, s.Reason))
					v += "; " + s.Reason
				case s.Restarts > 0:
					warn = append(warn, fmt.Sprintf("%s pod %s on node %s restarted %d time(s)", a.Plugin, s.Name, n.Name, s.Restarts))
				}
				c.Facts = append(c.Facts, report.Fact{Name: "node " + n.Name, Value: v})
				c.Objects = append(c.Objects, report.Object{Kind: "Pod", Namespace: pods[i].Namespace, Name: pods[i].Name})
			}
		}
	}
	sort.Strings(bad)
	switch {
	case len(f.Nodes) == 0:
		c.Status, c.Message = report.Skip, "no nodes to check agents on"
	case len(bad) > 0:
		c.Status, c.Message = report.Fail, strings.Join(bad, "; ")
		c.Next = []string{fmt.Sprintf("kubectl -n %s get pods -o wide", f.Info.Agents[0].Namespace)}
	case len(warn) > 0:
		c.Status, c.Message = report.Warn, strings.Join(warn, "; ")
	default:
		c.Message = fmt.Sprintf("CNI agents ready on %d node(s)", len(f.Nodes))
	}
	return c
}

// CheckAgentLogs (CNI003): error lines in the agents' recent logs.
func CheckAgentLogs(f *Facts) report.Check {
	code := checks.CNIAgentLogs
	if len(f.Logs) == 0 && len(f.LogErrs) == 0 {
		return code.Skipped("no CNI agent pod to read logs from")
	}
	type hit struct {
		pod   string
		count int
		last  string
	}
	var hits []hit
	keys := make([]string, 0, len(f.Logs))
	for k := range f.Logs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h := hit{pod: k}
		for _, line := range strings.Split(f.Logs[k], "\n") {
			if errorLine.MatchString(line) {
				h.count++
				h.last = strings.TrimSpace(line)
			}
		}
		if h.count > 0 {
			hits = append(hits, h)
		}
	}
	var c report.Check
	switch {
	case len(hits) > 0:
		total := 0
		for _, h := range hits {
			total += h.count
		}
		c = code.New(report.Warn, "%d error line(s) in the last hour of %d CNI agent log(s), latest: %q", total, len(hits), trim(hits[0].last))
		for _, h := range hits {
			c.Facts = append(c.Facts, report.Fact{Name: fmt.Sprintf("%s (%d errors)", h.pod, h.count), Value: trim(h.last)})
		}
		c.Next = []string{"kubectl -n " + strings.SplitN(hits[0].pod, "/", 2)[0] + " logs " + strings.SplitN(hits[0].pod, "/", 2)[1] + " --since=1h"}
	case len(f.Logs) > 0:
		c = code.New(report.Pass, "no error lines in the last hour of %d CNI agent log(s)", len(f.Logs))
	default:
		var first error
		for _, e := range f.LogErrs {
			first = e
			break
		}
		c = code.FromError("reading CNI agent logs", first)
		if c.Status == report.Error {
			c.Status, c.Message = report.Warn, "could not read CNI agent logs: "+first.Error()
		}
	}
	for k, e := range f.LogErrs {
		c.Facts = append(c.Facts, report.Fact{Name: "log of " + k, Value: "not read: " + e.Error()})
	}
	return c
}

func trim(s string) string {
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}
