package ingress

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/controllerpods"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

func TestIngressDiagnoseVerdicts(t *testing.T) {
	day := 24 * time.Hour
	noClass := func(ing *networkingv1.Ingress) { ing.Spec.IngressClassName = nil }
	tests := []struct {
		name    string
		objs    []runtime.Object
		outcome report.Outcome
		code    string
		want    string
	}{
		{
			name:    "healthy",
			objs:    append(healthy(), shopIngress()),
			outcome: report.OK, want: "No problem found: every route reaches ready endpoints",
		},
		{
			name:    "class that does not exist",
			objs:    append(healthy(), shopIngress(func(ing *networkingv1.Ingress) { ing.Spec.IngressClassName = ptr("ngnix") })),
			outcome: report.Problems, code: "ING002",
			want: "ingress class ngnix does not exist: no controller picks this ingress up, so its hosts get 404; did you mean nginx?",
		},
		{
			name:    "no class and no default",
			objs:    append(healthy(), shopIngress(noClass)),
			outcome: report.Problems, code: "ING002", want: "no IngressClass is the default",
		},
		{
			name:    "no class, one default",
			objs:    append(replace(healthy(), class("nginx", "k8s.io/ingress-nginx", true, now.Add(-48*time.Hour))), shopIngress(noClass)),
			outcome: report.OK, code: "ING002", want: "relies on the default IngressClass nginx",
		},
		{
			name: "no class, two defaults",
			objs: append(replace(healthy(), class("nginx", "k8s.io/ingress-nginx", true, now.Add(-48*time.Hour)),
				class("traefik", "traefik.io/ingress-controller", true, now.Add(-24*time.Hour))), shopIngress(noClass)),
			outcome: report.Problems, code: "ING002", want: "2 IngressClasses are marked default (traefik, nginx)",
		},
		{
			name: "legacy annotation naming an existing class",
			objs: append(healthy(), shopIngress(noClass, func(ing *networkingv1.Ingress) {
				ing.Annotations = map[string]string{"kubernetes.io/ingress.class": "nginx"}
			})),
			outcome: report.OK, code: "ING002", want: "deprecated annotation",
		},
		{
			name:    "controller pods not ready",
			objs:    replace(append(healthy(), shopIngress()), ctrlPod("ingress-nginx-controller-1", false)),
			outcome: report.Problems, code: "ING003", want: "none of the 1 ingress-nginx pod(s) is ready, so requests to the ingress get no answer",
		},
		{
			name: "no controller pods and no address",
			objs: append(without(healthy(), "pod", "ingress-nginx-controller-1"), shopIngress(func(ing *networkingv1.Ingress) {
				ing.Status = networkingv1.IngressStatus{}
			})),
			outcome: report.Problems, code: "ING003", want: "no ingress-nginx pods were found and the ingress has no address",
		},
		{
			name:    "backend service missing",
			objs:    append(without(healthy(), "service", "api"), shopIngress()),
			outcome: report.Problems, code: "ING008",
			want: "service api does not exist in namespace ns: requests to shop.example.com/api get 503 (ingress-nginx: 503 Service Temporarily Unavailable)",
		},
		{
			name: "backend port that is the container port",
			objs: append(healthy(), shopIngress(func(ing *networkingv1.Ingress) {
				ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port = networkingv1.ServiceBackendPort{Number: 8080}
			})),
			outcome: report.Problems, code: "ING009", want: "service web has no port 8080 (ports: http 80/TCP->http): requests to shop.example.com/ get 503",
		},
		{
			name:    "no ready endpoints",
			objs:    replace(append(healthy(), shopIngress()), backendPod("api-1", "api", "10.244.1.2", false), endpointSlice("api", map[string]bool{"10.244.1.2": false})),
			outcome: report.Problems, code: "ING010",
			want: "service api has no ready endpoints for port http (none of its 1 pod(s) is ready; api-1: container app is not ready): requests to shop.example.com/api get 503",
		},
		{
			name:    "named targetPort on no pod",
			objs:    replace(append(healthy(), shopIngress()), backendService("api", intstr.FromString("web")), endpointSlice("api", nil)),
			outcome: report.Problems, code: "ING010", want: `targetPort "web" resolves on none of its 1 pod(s)`,
		},
		{
			name:    "traefik: a missing service is a 404",
			objs:    append(replace(without(healthy(), "service", "api"), class("nginx", "traefik.io/ingress-controller", false, now)), shopIngress()),
			outcome: report.Problems, code: "ING008", want: "get 404 (Traefik drops a router whose service is missing)",
		},
		{
			name:    "traefik: no ready endpoints is a 404",
			objs:    append(replace(healthy(), class("nginx", "traefik.io/ingress-controller", false, now), endpointSlice("api", nil)), shopIngress()),
			outcome: report.Problems, code: "ING010", want: "requests to shop.example.com/api get 404 (Traefik drops a router whose service has no endpoints; 503 with allowEmptyServices)",
		},
		{
			name:    "a controller netdebug does not know: no ready endpoints is a 503",
			objs:    append(replace(healthy(), class("nginx", "example.com/ingress-controller", false, now), endpointSlice("api", nil)), shopIngress()),
			outcome: report.Problems, code: "ING010", want: "requests to shop.example.com/api get 503",
		},
		{
			name:    "F5 NGINX: no endpoints is a 502",
			objs:    append(replace(healthy(), class("nginx", "nginx.org/ingress-controller", false, now), endpointSlice("api", nil)), shopIngress()),
			outcome: report.Problems, code: "ING010", want: "get 502 (F5 NGINX answers 502 Bad Gateway",
		},
		{
			name:    "TLS secret missing",
			objs:    append(healthy(), shopIngress(withTLS("shop-tls", "shop.example.com"))),
			outcome: report.Problems, code: "ING012",
			want: `TLS secret shop-tls does not exist in namespace ns: ingress-nginx serves its self-signed "Kubernetes Ingress Controller Fake Certificate" for shop.example.com, which clients reject`,
		},
		{
			name: "TLS certificate expired",
			objs: append(healthy(), shopIngress(withTLS("shop-tls", "shop.example.com")),
				secretFor(t, "shop-tls", []string{"shop.example.com"}, now.Add(-90*day), now.Add(-3*day))),
			outcome: report.Problems, code: "ING013", want: "the certificate in secret shop-tls expired on 2026-11-24 (3 days ago): clients reject it",
		},
		{
			name: "TLS certificate for another host",
			objs: append(healthy(), shopIngress(withTLS("shop-tls", "shop.example.com")),
				secretFor(t, "shop-tls", []string{"www.example.com"}, now.Add(-day), now.Add(90*day))),
			outcome: report.Problems, code: "ING013", want: "does not cover shop.example.com (it covers www.example.com)",
		},
		{
			name: "TLS certificate expiring soon",
			objs: append(healthy(), shopIngress(withTLS("shop-tls", "shop.example.com")),
				secretFor(t, "shop-tls", []string{"shop.example.com"}, now.Add(-80*day), now.Add(5*day))),
			outcome: report.OK, code: "ING013", want: "expires on 2026-12-02, in 5 days",
		},
		{
			name: "TLS wildcard certificate",
			objs: append(healthy(), shopIngress(withTLS("shop-tls", "shop.example.com")),
				secretFor(t, "shop-tls", []string{"*.example.com"}, now.Add(-day), now.Add(90*day))),
			outcome: report.OK, want: "No problem found",
		},
		{
			name: "conflict with an older ingress",
			objs: append(healthy(), shopIngress(), &networkingv1.Ingress{
				ObjectMeta: metav1.ObjectMeta{Name: "legacy", Namespace: "other", CreationTimestamp: metav1.NewTime(now.Add(-30 * day))},
				Spec: networkingv1.IngressSpec{IngressClassName: ptr("nginx"), Rules: []networkingv1.IngressRule{
					prefixRule("shop.example.com", "/api/", "old-api", port80())}},
			}),
			outcome: report.Problems, code: "ING014",
			want: "ingress other/legacy of class nginx also claims shop.example.com /api (Prefix) and takes precedence (it is older): ingress-nginx keeps the rule of the ingress that takes precedence, so requests go to service old-api:80",
		},
		{
			name: "same host and path in another class is no conflict",
			objs: append(healthy(), shopIngress(), class("internal", "k8s.io/ingress-nginx-internal", false, now), &networkingv1.Ingress{
				ObjectMeta: metav1.ObjectMeta{Name: "legacy", Namespace: "other", CreationTimestamp: metav1.NewTime(now.Add(-30 * day))},
				Spec: networkingv1.IngressSpec{IngressClassName: ptr("internal"), Rules: []networkingv1.IngressRule{
					prefixRule("shop.example.com", "/api", "old-api", port80())}},
			}),
			outcome: report.OK,
		},
		{
			name:    "ingress missing, similar name",
			objs:    append(healthy(), shopIngress(func(ing *networkingv1.Ingress) { ing.Name = "shops" })),
			outcome: report.Problems, code: "ING001", want: "did you mean shops?",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := diagnose(t, Request{}, tt.objs...)
			if r.Verdict.Outcome != tt.outcome || r.Verdict.Code != tt.code || !strings.Contains(r.Verdict.Message, tt.want) {
				t.Errorf("verdict = %+v\nwant outcome %s, code %q, message containing %q", r.Verdict, tt.outcome, tt.code, tt.want)
			}
		})
	}
}

func TestIngressGCEExpectsNoPods(t *testing.T) {
	objs := append(replace(without(healthy(), "pod", "ingress-nginx-controller-1"), class("nginx", "k8s.io/ingress-gce", false, now)), shopIngress())
	r := diagnose(t, Request{}, objs...)
	if c := find(t, r, "ING003"); c.Status != report.Pass || !strings.Contains(c.Message, "runs outside the cluster") {
		t.Errorf("ING003 = %s %s", c.Status, c.Message)
	}
	if c := find(t, r, "ING004"); c.Status != report.Skip {
		t.Errorf("ING004 = %s %s, want skip", c.Status, c.Message)
	}
	if r.Verdict.Outcome != report.OK {
		t.Errorf("verdict %+v", r.Verdict)
	}
}

func TestIngressUnknownControllerFoundByName(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-edge-0", Namespace: "edge", Labels: map[string]string{"app": "acme-edge"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "proxy", Image: "ghcr.io/acme/acme-edge:2"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: readyCondition(true)},
	}
	objs := append(replace(without(healthy(), "pod", "ingress-nginx-controller-1"), class("nginx", "acme.io/acme-edge-controller", false, now)), shopIngress(), pod)
	r := diagnose(t, Request{}, objs...)
	c := find(t, r, "ING003")
	if c.Status != report.Pass || !strings.Contains(c.Message, "found by label app=acme-edge, image ghcr.io/acme/acme-edge:2") {
		t.Errorf("ING003 = %s %s", c.Status, c.Message)
	}
	if got := controllerpods.NamesFrom("acme.io/acme-edge-controller", "ingress"); strings.Join(got, ",") != "acme-edge-controller,acme-edge,acme" {
		t.Errorf("controllerNames = %v", got)
	}
}

func TestIngressControllerOfAnotherClassIsLeftOut(t *testing.T) {
	other := ctrlPod("internal-controller-1", true)
	other.Spec.Containers[0].Args = []string{"--controller-class=k8s.io/ingress-nginx-internal"}
	r := diagnose(t, Request{}, append(healthy(), shopIngress(), other)...)
	c := find(t, r, "ING003")
	if c.Status != report.Pass || !strings.HasPrefix(c.Message, "1 ingress-nginx pod(s) ready") {
		t.Errorf("ING003 = %s %s", c.Status, c.Message)
	}
	found := false
	for _, f := range c.Facts {
		if f.Name == "left out" && strings.Contains(f.Value, "serves controller class k8s.io/ingress-nginx-internal") {
			found = true
		}
	}
	if !found {
		t.Errorf("the other class's pod is not named: %+v", c.Facts)
	}
}

func TestIngressForbiddenReadsBecomeSkips(t *testing.T) {
	forbid := func(client *fake.Clientset, verb, resource, group string) {
		client.PrependReactor(verb, resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
			if verb == "list" && resource == "ingresses" && a.GetNamespace() != "" {
				return false, nil, nil // only the cluster-wide list is forbidden
			}
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: group, Resource: resource}, "", errors.New("RBAC"))
		})
	}
	client := fake.NewClientset(append(healthy(), shopIngress(withTLS("shop-tls", "shop.example.com")))...)
	forbid(client, "get", "secrets", "")
	forbid(client, "list", "ingresses", "networking.k8s.io")
	r := diagnoseWith(t, client, Request{})
	tls := find(t, r, "ING012")
	if tls.Status != report.Skip || tls.Forbidden == nil || tls.Forbidden.String() != "get secrets in namespace ns" {
		t.Errorf("ING012 = %+v, want a skip naming get secrets in namespace ns", tls)
	}
	conf := find(t, r, "ING014")
	if conf.Status != report.Skip || conf.Forbidden == nil || conf.Forbidden.String() != "list ingresses.networking.k8s.io (cluster-wide)" {
		t.Errorf("ING014 = %+v, want a skip naming the cluster-wide list", conf)
	}
	if r.Verdict.Outcome != report.OK || !strings.Contains(r.Verdict.Message, "2 step(s) skipped for lack of permissions") {
		t.Errorf("verdict = %+v", r.Verdict)
	}
}

func TestIngressUnreadableIsIncomplete(t *testing.T) {
	client := fake.NewClientset()
	client.PrependReactor("get", "ingresses", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "networking.k8s.io", Resource: "ingresses"}, "shop", errors.New("RBAC"))
	})
	r := diagnoseWith(t, client, Request{})
	if r.Verdict.Outcome != report.Incomplete || !strings.Contains(r.Verdict.Message, "not allowed to get ingresses.networking.k8s.io in namespace ns") {
		t.Errorf("verdict = %+v", r.Verdict)
	}
}

func TestIngressUnreachableServerIsAnError(t *testing.T) {
	client := fake.NewClientset()
	client.PrependReactor("get", "ingresses", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("dial tcp 127.0.0.1:6443: connect: connection refused")
	})
	if _, err := Diagnose(context.Background(), kube.Clients{Typed: client}, Request{Namespace: "ns", Name: "shop"}); err == nil {
		t.Error("want an error when the API server cannot be reached")
	}
}

// Key material never reaches the report, in any form.
func TestIngressNoKeyMaterialInReport(t *testing.T) {
	secret := secretFor(t, "shop-tls", []string{"shop.example.com"}, now.Add(-time.Hour), now.Add(-time.Minute))
	key := secret.Data[corev1.TLSPrivateKeyKey]
	r := diagnose(t, Request{}, append(healthy(), shopIngress(withTLS("shop-tls", "shop.example.com")), secret)...)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	body := strings.Join(strings.Split(string(key), "\n")[1:3], "")
	for _, s := range []string{string(key), body[:40], base64.StdEncoding.EncodeToString(key)[:40], "PRIVATE KEY"} {
		if strings.Contains(out, s) {
			t.Errorf("the report contains key material %q", s)
		}
	}
	if c := find(t, r, "ING013"); c.Status != report.Fail {
		t.Errorf("ING013 = %s %s, want the expired certificate", c.Status, c.Message)
	}
}

func TestIngressWrongSecretType(t *testing.T) {
	good := secretFor(t, "shop-tls", []string{"shop.example.com"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	opaque := good.DeepCopy()
	opaque.Type = corev1.SecretTypeOpaque
	r := diagnose(t, Request{}, append(healthy(), shopIngress(withTLS("shop-tls", "shop.example.com")), opaque)...)
	if c := find(t, r, "ING012"); c.Status != report.Warn || !strings.Contains(c.Message, "is of type Opaque, not kubernetes.io/tls") {
		t.Errorf("Opaque with tls.crt/tls.key: ING012 = %s %s, want a warning", c.Status, c.Message)
	}

	files := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "shop-tls", Namespace: "ns"}, Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"cert.pem": good.Data[corev1.TLSCertKey], "key.pem": good.Data[corev1.TLSPrivateKeyKey]}}
	r = diagnose(t, Request{}, append(healthy(), shopIngress(withTLS("shop-tls", "shop.example.com")), files)...)
	c := find(t, r, "ING012")
	if c.Status != report.Fail || !strings.Contains(c.Message, "is of type Opaque, not kubernetes.io/tls, and has no tls.crt and no tls.key (keys: cert.pem, key.pem)") {
		t.Errorf("Opaque with other keys: ING012 = %s %s, want a failure", c.Status, c.Message)
	}

	other := secretFor(t, "x", []string{"shop.example.com"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	mismatched := good.DeepCopy()
	mismatched.Data[corev1.TLSPrivateKeyKey] = other.Data[corev1.TLSPrivateKeyKey]
	r = diagnose(t, Request{}, append(healthy(), shopIngress(withTLS("shop-tls", "shop.example.com")), mismatched)...)
	if c := find(t, r, "ING012"); c.Status != report.Fail || !strings.Contains(c.Message, "tls.key does not match tls.crt") {
		t.Errorf("mismatched key: ING012 = %s %s", c.Status, c.Message)
	}
}

func TestIngressHostWithoutTLSEntry(t *testing.T) {
	ing := shopIngress(withTLS("shop-tls", "shop.example.com"), func(ing *networkingv1.Ingress) {
		ing.Spec.Rules = append(ing.Spec.Rules, prefixRule("admin.example.com", "/", "web", port80()))
	})
	secret := secretFor(t, "shop-tls", []string{"shop.example.com"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	r := diagnose(t, Request{}, append(healthy(), ing, secret)...)
	if c := find(t, r, "ING013"); c.Status != report.Warn || !strings.Contains(c.Message, "hosts admin.example.com have rules but no TLS entry") {
		t.Errorf("ING013 = %s %s", c.Status, c.Message)
	}
}

func TestIngressNoRulesNoDefaultBackend(t *testing.T) {
	r := diagnose(t, Request{}, append(healthy(), shopIngress(func(ing *networkingv1.Ingress) { ing.Spec.Rules = nil }))...)
	if r.Verdict.Code != "ING007" || !strings.Contains(r.Verdict.Message, "routes nothing") {
		t.Errorf("verdict = %+v", r.Verdict)
	}
}

func TestIngressRoutesData(t *testing.T) {
	r := diagnose(t, Request{}, append(without(healthy(), "service", "api"), shopIngress())...)
	c := find(t, r, "ING015")
	d, ok := c.Data.(Routes)
	if !ok || len(d.Routes) != 2 {
		t.Fatalf("ING015 data = %#v", c.Data)
	}
	if d.Routes[0].Response != "ok" || d.Routes[1].Response != "503 (ingress-nginx: 503 Service Temporarily Unavailable)" || d.Routes[1].Code != "ING008" {
		t.Errorf("routes = %+v", d.Routes)
	}
	if c.Status != report.Fail || !strings.Contains(c.Message, "1 of 2 route(s) fail: shop.example.com/api gets 503 (ingress-nginx: 503 Service Temporarily Unavailable): service api does not exist") {
		t.Errorf("ING015 = %s %s", c.Status, c.Message)
	}
}

func TestIngressWildcardTLSEntryCoversRuleHosts(t *testing.T) {
	ing := shopIngress(withTLS("wild-tls", "*.example.com"), func(ing *networkingv1.Ingress) {
		ing.Spec.Rules = append(ing.Spec.Rules, prefixRule("admin.example.com", "/", "web", port80()))
	})
	secret := secretFor(t, "wild-tls", []string{"*.example.com"}, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	r := diagnose(t, Request{Host: "admin.example.com", Path: "/"}, append(healthy(), ing, secret)...)
	if c := find(t, r, "ING013"); c.Status != report.Pass {
		t.Errorf("ING013 = %s %s, want pass", c.Status, c.Message)
	}
	if c := find(t, r, "ING015"); c.Status != report.Pass || !strings.HasPrefix(c.Message, "request https://admin.example.com/ lands on rule admin.example.com / (Prefix)") {
		t.Errorf("ING015 = %s %s", c.Status, c.Message)
	}
}

func TestIngressUnknownControllerWithoutUsableName(t *testing.T) {
	objs := append(replace(healthy(), class("nginx", "k8s.io/ingress", false, now)), shopIngress())
	r := diagnose(t, Request{}, objs...)
	if c := find(t, r, "ING003"); c.Status != report.Warn || !strings.Contains(c.Message, "gives no label to look for") {
		t.Errorf("ING003 = %s %s", c.Status, c.Message)
	}
}
