package ingress

import (
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestIngressResolveClass(t *testing.T) {
	old := class("nginx", "k8s.io/ingress-nginx", true, now.Add(-48*time.Hour))
	newer := class("traefik", "traefik.io/ingress-controller", true, now.Add(-time.Hour))
	plain := class("internal", "k8s.io/ingress-nginx-internal", false, now)
	classes := []networkingv1.IngressClass{*old, *newer, *plain}
	ing := func(spec *string, annotation string) *networkingv1.Ingress {
		i := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: networkingv1.IngressSpec{IngressClassName: spec}}
		if annotation != "" {
			i.Annotations = map[string]string{"kubernetes.io/ingress.class": annotation}
		}
		return i
	}
	tests := []struct {
		name       string
		ing        *networkingv1.Ingress
		classes    []networkingv1.IngressClass
		want       string
		source     string
		controller string
	}{
		{"spec", ing(ptr("internal"), ""), classes, "internal", fromSpec, "k8s.io/ingress-nginx-internal"},
		{"spec wins over annotation", ing(ptr("internal"), "nginx"), classes, "internal", fromSpec, "k8s.io/ingress-nginx-internal"},
		{"annotation", ing(nil, "nginx"), classes, "nginx", fromAnnotation, "k8s.io/ingress-nginx"},
		{"annotation without a class", ing(nil, "gce"), classes, "gce", fromAnnotation, ""},
		{"two defaults: none applies", ing(nil, ""), classes, "", "", ""},
		{"one default", ing(nil, ""), []networkingv1.IngressClass{*old, *plain}, "nginx", fromDefault, "k8s.io/ingress-nginx"},
		{"missing class", ing(ptr("ngnix"), ""), classes, "ngnix", fromSpec, ""},
	}
	for _, tt := range tests {
		r := resolveClass(tt.ing, tt.classes)
		if r.name != tt.want || r.source != tt.source || r.controller() != tt.controller {
			t.Errorf("%s: got %q from %q (controller %q), want %q from %q (%q)", tt.name, r.name, r.source, r.controller(), tt.want, tt.source, tt.controller)
		}
	}
	// The newest default first, as the DefaultIngressClass admission picks.
	if d := defaultClasses(classes); strings.Join(d, ",") != "traefik,nginx" {
		t.Errorf("defaults = %v", d)
	}
}

func TestIngressLookupController(t *testing.T) {
	tests := map[string]string{
		"k8s.io/ingress-nginx":                 "ingress-nginx",
		"k8s.io/ingress-nginx-internal":        "ingress-nginx",
		"k8s.io/shop-nginx-ingress":            "ingress-nginx",
		"nginx.org/ingress-controller":         "F5 NGINX Ingress Controller",
		"traefik.io/ingress-controller":        "Traefik",
		"haproxy.org/ingress-controller":       "HAProxy Kubernetes Ingress Controller",
		"haproxy-ingress.github.io/controller": "HAProxy Ingress",
		"projectcontour.io/ingress-controller": "Contour",
		"ingress-controllers.konghq.com/kong":  "Kong",
		"istio.io/ingress-controller":          "Istio",
		"ingress.k8s.aws/alb":                  "AWS Load Balancer Controller",
		"k8s.io/ingress-gce":                   "GCE (Google Cloud Load Balancing)",
		"example.com/custom":                   "",
	}
	for controller, want := range tests {
		got := ""
		if k := lookupController(controller); k != nil {
			got = k.name
		}
		if got != want {
			t.Errorf("lookupController(%q) = %q, want %q", controller, got, want)
		}
	}
}
