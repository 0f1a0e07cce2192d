package route

import (
	"fmt"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// ServedHostnames is one entry of RT003's Data: the hostnames the route
// serves on one listener.
type ServedHostnames struct {
	Gateway  string `json:"gateway"`
	Listener string `json:"listener"`
	// ListenerHostname is "" when the listener has none.
	ListenerHostname string `json:"listenerHostname,omitempty"`
	// Hostnames are the intersections; "" stands for any host.
	Hostnames []string `json:"hostnames"`
}

// checkHostnames (RT003): a route serves, on each listener, the
// intersection of its hostnames with the listener's; route hostnames that
// intersect no listener are ignored.
func checkHostnames(f *facts, a *analysis) report.Check {
	code := checks.RtHostnames
	rt := f.route
	var facts []report.Fact
	var data []ServedHostnames
	used := map[string]bool{}
	compared := 0
	for _, pr := range a.refs {
		if pr.att == nil {
			continue
		}
		listeners := f.gateways[pr.gwKey].gw.Spec.Listeners
		if pls := f.listenerSets[pr.lsKey]; pr.lsKey != "" && pls != nil && pls.ls != nil {
			listeners = routing.ListenerSetListeners(pls.ls)
		}
		for _, v := range pr.att.Listeners {
			if !v.Selected || !v.KindAllowed {
				continue
			}
			compared++
			lh := ""
			for i := range listeners {
				if string(listeners[i].Name) == v.Listener {
					lh = routing.ListenerHostname(&listeners[i])
				}
			}
			served := "none"
			if len(v.Hostnames) > 0 {
				served = hostList(v.Hostnames)
				data = append(data, ServedHostnames{Gateway: pr.gwKey, Listener: routing.ListenerLabel(pr.att.ListenerSet, v.Listener), ListenerHostname: lh, Hostnames: v.Hostnames})
				for _, h := range rt.Hostnames {
					if _, ok := routing.IntersectHostnames(lh, string(h)); ok {
						used[strings.ToLower(string(h))] = true
					}
				}
			}
			facts = append(facts, report.Fact{Name: fmt.Sprintf("gateway %s listener %s (hostname %s)", pr.gwKey, routing.ListenerLabel(pr.att.ListenerSet, v.Listener), orAny(lh)), Value: "serves " + served})
		}
	}
	var ignored []string
	for _, h := range rt.Hostnames {
		if !used[strings.ToLower(string(h))] {
			ignored = append(ignored, string(h))
		}
	}
	var c report.Check
	switch {
	case compared == 0:
		return code.Skipped("no listener of a parent admits the route's kind, so no hostnames to intersect")
	case len(data) == 0:
		c = code.New(report.Fail, "the route's hostnames %s intersect no listener's hostname: it serves no host (NoMatchingListenerHostname)", hostList(routeHosts(rt.Hostnames)))
	case len(rt.Hostnames) > 0 && len(ignored) > 0:
		c = code.New(report.Warn, "route hostname(s) %s intersect no listener's hostname and are ignored", strings.Join(ignored, ", "))
	default:
		var served []string
		for _, d := range data {
			for _, h := range d.Hostnames {
				if !contains(served, h) {
					served = append(served, h)
				}
			}
		}
		c = code.New(report.Pass, "the route serves %s", hostList(served))
	}
	c.Facts = facts
	c.Data = data
	return c
}

func hostList(hs []string) string {
	var out []string
	for _, h := range hs {
		out = append(out, orAny(h))
	}
	if len(out) == 0 {
		return "any host"
	}
	return strings.Join(out, ", ")
}

func orAny(h string) string {
	if h == "" {
		return "any host"
	}
	return h
}
