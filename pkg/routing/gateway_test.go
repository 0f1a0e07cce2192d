package routing

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func ptrTo[T any](v T) *T { return &v }

func TestMatchGatewayHost(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          HostMatch
	}{
		{"foo.example.com", "foo.example.com", HostExact},
		{"Foo.Example.com", "foo.example.com", HostExact},
		{"*.example.com", "foo.example.com", HostWildcard},
		// A Gateway API wildcard is a suffix match: any number of labels.
		{"*.example.com", "foo.bar.example.com", HostWildcard},
		{"*.example.com", "example.com", HostNone},
		{"*.example.com", "fooexample.com", HostNone},
		{"*.example.com", ".example.com", HostNone},
		{"", "anything.org", HostAny},
		{"foo.example.com", "bar.example.com", HostNone},
	}
	for _, tt := range tests {
		if got := MatchGatewayHost(tt.pattern, tt.host); got != tt.want {
			t.Errorf("MatchGatewayHost(%q, %q) = %s, want %s", tt.pattern, tt.host, got, tt.want)
		}
	}
}

// The examples of HTTPRouteSpec.Hostnames.
func TestIntersectHostnames(t *testing.T) {
	tests := []struct {
		listener, route, want string
		ok                    bool
	}{
		{"test.example.com", "", "test.example.com", true},
		{"test.example.com", "test.example.com", "test.example.com", true},
		{"test.example.com", "*.example.com", "test.example.com", true},
		{"*.example.com", "", "*.example.com", true},
		{"*.example.com", "*.example.com", "*.example.com", true},
		{"*.example.com", "test.example.com", "test.example.com", true},
		{"*.example.com", "foo.test.example.com", "foo.test.example.com", true},
		{"*.example.com", "*.foo.example.com", "*.foo.example.com", true},
		{"*.foo.example.com", "*.example.com", "*.foo.example.com", true},
		{"*.example.com", "example.com", "", false},
		{"*.example.com", "test.example.net", "", false},
		{"test.example.com", "other.example.com", "", false},
		{"", "", "", true},
		{"", "Shop.Example.com", "shop.example.com", true},
	}
	for _, tt := range tests {
		got, ok := IntersectHostnames(tt.listener, tt.route)
		if got != tt.want || ok != tt.ok {
			t.Errorf("IntersectHostnames(%q, %q) = %q %t, want %q %t", tt.listener, tt.route, got, ok, tt.want, tt.ok)
		}
	}
}

func listener(name string, proto gwv1.ProtocolType, port int32, host string) gwv1.Listener {
	l := gwv1.Listener{Name: gwv1.SectionName(name), Protocol: proto, Port: port}
	if host != "" {
		l.Hostname = ptrTo(gwv1.Hostname(host))
	}
	return l
}

func TestListenerConflicts(t *testing.T) {
	ls := []gwv1.Listener{
		listener("http", gwv1.HTTPProtocolType, 80, ""),
		listener("http-dup", gwv1.HTTPProtocolType, 80, ""),                    // hostname conflict with http
		listener("http-shop", gwv1.HTTPProtocolType, 80, "shop.example.com"),   // distinct by hostname
		listener("https", gwv1.HTTPSProtocolType, 443, "shop.example.com"),     // fine
		listener("tls", gwv1.TLSProtocolType, 443, "db.example.com"),           // HTTPS and TLS share a port by SNI
		listener("https-on-80", gwv1.HTTPSProtocolType, 80, "api.example.com"), // protocol conflict with the HTTP listeners
		listener("tcp", gwv1.TCPProtocolType, 5432, ""),
		listener("tcp-dup", gwv1.TCPProtocolType, 5432, ""), // TCP: no hostname to tell apart
		listener("udp", gwv1.UDPProtocolType, 5432, ""),     // UDP beside TCP is fine
		listener("tcp-443", gwv1.TCPProtocolType, 443, ""),  // TCP beside HTTPS/TLS conflicts
	}
	got := map[string]gwv1.ListenerConditionReason{}
	for _, c := range ListenerConflicts(ls) {
		got[c.A+"+"+c.B] = c.Reason
		if c.Message == "" {
			t.Errorf("%s+%s: no message", c.A, c.B)
		}
	}
	want := map[string]gwv1.ListenerConditionReason{
		"http+http-dup":         gwv1.ListenerReasonHostnameConflict,
		"http+https-on-80":      gwv1.ListenerReasonProtocolConflict,
		"http-dup+https-on-80":  gwv1.ListenerReasonProtocolConflict,
		"http-shop+https-on-80": gwv1.ListenerReasonProtocolConflict,
		"tcp+tcp-dup":           gwv1.ListenerReasonHostnameConflict,
		"https+tcp-443":         gwv1.ListenerReasonProtocolConflict,
		"tls+tcp-443":           gwv1.ListenerReasonProtocolConflict,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("conflict %s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("conflicts %v, want %v", got, want)
	}
}

func TestSelectListener(t *testing.T) {
	ls := []gwv1.Listener{
		listener("empty", gwv1.HTTPProtocolType, 80, ""),
		listener("wild", gwv1.HTTPProtocolType, 80, "*.example.com"),
		listener("wild-foo", gwv1.HTTPProtocolType, 80, "*.foo.example.com"),
		listener("abc-foo", gwv1.HTTPProtocolType, 80, "abc.foo.example.com"),
		listener("https", gwv1.HTTPSProtocolType, 443, "abc.foo.example.com"),
	}
	tests := []struct {
		host, want string
		how        HostMatch
	}{
		// The listener isolation examples of GatewaySpec.
		{"abc.foo.example.com", "abc-foo", HostExact},
		{"def.foo.example.com", "wild-foo", HostWildcard},
		{"bar.example.com", "wild", HostWildcard},
		{"x.y.example.com", "wild", HostWildcard},
		{"bar.com", "empty", HostAny},
	}
	for _, tt := range tests {
		l, how, considered := SelectListener(ls, gwv1.HTTPProtocolType, 80, tt.host)
		if l == nil || string(l.Name) != tt.want || how != tt.how {
			t.Errorf("%s: listener %v %s, want %s %s", tt.host, l, how, tt.want, tt.how)
		}
		if len(considered) != 4 || considered[0].Name != "abc-foo" || considered[3].Name != "empty" {
			t.Errorf("%s: considered %v", tt.host, considered)
		}
	}
	strict := []gwv1.Listener{listener("shop", gwv1.HTTPProtocolType, 80, "shop.example.com")}
	if l, how, _ := SelectListener(strict, gwv1.HTTPProtocolType, 80, "other.example.com"); l != nil || how != HostNone {
		t.Errorf("no listener hostname matches: got %v", l)
	}
	if l, _, considered := SelectListener(ls, gwv1.HTTPSProtocolType, 80, "abc.foo.example.com"); l != nil || len(considered) != 0 {
		t.Errorf("no HTTPS listener on port 80: got %v", l)
	}
}

func gateway(ns, name string, ls ...gwv1.Listener) *gwv1.Gateway {
	return &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: gwv1.GatewaySpec{GatewayClassName: "c", Listeners: ls}}
}

func allowFrom(l gwv1.Listener, from gwv1.FromNamespaces, sel *metav1.LabelSelector, kinds ...string) gwv1.Listener {
	l.AllowedRoutes = &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: &from, Selector: sel}}
	for _, k := range kinds {
		l.AllowedRoutes.Kinds = append(l.AllowedRoutes.Kinds, gwv1.RouteGroupKind{Kind: gwv1.Kind(k)})
	}
	return l
}

func TestAttach(t *testing.T) {
	gw := gateway("infra", "shop",
		listener("http", gwv1.HTTPProtocolType, 80, "*.example.com"),
		allowFrom(listener("https", gwv1.HTTPSProtocolType, 443, "shop.example.com"), gwv1.NamespacesFromAll, nil),
		allowFrom(listener("team", gwv1.HTTPProtocolType, 8080, ""), gwv1.NamespacesFromSelector, &metav1.LabelSelector{MatchLabels: map[string]string{"team": "shop"}}),
		allowFrom(listener("grpc-only", gwv1.HTTPProtocolType, 9090, ""), gwv1.NamespacesFromAll, nil, "GRPCRoute"),
		listener("tls", gwv1.TLSProtocolType, 8443, ""),
	)
	section := func(s string) *gwv1.SectionName { return ptrTo(gwv1.SectionName(s)) }
	ref := func(sectionName *gwv1.SectionName, port *int32) gwv1.ParentReference {
		return gwv1.ParentReference{Name: "shop", Namespace: ptrTo(gwv1.Namespace("infra")), SectionName: sectionName, Port: port}
	}
	route := func(ns string, hosts ...string) RouteInfo {
		r := RouteInfo{Kind: "HTTPRoute", Namespace: ns, Name: "r", NamespaceKnown: true, NamespaceLabels: map[string]string{"team": "web"}}
		for _, h := range hosts {
			r.Hostnames = append(r.Hostnames, gwv1.Hostname(h))
		}
		return r
	}
	tests := []struct {
		name      string
		ref       gwv1.ParentReference
		route     RouteInfo
		accepted  bool
		reason    gwv1.RouteConditionReason
		listeners []string
		contains  string
	}{
		{"same namespace, any listener", ref(nil, nil), route("infra", "shop.example.com"), true, gwv1.RouteReasonAccepted, []string{"http", "https", "grpc-only:no"}, "accepted by listener(s) http, https"},
		{"other namespace: only From All", ref(nil, nil), route("web", "shop.example.com"), true, gwv1.RouteReasonAccepted, []string{"https"}, "https"},
		{"other namespace through the Same listener", ref(section("http"), nil), route("web", "a.example.com"), false, gwv1.RouteReasonNotAllowedByListeners, nil, "listener http admits routes from namespace infra only (from: Same), not from namespace web"},
		{"several listeners refuse it", ref(nil, nil), route("infra", "www.example.net"), false, gwv1.RouteReasonNoMatchingListenerHostname, nil, "(and 1 other listener(s) refuse it)"},
		{"hostnames do not intersect", ref(section("https"), nil), route("web", "www.example.com"), false, gwv1.RouteReasonNoMatchingListenerHostname, nil, "listener https has hostname shop.example.com, which does not intersect the route's hostnames www.example.com"},
		{"no such listener", ref(section("htps"), nil), route("infra"), false, gwv1.RouteReasonNoMatchingParent, nil, "gateway infra/shop has no listener named htps"},
		{"no listener on the port", ref(nil, ptrTo(int32(81))), route("infra"), false, gwv1.RouteReasonNoMatchingParent, nil, "no listener on port 81"},
		{"section and port must both match", ref(section("http"), ptrTo(int32(443))), route("infra"), false, gwv1.RouteReasonNoMatchingParent, nil, "named http on port 443"},
		{"kind not allowed", ref(section("grpc-only"), nil), route("infra"), false, gwv1.RouteReasonNotAllowedByListeners, nil, "admits route kinds GRPCRoute, not HTTPRoute"},
		{"TLS listener admits TLSRoute only", ref(section("tls"), nil), route("infra"), false, gwv1.RouteReasonNotAllowedByListeners, nil, "admits route kinds TLSRoute, not HTTPRoute"},
		{"selector misses the namespace", ref(section("team"), nil), route("web"), false, gwv1.RouteReasonNotAllowedByListeners, nil, "namespaces labelled team=shop, not from namespace web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Attach(gw, tt.ref, tt.route)
			if a.Accepted != tt.accepted || a.Reason != tt.reason || !strings.Contains(a.Message, tt.contains) {
				t.Errorf("Attach = %t %s %q, want %t %s containing %q", a.Accepted, a.Reason, a.Message, tt.accepted, tt.reason, tt.contains)
			}
			for _, want := range tt.listeners {
				name, no := strings.CutSuffix(want, ":no")
				for _, v := range a.Listeners {
					if v.Listener == name && v.Accepted == no {
						t.Errorf("listener %s accepted=%t (%s)", name, v.Accepted, v.Why)
					}
				}
			}
		})
	}
	// The selector admits a namespace with the label.
	r := route("shop")
	r.NamespaceLabels = map[string]string{"team": "shop"}
	if a := Attach(gw, ref(section("team"), nil), r); !a.Accepted {
		t.Errorf("selector: %s", a.Message)
	}
	// Labels unknown: undecided, not a verdict.
	r.NamespaceKnown = false
	if a := Attach(gw, ref(section("team"), nil), r); a.Accepted || !a.Undecided {
		t.Errorf("unknown labels: %+v", a)
	}
	// The hostnames served on the wildcard listener are the intersection.
	a := Attach(gw, ref(section("http"), nil), route("infra", "shop.example.com", "shop.example.net", "*.api.example.com"))
	if !a.Accepted || strings.Join(a.Listeners[0].Hostnames, ",") != "shop.example.com,*.api.example.com" {
		t.Errorf("hostnames %v", a.Listeners[0].Hostnames)
	}
	if !RefersTo(ref(nil, nil), "web", gw) || RefersTo(gwv1.ParentReference{Name: "shop"}, "web", gw) ||
		RefersTo(gwv1.ParentReference{Name: "shop", Kind: ptrTo(gwv1.Kind("Service")), Group: ptrTo(gwv1.Group(""))}, "infra", gw) {
		t.Error("RefersTo")
	}
}

func TestGrantFor(t *testing.T) {
	grants := []gwv1.ReferenceGrant{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "backend", Name: "web-routes"}, Spec: gwv1.ReferenceGrantSpec{
			From: []gwv1.ReferenceGrantFrom{{Group: GatewayGroup, Kind: "HTTPRoute", Namespace: "web"}},
			To:   []gwv1.ReferenceGrantTo{{Group: "", Kind: "Service", Name: ptrTo(gwv1.ObjectName("api"))}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "certs", Name: "gateways"}, Spec: gwv1.ReferenceGrantSpec{
			From: []gwv1.ReferenceGrantFrom{{Group: GatewayGroup, Kind: "Gateway", Namespace: "infra"}},
			To:   []gwv1.ReferenceGrantTo{{Group: "", Kind: "Secret"}},
		}},
	}
	route := ReferenceFrom{Group: GatewayGroup, Kind: "HTTPRoute", Namespace: "web"}
	tests := []struct {
		name  string
		from  ReferenceFrom
		to    ReferenceTo
		grant string
	}{
		{"granted by name", route, ReferenceTo{Kind: "Service", Namespace: "backend", Name: "api"}, "web-routes"},
		{"another service", route, ReferenceTo{Kind: "Service", Namespace: "backend", Name: "db"}, ""},
		{"another namespace", ReferenceFrom{Group: GatewayGroup, Kind: "HTTPRoute", Namespace: "blog"}, ReferenceTo{Kind: "Service", Namespace: "backend", Name: "api"}, ""},
		{"another kind", ReferenceFrom{Group: GatewayGroup, Kind: "GRPCRoute", Namespace: "web"}, ReferenceTo{Kind: "Service", Namespace: "backend", Name: "api"}, ""},
		{"every secret", ReferenceFrom{Group: GatewayGroup, Kind: "Gateway", Namespace: "infra"}, ReferenceTo{Kind: "Secret", Namespace: "certs", Name: "any"}, "gateways"},
		{"the grant must be in the referent's namespace", route, ReferenceTo{Kind: "Service", Namespace: "web", Name: "api"}, ""},
	}
	for _, tt := range tests {
		g := GrantFor(grants, tt.from, tt.to)
		got := ""
		if g != nil {
			got = g.Name
		}
		if got != tt.grant {
			t.Errorf("%s: grant %q, want %q", tt.name, got, tt.grant)
		}
	}
}

func httpRoute(ns, name string, age time.Duration, hosts []string, rules ...gwv1.HTTPRouteRule) *gwv1.HTTPRoute {
	r := &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(now.Add(-age))}}
	for _, h := range hosts {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gwv1.Hostname(h))
	}
	r.Spec.Rules = rules
	return r
}

func httpRule(matches ...gwv1.HTTPRouteMatch) gwv1.HTTPRouteRule {
	return gwv1.HTTPRouteRule{Matches: matches}
}

func pathMatch(t gwv1.PathMatchType, v string) gwv1.HTTPRouteMatch {
	return gwv1.HTTPRouteMatch{Path: &gwv1.HTTPPathMatch{Type: &t, Value: &v}}
}

func withMethod(m gwv1.HTTPRouteMatch, method string) gwv1.HTTPRouteMatch {
	m.Method = ptrTo(gwv1.HTTPMethod(method))
	return m
}

func withHeaders(m gwv1.HTTPRouteMatch, kv ...string) gwv1.HTTPRouteMatch {
	for i := 0; i+1 < len(kv); i += 2 {
		m.Headers = append(m.Headers, gwv1.HTTPHeaderMatch{Name: gwv1.HTTPHeaderName(kv[i]), Value: kv[i+1]})
	}
	return m
}

func withQuery(m gwv1.HTTPRouteMatch, kv ...string) gwv1.HTTPRouteMatch {
	for i := 0; i+1 < len(kv); i += 2 {
		m.QueryParams = append(m.QueryParams, gwv1.HTTPQueryParamMatch{Name: gwv1.HTTPHeaderName(kv[i]), Value: kv[i+1]})
	}
	return m
}

func attached(routes ...*gwv1.HTTPRoute) []AttachedHTTPRoute {
	var out []AttachedHTTPRoute
	for _, r := range routes {
		hosts := routeHostnames(r.Spec.Hostnames)
		out = append(out, AttachedHTTPRoute{Route: r, Hostnames: hosts})
	}
	return out
}

func request(t *testing.T, host, path, method string, headers ...string) HTTPRequest {
	t.Helper()
	req, err := ParseHTTPRequest(host, path, method, headers)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// The precedence of HTTPRouteRule.Matches and HTTPRouteSpec.Hostnames,
// case by case.
func TestRouteHTTPPrecedence(t *testing.T) {
	const ex, pre = gwv1.PathMatchExact, gwv1.PathMatchPathPrefix
	tests := []struct {
		name   string
		routes []*gwv1.HTTPRoute
		req    HTTPRequest
		want   string // route/rule (from 1), "" for 404
		others int
	}{
		{"Exact beats a longer PathPrefix",
			[]*gwv1.HTTPRoute{httpRoute("a", "prefix", time.Hour, nil, httpRule(pathMatch(pre, "/foo"))), httpRoute("a", "exact", time.Minute, nil, httpRule(pathMatch(ex, "/foo")))},
			request(t, "x.example.com", "/foo", ""), "exact/1", 1},
		{"Exact does not match a trailing slash",
			[]*gwv1.HTTPRoute{httpRoute("a", "prefix", time.Hour, nil, httpRule(pathMatch(pre, "/foo"))), httpRoute("a", "exact", time.Minute, nil, httpRule(pathMatch(ex, "/foo")))},
			request(t, "x.example.com", "/foo/", ""), "prefix/1", 0},
		{"the longest prefix",
			[]*gwv1.HTTPRoute{httpRoute("a", "short", time.Hour, nil, httpRule(pathMatch(pre, "/"))), httpRoute("a", "long", time.Minute, nil, httpRule(pathMatch(pre, "/api/v2")))},
			request(t, "x.example.com", "/api/v2/orders", ""), "long/1", 1},
		{"a prefix matches whole elements only",
			[]*gwv1.HTTPRoute{httpRoute("a", "short", time.Hour, nil, httpRule(pathMatch(pre, "/"))), httpRoute("a", "long", time.Minute, nil, httpRule(pathMatch(pre, "/api")))},
			request(t, "x.example.com", "/apis", ""), "short/1", 0},
		{"a method match beats none",
			[]*gwv1.HTTPRoute{httpRoute("a", "any", time.Hour, nil, httpRule(pathMatch(pre, "/api"))), httpRoute("a", "post", time.Minute, nil, httpRule(withMethod(pathMatch(pre, "/api"), "POST")))},
			request(t, "x.example.com", "/api", "post"), "post/1", 1},
		{"the method must match",
			[]*gwv1.HTTPRoute{httpRoute("a", "any", time.Hour, nil, httpRule(pathMatch(pre, "/api"))), httpRoute("a", "post", time.Minute, nil, httpRule(withMethod(pathMatch(pre, "/api"), "POST")))},
			request(t, "x.example.com", "/api", ""), "any/1", 0},
		{"more header matches",
			[]*gwv1.HTTPRoute{
				httpRoute("a", "one", time.Hour, nil, httpRule(withHeaders(pathMatch(pre, "/"), "version", "2"))),
				httpRoute("a", "two", time.Minute, nil, httpRule(withHeaders(pathMatch(pre, "/"), "version", "2", "X-Team", "shop"))),
			},
			request(t, "x.example.com", "/", "", "Version=2", "x-team=shop"), "two/1", 1},
		{"a header value is case-sensitive, its name not",
			[]*gwv1.HTTPRoute{httpRoute("a", "hdr", time.Hour, nil, httpRule(withHeaders(pathMatch(pre, "/"), "Version", "v2"))), httpRoute("a", "plain", time.Minute, nil, httpRule(pathMatch(pre, "/")))},
			request(t, "x.example.com", "/", "", "version=V2"), "plain/1", 0},
		{"a method beats more headers",
			[]*gwv1.HTTPRoute{
				httpRoute("a", "headers", time.Hour, nil, httpRule(withHeaders(pathMatch(pre, "/"), "a", "1", "b", "2"))),
				httpRoute("a", "method", time.Minute, nil, httpRule(withMethod(pathMatch(pre, "/"), "GET"))),
			},
			request(t, "x.example.com", "/", "", "a=1", "b=2"), "method/1", 1},
		{"more query matches",
			[]*gwv1.HTTPRoute{
				httpRoute("a", "none", time.Hour, nil, httpRule(pathMatch(pre, "/search"))),
				httpRoute("a", "query", time.Minute, nil, httpRule(withQuery(pathMatch(pre, "/search"), "lang", "en"))),
			},
			request(t, "x.example.com", "/search?lang=en&page=2", ""), "query/1", 1},
		{"headers before query parameters",
			[]*gwv1.HTTPRoute{
				httpRoute("a", "query", time.Hour, nil, httpRule(withQuery(pathMatch(pre, "/"), "a", "1", "b", "2"))),
				httpRoute("a", "header", time.Minute, nil, httpRule(withHeaders(pathMatch(pre, "/"), "h", "1"))),
			},
			request(t, "x.example.com", "/?a=1&b=2", "", "h=1"), "header/1", 1},
		{"the path before the method",
			[]*gwv1.HTTPRoute{
				httpRoute("a", "method", time.Hour, nil, httpRule(withMethod(pathMatch(pre, "/"), "GET"))),
				httpRoute("a", "path", time.Minute, nil, httpRule(pathMatch(pre, "/api"))),
			},
			request(t, "x.example.com", "/api", ""), "path/1", 1},
		{"ties: the oldest route",
			[]*gwv1.HTTPRoute{httpRoute("a", "newer", time.Minute, nil, httpRule(pathMatch(pre, "/"))), httpRoute("z", "older", time.Hour, nil, httpRule(pathMatch(pre, "/")))},
			request(t, "x.example.com", "/", ""), "older/1", 1},
		{"ties in the same second: namespace/name",
			[]*gwv1.HTTPRoute{httpRoute("b", "twin", time.Hour, nil, httpRule(pathMatch(pre, "/"))), httpRoute("a", "twin", time.Hour, nil, httpRule(pathMatch(pre, "/")))},
			request(t, "x.example.com", "/", ""), "a/twin/1", 1},
		{"ties within a route: the first rule",
			[]*gwv1.HTTPRoute{httpRoute("a", "r", time.Hour, nil, httpRule(pathMatch(pre, "/x")), httpRule(pathMatch(pre, "/x")))},
			request(t, "x.example.com", "/x", ""), "r/1", 1},
		{"a rule's best match ranks it",
			[]*gwv1.HTTPRoute{
				httpRoute("a", "mixed", time.Minute, nil, httpRule(pathMatch(pre, "/"), pathMatch(ex, "/cart"))),
				httpRoute("a", "prefix", time.Hour, nil, httpRule(pathMatch(pre, "/cart"))),
			},
			request(t, "x.example.com", "/cart", ""), "mixed/1", 1},
		{"a rule without matches takes every request, as PathPrefix /",
			[]*gwv1.HTTPRoute{httpRoute("a", "all", time.Hour, nil, httpRule())},
			request(t, "x.example.com", "/anything", ""), "all/1", 0},
		{"an exact hostname beats a wildcard, whatever the path",
			[]*gwv1.HTTPRoute{
				httpRoute("a", "wild", time.Hour, []string{"*.example.com"}, httpRule(pathMatch(ex, "/api"))),
				httpRoute("a", "exact", time.Minute, []string{"shop.example.com"}, httpRule(pathMatch(pre, "/"))),
			},
			request(t, "shop.example.com", "/api", ""), "exact/1", 1},
		{"a longer wildcard beats a shorter one",
			[]*gwv1.HTTPRoute{
				httpRoute("a", "short", time.Hour, []string{"*.example.com"}, httpRule(pathMatch(pre, "/"))),
				httpRoute("a", "long", time.Minute, []string{"*.shop.example.com"}, httpRule(pathMatch(pre, "/"))),
			},
			request(t, "eu.shop.example.com", "/", ""), "long/1", 1},
		{"a wildcard beats a route without hostnames",
			[]*gwv1.HTTPRoute{
				httpRoute("a", "any", time.Hour, nil, httpRule(pathMatch(ex, "/"))),
				httpRoute("a", "wild", time.Minute, []string{"*.example.com"}, httpRule(pathMatch(pre, "/"))),
			},
			request(t, "a.b.example.com", "/", ""), "wild/1", 1},
		{"a less specific hostname still serves paths the specific one lacks",
			[]*gwv1.HTTPRoute{
				httpRoute("a", "exact", time.Minute, []string{"shop.example.com"}, httpRule(pathMatch(pre, "/cart"))),
				httpRoute("a", "wild", time.Hour, []string{"*.example.com"}, httpRule(pathMatch(pre, "/api"))),
			},
			request(t, "shop.example.com", "/api/x", ""), "wild/1", 0},
		{"no hostname matches: 404",
			[]*gwv1.HTTPRoute{httpRoute("a", "shop", time.Hour, []string{"shop.example.com"}, httpRule(pathMatch(pre, "/")))},
			request(t, "blog.example.com", "/", ""), "", 0},
		{"no path matches: 404",
			[]*gwv1.HTTPRoute{httpRoute("a", "shop", time.Hour, nil, httpRule(pathMatch(pre, "/api")))},
			request(t, "x.example.com", "/web", ""), "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := RouteHTTP(attached(tt.routes...), tt.req)
			if shadowed := tt.name == "a less specific hostname still serves paths the specific one lacks"; shadowed != (len(res.Caveats) == 1) {
				t.Errorf("caveats %q", res.Caveats)
			}
			got := ""
			if w := res.Winner; w != nil {
				got = w.Route.Name
				if strings.Count(tt.want, "/") == 2 {
					got = w.Route.Namespace + "/" + got
				}
				got += "/" + strings.TrimPrefix(w.RuleName(), "rule ")
			}
			if got != tt.want || len(res.Others) != tt.others {
				var others []string
				for _, o := range res.Others {
					others = append(others, o.Route.Name+" "+o.RuleName())
				}
				t.Errorf("winner %q, others %v; want %q and %d others", got, others, tt.want, tt.others)
			}
		})
	}
}

func TestRouteHTTPRegularExpression(t *testing.T) {
	re := gwv1.PathMatchRegularExpression
	routes := attached(
		httpRoute("a", "re", time.Hour, nil, httpRule(pathMatch(re, "/items/[0-9]+"))),
		httpRoute("a", "prefix", time.Minute, nil, httpRule(pathMatch(gwv1.PathMatchPathPrefix, "/"))),
	)
	res := RouteHTTP(routes, request(t, "x", "/items/42", ""))
	if res.Winner == nil || res.Winner.Route.Name != "prefix" || len(res.Others) != 1 || len(res.Caveats) != 1 {
		t.Errorf("regular expressions rank after PathPrefix, with a caveat: %+v", res)
	}
	// The whole path must match.
	if res := RouteHTTP(routes[:1], request(t, "x", "/items/42/x", "")); res.Winner != nil {
		t.Errorf("partial match: %+v", res.Winner)
	}
}

func TestParseHTTPRequest(t *testing.T) {
	req, err := ParseHTTPRequest("https://Shop.Example.com:8443/api?x=1", "", "", []string{"X-Version=2"})
	if err != nil || req.Host != "shop.example.com" || req.Path != "/api" || req.Method != "GET" || req.Query["x"] != "1" || req.Headers["x-version"] != "2" {
		t.Errorf("%+v %v", req, err)
	}
	for _, bad := range [][]string{{"shop", "api", ""}, {"shop", "/", "noequals"}, {"shop", "/", ":authority=x"}} {
		var headers []string
		if bad[2] != "" {
			headers = []string{bad[2]}
		}
		if _, err := ParseHTTPRequest(bad[0], bad[1], "", headers); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func grpcRoute(ns, name string, age time.Duration, hosts []string, rules ...gwv1.GRPCRouteRule) *gwv1.GRPCRoute {
	r := &gwv1.GRPCRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(now.Add(-age))}}
	for _, h := range hosts {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gwv1.Hostname(h))
	}
	r.Spec.Rules = rules
	return r
}

func grpcRule(service, method string, headers ...string) gwv1.GRPCRouteRule {
	m := gwv1.GRPCRouteMatch{}
	if service != "" || method != "" {
		m.Method = &gwv1.GRPCMethodMatch{}
		if service != "" {
			m.Method.Service = ptrTo(service)
		}
		if method != "" {
			m.Method.Method = ptrTo(method)
		}
	}
	for i := 0; i+1 < len(headers); i += 2 {
		m.Headers = append(m.Headers, gwv1.GRPCHeaderMatch{Name: gwv1.GRPCHeaderName(headers[i]), Value: headers[i+1]})
	}
	return gwv1.GRPCRouteRule{Matches: []gwv1.GRPCRouteMatch{m}}
}

func TestRouteGRPCPrecedence(t *testing.T) {
	routes := func(rs ...*gwv1.GRPCRoute) []AttachedGRPCRoute {
		var out []AttachedGRPCRoute
		for _, r := range rs {
			out = append(out, AttachedGRPCRoute{Route: r, Hostnames: routeHostnames(r.Spec.Hostnames)})
		}
		return out
	}
	parse := func(host, path string, headers ...string) GRPCRequest {
		req, err := ParseGRPCRequest(host, path, headers)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	tests := []struct {
		name   string
		routes []AttachedGRPCRoute
		req    GRPCRequest
		want   string
	}{
		{"service and method beat service only",
			routes(grpcRoute("a", "svc", time.Hour, nil, grpcRule("shop.Cart", "")), grpcRoute("a", "method", time.Minute, nil, grpcRule("shop.Cart", "Add"))),
			parse("x", "/shop.Cart/Add"), "method"},
		{"a longer service first",
			routes(grpcRoute("a", "method-only", time.Hour, nil, grpcRule("", "AddItemToCart")), grpcRoute("a", "svc", time.Minute, nil, grpcRule("shop.Cart", ""))),
			parse("x", "/shop.Cart/AddItemToCart"), "svc"},
		{"headers last",
			routes(grpcRoute("a", "plain", time.Hour, nil, grpcRule("shop.Cart", "Add")), grpcRoute("a", "hdr", time.Minute, nil, grpcRule("shop.Cart", "Add", "x-canary", "1"))),
			parse("x", "/shop.Cart/Add", "X-Canary=1"), "hdr"},
		{"the hostname first",
			routes(grpcRoute("a", "any", time.Hour, nil, grpcRule("shop.Cart", "Add")), grpcRoute("a", "host", time.Minute, []string{"grpc.example.com"}, grpcRule("", ""))),
			parse("grpc.example.com", "/shop.Cart/Add"), "host"},
		{"the oldest route on a tie",
			routes(grpcRoute("a", "new", time.Minute, nil, grpcRule("shop.Cart", "")), grpcRoute("a", "old", time.Hour, nil, grpcRule("shop.Cart", ""))),
			parse("x", "/shop.Cart/Add"), "old"},
		{"no method matches",
			routes(grpcRoute("a", "svc", time.Hour, nil, grpcRule("shop.Cart", ""))),
			parse("x", "/shop.Orders/List"), ""},
	}
	for _, tt := range tests {
		res := RouteGRPC(tt.routes, tt.req)
		got := ""
		if res.Winner != nil {
			got = res.Winner.Route.Name
		}
		if got != tt.want {
			t.Errorf("%s: winner %q, want %q", tt.name, got, tt.want)
		}
	}
	if _, err := ParseGRPCRequest("x", "/a/b/c", nil); err == nil {
		t.Error("a path of three elements is no gRPC call")
	}
}
