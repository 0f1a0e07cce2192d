package gatewayapi

import (
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

func TestDiscoverAndRead(t *testing.T) {
	client := fake.NewClientset()
	client.Resources = []*metav1.APIResourceList{
		{GroupVersion: Group + "/v1", APIResources: []metav1.APIResource{{Name: Gateways}, {Name: HTTPRoutes}}},
		{GroupVersion: Group + "/v1beta1", APIResources: []metav1.APIResource{{Name: Gateways}, {Name: ReferenceGrants}}},
	}
	api, err := Discover(t.Context(), client)
	if err != nil {
		t.Fatal(err)
	}
	if !api.Served() || api.Version(Gateways) != "v1" || api.Version(ReferenceGrants) != "v1beta1" || api.Serves(GRPCRoutes) {
		t.Errorf("%+v", api.version)
	}
	gw := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": Group + "/v1", "kind": "Gateway",
		"metadata": map[string]any{"namespace": "infra", "name": "edge"},
		"spec":     map[string]any{"gatewayClassName": "eg", "listeners": []any{map[string]any{"name": "http", "protocol": "HTTP", "port": int64(80)}}},
	}}
	gvr := schema.GroupVersionResource{Group: Group, Version: "v1", Resource: Gateways}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{gvr: "GatewayList"})
	if _, err := dyn.Resource(gvr).Namespace("infra").Create(t.Context(), gw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := Reader{API: api, Dynamic: dyn}
	g, err := r.Gateway(t.Context(), "infra", "edge")
	if err != nil || g.Spec.GatewayClassName != "eg" || len(g.Spec.Listeners) != 1 || g.Spec.Listeners[0].Port != 80 {
		t.Fatalf("Gateway = %+v, %v", g, err)
	}
	list, err := r.Gateways(t.Context(), "")
	if err != nil || len(list) != 1 {
		t.Errorf("Gateways = %v, %v", list, err)
	}
	if _, err := r.GRPCRoutes(t.Context(), ""); !errors.Is(err, ErrNotServed) {
		t.Errorf("GRPCRoutes: %v, want ErrNotServed", err)
	}
	// A cluster without the ListenerSet CRD: reading them says so.
	if _, err := r.ListenerSets(t.Context(), ""); !errors.Is(err, ErrNotServed) || api.Serves(ListenerSets) {
		t.Errorf("ListenerSets: %v, want ErrNotServed", err)
	}
	// Nothing served.
	api, err = Discover(t.Context(), fake.NewClientset())
	if err != nil || api.Served() {
		t.Errorf("empty cluster: %+v %v", api, err)
	}
}
