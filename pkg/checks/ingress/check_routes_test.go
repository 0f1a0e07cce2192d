package ingress

import (
	"slices"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Where a request lands among Ingresses is pkg/routing's, tested there;
// these tests are about what ING015 says of it.

func ingressWith(ns, name string, age time.Duration, rules ...networkingv1.IngressRule) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, CreationTimestamp: metav1.NewTime(now.Add(-age))},
		Spec:       networkingv1.IngressSpec{IngressClassName: ptr("nginx"), Rules: rules},
	}
}

func rule(host string, paths ...networkingv1.HTTPIngressPath) networkingv1.IngressRule {
	return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}}
}

func path(pt networkingv1.PathType, p, svc string) networkingv1.HTTPIngressPath {
	return networkingv1.HTTPIngressPath{Path: p, PathType: ptr(pt), Backend: networkingv1.IngressBackend{
		Service: &networkingv1.IngressServiceBackend{Name: svc, Port: port80()}}}
}

func TestIngressRequestDiagnosis(t *testing.T) {
	day := 24 * time.Hour
	secret := secretFor(t, "shop-tls", []string{"shop.example.com"}, now.Add(-day), now.Add(90*day))
	base := slices.Clip(append(healthy(), secret)) // each case appends its own ingress
	tests := []struct {
		name    string
		objs    []runtime.Object
		host    string
		path    string
		outcome report.Outcome
		status  report.Status
		want    string
	}{
		{
			name: "lands on a healthy rule", objs: append(base, shopIngress(withTLS("shop-tls", "shop.example.com"))),
			host: "shop.example.com", path: "/api/orders", outcome: report.OK, status: report.Pass,
			want: "request https://shop.example.com/api/orders lands on rule shop.example.com /api (Prefix) -> service api:http (1 ready endpoint(s))",
		},
		{
			name: "no rule matches", objs: append(base, shopIngress()),
			host: "www.example.com", path: "/", outcome: report.Problems, status: report.Fail,
			want: "request http://www.example.com/ gets 404 from the controller's default backend: no rule of class nginx matches it, and there is no default backend; this ingress serves shop.example.com",
		},
		{
			name: "lands on a rule without endpoints", objs: append(replace(base, endpointSlice("api", nil)), shopIngress()),
			host: "shop.example.com", path: "/api", outcome: report.Problems, status: report.Fail,
			want: "request http://shop.example.com/api lands on rule shop.example.com /api (Prefix) -> service api:http and gets 503",
		},
		{
			name: "Traefik: lands on a rule without endpoints", objs: append(replace(base, endpointSlice("api", nil), class("nginx", "traefik.io/ingress-controller", false, now)), shopIngress()),
			host: "shop.example.com", path: "/api", outcome: report.Problems, status: report.Fail,
			want: "request http://shop.example.com/api lands on rule shop.example.com /api (Prefix) -> service api:http and gets 404 (Traefik drops a router whose service has no endpoints; 503 with allowEmptyServices)",
		},
		{
			name: "lands on another ingress", objs: append(base, shopIngress(), ingressWith("other", "v2", time.Minute,
				rule("shop.example.com", path(networkingv1.PathTypePrefix, "/api/v2", "api-v2")))),
			host: "shop.example.com", path: "/api/v2/items", outcome: report.OK, status: report.Warn,
			want: "request http://shop.example.com/api/v2/items lands on ingress other/v2 (rule shop.example.com /api/v2 (Prefix) -> service api-v2:80), not on this one",
		},
		{
			name: "healthy backend, broken certificate", objs: append(replace(base,
				secretFor(t, "shop-tls", []string{"shop.example.com"}, now.Add(-90*day), now.Add(-day))), shopIngress(withTLS("shop-tls", "shop.example.com"))),
			host: "shop.example.com", path: "/", outcome: report.Problems, status: report.Fail,
			want: "request https://shop.example.com/ lands on rule shop.example.com / (Prefix) -> service web:80, but HTTPS fails first: the certificate in secret shop-tls expired",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := diagnose(t, Request{Host: tt.host, Path: tt.path}, tt.objs...)
			c := find(t, r, "ING015")
			if c.Status != tt.status || !strings.HasPrefix(c.Message, tt.want) {
				t.Errorf("ING015 = %s %q\nwant %s %q", c.Status, c.Message, tt.status, tt.want)
			}
			if r.Verdict.Outcome != tt.outcome || !strings.Contains(r.Verdict.Message, tt.want) {
				t.Errorf("verdict = %+v, want %s", r.Verdict, tt.outcome)
			}
			d := c.Data.(Routes)
			if d.Request == nil || d.Request.URL == "" {
				t.Errorf("no request in the data: %+v", d)
			}
		})
	}
}

func withDefaultBackend(svc string) func(*networkingv1.Ingress) {
	return func(ing *networkingv1.Ingress) {
		ing.Spec.DefaultBackend = &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: port80()}}
	}
}

// withHostOnly adds a rule that names host without http paths.
func withHostOnly(host string) func(*networkingv1.Ingress) {
	return func(ing *networkingv1.Ingress) {
		ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{Host: host})
	}
}

func traefikClass() *networkingv1.IngressClass {
	return class("nginx", "traefik.io/ingress-controller", false, now)
}

func unknownClass() *networkingv1.IngressClass {
	return class("nginx", "example.com/ingress-controller", false, now)
}

// TestIngressRequestWhereIngressesMeet: what ING015 says when several
// Ingresses, rules without paths, default backends and unusual paths
// meet, per controller. The routing is pkg/routing's (TestRouteIngressFor
// cites the controller sources); the sources of what ING015 adds:
//   - ingress-nginx internal/ingress/controller/controller.go createServers
//     (a rule without http still makes the host's server, whose root
//     location is its Ingress's default backend; the catch-all is an
//     Ingress without rules) and store/store.go sortIngressSlice (same
//     second: the greater namespace/name first);
//   - Traefik v3.6.12 pkg/provider/kubernetes/ingress/kubernetes.go
//     loadConfigurationFromIngresses (spec.defaultBackend only for an
//     Ingress without rules; rules without http skipped) and
//     pkg/muxer/http/mux.go (priority = rule length, ties unordered);
//     pkg/server/server_entrypoint_tcp.go sanitizePath/normalizePath.
func TestIngressRequestWhereIngressesMeet(t *testing.T) {
	exact, prefix := networkingv1.PathTypeExact, networkingv1.PathTypePrefix
	base := healthy()
	older := func(name string, mut ...func(*networkingv1.Ingress)) *networkingv1.Ingress {
		ing := ingressWith("ns", name, 2*time.Hour, rule("shop.example.com", path(prefix, "/first", "web")))
		for _, m := range mut {
			m(ing)
		}
		return ing
	}
	tests := []struct {
		name     string
		objs     []runtime.Object
		host     string
		path     string
		status   report.Status
		want     string // prefix of ING015's message
		contains []string
		response string
	}{
		{
			name: "default backend of this ingress, request for another host",
			objs: append(slices.Clip(base), shopIngress(withDefaultBackend("web"))),
			host: "www.example.com", path: "/", status: report.Fail, response: "404",
			want: "request http://www.example.com/ gets 404 from the controller's default backend: no rule of class nginx matches it, and the default backend of ingress ns/shop serves only the hosts its rules name (shop.example.com)",
		},
		{
			name: "host-only rule with a default backend: it serves the host",
			objs: append(slices.Clip(base), shopIngress(withDefaultBackend("web"), withHostOnly("www.example.com")),
				ingressWith("other", "wild", time.Minute, rule("*.example.com", path(prefix, "/", "api")))),
			host: "www.example.com", path: "/x", status: report.Pass, response: "ok",
			want:     "request http://www.example.com/x lands on the default backend -> service web:80",
			contains: []string{"ingress-nginx still makes the host's server of it"},
		},
		{
			name: "host-only rule without default backend: 404, not the wildcard",
			objs: append(slices.Clip(base), shopIngress(withHostOnly("www.example.com")),
				ingressWith("other", "wild", time.Minute, rule("*.example.com", path(prefix, "/", "api")))),
			host: "www.example.com", path: "/x", status: report.Fail, response: "404",
			want: "request http://www.example.com/x gets 404 from the controller's default backend: ingress ns/shop names host www.example.com in a rule without paths, which claims the host for it in ingress-nginx; no path of the host matches, and ingress ns/shop has no default backend",
		},
		{
			name: "Traefik ignores a rule without paths: the wildcard serves",
			objs: append(replace(base, traefikClass()), shopIngress(withDefaultBackend("web"), withHostOnly("www.example.com")),
				ingressWith("other", "wild", time.Minute, rule("*.example.com", path(prefix, "/", "api")))),
			host: "www.example.com", path: "/x", status: report.Warn, response: "served by ingress other/wild",
			want:     "request http://www.example.com/x lands on ingress other/wild (rule *.example.com / (Prefix) -> service api:80), not on this one",
			contains: []string{"Traefik makes no router of it", "Traefik ignores the default backend of ingress ns/shop"},
		},
		{
			name: "two ingresses share the host, a dot segment leads to the other",
			objs: append(slices.Clip(base), shopIngress(withDefaultBackend("web")), older("first")),
			host: "shop.example.com", path: "/api/../first/x", status: report.Warn, response: "served by ingress ns/first",
			want:     "request http://shop.example.com/api/../first/x lands on ingress ns/first (rule shop.example.com /first (Prefix) -> service web:80), not on this one",
			contains: []string{"/api/../first/x is matched as /first/x"},
		},
		{
			name: "unmatched path of a shared host, Exact root: 404 from the first ingress",
			objs: append(slices.Clip(base), ingressWith("ns", "shop", time.Hour, rule("shop.example.com", path(exact, "/", "web")), func() networkingv1.IngressRule {
				return rule("shop.example.com", path(exact, "/api", "api"))
			}()), older("first")),
			host: "shop.example.com", path: "/nothing", status: report.Fail, response: "404",
			want: "request http://shop.example.com/nothing gets 404 from the controller's default backend: no path of host shop.example.com matches it, and ingress ns/first, the first to define the host, has no default backend",
		},
		{
			name: "Traefik: this ingress's default backend is ignored",
			objs: append(replace(base, traefikClass()), withAddress(ingressWith("ns", "shop", time.Hour, rule("shop.example.com", path(exact, "/", "web")))), withDefault(older("first"))),
			host: "shop.example.com", path: "/nothing", status: report.Fail, response: "404",
			want: "request http://shop.example.com/nothing gets 404 from the controller's default backend: no path of host shop.example.com matches it, and Traefik ignores the default backend of ingress ns/first because that ingress has rules",
		},
		{
			name: "dot segments: the path as the controller matches it",
			objs: append(slices.Clip(base), shopIngress()),
			host: "shop.example.com", path: "/web/../api/%6Frders", status: report.Pass, response: "ok",
			want:     "request http://shop.example.com/web/../api/%6Frders lands on rule shop.example.com /api (Prefix) -> service api:http",
			contains: []string{"/web/../api/%6Frders is matched as /api/orders: nginx decodes every escape"},
		},
		{
			name: "Traefik keeps %2F encoded: no dot segment",
			objs: append(replace(base, traefikClass()), shopIngress()),
			host: "shop.example.com", path: "/web/..%2Fapi", status: report.Pass, response: "ok",
			want:     "request http://shop.example.com/web/..%2Fapi lands on rule shop.example.com / (Prefix) -> service web:80",
			contains: []string{"path: /web/..%2Fapi matches / (Prefix), Traefik router priority 43"},
		},
		{
			name: "ingress-nginx decodes %2F: a dot segment",
			objs: append(slices.Clip(base), shopIngress()),
			host: "shop.example.com", path: "/web/..%2Fapi", status: report.Pass, response: "ok",
			want:     "request http://shop.example.com/web/..%2Fapi lands on rule shop.example.com /api (Prefix) -> service api:http",
			contains: []string{"/web/..%2Fapi is matched as /api: nginx decodes every escape (%2F too)"},
		},
		{
			name: "unknown controller: the answer depends on it",
			objs: append(replace(base, unknownClass()), shopIngress(), ingressWith("other", "wild", time.Minute, rule("*.example.com", path(prefix, "/", "api")))),
			host: "shop.example.com", path: "/", status: report.Warn, response: "ok",
			want:     "request http://shop.example.com/ lands on rule shop.example.com / (Prefix) -> service web:80",
			contains: []string{"not certain: Traefik would serve it from rule *.example.com / (Prefix) of ingress other/wild"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := diagnose(t, Request{Host: tt.host, Path: tt.path}, tt.objs...)
			c := find(t, r, "ING015")
			text := c.Message
			for _, f := range c.Facts {
				text += "\n" + f.Name + ": " + f.Value
			}
			if c.Status != tt.status || !strings.HasPrefix(c.Message, tt.want) {
				t.Errorf("ING015 = %s %q\nwant %s %q", c.Status, c.Message, tt.status, tt.want)
			}
			for _, w := range tt.contains {
				if !strings.Contains(text, w) {
					t.Errorf("ING015 does not say %q:\n%s", w, text)
				}
			}
			d := c.Data.(Routes)
			if d.Request == nil || d.Request.Response != tt.response {
				t.Errorf("request data %+v, want response %q", d.Request, tt.response)
			}
		})
	}
}

func withAddress(ing *networkingv1.Ingress) *networkingv1.Ingress {
	ing.Status = shopIngress().Status
	return ing
}

func withDefault(ing *networkingv1.Ingress) *networkingv1.Ingress {
	withDefaultBackend("web")(ing)
	return ing
}

// TestIngressConflictsPerController: ING014 and the routes of ING015 when
// another Ingress claims the same host and path. Sources: ingress-nginx
// internal/ingress/controller/store/store.go sortIngressSlice (same
// second: `in > jn`, the greater namespace/name first) and controller.go
// getBackendServers ("already configured": the first keeps the path);
// Traefik v3.6.12 pkg/muxer/http/mux.go GetRulePriority and AddRoute
// (sort.Sort: equal priorities unordered).
func TestIngressConflictsPerController(t *testing.T) {
	prefix := networkingv1.PathTypePrefix
	sameSecond := func(ns string) *networkingv1.Ingress {
		return ingressWith(ns, "dup", time.Hour, rule("shop.example.com", path(prefix, "/api", "web")))
	}
	tests := []struct {
		name    string
		objs    []runtime.Object
		status  report.Status
		want    string
		routeAt string // ING015's response for shop.example.com/api
	}{
		{
			name:   "ingress-nginx, same second: the greater namespace/name first",
			objs:   append(healthy(), shopIngress(), sameSecond("zz")),
			status: report.Fail, routeAt: "served by ingress zz/dup",
			want: "ingress zz/dup of class nginx also claims shop.example.com /api (Prefix) and takes precedence (created in the same second, it comes first: ingress-nginx reads zz/dup before ns/shop, the greater namespace/name first)",
		},
		{
			name:   "ingress-nginx, same second: this one first",
			objs:   append(healthy(), shopIngress(), sameSecond("aa")),
			status: report.Warn, routeAt: "ok",
			want: "ingress aa/dup of class nginx also claims shop.example.com /api (Prefix): ingress-nginx keeps this ingress's rule",
		},
		{
			name:   "Traefik: same rule, same priority: no defined order",
			objs:   append(replace(healthy(), traefikClass()), shopIngress(), sameSecond("zz")),
			status: report.Warn, routeAt: "unknown",
			want: "ingress zz/dup of class nginx also claims shop.example.com /api (Prefix) with a router of the same priority: Traefik serves one of the two backends",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := diagnose(t, Request{}, tt.objs...)
			c := find(t, r, "ING014")
			if c.Status != tt.status || !strings.HasPrefix(c.Message, tt.want) {
				t.Errorf("ING014 = %s %q\nwant %s %q", c.Status, c.Message, tt.status, tt.want)
			}
			for _, rt := range find(t, r, "ING015").Data.(Routes).Routes {
				if rt.Path == "/api" && rt.Response != tt.routeAt {
					t.Errorf("route /api: %+v, want response %q", rt, tt.routeAt)
				}
			}
		})
	}
}

// TestTraefikIgnoredDefaultRoute: Traefik reads spec.defaultBackend only
// for an Ingress without rules (pkg/provider/kubernetes/ingress/
// kubernetes.go loadConfigurationFromIngresses, `len(ingress.Spec.Rules)
// == 0 && ingress.Spec.DefaultBackend != nil`): the route list says so.
func TestTraefikIgnoredDefaultRoute(t *testing.T) {
	r := diagnose(t, Request{}, append(replace(healthy(), traefikClass()), shopIngress(withDefaultBackend("web")))...)
	c := find(t, r, "ING015")
	var got *RouteState
	for i, rt := range c.Data.(Routes).Routes {
		if rt.Default {
			got = &c.Data.(Routes).Routes[i]
		}
	}
	if got == nil || got.Response != "404" || !strings.Contains(got.Reason, "Traefik ignores the default backend of an ingress with rules") {
		t.Errorf("default route %+v", got)
	}
	if c.Status != report.Fail {
		t.Errorf("ING015 = %s %s", c.Status, c.Message)
	}
}
