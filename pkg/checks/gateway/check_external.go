package gateway

import (
	"context"
	"fmt"
	"net"
	"strconv"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/external"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// checkExternal (GW013, only with --external): one request from this
// machine to the Gateway's address, compared with what the Gateway's
// status and its attached HTTPRoutes say it gets: no answer when it is not
// programmed or its pods are down, 404 when no listener or route takes the
// request, a backend's answer otherwise (what the backends give is the
// route procedure's: kubectl netdebug route).
func checkExternal(ctx context.Context, f *facts, a *analysis, req Request, list []report.Check) report.Check {
	code := checks.GwExternal
	s := *req.External
	host, path := req.Host, req.Path
	scheme, urlPort, address := "", "", s.Address
	if s.URL != "" {
		var uhost string
		var err error
		scheme, uhost, urlPort, path, err = external.SplitURL(s.URL)
		if err != nil {
			return code.New(report.Error, "%s", err)
		}
		if host == "" {
			host = uhost
		} else if uhost != host && address == "" {
			address = uhost
			if urlPort != "" {
				address = net.JoinHostPort(uhost, urlPort)
			}
		}
	}
	if host == "" {
		host = firstHostname(f, a)
	}
	l := externalListener(f.gw.Spec.Listeners, scheme, host)
	if scheme == "" {
		scheme = "http"
		if l != nil && l.Protocol == gwv1.HTTPSProtocolType {
			scheme = "https"
		}
	}
	if address == "" {
		if len(f.gw.Status.Addresses) == 0 {
			c := code.Skipped("the gateway publishes no address to send the request to: give --address IP[:PORT] or --url")
			c.Next = []string{fmt.Sprintf("kubectl -n %s describe gateway %s", f.namespace, f.name)}
			return c
		}
		address = f.gw.Status.Addresses[0].Value
	}
	if urlPort == "" && l != nil {
		address = probe.JoinAddress(address, strconv.Itoa(int(l.Port)))
	}
	if host == "" {
		host = address
		if h, _, err := net.SplitHostPort(address); err == nil {
			host = h
		}
	}
	return external.Run(ctx, code, s, external.BuildURL(scheme, host, urlPort, path), address, predict(ctx, f, a, req, l, host, path, list))
}

// firstHostname is a host the gateway serves: the first listener
// hostname, else the first hostname of an attached route.
func firstHostname(f *facts, a *analysis) string {
	for i := range f.gw.Spec.Listeners {
		if h := routing.ListenerHostname(&f.gw.Spec.Listeners[i]); h != "" {
			return external.ProbeHost(h)
		}
	}
	for _, l := range f.gw.Spec.Listeners {
		for _, r := range a.listenerRoutes[string(l.Name)] {
			if len(r.Hostnames) > 0 {
				return external.ProbeHost(string(r.Hostnames[0]))
			}
		}
	}
	return ""
}

// externalListener is the HTTP (else HTTPS) listener that takes host;
// only listeners of scheme when it is given.
func externalListener(ls []gwv1.Listener, scheme, host string) *gwv1.Listener {
	for _, p := range []gwv1.ProtocolType{gwv1.HTTPProtocolType, gwv1.HTTPSProtocolType} {
		if scheme != "" && (p == gwv1.HTTPSProtocolType) != (scheme == "https") {
			continue
		}
		for i := range ls {
			l := &ls[i]
			if l.Protocol != p {
				continue
			}
			if h := routing.ListenerHostname(l); h == "" || host == "" || routing.MatchGatewayHost(h, host) != routing.HostNone {
				return l
			}
		}
	}
	return nil
}

// predict is what the inside says the request gets.
func predict(ctx context.Context, f *facts, a *analysis, req Request, l *gwv1.Listener, host, path string, list []report.Check) external.Prediction {
	for _, cd := range []checks.Code{checks.GwStatus, checks.GwController} {
		if c := report.Find(list, cd); c != nil && c.Status == report.Fail {
			return external.Prediction{Response: "no answer", Code: string(cd), From: string(cd) + ": " + c.Message}
		}
	}
	if l == nil {
		return external.Prediction{Response: "no answer", Code: string(checks.GwListeners), From: fmt.Sprintf("no HTTP or HTTPS listener of the gateway takes host %s", host)}
	}
	var routes []routing.AttachedHTTPRoute
	for i := range a.attachments {
		att := &a.attachments[i]
		if att.Route.HTTP == nil {
			continue
		}
		if c := att.Condition(gwv1.RouteConditionAccepted); c != nil && c.Status == "False" {
			continue
		}
		for _, v := range att.Listeners {
			if v.Accepted && v.Listener == string(l.Name) {
				routes = append(routes, routing.AttachedHTTPRoute{Route: att.Route.HTTP, Hostnames: v.Hostnames})
			}
		}
	}
	r, err := routing.ParseHTTPRequest(host, path, "GET", nil)
	if err != nil {
		return external.Prediction{Response: "unknown", From: err.Error()}
	}
	res := routing.RouteHTTP(routes, r)
	if res.Winner == nil {
		return external.Prediction{Response: "404", Code: string(checks.GwAttachedRoutes),
			From: fmt.Sprintf("no HTTPRoute attached to listener %s matches %s%s", l.Name, host, r.Path)}
	}
	w := res.Winner
	routeCmd := fmt.Sprintf("kubectl netdebug route %s -n %s --host %s --path %s", w.Route.Name, w.Route.Namespace, host, r.Path)
	taken := fmt.Sprintf("HTTPRoute %s/%s rule %d on listener %s", w.Route.Namespace, w.Route.Name, w.Rule+1, l.Name)
	if req.RouteAnswer != nil {
		p, err := req.RouteAnswer(ctx, RouteQuestion{Namespace: w.Route.Namespace, Name: w.Route.Name,
			GatewayNamespace: f.namespace, GatewayName: f.name, Host: host, Path: r.Path})
		if err == nil {
			p.From = taken + "; " + p.From
			if len(p.Next) == 0 {
				p.Next = []string{routeCmd}
			}
			return p
		}
		return external.Prediction{Response: "ok", Code: string(checks.GwAttachedRoutes),
			From: fmt.Sprintf("%s; what its backends give could not be read (%v): %s", taken, err, routeCmd), Next: []string{routeCmd}}
	}
	return external.Prediction{Response: "ok", Code: string(checks.GwAttachedRoutes),
		From: fmt.Sprintf("%s; what its backends give: %s", taken, routeCmd), Next: []string{routeCmd}}
}
