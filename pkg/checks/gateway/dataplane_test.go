package gateway

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func readyPod(ns, name string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "proxy", Image: "example/proxy:1"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
}

func class(ctrl string) *gwv1.GatewayClass {
	return &gwv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: gwv1.GatewayClassSpec{ControllerName: gwv1.GatewayController(ctrl)}}
}

// The rule of DataPlane, case by case.
func TestFindDataPlane(t *testing.T) {
	gw := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "edge"}}
	gw.Status.Addresses = []gwv1.GatewayStatusAddress{{Value: "192.0.2.7"}}
	tests := []struct {
		name      string
		ctrl      string
		objs      []runtime.Object
		data      string // data-plane pods
		ctrlPods  string
		byService string
		outside   bool
	}{
		{"GEP-1762 label in the gateway's namespace", "example.com/unknown", []runtime.Object{
			readyPod("web", "edge-1", map[string]string{gwv1.GatewayNameLabelKey: "edge"}),
			readyPod("other", "edge-2", map[string]string{gwv1.GatewayNameLabelKey: "edge"}), // another namespace's gateway
		}, "web/edge-1", "", "", false},
		{"Envoy Gateway's owning labels and its controller", "gateway.envoyproxy.io/gatewayclass-controller", []runtime.Object{
			readyPod("envoy-gateway-system", "envoy-web-edge-1", map[string]string{"gateway.envoyproxy.io/owning-gateway-name": "edge", "gateway.envoyproxy.io/owning-gateway-namespace": "web"}),
			readyPod("envoy-gateway-system", "envoy-web-other-1", map[string]string{"gateway.envoyproxy.io/owning-gateway-name": "other", "gateway.envoyproxy.io/owning-gateway-namespace": "web"}),
			readyPod("envoy-gateway-system", "envoy-gateway-1", map[string]string{"control-plane": "envoy-gateway"}),
		}, "envoy-gateway-system/envoy-web-edge-1", "envoy-gateway-system/envoy-gateway-1", "", false},
		{"Traefik serves and controls", "traefik.io/gateway-controller", []runtime.Object{
			readyPod("traefik", "traefik-1", map[string]string{"app.kubernetes.io/name": "traefik"}),
		}, "traefik/traefik-1", "traefik/traefik-1", "", false},
		{"the Service at the gateway's address", "example.com/unknown", []runtime.Object{
			readyPod("web", "proxy-1", map[string]string{"app": "proxy"}),
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "edge-lb"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "proxy"}},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "192.0.2.7"}}}}},
		}, "web/proxy-1", "", "web/edge-lb", false},
		{"an unknown controller by the names in its controllerName", "acme.io/acme-gateway-controller", []runtime.Object{
			readyPod("acme-system", "acme-1", map[string]string{"app.kubernetes.io/name": "acme"}),
		}, "", "acme-system/acme-1", "", false},
		{"a cloud gateway runs outside", "networking.gke.io/gateway", nil, "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := FindDataPlane(t.Context(), fake.NewClientset(tt.objs...), gw, class(tt.ctrl), 0)
			if d.Err != nil {
				t.Fatal(d.Err)
			}
			got := func(ps []string) string { return strings.Join(ps, ",") }
			var data, ctrl []string
			for _, p := range d.Pods {
				data = append(data, p.Pod.Namespace+"/"+p.Pod.Name)
			}
			for _, p := range d.Controllers {
				ctrl = append(ctrl, p.Pod.Namespace+"/"+p.Pod.Name)
			}
			if got(data) != tt.data || got(ctrl) != tt.ctrlPods || d.ByService != tt.byService || (d.Outside != "") != tt.outside {
				t.Errorf("data %v controllers %v byService %q outside %q\nlooked: %v", data, ctrl, d.ByService, d.Outside, d.Looked)
			}
		})
	}
}
