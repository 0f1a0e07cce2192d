package ingress

import (
	"fmt"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// verdict maps causes to symptoms. Checks are in procedure order and each
// failing one names what requests get (404, 503, a certificate error), so
// the first failure is the most likely root cause. With --host/--path the
// verdict is about that request. A clean report says what a 502 would still
// mean, with the command that tells.
func verdict(list []report.Check, v report.Verdict, req Request) report.Verdict {
	routes := report.Find(list, checks.IngRoutes)
	if routes == nil {
		return v
	}
	if req.routed() {
		switch {
		case routes.Status == report.Fail:
			return report.Verdict{Outcome: report.Problems, Code: routes.Code, Message: routes.Message, Next: causeNext(list, routes)}
		case v.Outcome == report.Problems:
			return report.Verdict{Outcome: report.Problems, Code: v.Code, Message: fmt.Sprintf("%s; but %s", routes.Message, v.Message), Next: v.Next}
		case v.Outcome == report.Incomplete:
			return v
		}
		return report.Verdict{Outcome: report.OK, Code: routes.Code, Message: routes.Message, Next: routes.Next}
	}
	if v.Outcome == report.OK && v.Code == "" && routes.Status == report.Pass {
		v.Message = "No problem found: " + routes.Message
		if n := forbiddenSkips(list); n > 0 {
			v.Message += fmt.Sprintf("; %d step(s) skipped for lack of permissions", n)
		}
		v.Next = routes.Next
	}
	return v
}

// causeNext is the next step for a failing request: its own, else that of
// the check that explains it.
func causeNext(list []report.Check, routes *report.Check) []string {
	if len(routes.Next) > 0 {
		return routes.Next
	}
	if d, ok := routes.Data.(Routes); ok && d.Request != nil && d.Request.Code != "" {
		for _, c := range list {
			if c.Code == d.Request.Code {
				return c.Next
			}
		}
	}
	return nil
}

func forbiddenSkips(list []report.Check) int {
	n := 0
	for _, c := range list {
		if c.Status == report.Skip && c.Forbidden != nil {
			n++
		}
	}
	return n
}
