package route

import (
	"fmt"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// BackendState is one entry of the Data of RT005 and RT007.
type BackendState struct {
	Backend string `json:"backend"`
	// State: ok, externalName, otherKind, unknown, refNotPermitted,
	// notFound, noPort, noEndpoints.
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Ready  int    `json:"ready"`
	Total  int    `json:"total"`
}

var stateNames = map[backendState]string{
	backendOK: "ok", backendExternalName: "externalName", backendOtherKind: "otherKind", backendUnknown: "unknown",
	backendNoGrant: "refNotPermitted", backendNoService: "notFound", backendNoPort: "noPort", backendNoEndpoint: "noEndpoints",
}

// routeBackends are the distinct backends of this route's rules, in rule
// order, with the rules that use each (from 1).
func routeBackends(f *facts, a *analysis) ([]*backend, map[*backend][]int) {
	var out []*backend
	rules := map[*backend][]int{}
	for i := range rulesOf(f.route) {
		for _, rb := range a.ruleBackends(f.route, i) {
			if _, seen := rules[rb.b]; !seen {
				out = append(out, rb.b)
			}
			rules[rb.b] = append(rules[rb.b], i+1)
		}
	}
	return out, rules
}

func rulesLabel(rules []int) string {
	var s []string
	for _, r := range rules {
		s = append(s, fmt.Sprint(r))
	}
	return "rule " + strings.Join(s, ", ")
}

// checkBackends (RT005): every backendRef names a Service that exists,
// with the port given; others are not followed.
func checkBackends(f *facts, a *analysis) report.Check {
	code := checks.RtBackends
	bs, rules := routeBackends(f, a)
	if len(bs) == 0 {
		return code.Skipped("the route has no backendRefs")
	}
	var facts []report.Fact
	var data []BackendState
	var bad, other []*backend
	for _, b := range bs {
		d := BackendState{Backend: b.label(), State: stateNames[b.state], Reason: string(b.reason)}
		data = append(data, d)
		v := "exists"
		switch b.state {
		case backendNoService, backendNoPort:
			bad = append(bad, b)
			v = b.why
		case backendOtherKind:
			other = append(other, b)
			v = b.why
		case backendNoGrant:
			v = "not checked: the reference is not permitted (RT006)"
		case backendUnknown:
			if b.unknownAt == code {
				return code.FromError("reading the backend services", b.unknownErr)
			}
			v = "not checked: " + b.unknownErr.Error()
		case backendExternalName:
			v = fmt.Sprintf("ExternalName service: the gateway proxies to %s, if its implementation supports it", b.svc.Spec.ExternalName)
		default:
			v = fmt.Sprintf("service port %d (%s) -> targetPort %s", b.svcPort.Port, orDash(b.svcPort.Name), b.svcPort.TargetPort.String())
		}
		facts = append(facts, report.Fact{Name: fmt.Sprintf("%s (%s)", b.label(), rulesLabel(rules[b])), Value: v})
	}
	var c report.Check
	switch {
	case len(bad) > 0:
		b := bad[0]
		c = code.New(report.Fail, "%s: requests %s sends there get 500", b.why, rulesLabel(rules[b]))
		if len(bad) > 1 {
			c.Message += fmt.Sprintf("; %d more backend(s) not found", len(bad)-1)
		}
		c.Next = []string{fmt.Sprintf("kubectl -n %s get services", b.namespace)}
	case len(other) > 0:
		c = code.New(report.Warn, "%s", other[0].why)
	default:
		c = code.New(report.Pass, "every backendRef names an existing Service port")
	}
	c.Facts = facts
	c.Data = data
	return c
}

// checkGrants (RT006): a backendRef to another namespace needs a
// ReferenceGrant there.
func checkGrants(f *facts, a *analysis) report.Check {
	code := checks.RtGrants
	bs, rules := routeBackends(f, a)
	var facts []report.Fact
	var denied []*backend
	cross := 0
	for _, b := range bs {
		if b.namespace == b.fromNamespace || !b.isService() {
			continue
		}
		cross++
		switch {
		case b.state == backendUnknown && b.unknownAt == code:
			return code.FromError("reading the ReferenceGrants", b.unknownErr)
		case b.state == backendNoGrant:
			denied = append(denied, b)
			facts = append(facts, report.Fact{Name: b.label(), Value: "no ReferenceGrant permits it (RefNotPermitted)"})
		case b.grant != nil:
			facts = append(facts, report.Fact{Name: b.label(), Value: fmt.Sprintf("permitted by ReferenceGrant %s/%s", b.grant.Namespace, b.grant.Name)})
		}
	}
	if cross == 0 {
		return code.Skipped("not applicable: every backend is in the route's namespace")
	}
	var c report.Check
	if len(denied) > 0 {
		b := denied[0]
		c = code.New(report.Fail, "%s: the gateway answers 500 for the requests %s sends there", b.why, rulesLabel(rules[b]))
		c.Next = []string{fmt.Sprintf("create a ReferenceGrant in namespace %s: from {group: gateway.networking.k8s.io, kind: %s, namespace: %s} to {group: \"\", kind: Service, name: %s}",
			b.namespace, b.fromKind, b.fromNamespace, b.name)}
	} else {
		c = code.New(report.Pass, "every backendRef to another namespace is permitted by a ReferenceGrant")
	}
	c.Facts = facts
	return c
}

// checkEndpoints (RT007): the backend Services have ready endpoints for
// the port; none means 503.
func checkEndpoints(f *facts, a *analysis) report.Check {
	code := checks.RtEndpoints
	bs, rules := routeBackends(f, a)
	var facts []report.Fact
	var data []BackendState
	var empty []*backend
	for _, b := range bs {
		switch b.state {
		case backendOK, backendNoEndpoint:
		case backendExternalName:
			facts = append(facts, report.Fact{Name: b.label(), Value: "ExternalName service: no endpoints"})
			continue
		case backendUnknown:
			if b.unknownAt == code {
				return code.FromError("listing the backends' EndpointSlices", b.unknownErr)
			}
			continue
		default:
			continue
		}
		data = append(data, BackendState{Backend: b.label(), State: stateNames[b.state], Ready: b.ready, Total: len(b.endpoints)})
		facts = append(facts, report.Fact{Name: b.label(), Value: fmt.Sprintf("%d ready of %d endpoint(s)", b.ready, len(b.endpoints))})
		if b.state == backendNoEndpoint {
			empty = append(empty, b)
		}
	}
	if len(data) == 0 && len(facts) == 0 {
		return code.Skipped("no backend Service with an existing port to read endpoints for")
	}
	var c report.Check
	if len(empty) > 0 {
		b := empty[0]
		c = code.New(report.Fail, "%s: the gateway answers 503 for the requests %s sends there", b.why, rulesLabel(rules[b]))
		if im := routeImplementation(f); im.noSlicesAnswer(b) {
			c.Message = fmt.Sprintf("%s: the gateway answers %d for the requests %s sends there: %s", b.why, im.noSlices.status, rulesLabel(rules[b]), im.noSlices.why)
		}
		if len(empty) > 1 {
			c.Message += fmt.Sprintf("; %d more backend(s) have no ready endpoints", len(empty)-1)
		}
		c.Next = []string{fmt.Sprintf("kubectl netdebug service %s -n %s", b.name, b.namespace)}
	} else {
		c = code.New(report.Pass, "every backend has ready endpoints")
	}
	c.Facts = facts
	c.Data = data
	return c
}

// share is how a rule's traffic splits by weight.
type share struct {
	total, invalid, noEndpoints, ok int32
}

func shareOf(refs []ruleBackend) share {
	var s share
	for _, rb := range refs {
		if rb.weight <= 0 {
			continue
		}
		s.total += rb.weight
		switch {
		case rb.b.state.invalid():
			s.invalid += rb.weight
		case rb.b.state == backendNoEndpoint:
			s.noEndpoints += rb.weight
		default:
			s.ok += rb.weight
		}
	}
	return s
}

func percent(part, total int32) int {
	if total == 0 {
		return 0
	}
	return int((part*100 + total/2) / total)
}

// checkWeights (RT008): each rule's traffic split by its backends'
// weights; every weight 0 means 500 (or what the parents' implementation
// answers instead, controllers.go), and the share of invalid backends gets
// 500.
func checkWeights(f *facts, a *analysis) report.Check {
	code := checks.RtWeights
	im := routeImplementation(f)
	rules := rulesOf(f.route)
	var facts []report.Fact
	var fails []string
	anyRefs := false
	for i, r := range rules {
		refs := a.ruleBackends(f.route, i)
		if len(refs) == 0 {
			if hasRedirect(r) {
				facts = append(facts, report.Fact{Name: fmt.Sprintf("rule %d", i+1), Value: "redirects: no backend needed"})
			} else {
				fails = append(fails, fmt.Sprintf("rule %d has no backendRefs: the gateway answers 500 for every request it takes", i+1))
				facts = append(facts, report.Fact{Name: fmt.Sprintf("rule %d", i+1), Value: "no backendRefs: 500"})
			}
			continue
		}
		anyRefs = true
		s := shareOf(refs)
		var parts []string
		for _, rb := range refs {
			parts = append(parts, fmt.Sprintf("%s %d%%", rb.b.label(), percent(max(rb.weight, 0), s.total)))
		}
		v := strings.Join(parts, ", ")
		switch {
		case s.total == 0 && im.zeroWeights.status != 0:
			fails = append(fails, fmt.Sprintf("rule %d: every backendRef has weight 0: the gateway answers %d for every request it takes: %s", i+1, im.zeroWeights.status, im.zeroWeights.why))
			v += fmt.Sprintf("; every weight is 0: %d (%s)", im.zeroWeights.status, im.name)
		case s.total == 0:
			fails = append(fails, fmt.Sprintf("rule %d: every backendRef has weight 0: the gateway answers 500 for every request it takes", i+1))
			v += "; every weight is 0: 500"
		case s.invalid > 0:
			fails = append(fails, fmt.Sprintf("rule %d: %d%% of its requests go to invalid backends and get 500", i+1, percent(s.invalid, s.total)))
			v += fmt.Sprintf("; %d%% get 500", percent(s.invalid, s.total))
		}
		facts = append(facts, report.Fact{Name: fmt.Sprintf("rule %d", i+1), Value: v})
	}
	if !anyRefs && len(fails) == 0 {
		return code.Skipped("no rule has backendRefs")
	}
	var c report.Check
	if len(fails) > 0 {
		c = code.New(report.Fail, "%s", fails[0])
		if len(fails) > 1 {
			c.Message += fmt.Sprintf("; %d more rule(s) send requests nowhere", len(fails)-1)
		}
	} else {
		c = code.New(report.Pass, "every rule sends its requests to valid backends by weight")
	}
	c.Facts = facts
	return c
}

func hasRedirect(r ruleOf) bool {
	for _, fl := range r.filters {
		if fl.redirect != 0 {
			return true
		}
	}
	return false
}
