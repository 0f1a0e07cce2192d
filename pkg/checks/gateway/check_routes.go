package gateway

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// kindsFor are the route kinds a protocol can carry.
func kindsFor(p gwv1.ProtocolType) []string { return routing.DefaultRouteKinds(p) }

// checkAllowedRoutes (GW011): which route kinds and namespaces each
// listener admits.
func checkAllowedRoutes(f *facts, a *analysis) report.Check {
	code := checks.GwAllowedRoutes
	var facts []report.Fact
	var fails, warns []string
	for i := range f.gw.Spec.Listeners {
		l := &f.gw.Spec.Listeners[i]
		kinds := routing.AllowedKinds(l)
		var invalid []string
		for _, k := range kinds {
			if !slices.Contains(kindsFor(l.Protocol), k) {
				invalid = append(invalid, k)
			}
		}
		v := fmt.Sprintf("kinds %s; from %s", orNone(kinds), routing.DescribeAllowedNamespaces(l, f.namespace))
		switch {
		case len(kinds) > 0 && len(invalid) == len(kinds):
			fails = append(fails, fmt.Sprintf("listener %s admits only route kinds its protocol %s cannot carry (%s): no route can attach (InvalidRouteKinds)", l.Name, l.Protocol, strings.Join(invalid, ", ")))
		case len(invalid) > 0:
			warns = append(warns, fmt.Sprintf("listener %s lists route kinds its protocol %s cannot carry: %s (InvalidRouteKinds)", l.Name, l.Protocol, strings.Join(invalid, ", ")))
		}
		switch routing.AllowedFrom(l) {
		case gwv1.NamespacesFromNone:
			warns = append(warns, fmt.Sprintf("listener %s admits routes from no namespace (from: None)", l.Name))
		case gwv1.NamespacesFromSelector:
			sel, err := routing.NamespaceSelector(l)
			switch {
			case err != nil:
				fails = append(fails, fmt.Sprintf("listener %s admits namespaces by a selector that is invalid (%v): no route can attach", l.Name, err))
			case f.namespaces.Err != nil:
				v += "; the namespaces could not be listed: " + f.namespaces.Err.Error()
			default:
				var matched []string
				for name, labels := range f.namespaces.Labels {
					if sel.Matches(labelSet(labels)) {
						matched = append(matched, name)
					}
				}
				sort.Strings(matched)
				if len(matched) == 0 {
					warns = append(warns, fmt.Sprintf("listener %s admits namespaces labelled %s, and no namespace has those labels: no route can attach", l.Name, sel))
					v += "; selects no namespace"
				} else {
					v += fmt.Sprintf("; selects %d namespace(s): %s", len(matched), checks.ListSome(matched, 5))
				}
			}
		}
		facts = append(facts, report.Fact{Name: "listener " + describeListener(l), Value: v})
	}
	var c report.Check
	switch {
	case len(fails) > 0:
		c = code.New(report.Fail, "%s", fails[0])
	case len(warns) > 0:
		c = code.New(report.Warn, "%s", warns[0])
	default:
		c = code.New(report.Pass, "every listener admits route kinds its protocol carries, from %s", summarizeFrom(f))
	}
	c.Facts = facts
	return c
}

func summarizeFrom(f *facts) string {
	var froms []string
	for i := range f.gw.Spec.Listeners {
		s := string(routing.AllowedFrom(&f.gw.Spec.Listeners[i]))
		if !slices.Contains(froms, s) {
			froms = append(froms, s)
		}
	}
	return "namespaces " + strings.Join(froms, ", ")
}

// AttachedRoutes is one entry of GW012's Data, per listener.
type AttachedRoutes struct {
	Listener string `json:"listener"`
	// Status is the controller's attachedRoutes, -1 when it wrote none;
	// Computed the routes netdebug finds attached.
	Status   int32    `json:"status"`
	Computed int      `json:"computed"`
	Routes   []string `json:"routes,omitempty"`
	Rejected []Reject `json:"rejected,omitempty"`
}

// Reject is a route that names the listener and cannot attach to it.
type Reject struct {
	Route  string `json:"route"`
	Reason string `json:"reason"`
	Why    string `json:"why"`
}

// checkAttachedRoutes (GW012): how many routes attach to each listener,
// and when none does, which routes try and why they cannot.
func checkAttachedRoutes(f *facts, a *analysis) report.Check {
	code := checks.GwAttachedRoutes
	if f.routesErr != nil && f.routesScope == "" {
		return code.FromError("listing the routes", f.routesErr)
	}
	var facts []report.Fact
	switch f.routesScope {
	case "":
	case "*":
		facts = append(facts, report.Fact{Name: "caveat", Value: fmt.Sprintf("GRPCRoutes were not read: %s", f.routesErr)})
	default:
		facts = append(facts, report.Fact{Name: "caveat", Value: fmt.Sprintf("only the routes of namespace %s were read: %s", f.routesScope, f.routesErr)})
	}
	if !f.grpcServed {
		facts = append(facts, report.Fact{Name: "GRPCRoute", Value: "not served by the cluster"})
	}
	for _, n := range f.streamNotes {
		facts = append(facts, report.Fact{Name: "caveat", Value: n})
	}
	var data []AttachedRoutes
	var fails, warns []string
	var nexts []string
	for i := range f.gw.Spec.Listeners {
		l := &f.gw.Spec.Listeners[i]
		d := AttachedRoutes{Listener: string(l.Name), Status: -1}
		if ls := listenerStatus(f.gw, l.Name); ls != nil {
			d.Status = ls.AttachedRoutes
		}
		stream := 0
		for _, r := range a.listenerRoutes[string(l.Name)] {
			d.Routes = append(d.Routes, r.Label())
			if r.Stream() {
				stream++
			}
		}
		d.Computed = len(d.Routes)
		for _, att := range a.attachments {
			for _, v := range att.Listeners {
				if v.Listener == string(l.Name) && v.Selected && !v.Accepted {
					d.Rejected = append(d.Rejected, Reject{Route: att.Route.Label(), Reason: string(listenerReason(v)), Why: v.Why})
				}
			}
		}
		v := fmt.Sprintf("%d attached", d.Computed)
		if d.Status >= 0 {
			v += fmt.Sprintf(" (the controller counts %d)", d.Status)
		}
		if len(d.Routes) > 0 {
			v += ": " + checks.ListSome(d.Routes, 5)
		}
		if stream > 0 {
			v += fmt.Sprintf("; %d TLSRoute/TCPRoute(s): attachment only, matching not modelled", stream)
		}
		facts = append(facts, report.Fact{Name: "listener " + describeListener(l), Value: v})
		for _, r := range d.Rejected {
			facts = append(facts, report.Fact{Name: "  cannot attach", Value: fmt.Sprintf("%s: %s (%s)", r.Route, r.Why, r.Reason)})
		}
		switch {
		case d.Computed == 0 && len(d.Rejected) > 0:
			r := d.Rejected[0]
			fails = append(fails, fmt.Sprintf("listener %s has no attached route: %s tries to attach, but the listener %s (%s)", l.Name, r.Route, r.Why, r.Reason))
			nexts = append(nexts, fmt.Sprintf("kubectl netdebug route %s", routeArg(r.Route)))
		case d.Computed == 0 && d.Status > 0:
			warns = append(warns, fmt.Sprintf("listener %s: the controller counts %d attached route(s), netdebug finds none that names it", l.Name, d.Status))
		case d.Computed == 0:
			warns = append(warns, fmt.Sprintf("listener %s has no attached route and no route names it: requests to it get 404", l.Name))
		case d.Status == 0:
			warns = append(warns, fmt.Sprintf("listener %s: %d route(s) should attach, but the controller counts none attached (see the routes' status)", l.Name, d.Computed))
			nexts = append(nexts, fmt.Sprintf("kubectl netdebug route %s", routeArg(d.Routes[0])))
		}
		data = append(data, d)
	}
	// Routes that name the gateway and attach nowhere, beyond those listed
	// under a listener.
	for _, att := range a.attachments {
		listed := false
		for _, d := range data {
			for _, r := range d.Rejected {
				listed = listed || r.Route == att.Route.Label()
			}
		}
		if !att.Accepted && !listed {
			facts = append(facts, report.Fact{Name: "not attached", Value: fmt.Sprintf("%s (parentRef %d): %s (%s)", att.Route.Label(), att.Index+1, att.Message, att.Reason)})
			if !slices.ContainsFunc(fails, func(s string) bool { return strings.Contains(s, att.Route.Label()+" ") }) {
				warns = append(warns, fmt.Sprintf("%s names the gateway but attaches to no listener: %s (%s)", att.Route.Label(), att.Message, att.Reason))
				nexts = append(nexts, fmt.Sprintf("kubectl netdebug route %s", routeArg(att.Route.Label())))
			}
		}
	}
	var c report.Check
	switch {
	case len(fails) > 0:
		c = code.New(report.Fail, "%s", fails[0])
		if len(fails) > 1 {
			c.Message += fmt.Sprintf("; %d more listener(s) without routes", len(fails)-1)
		}
	case len(warns) > 0:
		c = code.New(report.Warn, "%s", warns[0])
		if len(warns) > 1 {
			c.Message += fmt.Sprintf(" (and %d more)", len(warns)-1)
		}
	default:
		n := 0
		for _, d := range data {
			n += d.Computed
		}
		c = code.New(report.Pass, "every listener has routes attached (%d attachment(s))", n)
	}
	if len(nexts) > 0 {
		c.Next = nexts[:1]
	}
	c.Facts = facts
	c.Data = data
	return c
}

// listenerReason is the reason a controller gives for one listener's
// refusal.
func listenerReason(v routing.ListenerVerdict) gwv1.RouteConditionReason {
	switch {
	case !v.KindAllowed || !v.NamespaceAllowed:
		return gwv1.RouteReasonNotAllowedByListeners
	case len(v.Hostnames) == 0:
		return gwv1.RouteReasonNoMatchingListenerHostname
	}
	return gwv1.RouteReasonAccepted
}

// routeArg turns "HTTPRoute ns/name" into "httproute/name -n ns".
func routeArg(label string) string {
	kind, key, _ := strings.Cut(label, " ")
	ns, name, _ := strings.Cut(key, "/")
	return fmt.Sprintf("%s/%s -n %s", strings.ToLower(kind), name, ns)
}
