package route

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// analysis is what the checks share beyond the raw facts.
type analysis struct {
	// refs are this route's parentRefs (those naming the --gateway one,
	// when given), judged.
	refs []*parentRef
	// parents are the Gateways routed through, one each.
	parents []*parent
	// backends are the distinct backends of this route's rules and of the
	// rules that win a request.
	backends []*backend
}

// parentRef is one parentRef of the route.
type parentRef struct {
	index int
	ref   gwv1.ParentReference
	// gwKey is the namespace/name of the Gateway it names (or the parent
	// of the ListenerSet it names), "" for another kind of parent.
	gwKey string
	// lsKey is the namespace/name of the ListenerSet it names, "" when it
	// names another kind of parent.
	lsKey string
	// att is the attachment to that Gateway, nil when it could not be
	// read.
	att    *gateway.ParentAttachment
	status *gwv1.RouteParentStatus
}

// parent is one Gateway routed through.
type parent struct {
	key string
	pg  *parentGateway
	// attachments of every route of the kind to the Gateway.
	attachments []gateway.ParentAttachment
	// The request as routed through this Gateway.
	req       builtRequest
	scheme    string
	port      int32
	listener  *gwv1.Listener
	hostMatch routing.HostMatch
	// considered: the listeners of the protocol and port.
	considered []*gwv1.Listener
	// onListener: the routes attached to the listener, with the
	// hostnames they serve there.
	onListener []gateway.Route
	http       *routing.HTTPResult
	grpc       *routing.GRPCResult
	winner     *winner
	// blocked says why nothing answers the request (no listener, the
	// gateway not programmed...): no HTTP status at all.
	blocked string
	// notFound says why the gateway answers 404 before any route.
	notFound string
	// notAttached: the route is not attached to the listener reached.
	notAttached string
}

// winner is the rule that takes the request.
type winner struct {
	route *gateway.Route
	rule  int // from 0
	match string
	host  string
	// backends of the rule, with their weights and filters.
	refs []ruleBackend
}

// builtRequest is the request routed, as given or as the route's first
// rule describes it.
type builtRequest struct {
	http        routing.HTTPRequest
	grpc        routing.GRPCRequest
	scheme      string
	port        int32
	synthesized string // how it was built, when not given
	url         string
	host        string
}

func analyze(f *facts, req Request) *analysis {
	a := &analysis{}
	rt := f.route
	for i, ref := range rt.ParentRefs {
		pr := &parentRef{index: i, ref: ref, gwKey: f.parentKey(ref)}
		if ns, name, ok := routing.ParentListenerSet(ref, rt.Namespace); ok {
			pr.lsKey = ns + "/" + name
		}
		if req.GatewayName != "" && pr.gwKey != req.GatewayNamespace+"/"+req.GatewayName {
			continue
		}
		pr.status = gateway.ParentStatus(rt.Status, ref, rt.Namespace)
		a.refs = append(a.refs, pr)
	}
	var keys []string
	for key := range f.gateways {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	// Parents in the order the route names them.
	slices.SortStableFunc(keys, func(x, y string) int { return refOrder(f, x) - refOrder(f, y) })
	for _, key := range keys {
		pg := f.gateways[key]
		p := &parent{key: key, pg: pg}
		a.parents = append(a.parents, p)
		if pg.gw == nil {
			continue
		}
		routes := withRoute(f.all, rt)
		p.attachments = gateway.AttachmentsTo(pg.gw, routes, f.namespaces)
		for _, st := range pg.sets {
			p.attachments = append(p.attachments, gateway.AttachmentsToListenerSet(st, routes, f.namespaces)...)
		}
		for _, pr := range a.refs {
			if pr.gwKey != key {
				continue
			}
			for i := range p.attachments {
				att := &p.attachments[i]
				if att.Route.Key() == rt.Key() && att.Index == pr.index {
					pr.att = att
				}
			}
		}
		if !rt.Stream() {
			routeThrough(f, p, req)
		}
	}
	a.collectBackends(f)
	return a
}

// refOrder is the index of the first parentRef naming key, or a large
// number.
func refOrder(f *facts, key string) int {
	for i, ref := range f.route.ParentRefs {
		if f.parentKey(ref) == key {
			return i
		}
	}
	return 1 << 20
}

// withRoute is all with rt in it (all may miss it when its namespace was
// not listed).
func withRoute(all []gateway.Route, rt *gateway.Route) []gateway.Route {
	for _, r := range all {
		if r.Key() == rt.Key() {
			return all
		}
	}
	return append(slices.Clone(all), *rt)
}

// routeThrough routes the request through one parent Gateway: the
// listener it reaches, the routes attached there, the winning rule.
func routeThrough(f *facts, p *parent, req Request) {
	gw := p.pg.gw
	p.req = buildRequest(f, p, req)
	p.scheme, p.port = p.req.scheme, p.req.port
	proto := gwv1.HTTPProtocolType
	if p.scheme == "https" {
		proto = gwv1.HTTPSProtocolType
	}
	switch {
	case p.pg.class == nil && f.classesErr == nil:
		p.blocked = fmt.Sprintf("GatewayClass %s does not exist: nothing programs gateway %s", gw.Spec.GatewayClassName, p.key)
	case statusFalse(gw, gwv1.GatewayConditionAccepted):
		p.blocked = fmt.Sprintf("gateway %s is not accepted (%s)", p.key, conditionReason(gw, gwv1.GatewayConditionAccepted))
	case statusFalse(gw, gwv1.GatewayConditionProgrammed):
		p.blocked = fmt.Sprintf("gateway %s is not programmed (%s)", p.key, conditionReason(gw, gwv1.GatewayConditionProgrammed))
	}
	p.listener, p.hostMatch, p.considered = routing.SelectListener(p.pg.merged, proto, p.port, requestHost(p))
	if len(p.considered) == 0 {
		if p.blocked == "" {
			p.blocked = fmt.Sprintf("gateway %s has no %s listener on port %d", p.key, proto, p.port)
		}
		return
	}
	if p.listener == nil {
		p.notFound = fmt.Sprintf("no listener of gateway %s on port %d matches host %s", p.key, p.port, hostLabel(requestHost(p)))
		return
	}
	// The routes attached to that listener, with the hostnames they serve
	// there; a route whose controller status says it is not accepted is
	// not served, whatever netdebug computes.
	var httpRoutes []routing.AttachedHTTPRoute
	var grpcRoutes []routing.AttachedGRPCRoute
	for i := range p.attachments {
		att := &p.attachments[i]
		if controllerRejects(att) {
			continue
		}
		for _, v := range att.Listeners {
			if !v.Accepted || routing.ListenerLabel(att.ListenerSet, v.Listener) != string(p.listener.Name) {
				continue
			}
			if slices.ContainsFunc(p.onListener, func(r gateway.Route) bool { return r.Key() == att.Route.Key() }) {
				continue
			}
			p.onListener = append(p.onListener, *att.Route)
			if att.Route.HTTP != nil {
				httpRoutes = append(httpRoutes, routing.AttachedHTTPRoute{Route: att.Route.HTTP, Hostnames: v.Hostnames})
			}
			if att.Route.GRPC != nil {
				grpcRoutes = append(grpcRoutes, routing.AttachedGRPCRoute{Route: att.Route.GRPC, Hostnames: v.Hostnames})
			}
		}
	}
	if !slices.ContainsFunc(p.onListener, func(r gateway.Route) bool { return r.Key() == f.route.Key() }) {
		p.notAttached = fmt.Sprintf("%s is not attached to listener %s of gateway %s", f.route.Label(), p.listener.Name, p.key)
	}
	if f.kind == GRPCRoute {
		res := routing.RouteGRPC(grpcRoutes, p.req.grpc)
		p.grpc = &res
		if w := res.Winner; w != nil {
			rt := findRoute(p.onListener, w.Route.Namespace, w.Route.Name)
			p.winner = &winner{route: rt, rule: w.Rule, match: w.DescribeMatch(), host: w.Hostname}
		}
	} else {
		res := routing.RouteHTTP(httpRoutes, p.req.http)
		p.http = &res
		if w := res.Winner; w != nil {
			rt := findRoute(p.onListener, w.Route.Namespace, w.Route.Name)
			p.winner = &winner{route: rt, rule: w.Rule, match: w.DescribeMatch(), host: w.Hostname}
		}
	}
}

func findRoute(list []gateway.Route, ns, name string) *gateway.Route {
	for i := range list {
		if list[i].Namespace == ns && list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// controllerRejects: the controller's status for this parentRef says the
// route is not accepted.
func controllerRejects(att *gateway.ParentAttachment) bool {
	c := att.Condition(gwv1.RouteConditionAccepted)
	return c != nil && c.Status == "False"
}

func statusFalse(gw *gwv1.Gateway, t gwv1.GatewayConditionType) bool {
	c := meta.FindStatusCondition(gw.Status.Conditions, string(t))
	return c != nil && c.Status == "False"
}

func conditionReason(gw *gwv1.Gateway, t gwv1.GatewayConditionType) string {
	c := meta.FindStatusCondition(gw.Status.Conditions, string(t))
	if c == nil {
		return ""
	}
	if c.Message != "" {
		return c.Reason + ": " + c.Message
	}
	return c.Reason
}

func requestHost(p *parent) string { return p.req.host }

func hostLabel(h string) string {
	if h == "" {
		return "(none: the address)"
	}
	return h
}

// buildRequest is the request given, or the one the route's first rule
// describes, with the scheme and port it reaches the Gateway on.
func buildRequest(f *facts, p *parent, req Request) builtRequest {
	var b builtRequest
	host, path, method, headers := req.Host, req.Path, req.Method, req.Headers
	if !req.Given() {
		host, path, method, headers, b.synthesized = describeFirstRule(f, p)
	}
	b.scheme, b.port = schemeAndPort(f, p, req.Host)
	if f.kind == GRPCRoute {
		b.grpc, _ = routing.ParseGRPCRequest(host, path, headers)
		b.host = b.grpc.Host
		b.url = fmt.Sprintf("%s://%s%s", b.scheme, hostPortLabel(b.grpc.Host, b.scheme, b.port), "/"+strings.TrimSuffix(b.grpc.Service+"/"+b.grpc.Method, "/"))
		return b
	}
	b.http, _ = routing.ParseHTTPRequest(host, path, method, headers)
	b.host = b.http.Host
	q := url.Values{}
	for k, v := range b.http.Query {
		q.Set(k, v)
	}
	u := fmt.Sprintf("%s://%s%s", b.scheme, hostPortLabel(b.http.Host, b.scheme, b.port), b.http.Path)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	b.url = u
	return b
}

func hostPortLabel(host, scheme string, port int32) string {
	if host == "" {
		host = "<address>"
	}
	if (scheme == "http" && port == 80) || (scheme == "https" && port == 443) {
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}

// schemeAndPort: from a URL or host:port given; else the listener the
// route attaches to, plain HTTP first; else port 80.
func schemeAndPort(f *facts, p *parent, given string) (string, int32) {
	scheme, port := "", int32(0)
	if strings.Contains(given, "://") {
		if u, err := url.Parse(given); err == nil {
			scheme = strings.ToLower(u.Scheme)
			if n, err := strconv.Atoi(u.Port()); err == nil {
				port = int32(n)
			}
		}
	} else if _, ps, err := net.SplitHostPort(given); err == nil {
		if n, err := strconv.Atoi(ps); err == nil {
			port = int32(n)
		}
	}
	if scheme == "grpc" || scheme == "h2c" {
		scheme = "http"
	}
	listeners := p.pg.merged
	// The listeners this route attaches to, else those its parentRefs
	// select; plain HTTP first.
	var mine, selected []gwv1.Listener
	for _, pr := range p.attachments {
		if pr.Route.Key() != f.route.Key() {
			continue
		}
		for _, v := range pr.Listeners {
			for _, l := range listeners {
				if string(l.Name) != routing.ListenerLabel(pr.ListenerSet, v.Listener) {
					continue
				}
				if v.Accepted {
					mine = append(mine, l)
				} else if v.Selected && v.KindAllowed {
					selected = append(selected, l)
				}
			}
		}
	}
	if len(mine) == 0 {
		mine = selected
	}
	slices.SortStableFunc(mine, func(x, y gwv1.Listener) int {
		if x.Protocol != y.Protocol {
			return strings.Compare(string(x.Protocol), string(y.Protocol)) // HTTP before HTTPS
		}
		return int(x.Port - y.Port)
	})
	if scheme == "" && port != 0 {
		for _, l := range listeners {
			if l.Port == port && (l.Protocol == gwv1.HTTPProtocolType || l.Protocol == gwv1.HTTPSProtocolType) {
				return strings.ToLower(string(l.Protocol)), port
			}
		}
		return "http", port
	}
	if scheme == "" {
		if len(mine) > 0 {
			return strings.ToLower(string(mine[0].Protocol)), mine[0].Port
		}
		scheme = "http"
	}
	if port != 0 {
		return scheme, port
	}
	proto := gwv1.ProtocolType(strings.ToUpper(scheme))
	def := int32(80)
	if scheme == "https" {
		def = 443
	}
	for _, l := range mine {
		if l.Protocol == proto {
			return scheme, l.Port
		}
	}
	for _, l := range listeners {
		if l.Protocol == proto && l.Port == def {
			return scheme, def
		}
	}
	for _, l := range listeners {
		if l.Protocol == proto {
			return scheme, l.Port
		}
	}
	return scheme, def
}

// describeFirstRule is the request the route's first rule describes: a
// hostname it serves on the Gateway (a wildcard's "*" as "www"), the path
// of its first match (an Exact or PathPrefix value; "/" for others), its
// method and its exact header and query matches.
func describeFirstRule(f *facts, p *parent) (host, path, method string, headers []string, how string) {
	rt := f.route
	host = firstHostname(f, p)
	path = "/"
	how = "the request rule 1 describes"
	switch {
	case rt.HTTP != nil && len(rt.HTTP.Spec.Rules) > 0 && len(rt.HTTP.Spec.Rules[0].Matches) > 0:
		m := rt.HTTP.Spec.Rules[0].Matches[0]
		if m.Path != nil && m.Path.Value != nil && (m.Path.Type == nil || *m.Path.Type != gwv1.PathMatchRegularExpression) {
			path = *m.Path.Value
		}
		if m.Method != nil {
			method = string(*m.Method)
		}
		for _, h := range m.Headers {
			if h.Type == nil || *h.Type == gwv1.HeaderMatchExact {
				headers = append(headers, string(h.Name)+"="+h.Value)
			}
		}
		var q []string
		for _, qp := range m.QueryParams {
			if qp.Type == nil || *qp.Type == gwv1.QueryParamMatchExact {
				q = append(q, url.QueryEscape(string(qp.Name))+"="+url.QueryEscape(qp.Value))
			}
		}
		if len(q) > 0 {
			path += "?" + strings.Join(q, "&")
		}
	case rt.GRPC != nil && len(rt.GRPC.Spec.Rules) > 0 && len(rt.GRPC.Spec.Rules[0].Matches) > 0:
		m := rt.GRPC.Spec.Rules[0].Matches[0]
		if m.Method != nil && (m.Method.Type == nil || *m.Method.Type == gwv1.GRPCMethodMatchExact) {
			svc, meth := "", ""
			if m.Method.Service != nil {
				svc = *m.Method.Service
			}
			if m.Method.Method != nil {
				meth = *m.Method.Method
			}
			if svc == "" {
				svc = "any.Service"
			}
			path = "/" + svc
			if meth != "" {
				path += "/" + meth
			}
		}
		for _, h := range m.Headers {
			if h.Type == nil || *h.Type == gwv1.GRPCHeaderMatchExact {
				headers = append(headers, string(h.Name)+"="+h.Value)
			}
		}
	}
	return host, path, method, headers, how
}

// firstHostname is the first hostname the route serves on the Gateway
// (intersected with the listener it attaches to), a wildcard made
// concrete; "" when it serves any host.
func firstHostname(f *facts, p *parent) string {
	for _, att := range p.attachments {
		if att.Route.Key() != f.route.Key() {
			continue
		}
		for _, v := range att.Listeners {
			if v.Accepted && len(v.Hostnames) > 0 {
				return concrete(v.Hostnames[0])
			}
		}
	}
	if len(f.route.Hostnames) > 0 {
		return concrete(string(f.route.Hostnames[0]))
	}
	for _, l := range p.pg.merged {
		if h := routing.ListenerHostname(&l); h != "" {
			return concrete(h)
		}
	}
	return ""
}

func concrete(h string) string {
	if rest, ok := strings.CutPrefix(h, "*."); ok {
		return "www." + rest
	}
	return h
}
