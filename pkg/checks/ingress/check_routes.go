package ingress

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// Routes is the Data of ING015.
type Routes struct {
	// Request is where the request of --host/--path lands.
	Request *RequestRoute `json:"request,omitempty"`
	Routes  []RouteState  `json:"routes"`
}

// RouteState is what a request to one route gets now.
type RouteState struct {
	Host     string `json:"host,omitempty"`
	Path     string `json:"path,omitempty"`
	PathType string `json:"pathType,omitempty"`
	Default  bool   `json:"default,omitempty"`
	Backend  string `json:"backend"`
	// Response: "ok" (the backend has ready endpoints; a 502 remains
	// possible if they do not answer), "404", "503", "502", "no answer",
	// "served by ingress NS/NAME", or "unknown".
	Response string `json:"response"`
	// HTTPS is "certificate error" when HTTPS to the host fails before
	// reaching the route.
	HTTPS  string `json:"https,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Code is the check that explains the response.
	Code string `json:"code,omitempty"`
}

// RequestRoute is where one request lands and what it gets.
type RequestRoute struct {
	URL string `json:"url"`
	// Ingress serving it (namespace/name); empty when none does.
	Ingress string `json:"ingress,omitempty"`
	// Rule is the matching host and path ("shop.example.com /api (Prefix)"),
	// empty when a default backend serves it.
	Rule           string `json:"rule,omitempty"`
	DefaultBackend bool   `json:"defaultBackend,omitempty"`
	Backend        string `json:"backend,omitempty"`
	Response       string `json:"response"`
	HTTPS          string `json:"https,omitempty"`
	Reason         string `json:"reason,omitempty"`
	Code           string `json:"code,omitempty"`
	// Depends: where the answer depends on the controller, or on an order
	// it does not define (routing.IngressResult.Depends); the route above
	// is then one possible answer.
	Depends []string `json:"depends,omitempty"`
}

// routeOutcome is what a request to rt gets, and over HTTPS when that
// fails first.
func routeOutcome(a *analysis, rt *route) (outcome, *outcome) {
	var https *outcome
	if !rt.isDefault && rt.host != "" {
		https = a.hostTLS[rt.host]
	}
	if a.blocked != nil {
		return *a.blocked, https
	}
	if rt.ignored != "" {
		return outcome{response: "404", reason: rt.ignored + ": paths no rule matches get 404, or the default backend of an ingress without rules"}, https
	}
	if !rt.isDefault {
		for _, c := range a.conflicts {
			if c.other == nil || c.wins || routing.IngressRouteKey(c.host, c.path) != routing.IngressRouteKey(rt.host, rt.path) {
				continue
			}
			if c.undefined {
				return outcome{response: "unknown", reason: fmt.Sprintf("ingress %s/%s claims the same host and path with a router of the same priority: Traefik serves it or this one (-> %s), in no defined order", c.other.Namespace, c.other.Name, c.otherBackend),
					code: checks.IngConflicts}, https
			}
			reason := "an ingress of the class that takes precedence claims the same host and path (-> " + c.otherBackend + ")"
			switch a.kind.routingModel() {
			case routing.IngressTraefik:
				reason = "an ingress of the class claims the same host and path with a Traefik router of higher priority (-> " + c.otherBackend + ")"
			case routing.IngressGeneric:
				reason += "; ingress-nginx serves the older ingress, other controllers may not"
			}
			return outcome{response: fmt.Sprintf("served by ingress %s/%s", c.other.Namespace, c.other.Name), reason: reason, code: checks.IngConflicts}, https
		}
	}
	b := rt.backend
	if b == nil {
		return outcome{response: "404", reason: "no backend"}, https
	}
	switch b.state {
	case backendNoService:
		return outcome{response: a.kind.missingServiceResponse().String(), reason: b.why, code: checks.IngBackendServices}, https
	case backendNoPort:
		return outcome{response: a.kind.missingServiceResponse().String(), reason: b.why, code: checks.IngBackendPorts}, https
	case backendNoEndpoints:
		return outcome{response: a.kind.noEndpointsResponse().String(), reason: b.why, code: checks.IngBackendEndpoints}, https
	case backendUnknown:
		return outcome{response: "unknown", reason: "the backend could not be read: " + b.unknownErr.Error(), code: b.unknownAt}, https
	case backendResource:
		return outcome{response: "ok", reason: "resource backend, served by the controller itself (not checked)"}, https
	case backendExternalName:
		return outcome{response: "ok", reason: "ExternalName service: the controller proxies to " + b.svc.Spec.ExternalName}, https
	}
	return outcome{response: "ok", reason: fmt.Sprintf("%d ready endpoint(s)", b.ready)}, https
}

func broken(o outcome, https *outcome) bool {
	return (o.response != "ok" && o.response != "unknown") || https != nil
}

// checkRoutes (ING015): the verdict per route, as symptoms: what a request
// to each host and path gets now. With --host/--path, where that one
// request lands, through every Ingress of the class, and its backend chain.
func checkRoutes(f *facts, a *analysis, req Request) report.Check {
	code := checks.IngRoutes
	data := Routes{Routes: []RouteState{}}
	var facts []report.Fact
	var firstBroken *RouteState
	var brokenCount, unknown int
	for _, rt := range a.routes {
		o, https := routeOutcome(a, rt)
		s := RouteState{Host: rt.host, Default: rt.isDefault, Backend: backendLabel(rt.backend), Response: o.response, Reason: o.reason, Code: string(o.code)}
		if !rt.isDefault {
			s.Path, s.PathType = rt.path.Path, string(routing.IngressPathType(rt.path))
		}
		if https != nil {
			s.HTTPS = https.response
			if s.Code == "" || o.response == "ok" {
				s.Code = string(https.code)
			}
		}
		data.Routes = append(data.Routes, s)
		facts = append(facts, report.Fact{Name: rt.label(), Value: describeRouteState(s, https)})
		switch {
		case broken(o, https):
			brokenCount++
			if firstBroken == nil {
				firstBroken = &data.Routes[len(data.Routes)-1]
			}
		case o.response == "unknown":
			unknown++
		}
	}
	var c report.Check
	switch {
	case req.routed():
		c = requestCheck(f, a, req, &data)
		c.Facts = append(c.Facts, facts...)
	case len(a.routes) == 0:
		c = code.New(report.Fail, "no route: every request for this ingress gets 404")
	case brokenCount > 0:
		c = code.New(report.Fail, "%d of %d route(s) fail: %s", brokenCount, len(a.routes), routeSentence(a, *firstBroken))
	case unknown > 0:
		c = code.New(report.Warn, "%d of %d route(s) could not be followed to their endpoints", unknown, len(a.routes))
	default:
		c = code.New(report.Pass, "every route reaches ready endpoints; a 502 now would mean a backend pod does not answer on its port")
		c.Next = probeNext(f, a, nil)
	}
	if !req.routed() {
		c.Facts = facts
	}
	c.Data = data
	return c
}

// routeSentence says what a request to a broken route gets, and why.
func routeSentence(a *analysis, s RouteState) string {
	label := routeStateLabel(s)
	switch {
	case s.Response == "ok":
		return fmt.Sprintf("%s gets a certificate error over HTTPS: %s", label, httpsReason(a, s.Host))
	case strings.HasPrefix(s.Response, "served by "):
		return fmt.Sprintf("%s is %s instead: %s", label, s.Response, s.Reason)
	}
	return fmt.Sprintf("%s gets %s: %s", label, s.Response, s.Reason)
}

func httpsReason(a *analysis, host string) string {
	if o := a.hostTLS[host]; o != nil {
		return o.reason
	}
	return ""
}

func describeRouteState(s RouteState, https *outcome) string {
	var v string
	switch s.Response {
	case "ok":
		v = "ok, " + s.Reason
		if s.Backend != "" {
			v = fmt.Sprintf("ok: %s, %s", s.Backend, s.Reason)
		}
	default:
		v = s.Response + ": " + s.Reason
	}
	if https != nil {
		v += "; over HTTPS: " + https.response + " (" + https.reason + ")"
	}
	if s.Code != "" {
		v += " [" + s.Code + "]"
	}
	return v
}

func routeStateLabel(s RouteState) string {
	if s.Default {
		return "the default backend"
	}
	p := s.Path
	if p == "" {
		p = "/"
	}
	return hostLabel(s.Host) + p
}

// requestCheck routes the one request of --host/--path through every
// Ingress of the class and follows the chain of the rule it lands on.
func requestCheck(f *facts, a *analysis, req Request, data *Routes) report.Check {
	code := checks.IngRoutes
	ings := []*networkingv1.Ingress{f.ing}
	var facts []report.Fact
	if f.allErr == nil {
		ings = sameClass(f)
	} else {
		facts = append(facts, report.Fact{Name: "caveat", Value: "the other ingresses of the class could not be listed: only this ingress's rules were considered"})
	}
	model := a.kind.routingModel()
	res := routing.RouteIngressFor(model, ings, req.Host, req.Path)
	scheme := "http"
	var tlsProblem *outcome
	if res.Ingress == f.ing {
		var has bool
		has, tlsProblem = tlsFor(a, req.Host)
		if has {
			scheme = "https"
		}
	}
	host := req.Host
	if host == "" {
		host = "<address>"
	}
	url := scheme + "://" + host + req.Path
	rr := &RequestRoute{URL: url}
	data.Request = rr

	// How the host matched.
	switch res.HostMatch {
	case routing.HostExact:
		facts = append(facts, report.Fact{Name: "host", Value: fmt.Sprintf("%s matches rule host %s exactly", hostLabel(req.Host), res.RuleHost)})
	case routing.HostWildcard:
		facts = append(facts, report.Fact{Name: "host", Value: fmt.Sprintf("%s matches the wildcard rule host %s", req.Host, res.RuleHost)})
	case routing.HostAny:
		facts = append(facts, report.Fact{Name: "host", Value: fmt.Sprintf("%s matches no rule host; the rules without a host apply", hostLabel(req.Host))})
	default:
		facts = append(facts, report.Fact{Name: "host", Value: fmt.Sprintf("%s matches no rule of class %s", hostLabel(req.Host), classLabel(f.controller.class.name))})
	}
	if res.HostOnly != nil {
		facts = append(facts, report.Fact{Name: "host", Value: hostOnlyFact(res, model)})
	}
	if res.MatchPath != req.Path {
		facts = append(facts, report.Fact{Name: "path", Value: fmt.Sprintf("%s is matched as %s: %s", req.Path, res.MatchPath, pathNormalisation(model))})
	}
	if res.Rule != nil {
		v := fmt.Sprintf("%s matches %s", res.MatchPath, describePath(res.Rule.Path))
		if model == routing.IngressTraefik {
			v += fmt.Sprintf(", Traefik router priority %d (rule %s)", res.Rule.Priority, routing.TraefikRule(res.Rule.Ingress, res.Rule.Host, res.Rule.Path))
		}
		if n := len(res.Others); n > 0 {
			v += fmt.Sprintf(", the longest of %d matching path(s)", n+1)
		}
		facts = append(facts, report.Fact{Name: "path", Value: v})
		if routing.IngressPathType(res.Rule.Path) == networkingv1.PathTypeImplementationSpecific {
			facts = append(facts, report.Fact{Name: "caveat", Value: implementationSpecific(model)})
		}
		for _, o := range res.Others {
			facts = append(facts, report.Fact{Name: "also matches", Value: fmt.Sprintf("%s in ingress %s/%s (shorter, or ranked after it)", describePath(o.Path), o.Ingress.Namespace, o.Ingress.Name)})
		}
	} else if res.HostMatch != routing.HostNone {
		facts = append(facts, report.Fact{Name: "path", Value: fmt.Sprintf("%s matches no path of host %s", res.MatchPath, hostLabel(res.RuleHost))})
	}
	if res.HostOwner != nil && res.Rule == nil {
		facts = append(facts, report.Fact{Name: "host's default", Value: fmt.Sprintf("ingress %s/%s defines host %s first: ingress-nginx sends the paths no rule matches to its default backend, else to its own (404)", res.HostOwner.Namespace, res.HostOwner.Name, hostLabel(res.RuleHost))})
	}
	shown := 0
	for _, d := range res.IgnoredDefaults {
		// This Ingress's own, and when no rule matches up to three others.
		if d.Ingress == f.ing || (res.Rule == nil && shown < 3) {
			facts = append(facts, report.Fact{Name: "default backend", Value: ignoredDefault(d)})
			if d.Ingress != f.ing {
				shown++
			}
		}
	}
	for _, d := range res.Depends {
		facts = append(facts, report.Fact{Name: "depends", Value: d})
	}

	var c report.Check
	switch {
	case a.blocked != nil:
		rr.Response, rr.Reason, rr.Code = a.blocked.response, a.blocked.reason, string(a.blocked.code)
		c = code.New(report.Fail, "request %s gets %s: %s", url, a.blocked.response, a.blocked.reason)
	case res.Ingress == nil:
		why := noRoute(res, f.ing, f.controller.class.name)
		rr.Response, rr.Reason = "404", why
		c = code.New(report.Fail, "request %s gets 404 from the controller's default backend: %s", url, why)
		if hosts := ruleHosts(f.ing); len(hosts) > 0 {
			c.Message += "; this ingress serves " + strings.Join(hosts, ", ")
		}
	case res.Ingress != f.ing:
		rr.Ingress = res.Ingress.Namespace + "/" + res.Ingress.Name
		rr.Backend = describeBackend(res.Backend)
		rr.Response = "served by ingress " + rr.Ingress
		rr.DefaultBackend = res.Fallback
		where := "its default backend"
		if res.Rule != nil {
			rr.Rule = hostLabel(res.Rule.Host) + " " + describePath(res.Rule.Path)
			where = "rule " + rr.Rule
		}
		c = code.New(report.Warn, "request %s lands on ingress %s (%s -> %s), not on this one", url, rr.Ingress, where, rr.Backend)
		c.Next = []string{fmt.Sprintf("kubectl netdebug ingress %s -n %s --host '%s' --path '%s'", res.Ingress.Name, res.Ingress.Namespace, req.Host, req.Path)}
	default:
		rr.Ingress = f.namespace + "/" + f.name
		rt := findRoute(a, res)
		rr.DefaultBackend = res.Fallback
		if res.Rule != nil {
			rr.Rule = hostLabel(res.Rule.Host) + " " + describePath(res.Rule.Path)
		}
		o, _ := routeOutcome(a, rt)
		https := tlsProblem
		rr.Backend, rr.Response, rr.Reason, rr.Code = backendLabel(rt.backend), o.response, o.reason, string(o.code)
		where := "the default backend"
		if rr.Rule != "" {
			where = "rule " + rr.Rule
		}
		if https != nil && scheme == "https" {
			rr.HTTPS = https.response
		}
		switch {
		case o.response != "ok" && o.response != "unknown":
			c = code.New(report.Fail, "request %s lands on %s -> %s and gets %s: %s", url, where, rr.Backend, o.response, o.reason)
		case rr.HTTPS != "":
			rr.Code = string(https.code)
			c = code.New(report.Fail, "request %s lands on %s -> %s, but HTTPS fails first: %s", url, where, rr.Backend, https.reason)
		case o.response == "unknown":
			c = code.New(report.Warn, "request %s lands on %s -> %s; %s", url, where, rr.Backend, o.reason)
		default:
			c = code.New(report.Pass, "request %s lands on %s -> %s (%s); a 502 now would mean its pods do not answer on their port", url, where, rr.Backend, o.reason)
			c.Next = probeNext(f, a, rt)
		}
		if rt.backend != nil && rt.backend.service != "" && c.Status == report.Fail && o.response != "ok" {
			c.Next = []string{fmt.Sprintf("kubectl netdebug service %s -n %s", rt.backend.service, f.namespace)}
		}
	}
	if len(res.Depends) > 0 && a.blocked == nil {
		// The route is one possible answer: say so, and claim neither a
		// problem nor its absence.
		rr.Depends = res.Depends
		c.Message += "; not certain: " + res.Depends[0]
		if c.Status == report.Pass || c.Status == report.Fail {
			c.Status = report.Warn
		}
	}
	if claims := f.routeClaims.claims; len(claims) > 0 {
		name, _, _ := strings.Cut(claims[0], " (")
		c.Message += fmt.Sprintf("; %s also claims host %s", name, req.Host)
	}
	c.Facts = append(facts, routeClaimFacts(f.routeClaims)...)
	return c
}

// noRoute says why no Ingress of the class serves the request, for "gets
// 404 from the controller's default backend: ...". It names the default
// backends that exist but do not serve it, and why.
func noRoute(res routing.IngressResult, ing *networkingv1.Ingress, class string) string {
	var why string
	switch {
	case res.HostOwner != nil && res.HostOwner == res.HostOnly:
		why = fmt.Sprintf("ingress %s/%s names host %s in a rule without paths, which claims the host for it in ingress-nginx; no path of the host matches", res.HostOnly.Namespace, res.HostOnly.Name, hostLabel(res.RuleHost))
	case res.HostMatch == routing.HostExact || res.HostMatch == routing.HostWildcard:
		why = fmt.Sprintf("no path of host %s matches it", hostLabel(res.RuleHost))
	default:
		why = fmt.Sprintf("no rule of class %s matches it", classLabel(class))
	}
	if o := res.HostOwner; o != nil && o.Spec.DefaultBackend == nil {
		if o == res.HostOnly {
			why += fmt.Sprintf(", and ingress %s/%s has no default backend", o.Namespace, o.Name)
		} else {
			why += fmt.Sprintf(", and ingress %s/%s, the first to define the host, has no default backend", o.Namespace, o.Name)
		}
		for _, d := range res.IgnoredDefaults {
			if d.Why == routing.DefaultNotFirst {
				why += fmt.Sprintf(" (ingress-nginx does not use the default backend of ingress %s/%s, which defines the host later)", d.Ingress.Namespace, d.Ingress.Name)
				break
			}
		}
		return why
	}
	if len(res.IgnoredDefaults) == 0 {
		return why + ", and there is no default backend"
	}
	d := res.IgnoredDefaults[0]
	for _, o := range res.IgnoredDefaults {
		if o.Ingress == ing {
			d = o // this Ingress's own first
			break
		}
	}
	return why + ", and " + ignoredDefault(d)
}

// ignoredDefault says why an Ingress's default backend does not serve the
// request.
func ignoredDefault(d routing.IgnoredDefault) string {
	name := d.Ingress.Namespace + "/" + d.Ingress.Name
	switch d.Why {
	case routing.DefaultNotFirst:
		return fmt.Sprintf("ingress-nginx does not use the default backend of ingress %s here: another ingress defines the host first", name)
	case routing.DefaultWithRules:
		return fmt.Sprintf("Traefik ignores the default backend of ingress %s because that ingress has rules (only an ingress without rules gives Traefik a default backend)", name)
	case routing.DefaultTaken:
		return fmt.Sprintf("Traefik uses the default backend of one ingress without rules only; that of ingress %s is not used for this request", name)
	}
	v := fmt.Sprintf("the default backend of ingress %s serves only the hosts its rules name", name)
	if hosts := ruleHosts(d.Ingress); len(hosts) > 0 {
		v += " (" + strings.Join(hosts, ", ") + ")"
	}
	return v
}

// hostOnlyFact says what a rule naming the request's host without http
// paths does.
func hostOnlyFact(res routing.IngressResult, model routing.IngressController) string {
	ing := res.HostOnly.Namespace + "/" + res.HostOnly.Name
	switch model {
	case routing.IngressNginx:
		return fmt.Sprintf("ingress %s names the host in a rule without paths: ingress-nginx still makes the host's server of it, so the wildcard and host-less rules of other ingresses do not apply", ing)
	case routing.IngressTraefik:
		return fmt.Sprintf("ingress %s names the host in a rule without paths: Traefik makes no router of it", ing)
	}
	return fmt.Sprintf("ingress %s names the host in a rule without paths: whether that claims the host depends on the controller (ingress-nginx: yes, Traefik: no)", ing)
}

// pathNormalisation says how the controller turns a request path into
// the path it matches (routing.IngressController.MatchingPath).
func pathNormalisation(model routing.IngressController) string {
	switch model {
	case routing.IngressNginx:
		return "nginx decodes every escape (%2F too) and removes dot segments and repeated slashes before matching"
	case routing.IngressTraefik:
		return "Traefik removes dot segments and repeated slashes (sanitizePath) and decodes every escape but the reserved characters (%2F stays) before matching"
	}
	return "dot segments removed and unreserved escapes decoded, as every controller does; other escapes are decoded as the controller chooses"
}

// tlsFor says whether a TLS entry of the Ingress lists host (exactly or by
// a wildcard: an empty TLS host covers nothing), and the HTTPS problem of
// that entry for it, if any.
func tlsFor(a *analysis, host string) (bool, *outcome) {
	if host == "" {
		return false, nil
	}
	for _, e := range a.tls {
		for _, h := range e.hosts {
			if m := routing.MatchHost(h, host); m == routing.HostExact || m == routing.HostWildcard {
				return true, e.problemFor(h, a.kind)
			}
		}
	}
	return false, nil
}

// findRoute is this Ingress's route for a routing result.
func findRoute(a *analysis, res routing.IngressResult) *route {
	for _, rt := range a.routes {
		if res.Fallback && rt.isDefault {
			return rt
		}
		if res.Rule != nil && !rt.isDefault && rt.host == res.Rule.Host && rt.path.Path == res.Rule.Path.Path && routing.IngressPathType(rt.path) == routing.IngressPathType(res.Rule.Path) {
			return rt
		}
	}
	return &route{isDefault: res.Fallback}
}

func ruleHosts(ing *networkingv1.Ingress) []string {
	var out []string
	for _, r := range ing.Spec.Rules {
		if r.Host != "" && !contains(out, r.Host) {
			out = append(out, r.Host)
		}
	}
	return out
}

// probeNext is the command that tells a 502 apart: a request from a
// controller pod straight to a backend endpoint, bypassing the proxy's
// configuration. A later version runs it itself.
func probeNext(f *facts, a *analysis, rt *route) []string {
	var b *backend
	path := "/"
	if rt != nil {
		b = rt.backend
		if !rt.isDefault && rt.path.Path != "" {
			path = rt.path.Path
		}
	} else {
		for _, r := range a.routes {
			if r.backend != nil && r.backend.state == backendOK {
				b = r.backend
				if !r.isDefault && r.path.Path != "" {
					path = r.path.Path
				}
				break
			}
		}
	}
	if b == nil || b.state != backendOK {
		return nil
	}
	var ep string
	for _, e := range b.endpoints {
		if e.Ready {
			ep = e.Address
			break
		}
	}
	port := endpointPort(f, b)
	if ep == "" || port == 0 {
		return nil
	}
	target := fmt.Sprintf("http://%s:%d%s", hostPort(ep), port, path)
	if pods := f.controller.readyPods(); len(pods) > 0 {
		p := pods[0]
		return []string{fmt.Sprintf("kubectl -n %s exec %s -- curl -sS -o /dev/null -w '%%{http_code}\\n' --max-time 5 %s", p.Namespace, p.Name, target)}
	}
	for _, e := range b.endpoints {
		if e.Ready && e.Pod != "" {
			return []string{fmt.Sprintf("kubectl -n %s port-forward pod/%s %d & curl -sS -o /dev/null -w '%%{http_code}\\n' --max-time 5 http://127.0.0.1:%d%s", f.namespace, e.Pod, port, port, path)}
		}
	}
	return nil
}

// endpointPort is the port number the EndpointSlices give the backend's
// service port: the resolved targetPort.
func endpointPort(f *facts, b *backend) int32 {
	for _, s := range f.slices[b.service] {
		for _, p := range s.Ports {
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			if name == b.svcPort.Name && p.Port != nil {
				return *p.Port
			}
		}
	}
	return 0
}

func hostPort(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]"
	}
	return ip
}
