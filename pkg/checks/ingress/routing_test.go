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

// The examples of the Kubernetes Ingress documentation's path-matching
// table, and a few more.
func TestIngressPathMatches(t *testing.T) {
	exact, prefix, impl := networkingv1.PathTypeExact, networkingv1.PathTypePrefix, networkingv1.PathTypeImplementationSpecific
	tests := []struct {
		pt        networkingv1.PathType
		rule, req string
		want      bool
	}{
		{prefix, "/", "/anything/at/all", true},
		{exact, "/foo", "/foo", true},
		{exact, "/foo", "/bar", false},
		{exact, "/foo", "/foo/", false},
		{exact, "/foo/", "/foo", false},
		{prefix, "/foo", "/foo", true},
		{prefix, "/foo", "/foo/", true},
		{prefix, "/foo/", "/foo", true},
		{prefix, "/foo/", "/foo/", true},
		{prefix, "/aaa/bb", "/aaa/bbb", false},
		{prefix, "/aaa/bbb", "/aaa/bbb", true},
		{prefix, "/aaa/bbb/", "/aaa/bbb", true},
		{prefix, "/aaa/bbb", "/aaa/bbb/", true},
		{prefix, "/aaa/bbb", "/aaa/bbb/ccc", true},
		{prefix, "/aaa/bbb", "/aaa/bbbxyz", false},
		{prefix, "/aaa/bbb/ccc", "/aaa/bbb", false},
		{impl, "/api", "/api/v1", true},
		{impl, "/api", "/apis", false},
	}
	for _, tt := range tests {
		if got := pathMatches(tt.pt, tt.rule, tt.req); got != tt.want {
			t.Errorf("%s %q vs %q = %t, want %t", tt.pt, tt.rule, tt.req, got, tt.want)
		}
	}
}

func TestIngressHostMatch(t *testing.T) {
	tests := []struct{ rule, host, want string }{
		{"foo.bar.com", "foo.bar.com", "exact"},
		{"Foo.Bar.com", "foo.bar.com", "exact"},
		{"foo.bar.com", "bar.com", ""},
		{"*.foo.com", "bar.foo.com", "wildcard"},
		{"*.foo.com", "baz.bar.foo.com", ""},
		{"*.foo.com", "foo.com", ""},
		{"*.foo.com", "xfoo.com", ""},
	}
	for _, tt := range tests {
		if got := hostMatch(tt.rule, tt.host); got != tt.want {
			t.Errorf("hostMatch(%q, %q) = %q, want %q", tt.rule, tt.host, got, tt.want)
		}
	}
}

func TestIngressNormalizeRequest(t *testing.T) {
	tests := []struct{ host, path, wantHost, wantPath string }{
		{"Shop.Example.com:8443", "", "shop.example.com", "/"},
		{"https://shop.example.com/api/v1?x=1", "", "shop.example.com", "/api/v1"},
		{"shop.example.com", "/a?b#c", "shop.example.com", "/a"},
		{"[::1]:80", "/", "::1", "/"},
		{"", "/api", "", "/api"},
	}
	for _, tt := range tests {
		h, p, err := NormalizeRequest(tt.host, tt.path)
		if err != nil || h != tt.wantHost || p != tt.wantPath {
			t.Errorf("NormalizeRequest(%q, %q) = %q, %q, %v; want %q, %q", tt.host, tt.path, h, p, err, tt.wantHost, tt.wantPath)
		}
	}
	for _, bad := range [][2]string{{"shop.example.com", "api"}, {"shop example", "/"}} {
		if _, _, err := NormalizeRequest(bad[0], bad[1]); err == nil {
			t.Errorf("NormalizeRequest(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

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

func TestIngressRouteRequest(t *testing.T) {
	exact, prefix := networkingv1.PathTypeExact, networkingv1.PathTypePrefix
	a := ingressWith("ns", "a", time.Hour,
		rule("shop.example.com", path(prefix, "/", "web"), path(prefix, "/api", "api"), path(exact, "/api", "api-exact")),
		rule("*.example.com", path(prefix, "/", "wild")),
		rule("", path(prefix, "/health", "health")),
	)
	b := ingressWith("ns", "b", time.Minute, rule("shop.example.com", path(prefix, "/api/v2", "api-v2")))
	withDefault := ingressWith("ns", "c", 2*time.Hour, rule("docs.example.org", path(exact, "/", "docs")))
	withDefault.Spec.DefaultBackend = &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "fallback", Port: port80()}}
	catchAll := ingressWith("ns", "d", 3*time.Hour)
	catchAll.Spec.DefaultBackend = &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "catch-all", Port: port80()}}
	ings := []*networkingv1.Ingress{a, b, withDefault}
	sortOldestFirst(ings)
	tests := []struct {
		host, path string
		wantIng    string
		wantSvc    string
		how        string
	}{
		{"shop.example.com", "/", "a", "web", "exact"},
		{"shop.example.com", "/api", "a", "api-exact", "exact"}, // Exact wins a tie
		{"shop.example.com", "/api/v1", "a", "api", "exact"},
		{"shop.example.com", "/api/v2/x", "b", "api-v2", "exact"}, // the longest path, another ingress
		{"shop.example.com", "/health", "a", "web", "exact"},      // host rules only: no fallback to host-less rules
		{"blog.example.com", "/x", "a", "wild", "wildcard"},
		{"a.b.example.com", "/health", "a", "health", "any"}, // the wildcard covers one label only
		{"docs.example.org", "/other", "c", "fallback", "exact"},
		{"", "/health", "a", "health", "any"},
		{"10.0.0.1", "/nothing", "", "", "any"}, // c's default backend serves only c's hosts
	}
	for _, tt := range tests {
		res := routeRequest(ings, tt.host, tt.path)
		got := ""
		if res.backend != nil && res.backend.Service != nil {
			got = res.backend.Service.Name
		}
		ing := ""
		if res.ing != nil {
			ing = res.ing.Name
		}
		if ing != tt.wantIng || got != tt.wantSvc || res.hostHow != tt.how {
			t.Errorf("%s%s -> ingress %q service %q (host %q), want %q %q (%q)", tt.host, tt.path, ing, got, res.hostHow, tt.wantIng, tt.wantSvc, tt.how)
		}
	}
	if res := routeRequest([]*networkingv1.Ingress{b}, "other.org", "/x"); res.ing != nil {
		t.Errorf("unmatched request landed on %v", res.ing.Name)
	}
	// An Ingress with a default backend and no rules catches what nothing
	// else matches.
	res := routeRequest([]*networkingv1.Ingress{catchAll, a}, "10.0.0.1", "/nothing")
	if res.ing != catchAll || !res.fallback {
		t.Errorf("catch-all not used: %+v", res)
	}
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
