package routing

import (
	"slices"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func ingressAt(ns, name string, age time.Duration, rules ...networkingv1.IngressRule) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, CreationTimestamp: metav1.NewTime(now.Add(-age))},
		Spec:       networkingv1.IngressSpec{Rules: rules},
	}
}

func withDefault(ing *networkingv1.Ingress, svc string) *networkingv1.Ingress {
	ing.Spec.DefaultBackend = backend(svc)
	return ing
}

func rule(host string, paths ...networkingv1.HTTPIngressPath) networkingv1.IngressRule {
	return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}}
}

func backend(svc string) *networkingv1.IngressBackend {
	return &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}}
}

// path is a rule path; an empty type is left unset, as the API shows
// ImplementationSpecific.
func path(pt networkingv1.PathType, p, svc string) networkingv1.HTTPIngressPath {
	hp := networkingv1.HTTPIngressPath{Path: p, Backend: *backend(svc)}
	if pt != "" {
		hp.PathType = &pt
	}
	return hp
}

func TestRouteIngress(t *testing.T) {
	exact, prefix, impl := networkingv1.PathTypeExact, networkingv1.PathTypePrefix, networkingv1.PathType("")
	a := ingressAt("ns", "a", time.Hour,
		rule("shop.example.com", path(prefix, "/", "web"), path(prefix, "/api", "api"), path(exact, "/api", "api-exact")),
		rule("*.example.com", path(prefix, "/", "wild")),
		rule("", path(prefix, "/health", "health")),
	)
	b := ingressAt("ns", "b", time.Minute, rule("shop.example.com", path(prefix, "/api/v2", "api-v2")))
	c := withDefault(ingressAt("ns", "c", 2*time.Hour, rule("docs.example.org", path(exact, "/", "docs"))), "fallback")
	strict := ingressAt("ns", "strict", time.Hour, rule("strict.example.com", path(exact, "/only", "only")))
	implSpecific := ingressAt("ns", "impl", time.Hour, rule("impl.example.com", path(impl, "/api", "impl-api")))
	upper := ingressAt("ns", "upper", time.Hour, rule("Upper.Example.com", path(prefix, "/", "upper")))
	catchAll := withDefault(ingressAt("ns", "catch-all", 3*time.Hour), "catch-all")
	// Two Ingresses claiming one path: the older wins; created in the same
	// second, the greater "namespace/name" (ingress-nginx
	// internal/ingress/controller/store/store.go sortIngressSlice).
	older := ingressAt("z", "older", 2*time.Hour, rule("dup.example.com", path(prefix, "/", "older")))
	newer := ingressAt("a", "newer", time.Hour, rule("dup.example.com", path(prefix, "/", "newer")))
	twinB := ingressAt("b", "twin", time.Hour, rule("dup.example.com", path(prefix, "/", "twin-b")))
	twinA := ingressAt("a", "twin", time.Hour, rule("dup.example.com", path(prefix, "/", "twin-a")))

	shop := []*networkingv1.Ingress{a, b, c, strict, implSpecific, upper}
	tests := []struct {
		name       string
		ings       []*networkingv1.Ingress
		host, path string
		wantIng    string
		wantSvc    string
		how        HostMatch
		fallback   bool
		others     int
	}{
		{"root", shop, "shop.example.com", "/", "a", "web", HostExact, false, 0},
		{"Exact wins a tie with Prefix", shop, "shop.example.com", "/api", "a", "api-exact", HostExact, false, 2},
		{"trailing slash: Prefix, not Exact", shop, "shop.example.com", "/api/", "a", "api", HostExact, false, 1},
		{"longest prefix", shop, "shop.example.com", "/api/v1", "a", "api", HostExact, false, 1},
		{"Prefix /api does not match /apis", shop, "shop.example.com", "/apis", "a", "web", HostExact, false, 0},
		{"the longest path, in another ingress", shop, "shop.example.com", "/api/v2/x", "b", "api-v2", HostExact, false, 2},
		{"host rules only: no fallback to rules without a host", shop, "shop.example.com", "/health", "a", "web", HostExact, false, 0},
		{"wildcard host", shop, "blog.example.com", "/x", "a", "wild", HostWildcard, false, 0},
		{"the wildcard covers one label only", shop, "a.b.example.com", "/health", "a", "health", HostAny, false, 0},
		{"an exact host without the path does not fall back to the wildcard", shop, "strict.example.com", "/other", "", "", HostExact, false, 0},
		{"the host's default backend", shop, "docs.example.org", "/other", "c", "fallback", HostExact, true, 0},
		{"no host", shop, "", "/health", "a", "health", HostAny, false, 0},
		{"a default backend serves only its ingress's hosts", shop, "10.0.0.1", "/nothing", "", "", HostAny, false, 0},
		{"ImplementationSpecific as Prefix", shop, "impl.example.com", "/api/v1", "impl", "impl-api", HostExact, false, 0},
		{"ImplementationSpecific /api does not match /apis", shop, "impl.example.com", "/apis", "", "", HostExact, false, 0},
		{"upper-case rule host", shop, "upper.example.com", "/", "upper", "upper", HostExact, false, 0},
		{"no rule host matches", []*networkingv1.Ingress{b}, "other.org", "/x", "", "", HostNone, false, 0},
		{"catch-all: an ingress without rules", []*networkingv1.Ingress{catchAll, a}, "10.0.0.1", "/nothing", "catch-all", "catch-all", HostAny, true, 0},
		{"catch-all for a host no rule names", []*networkingv1.Ingress{b, catchAll}, "other.org", "/", "catch-all", "catch-all", HostNone, true, 0},
		{"the oldest ingress wins, whatever the order given", []*networkingv1.Ingress{newer, older}, "dup.example.com", "/x", "older", "older", HostExact, false, 1},
		{"equal ages: namespace/name descending", []*networkingv1.Ingress{twinA, twinB}, "dup.example.com", "/", "twin", "twin-b", HostExact, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := RouteIngress(tt.ings, tt.host, tt.path)
			ing, svc := "", ""
			if res.Ingress != nil {
				ing = res.Ingress.Name
			}
			if res.Backend != nil && res.Backend.Service != nil {
				svc = res.Backend.Service.Name
			}
			if ing != tt.wantIng || svc != tt.wantSvc || res.HostMatch != tt.how || res.Fallback != tt.fallback || len(res.Others) != tt.others {
				t.Errorf("%s%s -> ingress %q service %q (host %s, fallback %t, %d others), want %q %q (%s, %t, %d)",
					tt.host, tt.path, ing, svc, res.HostMatch, res.Fallback, len(res.Others), tt.wantIng, tt.wantSvc, tt.how, tt.fallback, tt.others)
			}
			if (res.Rule == nil) != (tt.fallback || tt.wantIng == "") {
				t.Errorf("rule %+v with fallback %t", res.Rule, res.Fallback)
			}
			if res.Host != tt.host || res.Path != tt.path {
				t.Errorf("request %q %q, want %q %q", res.Host, res.Path, tt.host, tt.path)
			}
		})
	}
}

func TestRouteIngressLeavesItsInputAlone(t *testing.T) {
	newer := ingressAt("ns", "newer", time.Minute, rule("x.example.com", path(networkingv1.PathTypePrefix, "/", "n")))
	older := ingressAt("ns", "older", time.Hour, rule("x.example.com", path(networkingv1.PathTypePrefix, "/", "o")))
	ings := []*networkingv1.Ingress{newer, older}
	RouteIngress(ings, "x.example.com", "/")
	if ings[0] != newer {
		t.Error("RouteIngress reordered the caller's slice")
	}
}

func TestRouteIngressRuleHost(t *testing.T) {
	a := ingressAt("ns", "a", time.Hour, rule("*.Example.com", path(networkingv1.PathTypePrefix, "/", "wild")))
	res := RouteIngress([]*networkingv1.Ingress{a}, "shop.example.com", "/")
	if res.RuleHost != "*.Example.com" || res.Rule == nil || res.Rule.Host != "*.Example.com" || res.Rule.Length != 0 {
		t.Errorf("rule host %q, rule %+v", res.RuleHost, res.Rule)
	}
}

func TestIngressRouteKey(t *testing.T) {
	exact, prefix, impl := networkingv1.PathTypeExact, networkingv1.PathTypePrefix, networkingv1.PathType("")
	same := [][2]networkingv1.HTTPIngressPath{
		{path(prefix, "/api", "x"), path(prefix, "/api/", "y")},
		{path(prefix, "/api", "x"), path(impl, "/api", "y")},
		{path(prefix, "", "x"), path(prefix, "/", "y")},
		{path(exact, "", "x"), path(exact, "/", "y")},
	}
	for _, p := range same {
		if IngressRouteKey("Shop.example.com", p[0]) != IngressRouteKey("shop.example.com", p[1]) {
			t.Errorf("%+v and %+v claim different routes", p[0], p[1])
		}
	}
	differ := [][2]networkingv1.HTTPIngressPath{
		{path(exact, "/api", "x"), path(prefix, "/api", "y")},
		{path(exact, "/api", "x"), path(exact, "/api/", "y")},
		{path(prefix, "/api", "x"), path(prefix, "/apis", "y")},
	}
	for _, p := range differ {
		if IngressRouteKey("shop.example.com", p[0]) == IngressRouteKey("shop.example.com", p[1]) {
			t.Errorf("%+v and %+v claim the same route", p[0], p[1])
		}
	}
	if IngressRouteKey("a.example.com", path(prefix, "/", "x")) == IngressRouteKey("b.example.com", path(prefix, "/", "x")) {
		t.Error("different hosts claim the same route")
	}
}

func TestIngressPathKind(t *testing.T) {
	unset := networkingv1.HTTPIngressPath{Path: "/"}
	if IngressPathType(unset) != networkingv1.PathTypeImplementationSpecific {
		t.Errorf("unset path type = %s", IngressPathType(unset))
	}
	for pt, want := range map[networkingv1.PathType]PathKind{
		networkingv1.PathTypeExact:                  PathExact,
		networkingv1.PathTypePrefix:                 PathPrefix,
		networkingv1.PathTypeImplementationSpecific: PathPrefix,
	} {
		if got := IngressPathKind(pt); got != want {
			t.Errorf("IngressPathKind(%s) = %s, want %s", pt, got, want)
		}
	}
}

// TestSortOldestFirst: ingress-nginx's order, in which the first Ingress to
// define a host or path keeps it. Source: ingress-nginx
// internal/ingress/controller/store/store.go sortIngressSlice (called by
// ListIngresses): CreationTimestamp ascending, and on equal timestamps
// fmt.Sprintf("%v/%v", namespace, name) compared with `in > jn`, so the
// greater "namespace/name" string first; not namespace then name ("a/x" >
// "a-b/x" since '/' > '-').
func TestSortOldestFirst(t *testing.T) {
	same := func(ns, name string) *networkingv1.Ingress { return ingressAt(ns, name, time.Hour) }
	tests := []struct {
		name string
		ings []*networkingv1.Ingress
		want []string
	}{
		{"older first", []*networkingv1.Ingress{ingressAt("a", "new", time.Minute), ingressAt("z", "old", time.Hour)}, []string{"z/old", "a/new"}},
		{"same second: descending namespace/name", []*networkingv1.Ingress{same("a", "twin"), same("b", "twin"), same("b", "alpha")}, []string{"b/twin", "b/alpha", "a/twin"}},
		{"the string namespace/name, not namespace then name", []*networkingv1.Ingress{same("a-b", "x"), same("a", "x")}, []string{"a/x", "a-b/x"}},
		{"the same second, not the same instant", []*networkingv1.Ingress{ingressAt("a", "later", time.Hour-time.Millisecond), ingressAt("b", "first", time.Hour)}, []string{"b/first", "a/later"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			SortOldestFirst(tt.ings)
			var got []string
			for _, ing := range tt.ings {
				got = append(got, ing.Namespace+"/"+ing.Name)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

func hostOnly(host string) networkingv1.IngressRule { return networkingv1.IngressRule{Host: host} }

func annotate(ing *networkingv1.Ingress, k, v string) *networkingv1.Ingress {
	if ing.Annotations == nil {
		ing.Annotations = map[string]string{}
	}
	ing.Annotations[k] = v
	return ing
}

// TestRouteIngressFor: where several Ingresses of one class meet, per
// controller. Sources, per case:
//   - ingress-nginx: internal/ingress/controller/controller.go
//     createServers (one server per rule host, made by the first Ingress in
//     ListIngresses order naming it, http or not; its root location goes to
//     that Ingress's spec.defaultBackend or the controller's default
//     backend, 404; the catch-all server "_" takes the first Ingress
//     without rules), getBackendServers (`if rule.HTTP == nil { continue
//     }`: a rule without http adds no location but its server stays; the
//     first Ingress keeps a location two define), location.go
//     updateServerLocations and template/template.go buildLocation (Prefix
//     /p is "/p/" plus "= /p"; ImplementationSpecific a plain nginx prefix).
//   - Traefik v3.6.12: pkg/provider/kubernetes/ingress/kubernetes.go
//     loadConfigurationFromIngresses (one router per rule path, no host
//     tiers; rules without http skipped; spec.defaultBackend read only for
//     an Ingress without rules, as "default-router", PathPrefix("/") at
//     priority math.MinInt32, once), loadRouter/buildHostRule/buildRule
//     (the rule text, PathPrefix character-wise without
//     strictPrefixMatching); pkg/muxer/http/mux.go GetRulePriority
//     (priority = len(rule)) and AddRoute (sort.Sort by priority: equal
//     priorities in no defined order).
//   - generic: the package's model, Depends naming the controllers that
//     answer otherwise.
func TestRouteIngressFor(t *testing.T) {
	exact, prefix, impl := networkingv1.PathTypeExact, networkingv1.PathTypePrefix, networkingv1.PathTypeImplementationSpecific
	shopRoot := ingressAt("ns", "shop", 2*time.Hour, rule("shop.example.com", path(prefix, "/", "web")))
	shopAPI := ingressAt("ns", "shop-api", time.Hour, rule("shop.example.com", path(prefix, "/api", "api")))
	twinA := ingressAt("a", "twin", time.Hour, rule("dup.example.com", path(prefix, "/", "twin-a")))
	twinB := ingressAt("b", "twin", time.Hour, rule("dup.example.com", path(prefix, "/", "twin-b")))
	twinSameSvc := ingressAt("b", "twin2", time.Hour, rule("dup.example.com", path(prefix, "/", "twin-b")))
	claim := withDefault(ingressAt("ns", "claim", 2*time.Hour, hostOnly("only.example.com")), "claim-default")
	claimNoDefault := ingressAt("ns", "claim", 2*time.Hour, hostOnly("only.example.com"))
	wild := ingressAt("ns", "wild", time.Hour, rule("*.example.com", path(prefix, "/", "wild")))
	first := ingressAt("ns", "first", 2*time.Hour, rule("multi.example.com", path(prefix, "/a", "a")))
	second := withDefault(ingressAt("ns", "second", time.Hour, rule("multi.example.com", path(prefix, "/b", "b"))), "second-default")
	firstDefault := withDefault(ingressAt("ns", "first", 2*time.Hour, rule("multi.example.com", path(prefix, "/a", "a"))), "first-default")
	catchAll := withDefault(ingressAt("ns", "catch", 3*time.Hour), "catch")
	catchAll2 := withDefault(ingressAt("ns", "catch2", 4*time.Hour), "catch2")
	exactRoot := ingressAt("ns", "exact-root", time.Hour, rule("shop.example.com", path(prefix, "/", "exact-host")))
	wildRoot := ingressAt("ns", "wild-root", time.Hour, rule("*.example.com", path(prefix, "/", "wild-host")))
	strict := ingressAt("ns", "strict", time.Hour, rule("strict.example.com", path(exact, "/only", "only")))
	health := ingressAt("ns", "health", time.Hour, rule("", path(prefix, "/health", "health")))
	apiPrefix := ingressAt("ns", "p", time.Hour, rule("p.example.com", path(prefix, "/api", "api")))
	apiImpl := ingressAt("ns", "i", time.Hour, rule("i.example.com", path(impl, "/api", "impl")))
	apiSlash := ingressAt("ns", "s", time.Hour, rule("s.example.com", path(prefix, "/api/", "slash")))
	encoded := ingressAt("ns", "enc", time.Hour, rule("enc.example.com", path(prefix, "/a/b", "ab"), path(exact, "/b", "b"), path(prefix, "/api", "api")))
	long := annotate(ingressAt("ns", "long", time.Hour, rule("prio.example.com", path(prefix, "/api/v1", "long"))), "traefik.ingress.kubernetes.io/router.priority", "1")
	short := ingressAt("ns", "short", time.Hour, rule("prio.example.com", path(prefix, "/api", "short")))

	G, N, T := IngressGeneric, IngressNginx, IngressTraefik
	tests := []struct {
		name       string
		ctrl       IngressController
		ings       []*networkingv1.Ingress
		host, path string
		wantIng    string
		wantSvc    string
		fallback   bool
		depends    bool
	}{
		// Two Ingresses sharing a host, different paths: every model agrees.
		{"shared host: the longer path", N, []*networkingv1.Ingress{shopRoot, shopAPI}, "shop.example.com", "/api/x", "shop-api", "api", false, false},
		{"shared host: the longer path", T, []*networkingv1.Ingress{shopRoot, shopAPI}, "shop.example.com", "/api/x", "shop-api", "api", false, false},
		{"shared host: the longer path", G, []*networkingv1.Ingress{shopRoot, shopAPI}, "shop.example.com", "/api/x", "shop-api", "api", false, false},
		{"shared host: the other ingress's root", T, []*networkingv1.Ingress{shopRoot, shopAPI}, "shop.example.com", "/web", "shop", "web", false, false},

		// 1. The same path, created in the same second.
		{"same second: greater namespace/name", N, []*networkingv1.Ingress{twinA, twinB}, "dup.example.com", "/", "twin", "twin-b", false, false},
		{"same rule text: Traefik's order is undefined", T, []*networkingv1.Ingress{twinA, twinB}, "dup.example.com", "/", "twin", "twin-b", false, true},
		{"same rule text, same service: certain", T, []*networkingv1.Ingress{twinB, twinSameSvc}, "dup.example.com", "/", "twin2", "twin-b", false, false},
		{"same rule text, same service name in another namespace: depends", T, []*networkingv1.Ingress{twinB, ingressAt("c", "twin", time.Hour, rule("dup.example.com", path(prefix, "/", "twin-b")))}, "dup.example.com", "/", "twin", "twin-b", false, true},
		{"same second, generic: depends", G, []*networkingv1.Ingress{twinA, twinB}, "dup.example.com", "/", "twin", "twin-b", false, true},

		// 2. A rule naming a host without http.
		{"host-only rule: its ingress's default backend", N, []*networkingv1.Ingress{wild, claim}, "only.example.com", "/x", "claim", "claim-default", true, false},
		{"host-only rule without default backend: 404, not the wildcard", N, []*networkingv1.Ingress{wild, claimNoDefault}, "only.example.com", "/x", "", "", false, false},
		{"host-only rule: Traefik ignores it, the wildcard serves", T, []*networkingv1.Ingress{wild, claim}, "only.example.com", "/x", "wild", "wild", false, false},
		{"host-only rule, generic: depends", G, []*networkingv1.Ingress{wild, claim}, "only.example.com", "/x", "wild", "wild", false, true},
		{"host-only rule: Traefik's catch-all", T, []*networkingv1.Ingress{catchAll, claim}, "only.example.com", "/x", "catch", "catch", true, false},

		// 3. Unmatched paths of a host defined by several Ingresses.
		{"the first ingress of the host has no default backend: 404", N, []*networkingv1.Ingress{second, first}, "multi.example.com", "/c", "", "", false, false},
		{"the first ingress's default backend", N, []*networkingv1.Ingress{second, firstDefault}, "multi.example.com", "/c", "first", "first-default", true, false},
		{"Traefik ignores default backends of ingresses with rules", T, []*networkingv1.Ingress{second, firstDefault}, "multi.example.com", "/c", "", "", false, false},
		{"Traefik: the catch-all serves a known host's other paths", T, []*networkingv1.Ingress{second, catchAll}, "multi.example.com", "/c", "catch", "catch", true, false},
		{"ingress-nginx: the catch-all serves unknown hosts only", N, []*networkingv1.Ingress{first, catchAll}, "multi.example.com", "/c", "", "", false, false},
		{"generic: any default backend of the host, depends", G, []*networkingv1.Ingress{second, first}, "multi.example.com", "/c", "second", "second-default", true, true},
		{"two catch-alls: ingress-nginx takes the oldest", N, []*networkingv1.Ingress{catchAll, catchAll2}, "x.org", "/", "catch2", "catch2", true, false},
		{"two catch-alls: Traefik's first read, undefined", T, []*networkingv1.Ingress{catchAll, catchAll2}, "x.org", "/", "catch2", "catch2", true, true},

		// Traefik: one muxer ordered by rule length, no host tiers.
		{"Traefik: a wildcard rule is longer than the exact host's", T, []*networkingv1.Ingress{exactRoot, wildRoot}, "shop.example.com", "/", "wild-root", "wild-host", false, false},
		{"ingress-nginx: the exact host wins", N, []*networkingv1.Ingress{exactRoot, wildRoot}, "shop.example.com", "/", "exact-root", "exact-host", false, false},
		{"generic: the exact host, depends", G, []*networkingv1.Ingress{exactRoot, wildRoot}, "shop.example.com", "/", "exact-root", "exact-host", false, true},
		{"Traefik: falls through to a rule without host", T, []*networkingv1.Ingress{strict, health}, "strict.example.com", "/health", "health", "health", false, false},
		{"ingress-nginx: no fall-through to a rule without host", N, []*networkingv1.Ingress{strict, health}, "strict.example.com", "/health", "", "", false, false},
		{"Traefik: router.priority annotation", T, []*networkingv1.Ingress{long, short}, "prio.example.com", "/api/v1", "short", "short", false, false},

		// Prefix matching per controller.
		{"Traefik: PathPrefix is character-wise", T, []*networkingv1.Ingress{apiPrefix}, "p.example.com", "/apis", "p", "api", false, true},
		{"ingress-nginx: Prefix is element-wise", N, []*networkingv1.Ingress{apiPrefix}, "p.example.com", "/apis", "", "", false, false},
		{"ingress-nginx: ImplementationSpecific is an nginx prefix", N, []*networkingv1.Ingress{apiImpl}, "i.example.com", "/apis", "i", "impl", false, false},
		{"generic: ImplementationSpecific as Prefix, depends", G, []*networkingv1.Ingress{apiImpl}, "i.example.com", "/apis", "", "", false, true},
		{"ingress-nginx: Prefix /api/ does not match /api", N, []*networkingv1.Ingress{apiSlash}, "s.example.com", "/api", "", "", false, false},
		{"ingress-nginx: Prefix /api/ matches /api/x", N, []*networkingv1.Ingress{apiSlash}, "s.example.com", "/api/x", "s", "slash", false, false},

		// 4. Dot segments and escapes.
		{"dot segments removed", N, []*networkingv1.Ingress{encoded}, "enc.example.com", "/a/../b", "enc", "b", false, false},
		{"dot segments removed", T, []*networkingv1.Ingress{encoded}, "enc.example.com", "/a/../b", "enc", "b", false, false},
		{"dot segments removed", G, []*networkingv1.Ingress{encoded}, "enc.example.com", "/a/../b", "enc", "b", false, false},
		{"encoded dots are dot segments", N, []*networkingv1.Ingress{encoded}, "enc.example.com", "/a/%2e%2E/b", "enc", "b", false, false},
		{"encoded dots are dot segments", T, []*networkingv1.Ingress{encoded}, "enc.example.com", "/a/%2e%2E/b", "enc", "b", false, false},
		{"encoded unreserved characters", T, []*networkingv1.Ingress{encoded}, "enc.example.com", "/%61pi/x", "enc", "api", false, false},
		{"encoded unreserved characters", N, []*networkingv1.Ingress{encoded}, "enc.example.com", "/%61pi/x", "enc", "api", false, false},
		{"ingress-nginx decodes %2F", N, []*networkingv1.Ingress{encoded}, "enc.example.com", "/a%2Fb", "enc", "ab", false, false},
		{"Traefik keeps %2F encoded", T, []*networkingv1.Ingress{encoded}, "enc.example.com", "/a%2Fb", "", "", false, false},
		{"%2F, generic: depends", G, []*networkingv1.Ingress{encoded}, "enc.example.com", "/a%2Fb", "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.ctrl.String()+"/"+tt.name, func(t *testing.T) {
			res := RouteIngressFor(tt.ctrl, tt.ings, tt.host, tt.path)
			ing, svc := "", ""
			if res.Ingress != nil {
				ing = res.Ingress.Name
			}
			if res.Backend != nil && res.Backend.Service != nil {
				svc = res.Backend.Service.Name
			}
			if ing != tt.wantIng || svc != tt.wantSvc || res.Fallback != tt.fallback || (len(res.Depends) > 0) != tt.depends {
				t.Errorf("%s%s -> ingress %q service %q (fallback %t, depends %q), want %q %q (%t, depends %t)",
					tt.host, tt.path, ing, svc, res.Fallback, res.Depends, tt.wantIng, tt.wantSvc, tt.fallback, tt.depends)
			}
			if res.Path != tt.path || res.Controller != tt.ctrl {
				t.Errorf("result for %q by %s", res.Path, res.Controller)
			}
		})
	}
}

// TestRouteIngressForExplains: the fields the checks explain a result
// with (sources as TestRouteIngressFor).
func TestRouteIngressForExplains(t *testing.T) {
	prefix := networkingv1.PathTypePrefix
	claim := withDefault(ingressAt("ns", "claim", 2*time.Hour, hostOnly("only.example.com")), "claim-default")
	first := ingressAt("ns", "first", 2*time.Hour, rule("multi.example.com", path(prefix, "/a", "a")))
	second := withDefault(ingressAt("ns", "second", time.Hour, rule("multi.example.com", path(prefix, "/b", "b"))), "second-default")
	other := withDefault(ingressAt("ns", "other", time.Hour, rule("other.example.com", path(prefix, "/", "o"))), "other-default")

	res := RouteIngressFor(IngressNginx, []*networkingv1.Ingress{claim}, "only.example.com", "/")
	if res.HostOnly != claim || res.HostOwner != claim || res.HostMatch != HostExact || res.RuleHost != "only.example.com" {
		t.Errorf("host-only claim: %+v", res)
	}
	res = RouteIngressFor(IngressNginx, []*networkingv1.Ingress{second, first, other}, "multi.example.com", "/c")
	if res.HostOwner != first || !hasIgnored(res, second, DefaultNotFirst) || !hasIgnored(res, other, DefaultOtherHost) {
		t.Errorf("ingress-nginx, unmatched path: owner %v, ignored %+v", res.HostOwner, res.IgnoredDefaults)
	}
	res = RouteIngressFor(IngressTraefik, []*networkingv1.Ingress{second, other}, "multi.example.com", "/c")
	if !hasIgnored(res, second, DefaultWithRules) || !hasIgnored(res, other, DefaultWithRules) || res.HostMatch != HostExact {
		t.Errorf("Traefik, unmatched path: %+v", res)
	}
	// The default backends of the Ingresses naming the host come first
	// (other is older than second here).
	olderOther := withDefault(ingressAt("ns", "other", 5*time.Hour, rule("other.example.com", path(prefix, "/", "o"))), "other-default")
	for _, c := range []IngressController{IngressTraefik, IngressNginx} {
		res = RouteIngressFor(c, []*networkingv1.Ingress{olderOther, second, first}, "multi.example.com", "/c")
		if len(res.IgnoredDefaults) != 2 || res.IgnoredDefaults[0].Ingress != second {
			t.Errorf("%s: ignored defaults %+v, want ns/second first", c, res.IgnoredDefaults)
		}
	}
	res = RouteIngressFor(IngressNginx, []*networkingv1.Ingress{other}, "nobody.example.com", "/")
	if res.Ingress != nil || !hasIgnored(res, other, DefaultOtherHost) || res.HostMatch != HostNone {
		t.Errorf("ingress-nginx, another host: %+v", res)
	}
	res = RouteIngress([]*networkingv1.Ingress{second, first}, "multi.example.com", "/c")
	if want := "ingress-nginx would serve it from the controller's default backend (404)"; !slices.Contains(res.Depends, want) {
		t.Errorf("generic depends %q, want %q", res.Depends, want)
	}
	res = RouteIngressFor(IngressTraefik, []*networkingv1.Ingress{first}, "multi.example.com", "/a/x")
	if res.Rule == nil || res.Rule.Priority != len(`Host("multi.example.com") && PathPrefix("/a")`) {
		t.Errorf("Traefik priority: %+v", res.Rule)
	}
}

func hasIgnored(res IngressResult, ing *networkingv1.Ingress, why DefaultReason) bool {
	for _, d := range res.IgnoredDefaults {
		if d.Ingress == ing && d.Why == why {
			return true
		}
	}
	return false
}

// TestTraefikRule: the rule text, whose length is the router's priority.
// The expected texts are those of Traefik v3.6.12's own tests
// (pkg/provider/kubernetes/ingress/kubernetes_test.go, e.g.
// `HostRegexp("^[a-zA-Z0-9-]+\\.bar$") && PathPrefix("/bar")`), made by
// kubernetes.go loadRouter.
func TestTraefikRule(t *testing.T) {
	exact, prefix, impl := networkingv1.PathTypeExact, networkingv1.PathTypePrefix, networkingv1.PathTypeImplementationSpecific
	plain := ingressAt("ns", "x", time.Hour)
	pathMatcher := annotate(ingressAt("ns", "x", time.Hour), "traefik.ingress.kubernetes.io/router.pathmatcher", "Path")
	tests := []struct {
		ing  *networkingv1.Ingress
		host string
		p    networkingv1.HTTPIngressPath
		want string
	}{
		{plain, "*.bar", path(prefix, "/bar", "s"), `HostRegexp("^[a-zA-Z0-9-]+\\.bar$") && PathPrefix("/bar")`},
		{plain, "traefik.tchouk", path(exact, "/bar", "s"), `Host("traefik.tchouk") && Path("/bar")`},
		{plain, "", path(impl, "/bar", "s"), `PathPrefix("/bar")`},
		{pathMatcher, "", path(impl, "/bar", "s"), `Path("/bar")`},
		{plain, "traefik.tchouk", path(prefix, "", "s"), `Host("traefik.tchouk")`},
	}
	for _, tt := range tests {
		if got := TraefikRule(tt.ing, tt.host, tt.p); got != tt.want {
			t.Errorf("TraefikRule(%q, %+v) = %s, want %s", tt.host, tt.p, got, tt.want)
		}
	}
}

// TestMatchingPath: the path each controller matches rules against.
// Sources: nginx src/http/ngx_http_parse.c ngx_http_parse_complex_uri
// (every %XX decoded and parsed again, dot segments removed,
// merge_slashes); Traefik v3.6.12 pkg/server/server_entrypoint_tcp.go
// normalizePath (unreserved decoded, hex upper-cased) then sanitizePath
// (url.JoinPath), and pkg/muxer/http/mux.go withRoutingPath (all but the
// reservedCharacters decoded).
func TestMatchingPath(t *testing.T) {
	tests := []struct {
		in                   string
		generic, nginx, trfk string
	}{
		{"/a/../b", "/b", "/b", "/b"},
		{"/a/./b/", "/a/b/", "/a/b/", "/a/b/"},
		{"/a//b", "/a/b", "/a/b", "/a/b"},
		{"/../x", "/x", "/x", "/x"},
		{"/a/.", "/a/", "/a/", "/a"},
		{"/a/%2e%2E/b", "/b", "/b", "/b"},
		{"/%61pi", "/api", "/api", "/api"},
		{"/a%2fb", "/a%2Fb", "/a/b", "/a%2Fb"},
		{"/a%2F..%2Fb", "/a%2F..%2Fb", "/b", "/a%2F..%2Fb"},
		{"/foo%20bar", "/foo%20bar", "/foo bar", "/foo bar"},
		{"/100%25", "/100%25", "/100%", "/100%25"},
	}
	for _, tt := range tests {
		for c, want := range map[IngressController]string{IngressGeneric: tt.generic, IngressNginx: tt.nginx, IngressTraefik: tt.trfk} {
			if got := c.MatchingPath(tt.in); got != want {
				t.Errorf("%s: MatchingPath(%q) = %q, want %q", c, tt.in, got, want)
			}
		}
	}
}
