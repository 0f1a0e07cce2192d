package route

import (
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func TestNotServed(t *testing.T) {
	_, err := Diagnose(t.Context(), kube.Clients{Typed: fake.NewClientset()}, Request{Namespace: "x", Name: "y"})
	if !errors.Is(err, gateway.ErrNotServed) {
		t.Errorf("err = %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		req  Request
		want string
	}{
		{Request{Path: "api"}, "invalid --path"},
		{Request{Headers: []string{"x"}}, "invalid --header"},
		{Request{Host: "a b"}, "invalid --host"},
		{Request{Kind: GRPCRoute, Path: "/a/b/c"}, "invalid --path"},
		{Request{Host: "https://shop.example.com:8443/x?y=1", Headers: []string{"A=1"}}, ""},
	} {
		err := tt.req.Validate()
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v: %v, want %q", tt.req, err, tt.want)
		}
	}
}

func TestConcrete(t *testing.T) {
	if concrete("*.example.com") != "www.example.com" || concrete("a.example.com") != "a.example.com" {
		t.Error("concrete")
	}
}

func svcOf(ns, name string, port int32) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": name},
		Ports:    []corev1.ServicePort{{Name: "http", Port: port, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}}}
}

func slice(svc string, ready bool) discoveryv1.EndpointSlice {
	return discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: svc + "-1", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		Ports:     []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080))}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.9"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(ready)}}}}
}

func ref(ns, name string, port int32) gwv1.HTTPBackendRef {
	r := gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: gwv1.ObjectName(name), Port: ptr(port)}}}
	if ns != "" {
		r.Namespace = ptr(gwv1.Namespace(ns))
	}
	return r
}

// The scan's static checks: local backends judged at once, a granted
// backend of another namespace returned to be judged with its namespace,
// an ungranted one a RefNotPermitted finding.
func TestScanChecks(t *testing.T) {
	rt := &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "shop"}}
	rt.Spec.ParentRefs = []gwv1.ParentReference{{Name: "edge", Namespace: ptr(gwv1.Namespace("infra"))}}
	rt.Spec.Rules = []gwv1.HTTPRouteRule{{BackendRefs: []gwv1.HTTPBackendRef{
		ref("", "api", 80), ref("", "down", 80), ref("", "gone", 80), ref("backend", "db", 5432), ref("other", "x", 80),
	}}}
	gw := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "edge"}, Spec: gwv1.GatewaySpec{Listeners: []gwv1.Listener{
		{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 80, AllowedRoutes: &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: ptr(gwv1.NamespacesFromSame)}}},
	}}}
	grants := []gwv1.ReferenceGrant{{ObjectMeta: metav1.ObjectMeta{Namespace: "backend", Name: "g"}, Spec: gwv1.ReferenceGrantSpec{
		From: []gwv1.ReferenceGrantFrom{{Group: gwv1.GroupName, Kind: "HTTPRoute", Namespace: "web"}},
		To:   []gwv1.ReferenceGrantTo{{Kind: "Service"}},
	}}}
	list, remote := ScanChecks(ScanObjects{
		Route: gateway.FromHTTP(rt), Gateways: map[string]*gwv1.Gateway{"infra/edge": gw}, Grants: grants,
		Local: NamespaceObjects{Namespace: "web", Now: now,
			Services: map[string]*corev1.Service{"api": svcOf("web", "api", 80), "down": svcOf("web", "down", 80)},
			Slices:   map[string][]discoveryv1.EndpointSlice{"api": {slice("api", true)}, "down": {slice("down", false)}}},
	})
	got := map[string]string{}
	for _, c := range list {
		if c.Status != report.Pass {
			got[c.Code] = c.Message
		}
	}
	for code, want := range map[string]string{
		"RT002": "listener http admits routes from namespace infra only (from: Same), not from namespace web (NotAllowedByListeners)",
		"RT005": "service gone does not exist in namespace web (BackendNotFound)",
		"RT006": "no ReferenceGrant in namespace other lets HTTPRoutes of namespace web refer to it (RefNotPermitted)",
		"RT007": "service web/down has no ready endpoints for port 80",
	} {
		if !strings.Contains(got[code], want) {
			t.Errorf("%s = %q, want %q", code, got[code], want)
		}
	}
	if len(remote) != 1 || remote[0].String() != "backend/db:5432" {
		t.Fatalf("remote %v", remote)
	}
	// Judged with its namespace: no such port.
	code, why := JudgeRemote(NamespaceObjects{Namespace: "backend", Now: now, Services: map[string]*corev1.Service{"db": svcOf("backend", "db", 5433)}}, remote[0])
	if code != "RT005" || !strings.Contains(why, "service backend/db has no port 5432") {
		t.Errorf("JudgeRemote = %s %s", code, why)
	}
	code, _ = JudgeRemote(NamespaceObjects{Namespace: "backend", Now: now, Services: map[string]*corev1.Service{"db": svcOf("backend", "db", 5432)},
		Slices: map[string][]discoveryv1.EndpointSlice{"db": {slice("db", true)}}}, remote[0])
	if code != "" {
		t.Errorf("fine backend: %s", code)
	}
}

func TestShareAndPercent(t *testing.T) {
	ok := &backend{state: backendOK}
	bad := &backend{state: backendNoService}
	empty := &backend{state: backendNoEndpoint}
	s := shareOf([]ruleBackend{{b: ok, weight: 2}, {b: bad, weight: 1}, {b: empty, weight: 1}, {b: ok, weight: 0}})
	if s.total != 4 || s.ok != 2 || s.invalid != 1 || s.noEndpoints != 1 || percent(s.invalid, s.total) != 25 {
		t.Errorf("%+v", s)
	}
}
