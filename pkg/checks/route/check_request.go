package route

import (
	"fmt"
	"sort"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// Routing is the Data of RT009: where the request lands through one
// parent Gateway.
type Routing struct {
	Gateway  string `json:"gateway"`
	Listener string `json:"listener,omitempty"`
	URL      string `json:"url"`
	Method   string `json:"method,omitempty"`
	// Synthesized says how the request was built when none was given.
	Synthesized string `json:"synthesized,omitempty"`
	// Candidates counts the routes attached to the listener.
	Candidates int `json:"candidates"`
	// Route ("namespace/name") and Rule (from 1) take the request; empty
	// and 0 when none does.
	Route    string   `json:"route,omitempty"`
	Rule     int      `json:"rule,omitempty"`
	Match    string   `json:"match,omitempty"`
	Hostname string   `json:"hostname,omitempty"`
	Others   []string `json:"others,omitempty"`
	Caveats  []string `json:"caveats,omitempty"`
}

// checkRequest (RT009): the listener the request reaches, and which rule
// of which attached route takes it, by the Gateway API's precedence.
func checkRequest(f *facts, a *analysis, p *parent) report.Check {
	code := checks.RtRequest
	if p.pg.gw == nil {
		return code.Skipped("gateway %s could not be read: %v", p.key, p.pg.err)
	}
	d := Routing{Gateway: p.key, URL: p.req.url, Synthesized: p.req.synthesized, Candidates: len(p.onListener)}
	if f.kind == HTTPRoute {
		d.Method = p.req.http.Method
	}
	var facts []report.Fact
	add := func(name, format string, args ...any) {
		facts = append(facts, report.Fact{Name: name, Value: fmt.Sprintf(format, args...)})
	}
	if d.Synthesized != "" {
		add("request", "%s %s (no --host/--path given: %s)", d.Method, d.URL, d.Synthesized)
	} else {
		add("request", "%s %s", d.Method, d.URL)
	}
	if f.kind == HTTPRoute && len(p.req.http.Headers) > 0 {
		var hs []string
		for k, v := range p.req.http.Headers {
			hs = append(hs, k+": "+v)
		}
		sort.Strings(hs)
		add("headers", "%s", strings.Join(hs, ", "))
	}
	var considered []string
	for _, l := range p.considered {
		considered = append(considered, fmt.Sprintf("%s (%s)", l.Name, orAny(routing.ListenerHostname(l))))
	}
	if p.listener != nil {
		d.Listener = string(p.listener.Name)
		add("listener", "%s: the most specific hostname of the %s listener(s) on port %d matching %s (%s)", describeListenerShort(p.listener), p.scheme, p.port, hostLabel(requestHost(p)), strings.Join(considered, ", "))
		add("routes on the listener", "%d attached: %s", len(p.onListener), routeList(p.onListener))
	}
	if p.notAttached != "" && p.listener != nil {
		add("note", "%s", p.notAttached)
	}
	var c report.Check
	switch {
	case p.blocked != "":
		c = code.New(report.Fail, "request %s gets no answer: %s", d.URL, p.blocked)
		c.Next = []string{"kubectl netdebug gateway " + p.key}
	case p.notFound != "":
		c = code.New(report.Fail, "request %s gets 404: %s (listeners: %s)", d.URL, p.notFound, strings.Join(considered, ", "))
	case p.winner == nil:
		hostRoutes := 0
		if p.http != nil {
			hostRoutes = p.http.HostRoutes
		} else if p.grpc != nil {
			hostRoutes = p.grpc.HostRoutes
		}
		if len(p.onListener) == 0 {
			c = code.New(report.Fail, "request %s gets 404: no route is attached to listener %s of gateway %s", d.URL, p.listener.Name, p.key)
		} else {
			c = code.New(report.Fail, "request %s matches no rule of the %d route(s) attached to listener %s of gateway %s (%d serve its host): 404", d.URL, len(p.onListener), p.listener.Name, p.key, hostRoutes)
		}
		c.Next = []string{fmt.Sprintf("kubectl netdebug gateway %s", p.key)}
	default:
		w := p.winner
		d.Route, d.Rule, d.Match, d.Hostname = w.route.Key(), w.rule+1, w.match, w.host
		where := fmt.Sprintf("%s of %s (%s)", ruleName(w), w.route.Label(), w.match)
		if w.route.Key() == f.route.Key() {
			c = code.New(report.Pass, "request %s lands on %s", d.URL, where)
		} else {
			c = code.New(report.Warn, "request %s lands on %s, not on %s", d.URL, where, f.route.Label())
			c.Next = []string{fmt.Sprintf("kubectl netdebug route %s/%s -n %s --gateway %s", strings.ToLower(w.route.Kind), w.route.Name, w.route.Namespace, p.key)}
		}
		add("winner", "%s, hostname %s", where, orAny(w.host))
		d.Others, d.Caveats = others(f, p)
		for i, o := range d.Others {
			if i == 3 {
				add("also matches", "%d more", len(d.Others)-3)
				break
			}
			add("also matches", "%s", o)
		}
		for _, cv := range d.Caveats {
			add("caveat", "%s", cv)
		}
	}
	c.Facts = facts
	c.Data = d
	return c
}

// others are the other matching rules, in precedence order, each with why
// the winner goes first.
func others(f *facts, p *parent) ([]string, []string) {
	var out []string
	if p.http != nil {
		w := *p.http.Winner
		for _, o := range p.http.Others {
			out = append(out, fmt.Sprintf("%s of HTTPRoute %s/%s (%s), after the winner: %s", o.RuleName(), o.Route.Namespace, o.Route.Name, o.DescribeMatch(), httpPrecedence(w, o)))
		}
		return out, p.http.Caveats
	}
	if p.grpc != nil {
		for _, o := range p.grpc.Others {
			out = append(out, fmt.Sprintf("%s of GRPCRoute %s/%s (%s)", o.RuleName(), o.Route.Namespace, o.Route.Name, o.DescribeMatch()))
		}
		return out, p.grpc.Caveats
	}
	return nil, nil
}

// httpPrecedence says which criterion of the precedence puts w before o.
func httpPrecedence(w, o routing.HTTPMatch) string {
	exact := func(m routing.HTTPMatch) int {
		if m.HostMatch == routing.HostExact {
			return len(m.Hostname)
		}
		return 0
	}
	switch {
	case exact(w) != exact(o):
		return "a longer exact hostname"
	case len(w.Hostname) != len(o.Hostname):
		return "a longer matching hostname"
	case w.PathType != o.PathType && w.PathType == gwv1.PathMatchExact:
		return "an Exact path match"
	case w.PathType != o.PathType:
		return "a PathPrefix match before a RegularExpression"
	case len(strings.TrimRight(w.PathValue, "/")) != len(strings.TrimRight(o.PathValue, "/")):
		return "a longer path"
	case w.Method != o.Method:
		return "a method match"
	case w.Headers != o.Headers:
		return "more header matches"
	case w.Query != o.Query:
		return "more query parameter matches"
	case !w.Route.CreationTimestamp.Equal(&o.Route.CreationTimestamp):
		return "an older route"
	case w.Route.Namespace+"/"+w.Route.Name != o.Route.Namespace+"/"+o.Route.Name:
		return "namespace/name first in alphabetical order"
	}
	return "the first rule of the route"
}

func ruleName(w *winner) string {
	rules := rulesOf(w.route)
	name := fmt.Sprintf("rule %d", w.rule+1)
	if w.rule < len(rules) && rules[w.rule].name != nil && *rules[w.rule].name != "" {
		name += " (" + string(*rules[w.rule].name) + ")"
	}
	return name
}

func describeListenerShort(l *gwv1.Listener) string {
	return fmt.Sprintf("%s (%s :%d, %s)", l.Name, l.Protocol, l.Port, orAny(routing.ListenerHostname(l)))
}
