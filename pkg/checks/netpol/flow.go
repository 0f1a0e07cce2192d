package netpol

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/flowcheck"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// FlowRequest is `netpol SRC DST`.
type FlowRequest struct {
	Src, Dst Arg
	// Ports are checked in order; empty means every port the destination
	// pod declares.
	Ports []Port
	// Protocol keeps only the declared ports of this protocol ("" = all).
	Protocol corev1.Protocol
	// WhatIf, when set, judges the flow with these policies added or
	// replacing existing ones, and lists what changes.
	WhatIf *WhatIf
	// Describe is the command line that describes a pod with the same
	// source of policies (for next steps), with %s for the pod.
	Describe string
}

// FlowData is one port of a flow in JSON (NP005 data, a list). Result
// ("Allowed", "Denied", "Undecided") is authoritative; Allowed repeats it as
// a boolean and is absent (nil) when the flow is undecided, so that an
// undecided flow never reads as a deny.
type FlowData struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int32  `json:"port"`
	PortName string `json:"portName,omitempty"`
	Protocol string `json:"protocol"`
	Allowed  *bool  `json:"allowed,omitempty"`
	Result   string `json:"result"`
	Reason   string `json:"reason"`
	// Before is, in what-if mode, the result with the current policies.
	Before               string          `json:"before,omitempty"`
	Egress               SideVerdictData `json:"egress"`
	Ingress              SideVerdictData `json:"ingress"`
	Caveats              []CaveatData    `json:"caveats,omitempty"`
	IfHostNetworkIgnored string          `json:"ifHostNetworkIgnored,omitempty"`
}

// Flow answers `netpol SRC DST`: the verdict on each port, each side
// explained. The error is for a question that cannot be asked (no port to
// check); everything the cluster answered is in the report.
func Flow(w *World, req FlowRequest) (*report.Report, error) {
	title := fmt.Sprintf("Traffic %s -> %s", req.Src.Name(), req.Dst.Name())
	if req.WhatIf != nil {
		title += " (what-if)"
	}
	rep := newReport(w, CommandNetpol, report.FlowObject(req.Src.object(), req.Dst.object()), title)
	ep := checkEndpoints(w, []string{"source", "destination"}, []Arg{req.Src, req.Dst})
	rep.Add(ep, checkPolicies(w))
	if w.ReadErr != nil || ep.Status == report.Error {
		rep.Finish(checks.CouldNot("judge the flow"))
		return rep, nil
	}
	ports, err := portsToCheck(w, req)
	if err != nil {
		return nil, err
	}
	engine := w.Engine
	var changes []FlowChangeData
	var whatIf report.Check
	flows := make([]policy.Flow, len(ports))
	for i, p := range ports {
		flows[i] = policy.Flow{Src: req.Src.Endpoint(), Dst: req.Dst.Endpoint(), Protocol: p.Protocol, Port: p.Port}
	}
	var before []policy.Result
	if req.WhatIf != nil {
		after, actions := w.withPolicies(req.WhatIf)
		engine = after
		for _, f := range flows {
			before = append(before, w.Engine.Decide(f))
		}
		changes = flowChanges(policy.Compare(w.Engine, after, flows), ports)
		whatIf = checkWhatIf(req.WhatIf, actions, changes, len(flows), "port(s) checked")
	}
	verdicts := make([]policy.Verdict, len(flows))
	for i, f := range flows {
		verdicts[i] = engine.Evaluate(f)
		// A port taken from the declared ports keeps its name in labels.
		if verdicts[i].Port.Name == "" {
			verdicts[i].Port.Name = ports[i].Name
		}
	}
	if len(verdicts) == 1 && verdicts[0].Port.Number != 0 {
		// One port checked: scripts read it from the target too.
		rep.Target.Port, rep.Target.Protocol = verdicts[0].Port.Number, string(verdicts[0].Port.Protocol)
	}
	fc := checkFlow(w, req, verdicts, before)
	rep.Add(fc)
	for _, v := range verdicts {
		rep.Add(checkSide(v, v.Egress, req.Src.Endpoint(), w.Cluster), checkSide(v, v.Ingress, req.Dst.Endpoint(), w.Cluster))
	}
	if req.WhatIf != nil {
		rep.Add(whatIf)
	}
	if w.AllPods {
		scope := map[policy.PolicyRef]bool{}
		for _, v := range verdicts {
			for _, sv := range []policy.SideVerdict{v.Egress, v.Ingress} {
				for _, p := range sv.SelectingPolicies {
					scope[p] = true
				}
				for _, m := range sv.Admin {
					scope[m.Policy] = true
				}
			}
		}
		rep.Add(checkFindings(engine, scope))
	}
	undecided := ""
	for _, v := range verdicts {
		if v.Result == policy.Undecided {
			undecided = "Undecided: " + strings.TrimPrefix(v.Reason, "undecided: ")
			break
		}
	}
	rep.Finish(func(list []report.Check, def report.Verdict) report.Verdict {
		if def.Outcome == report.OK && undecided != "" {
			return report.Verdict{Outcome: report.Incomplete, Code: string(checks.NPFlow), Message: undecided}
		}
		return checks.Settled(fc.Message)(list, def)
	})
	return rep, nil
}

// checkFlow (NP005): the verdict on each port. A deny is the problem found
// (fail); an undecided port leaves the question open (warn, and the report
// is incomplete); an allow that rests on an assumption warns.
func checkFlow(w *World, req FlowRequest, verdicts []policy.Verdict, before []policy.Result) report.Check {
	code := checks.NPFlow
	var allowed, denied, undecided []string
	var firstDenied, firstUndecided *policy.Verdict
	data := make([]FlowData, 0, len(verdicts))
	doubt := false
	for i := range verdicts {
		v := &verdicts[i]
		label := portLabel(v.Port.Protocol, v.Port.Number, v.Port.Name)
		switch v.Result {
		case policy.Allowed:
			allowed = append(allowed, label)
		case policy.Denied:
			denied = append(denied, label)
			if firstDenied == nil {
				firstDenied = v
			}
		default:
			undecided = append(undecided, label)
			if firstUndecided == nil {
				firstUndecided = v
			}
		}
		if doubtful(v.Caveats) {
			doubt = true
		}
		d := FlowData{
			From: podText(v.Flow.Src), To: podText(v.Flow.Dst), Port: v.Port.Number, PortName: v.Port.Name,
			Protocol: string(v.Port.Protocol), Allowed: flowcheck.AllowedJSON(v.Result), Result: string(v.Result), Reason: v.Reason,
			Egress: sideData(v.Egress), Ingress: sideData(v.Ingress), Caveats: caveatData(v.Caveats),
			IfHostNetworkIgnored: string(v.IfHostNetworkIgnored),
		}
		if before != nil {
			d.Before = string(before[i])
		}
		data = append(data, d)
	}
	n := len(verdicts)
	var c report.Check
	switch {
	case firstDenied != nil:
		c = code.New(report.Fail, "%s", firstDenied.Reason)
		if n > 1 {
			c.Message += fmt.Sprintf("; denied on %d of %d ports: %s", len(denied), n, strings.Join(denied, ", "))
			if len(allowed) > 0 {
				c.Message += "; allowed on " + strings.Join(allowed, ", ")
			}
		}
		c.Next = flowNext(req, *firstDenied, w.Cluster)
	case firstUndecided != nil:
		c = code.New(report.Warn, "%s", firstUndecided.Reason)
		if n > 1 {
			c.Message += fmt.Sprintf("; undecided on %d of %d ports: %s", len(undecided), n, strings.Join(undecided, ", "))
		}
	default:
		c = code.New(report.Pass, "allowed on %s", strings.Join(allowed, ", "))
		if n > 1 {
			c.Message = fmt.Sprintf("allowed on all %d ports: %s", n, strings.Join(allowed, ", "))
		}
		if doubt {
			c.Status = report.Warn
			c.Message += ", with caveats"
		}
	}
	if before != nil {
		var changed []string
		for i, v := range verdicts {
			if before[i] != v.Result {
				changed = append(changed, fmt.Sprintf("%s was %s", portLabel(v.Port.Protocol, v.Port.Number, v.Port.Name), before[i]))
			}
		}
		if len(changed) > 0 {
			c.Message += " with the what-if policies (without them: " + strings.Join(changed, ", ") + ")"
		} else {
			c.Message += " with the what-if policies, as without them"
		}
	}
	for i, v := range verdicts {
		value := string(v.Result)
		if before != nil && before[i] != v.Result {
			value += fmt.Sprintf(" (was %s)", before[i])
		}
		if v.Result == policy.Undecided {
			value += ": " + v.Reason
		}
		c.Facts = append(c.Facts, report.Fact{Name: portLabel(v.Port.Protocol, v.Port.Number, v.Port.Name), Value: value})
		if v.IfHostNetworkIgnored != "" && v.IfHostNetworkIgnored != v.Result {
			c.Facts = append(c.Facts, report.Fact{Name: "if hostNetwork is ignored", Value: string(v.IfHostNetworkIgnored)})
		}
	}
	seen := map[string]bool{}
	for _, v := range verdicts {
		for _, cv := range v.Caveats {
			if !seen[cv.Message] {
				seen[cv.Message] = true
				c.Facts = append(c.Facts, report.Fact{Name: "caveat", Value: cv.Message})
			}
		}
	}
	c.Data = data
	return c
}

// flowNext: the policies that decided the deny, and the description of the
// pod whose side denied.
func flowNext(req FlowRequest, v policy.Verdict, cluster bool) []string {
	var next []string
	side := v.Ingress
	if v.Egress.Result == policy.Denied {
		side = v.Egress
	}
	if cluster {
		next = denyNext(side)
	}
	if req.Describe != "" && side.Pod.Name != "" {
		next = append(next, fmt.Sprintf(req.Describe, side.Pod.String()))
	}
	return next
}
