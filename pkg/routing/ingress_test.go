package routing

import (
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
	// Two Ingresses claiming one path: the older wins, then namespace/name.
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
		{"equal ages: namespace/name", []*networkingv1.Ingress{twinB, twinA}, "dup.example.com", "/", "twin", "twin-a", HostExact, false, 1},
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
