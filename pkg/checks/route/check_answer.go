package route

import (
	"fmt"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Answer is the Data of RT010: what the gateway answers the request.
type Answer struct {
	// Status: 404 (no route matches), 500 (invalid backends, every weight
	// 0, no backendRefs), 503 (no ready endpoint), 502 or 504 (the probe
	// from the data plane was refused or dropped), a redirect's status,
	// 200 when the request is forwarded to a ready endpoint; 0 when
	// nothing answers (no listener, the gateway not programmed). These
	// are the spec's answers; where the GatewayClass's controller is known
	// to answer otherwise (controllers.go), its answer, and Reason names it.
	Status int    `json:"status"`
	Reason string `json:"reason"`
	// Route ("namespace/name") and Rule (from 1) that take the request;
	// empty and 0 for a 404.
	Route string `json:"route"`
	Rule  int    `json:"rule"`
	// Backends of the rule, "namespace/service:port".
	Backends []string `json:"backends"`
	Gateway  string   `json:"gateway"`
	Listener string   `json:"listener,omitempty"`
	URL      string   `json:"url"`
	// Code is the check that explains the answer.
	Code string `json:"code,omitempty"`
}

// predict is what the gateway answers the request routed through p.
func predict(f *facts, p *parent, l *live) (Answer, []string) {
	ans := Answer{Gateway: p.key, URL: p.req.url, Backends: []string{}}
	if p.listener != nil {
		ans.Listener = string(p.listener.Name)
	}
	gwNext := []string{"kubectl netdebug gateway " + p.key}
	switch {
	case p.pg.gw == nil:
		ans.Reason, ans.Code = fmt.Sprintf("gateway %s does not exist", p.key), string(checks.RtParents)
		return ans, []string{"kubectl get gateways -A"}
	case p.blocked != "":
		ans.Reason, ans.Code = "no answer: "+p.blocked, string(checks.RtRequest)
		return ans, gwNext
	case p.notFound != "":
		ans.Status, ans.Reason, ans.Code = 404, p.notFound, string(checks.RtRequest)
		return ans, gwNext
	case p.winner == nil:
		ans.Status, ans.Code = 404, string(checks.RtRequest)
		ans.Reason = fmt.Sprintf("no rule of the %d route(s) attached to listener %s matches", len(p.onListener), p.listener.Name)
		if len(p.onListener) == 0 {
			ans.Reason = fmt.Sprintf("no route is attached to listener %s", p.listener.Name)
		}
		if p.notAttached != "" {
			ans.Reason += "; " + p.notAttached
		}
		return ans, gwNext
	}
	w := p.winner
	ans.Route, ans.Rule = w.route.Key(), w.rule+1
	for _, rb := range w.refs {
		ans.Backends = append(ans.Backends, rb.b.label())
	}
	if l.read && len(l.dp.Pods) > 0 && len(l.dp.ReadyDataPlane()) == 0 {
		ans.Reason, ans.Code = fmt.Sprintf("no answer: none of the %d data-plane pod(s) of gateway %s is ready", len(l.dp.Pods), p.key), string(checks.GwController)
		return ans, gwNext
	}
	rules := rulesOf(w.route)
	if w.rule < len(rules) {
		for _, fl := range rules[w.rule].filters {
			if fl.redirect != 0 {
				ans.Status, ans.Reason, ans.Code = fl.redirect, "redirected by the rule's filter: "+fl.text, string(checks.RtRules)
				return ans, nil
			}
		}
	}
	if len(w.refs) == 0 {
		ans.Status, ans.Reason, ans.Code = 500, fmt.Sprintf("%s of %s has no backendRefs", ruleName(w), w.route.Label()), string(checks.RtWeights)
		return ans, nil
	}
	// im: where the Gateway's implementation answers otherwise than the
	// spec (controllers.go).
	im := implementationOf(p.pg.class)
	s := shareOf(w.refs)
	var noSlices int32
	var firstInvalid, firstEmpty, firstNoSlices, firstOK *backend
	for _, rb := range w.refs {
		if rb.weight <= 0 {
			continue
		}
		switch b := rb.b; {
		case im.noSlicesAnswer(b):
			s.noEndpoints -= rb.weight
			noSlices += rb.weight
			if firstNoSlices == nil {
				firstNoSlices = b
			}
		case b.state.invalid() && firstInvalid == nil:
			firstInvalid = b
		case b.state == backendNoEndpoint && firstEmpty == nil:
			firstEmpty = b
		case !b.state.invalid() && b.state != backendNoEndpoint && firstOK == nil:
			firstOK = b
		}
	}
	switch {
	case s.total == 0 && im.zeroWeights.status != 0:
		ans.Status, ans.Code = im.zeroWeights.status, string(checks.RtWeights)
		ans.Reason = im.zeroWeights.reason(fmt.Sprintf("every backendRef of %s has weight 0", ruleName(w)))
		return ans, nil
	case s.total == 0:
		ans.Status, ans.Reason, ans.Code = 500, fmt.Sprintf("every backendRef of %s has weight 0", ruleName(w)), string(checks.RtWeights)
		return ans, nil
	case s.ok == 0 && s.noEndpoints == 0 && s.invalid == 0:
		ans.Status, ans.Reason, ans.Code = im.noSlices.status, im.noSlices.reason(firstNoSlices.why), string(checks.RtEndpoints)
		return ans, []string{fmt.Sprintf("kubectl netdebug service %s -n %s", firstNoSlices.name, firstNoSlices.namespace)}
	case s.ok == 0 && s.noEndpoints == 0:
		ans.Status, ans.Reason, ans.Code = 500, firstInvalid.why, invalidCode(firstInvalid)
		return ans, invalidNext(firstInvalid)
	case s.ok == 0:
		ans.Status, ans.Reason, ans.Code = 503, firstEmpty.why, string(checks.RtEndpoints)
		return ans, []string{fmt.Sprintf("kubectl netdebug service %s -n %s", firstEmpty.name, firstEmpty.namespace)}
	}
	// Forwarded: what the probes from the data plane found.
	var refused, dropped, connected []string
	for _, pr := range l.probes {
		switch pr.Result.Outcome {
		case probe.Refused:
			refused = append(refused, pr.Backend)
		case probe.TimedOut, probe.Unreachable:
			dropped = append(dropped, pr.Backend)
		case probe.Connected:
			connected = append(connected, pr.Backend)
		}
	}
	switch {
	case len(connected) == 0 && len(refused) > 0:
		ans.Status, ans.Code = 502, string(checks.RtBackendProbe)
		ans.Reason = fmt.Sprintf("forwarded to %s, whose endpoint refuses connections from the data plane", strings.Join(refused, ", "))
		return ans, nil
	case len(connected) == 0 && len(dropped) > 0:
		ans.Status, ans.Code = 504, string(checks.RtBackendProbe)
		ans.Reason = fmt.Sprintf("forwarded to %s, whose endpoint does not answer the data plane (connections dropped)", strings.Join(dropped, ", "))
		return ans, nil
	}
	ans.Status = 200
	ans.Reason = "forwarded to " + describeOK(w.refs)
	var partial []string
	if s.invalid > 0 {
		partial = append(partial, fmt.Sprintf("%d%% get 500 (%s)", percent(s.invalid, s.total), firstInvalid.why))
	}
	if s.noEndpoints > 0 {
		partial = append(partial, fmt.Sprintf("%d%% get 503 (%s)", percent(s.noEndpoints, s.total), firstEmpty.why))
	}
	if noSlices > 0 {
		partial = append(partial, fmt.Sprintf("%d%% get %d (%s)", percent(noSlices, s.total), im.noSlices.status, im.noSlices.reason(firstNoSlices.why)))
	}
	if len(partial) > 0 {
		ans.Reason += "; but " + strings.Join(partial, ", ")
	}
	if len(l.probes) == 0 {
		ans.Reason += "; a 502 would mean its pods do not answer on their port (not probed)"
	}
	return ans, nil
}

func describeOK(refs []ruleBackend) string {
	var parts []string
	for _, rb := range refs {
		b := rb.b
		if rb.weight <= 0 || b.state.invalid() || b.state == backendNoEndpoint {
			continue
		}
		switch b.state {
		case backendOK:
			parts = append(parts, fmt.Sprintf("%s (%d ready endpoint(s))", b.label(), b.ready))
		case backendExternalName:
			parts = append(parts, fmt.Sprintf("%s (ExternalName %s)", b.label(), b.svc.Spec.ExternalName))
		case backendUnknown:
			parts = append(parts, fmt.Sprintf("%s (not followed: %v)", b.label(), b.unknownErr))
		default:
			parts = append(parts, b.label()+" (not followed)")
		}
	}
	return strings.Join(parts, ", ")
}

func invalidCode(b *backend) string {
	if b.reason == gwv1.RouteReasonRefNotPermitted {
		return string(checks.RtGrants)
	}
	return string(checks.RtBackends)
}

func invalidNext(b *backend) []string {
	if b.reason == gwv1.RouteReasonRefNotPermitted {
		return []string{fmt.Sprintf("create a ReferenceGrant in namespace %s from %s in namespace %s to Service %s", b.namespace, b.fromKind, b.fromNamespace, b.name)}
	}
	return []string{fmt.Sprintf("kubectl -n %s get services", b.namespace)}
}

// checkAnswer (RT010): what the gateway answers the request.
func checkAnswer(f *facts, a *analysis, p *parent, l *live) report.Check {
	code := checks.RtAnswer
	ans, next := predict(f, p, l)
	var c report.Check
	gets := fmt.Sprintf("%d", ans.Status)
	if ans.Status == 0 {
		gets = "no answer"
	}
	switch {
	case ans.Status >= 200 && ans.Status < 400:
		c = code.New(report.Pass, "request %s gets %s from gateway %s: %s", ans.URL, gets, p.key, ans.Reason)
		if ans.Route != "" {
			c.Message = fmt.Sprintf("request %s gets %s from gateway %s (%s rule %d): %s", ans.URL, gets, p.key, ans.Route, ans.Rule, ans.Reason)
		}
		if strings.Contains(ans.Reason, "; but ") {
			c.Status = report.Warn
		}
	default:
		c = code.New(report.Fail, "request %s gets %s from gateway %s: %s", ans.URL, gets, p.key, strings.TrimPrefix(ans.Reason, "no answer: "))
	}
	c.Next = next
	c.Data = ans
	return c
}
