// Package flowcheck turns policy-engine verdicts for a few flows into one
// check, for procedures whose question includes "does policy let this
// through" (pod to pod, service backends, DNS).
package flowcheck

import (
	"fmt"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Result is one judged flow (an element of the check's Data). Result
// ("Allowed", "Denied", "Undecided") is authoritative; Allowed is absent
// (nil) when the flow is undecided, so that it never reads as a deny.
type Result struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
	Allowed  *bool  `json:"allowed,omitempty"`
	Result   string `json:"result"`
	Reason   string `json:"reason"`
}

// Judge evaluates the flows; the first denied one decides the check.
func Judge(code checks.Code, eng *policy.Engine, flows []policy.Flow) (report.Check, []policy.Verdict) {
	verdicts := make([]policy.Verdict, 0, len(flows))
	results := make([]Result, 0, len(flows))
	var denied, undecided []int
	for i, f := range flows {
		v := eng.Evaluate(f)
		verdicts = append(verdicts, v)
		results = append(results, Result{
			From: endpoint(f.Src), To: endpoint(f.Dst), Port: v.Port.Number, Protocol: string(v.Port.Protocol),
			Allowed: AllowedJSON(v.Result), Result: string(v.Result), Reason: v.Reason,
		})
		switch v.Result {
		case policy.Denied:
			denied = append(denied, i)
		case policy.Undecided:
			undecided = append(undecided, i)
		}
	}
	var c report.Check
	switch {
	case len(flows) == 0:
		return code.Skipped("no flow to judge"), nil
	case len(denied) > 0:
		v := verdicts[denied[0]]
		c = code.New(report.Fail, "NetworkPolicy %s", v.Reason)
		c.Next = []string{fmt.Sprintf("kubectl netdebug netpol %s %s --port %d --protocol %s", endpoint(v.Flow.Src), endpoint(v.Flow.Dst), v.Port.Number, v.Port.Protocol)}
	case len(undecided) > 0:
		c = code.New(report.Warn, "NetworkPolicy verdict undecided: %s", verdicts[undecided[0]].Reason)
	default:
		c = code.New(report.Pass, "NetworkPolicy %s", summary(verdicts))
	}
	for _, v := range verdicts {
		c.Facts = append(c.Facts, Facts(v)...)
	}
	c.Data = results
	return c, verdicts
}

// AllowedJSON is the "allowed" of a judged flow in JSON: true or false when
// the result is decided, nil (left out) when it is Undecided.
func AllowedJSON(r policy.Result) *bool {
	if r != policy.Allowed && r != policy.Denied {
		return nil
	}
	b := r == policy.Allowed
	return &b
}

// Facts explains one verdict side by side, misses closest first.
func Facts(v policy.Verdict) []report.Fact {
	flow := fmt.Sprintf("%s -> %s %s/%d", endpoint(v.Flow.Src), endpoint(v.Flow.Dst), v.Port.Protocol, v.Port.Number)
	facts := []report.Fact{
		{Name: flow + " egress", Value: v.Egress.Reason},
		{Name: flow + " ingress", Value: v.Ingress.Reason},
	}
	for _, side := range []policy.SideVerdict{v.Egress, v.Ingress} {
		for i, m := range side.Misses {
			if i == 3 {
				facts = append(facts, report.Fact{Name: "  more misses", Value: fmt.Sprintf("%d more", len(side.Misses)-3)})
				break
			}
			facts = append(facts, report.Fact{Name: "  miss", Value: m.Reason})
		}
	}
	for _, cv := range v.Caveats {
		facts = append(facts, report.Fact{Name: "caveat", Value: cv.Message})
	}
	return facts
}

// summary of all-allowed verdicts: one reason, or a count.
func summary(vs []policy.Verdict) string {
	if len(vs) == 1 {
		return vs[0].Reason
	}
	var ports []string
	for _, v := range vs {
		ports = append(ports, fmt.Sprintf("%s/%d", v.Port.Protocol, v.Port.Number))
	}
	return fmt.Sprintf("allows all %d flows (%s)", len(vs), strings.Join(uniq(ports), ", "))
}

func endpoint(e policy.Endpoint) string {
	if e.IsPod() {
		return e.Pod.String()
	}
	return e.IP.String()
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
