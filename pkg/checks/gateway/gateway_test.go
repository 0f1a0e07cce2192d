package gateway

import (
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/tlscert"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// A cluster without the Gateway API: one line, no report.
func TestNotServed(t *testing.T) {
	_, err := Diagnose(t.Context(), kube.Clients{Typed: fake.NewClientset()}, Request{Namespace: "x", Name: "y"})
	if !errors.Is(err, ErrNotServed) {
		t.Errorf("err = %v, want ErrNotServed", err)
	}
}

func cond(t string, s metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
	return metav1.Condition{Type: t, Status: s, Reason: reason, Message: reason + " message", ObservedGeneration: gen}
}

func TestStatusCheck(t *testing.T) {
	gw := func(gen int64, conds ...metav1.Condition) *gwv1.Gateway {
		g := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "edge", Generation: gen}, Spec: gwv1.GatewaySpec{GatewayClassName: "eg"}}
		g.Status.Conditions = conds
		return g
	}
	tests := []struct {
		name   string
		gw     *gwv1.Gateway
		status report.Status
		msg    string
	}{
		{"no status", gw(1), report.Fail, "no controller has processed gateway infra/edge"},
		{"the CRD's default", gw(1, cond("Accepted", "Unknown", "Pending", 0), cond("Programmed", "Unknown", "Pending", 0)), report.Fail, "no controller has processed"},
		{"not accepted", gw(1, cond("Accepted", "False", "InvalidParameters", 1)), report.Fail, "is not accepted: False (InvalidParameters)"},
		{"not programmed", gw(1, cond("Accepted", "True", "Accepted", 1), cond("Programmed", "False", "AddressNotAssigned", 1)), report.Fail, "is not programmed: False (AddressNotAssigned)"},
		{"not yet programmed", gw(1, cond("Accepted", "True", "Accepted", 1)), report.Warn, "accepted but not yet programmed"},
		{"stale", gw(3, cond("Accepted", "True", "Accepted", 2), cond("Programmed", "True", "Programmed", 2)), report.Warn, "has not seen its latest spec (generation 3, conditions of 2)"},
		{"fine", gw(1, cond("Accepted", "True", "Accepted", 1), cond("Programmed", "True", "Programmed", 1)), report.Pass, "accepted and programmed"},
	}
	for _, tt := range tests {
		c := StatusCheck(tt.gw)
		if c.Status != tt.status || !strings.Contains(c.Message, tt.msg) {
			t.Errorf("%s: %s %q, want %s containing %q", tt.name, c.Status, c.Message, tt.status, tt.msg)
		}
	}
}

func TestImplementations(t *testing.T) {
	for ctrl, want := range map[string]string{
		"gateway.envoyproxy.io/gatewayclass-controller": "Envoy Gateway",
		"istio.io/gateway-controller":                   "Istio",
		"traefik.io/gateway-controller":                 "Traefik",
		"gateway.nginx.org/nginx-gateway-controller":    "NGINX Gateway Fabric",
		"networking.gke.io/gateway":                     "GKE Gateway",
		"example.com/custom":                            "",
	} {
		got := ""
		if k := lookupImplementation(ctrl); k != nil {
			got = k.name
		}
		if got != want {
			t.Errorf("%s: %q, want %q", ctrl, got, want)
		}
	}
	if got := expand([]string{"a={name},b={namespace}"}, "infra", "edge"); got[0] != "a=edge,b=infra" {
		t.Errorf("expand: %v", got)
	}
}

func TestHoldsAddress(t *testing.T) {
	svc := &corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.9"},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{Hostname: "lb.example.com"}}}}}
	for addrs, want := range map[string]string{"lb.example.com": "lb.example.com", "10.0.0.9": "10.0.0.9", "192.0.2.1": ""} {
		if got := holdsAddress(svc, []string{addrs}); got != want {
			t.Errorf("%s: %q", addrs, got)
		}
	}
}

// The TLS of listeners: a listener without certificateRefs, one whose
// secret is in another namespace without a grant, and coverage of the
// hostnames of attached routes when the listener has none.
func TestEvaluateTLS(t *testing.T) {
	gw := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "edge"}}
	https := func(name, host string, refs ...gwv1.SecretObjectReference) gwv1.Listener {
		l := gwv1.Listener{Name: gwv1.SectionName(name), Protocol: gwv1.HTTPSProtocolType, Port: 443, TLS: &gwv1.ListenerTLSConfig{CertificateRefs: refs}}
		if host != "" {
			l.Hostname = ptr(gwv1.Hostname(host))
		}
		return l
	}
	gw.Spec.Listeners = []gwv1.Listener{
		https("none", "a.example.com"),
		https("cross", "b.example.com", gwv1.SecretObjectReference{Name: "shared", Namespace: ptr(gwv1.Namespace("certs"))}),
		https("any", "", gwv1.SecretObjectReference{Name: "wild"}),
		{Name: "plain", Protocol: gwv1.HTTPProtocolType, Port: 80},
	}
	f := &facts{gw: gw, now: now, secrets: map[string]*tlscert.Secret{"infra/wild": {Namespace: "infra", Name: "wild", Found: true, Type: corev1.SecretTypeTLS}}}
	a := &analysis{attachments: []ParentAttachment{{Attachment: routingAttachment("any", "shop.example.com")}}}
	entries := evaluateTLS(f, a)
	if len(entries) != 3 {
		t.Fatalf("%d entries", len(entries))
	}
	if e := entries[0]; e.refStatus != report.Fail || !strings.Contains(e.refMsg, "has no certificateRefs") {
		t.Errorf("none: %s %s", e.refStatus, e.refMsg)
	}
	if e := entries[1]; e.refStatus != report.Fail || !strings.Contains(e.refMsg, "RefNotPermitted") {
		t.Errorf("cross: %s %s", e.refStatus, e.refMsg)
	}
	if e := entries[2]; strings.Join(e.hosts, ",") != "shop.example.com" || e.hostsFrom != "hostnames of the attached routes" {
		t.Errorf("any: hosts %v from %q", e.hosts, e.hostsFrom)
	}
}

func ptr[T any](v T) *T { return &v }

func routingAttachment(listener, host string) routing.Attachment {
	return routing.Attachment{Accepted: true, Listeners: []routing.ListenerVerdict{{Listener: listener, Selected: true, Accepted: true, Hostnames: []string{host}}}}
}

// fakeCluster serves the Gateway API resources of served (v1) and holds
// objs (unstructured, with their resource).
func fakeCluster(t *testing.T, served []string, objs map[string][]map[string]any) kube.Clients {
	t.Helper()
	client := fake.NewClientset()
	var resources []metav1.APIResource
	for _, r := range served {
		resources = append(resources, metav1.APIResource{Name: r, Namespaced: r != gatewayapi.GatewayClasses})
	}
	client.Resources = []*metav1.APIResourceList{{GroupVersion: gatewayapi.Group + "/v1", APIResources: resources}}
	kinds := map[schema.GroupVersionResource]string{}
	for _, r := range served {
		kinds[schema.GroupVersionResource{Group: gatewayapi.Group, Version: "v1", Resource: r}] = r + "List"
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), kinds)
	for resource, list := range objs {
		gvr := schema.GroupVersionResource{Group: gatewayapi.Group, Version: "v1", Resource: resource}
		for _, o := range list {
			u := &unstructured.Unstructured{Object: o}
			if _, err := dyn.Resource(gvr).Namespace(u.GetNamespace()).Create(t.Context(), u, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return kube.Clients{Typed: client, Dynamic: dyn}
}

func toMap(t *testing.T, obj any, kind string) map[string]any {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	m["apiVersion"], m["kind"] = gatewayapi.Group+"/v1", kind
	return m
}

// A cluster that does not serve ListenerSet: the Gateway that admits them
// is diagnosed without error, GW014 saying ListenerSets are not served;
// once served, the ListenerSet naming the Gateway is read and judged.
func TestListenerSetsServedOrNot(t *testing.T) {
	gw := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "edge"}, Spec: gwv1.GatewaySpec{GatewayClassName: "eg",
		Listeners:        []gwv1.Listener{{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 80}},
		AllowedListeners: &gwv1.AllowedListeners{Namespaces: &gwv1.ListenerNamespaces{From: ptr(gwv1.NamespacesFromSame)}}}}
	ls := &gwv1.ListenerSet{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "extra"}}
	ls.Spec.ParentRef = gwv1.ParentGatewayReference{Name: "edge", Namespace: ptr(gwv1.Namespace("infra"))}
	ls.Spec.Listeners = []gwv1.ListenerEntry{{Name: "web", Protocol: gwv1.HTTPProtocolType, Port: 8080}}
	objs := map[string][]map[string]any{gatewayapi.Gateways: {toMap(t, gw, "Gateway")}}

	c := fakeCluster(t, []string{gatewayapi.Gateways}, objs)
	rep, err := Diagnose(t.Context(), c, Request{Namespace: "infra", Name: "edge", Now: func() time.Time { return now }, LogTimeout: time.Second})
	if err != nil {
		t.Fatalf("not served: %v", err)
	}
	gw014 := report.Find(rep.Checks, checks.GwListenerSets)
	if gw014 == nil || gw014.Status != report.Skip || !strings.Contains(gw014.Message, "the cluster does not serve ListenerSet (listenersets.gateway.networking.k8s.io)") {
		t.Errorf("not served: GW014 = %+v", gw014)
	}
	if c := report.Find(rep.Checks, checks.GwConflicts); c == nil || c.Status != report.Pass {
		t.Errorf("not served: GW007 = %+v", c)
	}

	objs[gatewayapi.ListenerSets] = []map[string]any{toMap(t, ls, "ListenerSet")}
	c = fakeCluster(t, []string{gatewayapi.Gateways, gatewayapi.ListenerSets}, objs)
	rep, err = Diagnose(t.Context(), c, Request{Namespace: "infra", Name: "edge", Now: func() time.Time { return now }, LogTimeout: time.Second})
	if err != nil {
		t.Fatalf("served: %v", err)
	}
	gw014 = report.Find(rep.Checks, checks.GwListenerSets)
	if gw014 == nil || gw014.Status != report.Fail || !strings.Contains(gw014.Message, "listenerset team/extra names gateway infra/edge, which does not admit it") {
		t.Errorf("served: GW014 = %+v", gw014)
	}
}
