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
