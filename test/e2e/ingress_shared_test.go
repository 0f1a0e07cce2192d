//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// fileServerPod serves the files at paths (each holding its own path) over
// HTTP on 8080 (busybox httpd) and declares 9090 too, where nothing
// listens: a request for another path gets the backend's own 404.
func fileServerPod(name string, labels map[string]string, paths ...string) *corev1.Pod {
	var script []string
	for _, p := range paths {
		f := "/tmp/www" + p
		script = append(script, fmt.Sprintf("mkdir -p %s && echo %s > %s", f[:strings.LastIndex(f, "/")], p, f))
	}
	script = append(script, "exec httpd -f -p 8080 -h /tmp/www")
	p := toolsPod(name, labels, "sh", "-c", strings.Join(script, " && "))
	p.Spec.Containers[0].Ports = []corev1.ContainerPort{
		{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
		{Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP},
	}
	return p
}

// TestIngressSharedTraefik: several Ingresses of class traefik meeting on
// one host, a rule without paths, and paths with dot segments and escapes,
// served by the real Traefik. For each request, the `ingress` command is
// asked about one Ingress; when it predicts that another Ingress serves the
// request ("served by ingress NS/NAME") that one must be the expected
// Ingress, and its own prediction must be the status Traefik returns.
//
// What Traefik v3.6 does here (pkg/routing, TestRouteIngressFor, cites
// the sources): one router per rule path, the longest rule first (no host
// tiers); no router for a rule without http, and spec.defaultBackend
// ignored on an Ingress with rules; the path cleaned of dot segments
// (sanitizePath) and its unreserved escapes decoded before matching, %2F
// kept encoded. ingress-nginx answers otherwise in the host-only cases
// (the claiming Ingress's default backend) and for %2F (decoded: a
// separator).
func TestIngressSharedTraefik(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 6*time.Minute)
	addr := requireTraefik(ctx, t)
	ns := newNamespace(ctx, t)
	createPod(ctx, t, ns, toolsPod("client", map[string]string{"app": "client"}))
	createPod(ctx, t, ns, fileServerPod("web-1", map[string]string{"app": "web"}, "/a/x", "/x"))
	service(ctx, t, ns, "web", "web", intstr.FromString("http"))
	service(ctx, t, ns, "refused", "web", intstr.FromString("metrics"))

	// Hosts under the namespace, so that no other test's Ingress of the
	// class matches them. The wildcard is under w.: a wildcard rule is
	// longer, so of higher priority in Traefik, than the rules of the
	// shared host, and would take its requests.
	shared := "shared." + ns + ".example.test"
	only := "only.w." + ns + ".example.test"
	lonely := "lonely." + ns + ".example.test"
	wild := "*.w." + ns + ".example.test"

	class := traefikClass
	prefix := networkingv1.PathTypePrefix
	backend := func(svc string) *networkingv1.IngressBackend {
		return &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}}
	}
	httpRule := func(host, p, svc string) networkingv1.IngressRule {
		return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{{Path: p, PathType: &prefix, Backend: *backend(svc)}},
		}}}
	}
	ingresses := []*networkingv1.Ingress{
		// Two Ingresses share a host with different paths.
		{ObjectMeta: metav1.ObjectMeta{Name: "shared-a"}, Spec: networkingv1.IngressSpec{IngressClassName: &class,
			Rules: []networkingv1.IngressRule{httpRule(shared, "/a", "web")}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "shared-b"}, Spec: networkingv1.IngressSpec{IngressClassName: &class,
			Rules: []networkingv1.IngressRule{httpRule(shared, "/b", "refused")}}},
		// A rule without http under a wildcard of another Ingress, with a
		// default backend (that refuses: ingress-nginx would answer 502).
		{ObjectMeta: metav1.ObjectMeta{Name: "claim"}, Spec: networkingv1.IngressSpec{IngressClassName: &class,
			DefaultBackend: backend("refused"), Rules: []networkingv1.IngressRule{{Host: only}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "wild"}, Spec: networkingv1.IngressSpec{IngressClassName: &class,
			Rules: []networkingv1.IngressRule{httpRule(wild, "/", "web")}}},
		// A rule without http alone, with a default backend that answers
		// (ingress-nginx would answer 200).
		{ObjectMeta: metav1.ObjectMeta{Name: "lonely"}, Spec: networkingv1.IngressSpec{IngressClassName: &class,
			DefaultBackend: backend("web"), Rules: []networkingv1.IngressRule{{Host: lonely}}}},
	}
	for _, ing := range ingresses {
		if _, err := client.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ing := range ingresses {
		eventually(ctx, t, 60*time.Second, "Ingress "+ing.Name+" published by Traefik", func(ctx context.Context) error {
			i, err := client.NetworkingV1().Ingresses(ns).Get(ctx, ing.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if len(i.Status.LoadBalancer.Ingress) == 0 || i.Status.LoadBalancer.Ingress[0].IP != addr {
				return errorf("status.loadBalancer %+v, want %s", i.Status.LoadBalancer, addr)
			}
			return nil
		})
	}

	cases := []struct {
		name string
		req  httpRequest
		// ask is the Ingress the plugin is asked about; lands, when set,
		// the other Ingress it must say serves the request.
		ask, lands string
		real       int
	}{
		{name: "shared host: the other ingress's path", req: httpRequest{Host: shared, Path: "/a/x"}, ask: "shared-b", lands: "shared-a", real: 200},
		{name: "shared host: a path whose endpoint refuses", req: httpRequest{Host: shared, Path: "/b/x"}, ask: "shared-a", lands: "shared-b", real: 502},
		{name: "shared host: no path matches", req: httpRequest{Host: shared, Path: "/c"}, ask: "shared-a", real: 404},
		{name: "dot segment removed before matching", req: httpRequest{Host: shared, Path: "/b/../a/x"}, ask: "shared-b", lands: "shared-a", real: 200},
		{name: "percent-encoded unreserved character decoded", req: httpRequest{Host: shared, Path: "/%61/x"}, ask: "shared-b", lands: "shared-a", real: 200},
		{name: "percent-encoded slash is no separator", req: httpRequest{Host: shared, Path: "/b%2F..%2Fa/x"}, ask: "shared-a", lands: "shared-b", real: 502},
		{name: "host-only rule: the wildcard of another ingress serves", req: httpRequest{Host: only, Path: "/a/x"}, ask: "claim", lands: "wild", real: 200},
		{name: "host-only rule: its default backend is ignored", req: httpRequest{Host: lonely, Path: "/x"}, ask: "lonely", real: 404},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			traefikAnswers(ctx, t, ns, addr, c.req, c.real)
			predicted := strconv.Itoa(c.real)
			if c.real == 200 {
				predicted = "ok"
			}
			var resp string
			eventually(ctx, t, 60*time.Second, fmt.Sprintf("ingress %s predicts %s for %s", c.ask, predicted, c.req), func(ctx context.Context) error {
				var err error
				resp, err = predictShared(ctx, t, ns, c.ask, c.lands, c.req)
				if err != nil {
					return err
				}
				if first, _, _ := strings.Cut(resp, " "); first != predicted {
					return errorf("ING015 request response %q", resp)
				}
				return nil
			})
			t.Logf("netdebug ingress %s: %s -> %s", c.ask, c.req, resp)
		})
	}
}

// predictShared is the `ingress` command's prediction for r asked of
// Ingress ask (ingressPrediction); when it says another Ingress serves the
// request, that Ingress must be lands, and its prediction is the answer.
func predictShared(ctx context.Context, t *testing.T, ns, ask, lands string, r httpRequest) (string, error) {
	run := func(name string) (string, error) {
		rep, _, _ := netdebug(ctx, t, "ingress", name, "-n", ns, "--host", r.Host, "--path", r.Path, "--probe-timeout", "3s")
		return ingressPrediction(rep)
	}
	resp, err := run(ask)
	if err != nil {
		return "", err
	}
	other, served := strings.CutPrefix(resp, "served by ingress ")
	switch {
	case lands == "" && served:
		return "", errorf("ingress %s: %q, want no other ingress", ask, resp)
	case lands == "":
		return resp, nil
	case !served || other != ns+"/"+lands:
		return "", errorf("ingress %s: %q, want served by ingress %s/%s", ask, resp, ns, lands)
	}
	return run(lands)
}
