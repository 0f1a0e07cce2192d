// Package route diagnoses a Gateway API route (HTTPRoute or GRPCRoute;
// of a TLSRoute or TCPRoute, whose matching is not modelled, its parents,
// attachment and backends):
// does each parent Gateway (or ListenerSet, followed to its Gateway)
// accept it, and why not (NotAllowedByListeners,
// NoMatchingListenerHostname, NoMatchingParent), which hostnames it serves
// there, are its backends Services that exist with the port, permitted
// across namespaces by a ReferenceGrant, with ready endpoints and weights
// that send traffic somewhere; and, for one request (given, or the one its
// first rule describes), which route and rule of every route attached to
// the listener take it, by the Gateway API's precedence (package routing),
// and what the gateway answers: 404, 500, 503, a redirect, or forwarded to
// a ready endpoint, with a live probe from the data plane for 502 and 504
// and the NetworkPolicy verdict from the data plane to the backends. It
// reads the API only and never changes anything.
package route

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// Route kinds.
const (
	HTTPRoute = "HTTPRoute"
	GRPCRoute = "GRPCRoute"
	// TLSRoute and TCPRoute: their parents and backends are checked; their
	// matching (SNI, port) is not modelled.
	TLSRoute = "TLSRoute"
	TCPRoute = "TCPRoute"
)

// stream says whether kind is TLSRoute or TCPRoute.
func stream(kind string) bool { return kind == TLSRoute || kind == TCPRoute }

// Request names the route to diagnose and, optionally, one request to
// route through its parents.
type Request struct {
	// Kind is HTTPRoute (the default), GRPCRoute, TLSRoute or TCPRoute.
	Kind      string
	Namespace string
	Name      string
	// GatewayNamespace and GatewayName pick one parent Gateway; empty: every
	// parent.
	GatewayNamespace, GatewayName string
	// The request: a host (or a URL), a path (with a query; a gRPC call's
	// /Service/Method), a method and "Name=value" headers. When none is
	// given, the request the route's first rule describes is routed.
	Host, Path, Method string
	Headers            []string
	// Now is the clock for ages; time.Now when nil.
	Now func() time.Time
	// Probe says how to probe from a data-plane pod (RT011); the zero
	// value disables the probes.
	Probe probe.Settings
}

// Given says whether the user described a request.
func (r Request) Given() bool {
	return r.Host != "" || r.Path != "" || r.Method != "" || len(r.Headers) > 0
}

// Validate checks the request's parts, naming the flag at fault.
func (r Request) Validate() error {
	var err error
	if stream(r.Kind) {
		if r.Given() {
			return fmt.Errorf("--host, --path, --method and --header route a request through HTTPRoutes and GRPCRoutes; the matching of a %s is not modelled", r.Kind)
		}
		return nil
	}
	if r.Kind == GRPCRoute {
		_, err = routing.ParseGRPCRequest(r.Host, r.Path, r.Headers)
	} else {
		_, err = routing.ParseHTTPRequest(r.Host, r.Path, r.Method, r.Headers)
	}
	var bad *routing.RequestError
	if errors.As(err, &bad) {
		return fmt.Errorf("invalid --%s %q: %s", bad.Part, bad.Value, bad.Reason)
	}
	return err
}

// Diagnose runs the procedure and returns its report. It returns an error
// only when the diagnosis cannot run at all: the API server cannot be
// reached, or it does not serve the Gateway API or the route's kind.
func Diagnose(ctx context.Context, c kube.Clients, req Request) (*report.Report, error) {
	if req.Kind == "" {
		req.Kind = HTTPRoute
	}
	if req.Now == nil {
		req.Now = time.Now
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	api, err := gatewayapi.Discover(ctx, c.Typed)
	if err != nil {
		return nil, err
	}
	if !api.Served() {
		return nil, gateway.ErrNotServed
	}
	if !api.Serves(resourceOf(req.Kind)) {
		return nil, fmt.Errorf("the cluster does not serve %s (%s.%s): install its CRD from the Gateway API's standard channel", req.Kind, resourceOf(req.Kind), gatewayapi.Group)
	}
	r := gatewayapi.Reader{API: api, Dynamic: c.Dynamic}
	f, err := gather(ctx, c, r, req)
	if err != nil {
		return nil, err
	}
	rep := report.New("route", report.Object{Kind: req.Kind, Namespace: req.Namespace, Name: req.Name})
	rep.Add(checkExists(f))
	if f.route == nil {
		rep.Finish(checks.CouldNotRead(fmt.Sprintf("%s %s/%s", strings.ToLower(req.Kind), req.Namespace, req.Name)))
		return rep, nil
	}
	rep.Notes = append(rep.Notes, f.notes...)
	a := analyze(f, req)
	if err := gatherBackends(ctx, c, r, f, a); err != nil {
		return nil, err
	}
	analyzeBackends(f, a)
	rules := checkRules(f)
	if stream(f.kind) {
		rules = checks.RtRules.Skipped("a %s's rules have no matches or filters: only their backends are checked", f.kind)
	}
	rep.Add(
		checkParents(f, a),
		checkHostnames(f, a),
		rules,
		checkBackends(f, a),
		checkGrants(f, a),
		checkEndpoints(f, a),
		checkWeights(f, a),
	)
	if stream(f.kind) {
		// Parents, attachment and backends only: no request is routed.
		why := fmt.Sprintf("the matching of a %s (%s) is not modelled: its parents, attachment and backends are checked, not where a connection lands", f.kind, streamMatch(f.kind))
		rep.Add(checks.RtRequest.Skipped("%s", why), checks.RtAnswer.Skipped("%s", why))
		rep.Finish(func(_ []report.Check, def report.Verdict) report.Verdict {
			if def.Outcome == report.OK {
				def.Message += fmt.Sprintf(" (the matching of a %s is not modelled)", f.kind)
			}
			return def
		})
		return rep, nil
	}
	for _, p := range a.parents {
		live := gatherLive(ctx, c, p, req)
		perParent := []report.Check{checkRequest(f, a, p), checkPolicy(f, a, p, live), checkBackendAnswers(f, a, p, live), checkAnswer(f, a, p, live)}
		if len(a.parents) > 1 {
			for i := range perParent {
				perParent[i].Subject = "gateway " + p.key
				if !strings.Contains(perParent[i].Message, p.key) {
					perParent[i].Message = "gateway " + p.key + ": " + perParent[i].Message
				}
			}
		}
		rep.Add(perParent...)
		rep.Notes = append(rep.Notes, live.notes...)
	}
	rep.Finish(func(list []report.Check, def report.Verdict) report.Verdict { return verdict(list, def) })
	return rep, nil
}

// answerCode is the check RT010's answer rests on.
func answerCode(c *report.Check) string {
	if a, ok := c.Data.(Answer); ok {
		return a.Code
	}
	return ""
}

func resourceOf(kind string) string {
	switch kind {
	case GRPCRoute:
		return gatewayapi.GRPCRoutes
	case TLSRoute:
		return gatewayapi.TLSRoutes
	case TCPRoute:
		return gatewayapi.TCPRoutes
	}
	return gatewayapi.HTTPRoutes
}

// streamMatch is what a TLSRoute or TCPRoute matches on.
func streamMatch(kind string) string {
	if kind == TLSRoute {
		return "the SNI of the TLS connection"
	}
	return "the listener's port"
}

// verdict is about the request: what the first parent's gateway answers
// (RT010), with the first other failure when the answer is fine.
func verdict(list []report.Check, v report.Verdict) report.Verdict {
	ans := report.Find(list, checks.RtAnswer)
	if ans == nil {
		return v
	}
	switch {
	case ans.Status == report.Fail:
		// A route its parent does not accept: that is why the request
		// finds no route.
		if parents := report.Find(list, checks.RtParents); parents != nil && parents.Status == report.Fail && answerCode(ans) == string(checks.RtRequest) {
			a, _ := ans.Data.(Answer)
			return report.Verdict{Outcome: report.Problems, Code: parents.Code, Next: parents.Next,
				Message: fmt.Sprintf("%s; so request %s gets %d from gateway %s", parents.Message, a.URL, a.Status, a.Gateway)}
		}
		return report.Verdict{Outcome: report.Problems, Code: ans.Code, Message: ans.Message, Next: ans.Next}
	case v.Outcome == report.Problems && ans.Status == report.Warn:
		// The answer says it already: a share of the requests fails.
		return report.Verdict{Outcome: report.Problems, Code: v.Code, Message: ans.Message, Next: v.Next}
	case v.Outcome == report.Problems:
		return report.Verdict{Outcome: report.Problems, Code: v.Code, Message: fmt.Sprintf("%s; but %s", ans.Message, v.Message), Next: v.Next}
	case v.Outcome == report.Incomplete:
		return v
	}
	out := report.Verdict{Outcome: report.OK, Code: ans.Code, Message: ans.Message, Next: ans.Next}
	if v.Code != "" && v.Code != ans.Code {
		out.Message += "; warning: " + strings.TrimPrefix(v.Message, "No failure found; warning: ")
	}
	return out
}
