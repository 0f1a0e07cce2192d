package route

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
)

// RT010 gives the spec's answer, except where the GatewayClass's
// controller is known to answer otherwise (Traefik: 503 when every weight
// is 0, 500 for a Service without any EndpointSlice).
func TestPredictPerController(t *testing.T) {
	rt := &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "shop"}}
	rt.Spec.Rules = []gwv1.HTTPRouteRule{{}}
	gw := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "edge"}}
	class := func(controller string) *gwv1.GatewayClass {
		return &gwv1.GatewayClass{Spec: gwv1.GatewayClassSpec{ControllerName: gwv1.GatewayController(controller)}}
	}
	ok := &backend{namespace: "web", name: "api", port: ptr(int32(80)), state: backendOK, ready: 1}
	noSlices := &backend{namespace: "web", name: "manual", port: ptr(int32(80)), state: backendNoEndpoint, noSlices: true,
		why: "service web/manual has no ready endpoints for port 80"}
	emptySlice := &backend{namespace: "web", name: "empty", port: ptr(int32(80)), state: backendNoEndpoint,
		why: "service web/empty has no ready endpoints for port 80"}
	for _, tt := range []struct {
		name       string
		class      *gwv1.GatewayClass
		refs       []ruleBackend
		status     int
		reason     string
		notContain string
	}{
		{"weights 0, spec", class("example.com/gateway"), []ruleBackend{{b: ok}}, 500, "every backendRef of rule 1 has weight 0", "answers"},
		{"weights 0, no class", nil, []ruleBackend{{b: ok}}, 500, "every backendRef of rule 1 has weight 0", "answers"},
		{"weights 0, Traefik", class("traefik.io/gateway-controller"), []ruleBackend{{b: ok}}, 503,
			`every backendRef of rule 1 has weight 0: Traefik answers 503 ("no available server") here; the spec leaves it to the implementation`, ""},
		{"no EndpointSlice, spec", class("example.com/gateway"), []ruleBackend{{b: noSlices, weight: 1}}, 503, "service web/manual has no ready endpoints", "Traefik"},
		{"no EndpointSlice, Traefik", class("traefik.io/gateway-controller"), []ruleBackend{{b: noSlices, weight: 1}}, 500,
			"service web/manual has no ready endpoints for port 80: Traefik answers 500 here", ""},
		{"empty EndpointSlice, Traefik", class("traefik.io/gateway-controller"), []ruleBackend{{b: emptySlice, weight: 1}}, 503, "service web/empty has no ready endpoints", "Traefik"},
		{"share without EndpointSlice, Traefik", class("traefik.io/gateway-controller"), []ruleBackend{{b: ok, weight: 1}, {b: noSlices, weight: 1}}, 200,
			"but 50% get 500 (service web/manual has no ready endpoints for port 80: Traefik answers 500 here", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &parent{key: "infra/edge", pg: &parentGateway{key: "infra/edge", gw: gw, class: tt.class},
				winner: &winner{route: ptr(gateway.FromHTTP(rt)), refs: tt.refs}}
			ans, _ := predict(&facts{}, p, &live{})
			if ans.Status != tt.status || !strings.Contains(ans.Reason, tt.reason) || (tt.notContain != "" && strings.Contains(ans.Reason, tt.notContain)) {
				t.Errorf("predict = %d %q; want %d containing %q", ans.Status, ans.Reason, tt.status, tt.reason)
			}
		})
	}
}

func TestRouteImplementation(t *testing.T) {
	traefik := &gwv1.GatewayClass{Spec: gwv1.GatewayClassSpec{ControllerName: "traefik.io/gateway-controller"}}
	other := &gwv1.GatewayClass{Spec: gwv1.GatewayClassSpec{ControllerName: "example.com/gateway"}}
	for _, tt := range []struct {
		classes []*gwv1.GatewayClass
		want    string
	}{
		{[]*gwv1.GatewayClass{traefik}, "Traefik"},
		{[]*gwv1.GatewayClass{traefik, traefik}, "Traefik"},
		{[]*gwv1.GatewayClass{traefik, other}, ""},
		{[]*gwv1.GatewayClass{traefik, nil}, ""},
		{nil, ""},
	} {
		f := &facts{gateways: map[string]*parentGateway{}}
		for i, c := range tt.classes {
			f.gateways[string(rune('a'+i))] = &parentGateway{class: c}
		}
		if got := routeImplementation(f).name; got != tt.want {
			t.Errorf("%d classes: %q, want %q", len(tt.classes), got, tt.want)
		}
	}
}
