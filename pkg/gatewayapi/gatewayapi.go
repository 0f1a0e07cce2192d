// Package gatewayapi reads Gateway API objects (gateway.networking.k8s.io)
// from a cluster: discovery says which version of each resource it
// serves, and reads go through the dynamic client and come back as the
// typed objects of sigs.k8s.io/gateway-api/apis/v1. The v1 and v1beta1
// schemas of the resources read here are the same, so an object served
// only at v1beta1 (ReferenceGrant in older installations) decodes into the
// v1 type. It reads; it decides nothing.
package gatewayapi

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
)

// Group is the Gateway API's group.
const Group = gwv1.GroupName

// Resources read, by their plural name.
const (
	GatewayClasses  = "gatewayclasses"
	Gateways        = "gateways"
	HTTPRoutes      = "httproutes"
	GRPCRoutes      = "grpcroutes"
	TLSRoutes       = "tlsroutes"
	TCPRoutes       = "tcproutes"
	ReferenceGrants = "referencegrants"
	ListenerSets    = "listenersets"
)

// versions are tried in this order: the first one a resource is served at
// is read.
var versions = []string{"v1", "v1beta1"}

// ErrNotServed is the error of a read of a resource the cluster does not
// serve (its CRD is not installed).
var ErrNotServed = errors.New("not served by the cluster")

// API is what the cluster serves of the Gateway API: a version per
// resource.
type API struct {
	version map[string]string
}

// Served says whether the cluster serves the Gateway API at all (its
// Gateway resource).
func (a *API) Served() bool { return a != nil && a.version[Gateways] != "" }

// Serves says whether the cluster serves resource.
func (a *API) Serves(resource string) bool { return a != nil && a.version[resource] != "" }

// Version is the version resource is read at, "" when it is not served.
func (a *API) Version(resource string) string {
	if a == nil {
		return ""
	}
	return a.version[resource]
}

// Discover asks the API server which Gateway API resources it serves. It
// returns an error only when discovery itself fails; a cluster without the
// Gateway API is an API that serves nothing.
func Discover(ctx context.Context, client kubernetes.Interface) (*API, error) {
	a := &API{version: map[string]string{}}
	for _, v := range versions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		list, err := client.Discovery().ServerResourcesForGroupVersion(Group + "/" + v)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("discovering %s/%s: %w", Group, v, err)
		}
		for _, r := range list.APIResources {
			if _, seen := a.version[r.Name]; !seen {
				a.version[r.Name] = v
			}
		}
	}
	return a, nil
}

// Reader reads Gateway API objects.
type Reader struct {
	API     *API
	Dynamic dynamic.Interface
}

func (r Reader) resource(resource, ns string) (dynamic.ResourceInterface, error) {
	v := r.API.Version(resource)
	if v == "" {
		return nil, fmt.Errorf("%s.%s: %w", resource, Group, ErrNotServed)
	}
	if r.Dynamic == nil {
		return nil, fmt.Errorf("%s.%s: no dynamic client", resource, Group)
	}
	ri := r.Dynamic.Resource(schema.GroupVersionResource{Group: Group, Version: v, Resource: resource})
	if resource == GatewayClasses {
		return ri, nil
	}
	return ri.Namespace(ns), nil
}

// get reads one object into out; a Forbidden answer names the permission.
func get[T any](ctx context.Context, r Reader, resource, ns, name string) (*T, error) {
	ri, err := r.resource(resource, ns)
	if err != nil {
		return nil, err
	}
	u, err := ri.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, kube.Read(kube.Get(Group, resource, ns), err)
	}
	var out T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &out); err != nil {
		return nil, fmt.Errorf("decoding %s %s/%s: %w", resource, ns, name, err)
	}
	return &out, nil
}

// list reads every object of a namespace ("" all) into []T.
func list[T any](ctx context.Context, r Reader, resource, ns string) ([]T, error) {
	l, err := r.ListPage(ctx, resource, ns, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return Decode[T](l.Items)
}

// ListPage lists one page of a resource, for paged readers (the scan).
// Decode turns its items into typed objects.
func (r Reader) ListPage(ctx context.Context, resource, ns string, opts metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	ri, err := r.resource(resource, ns)
	if err != nil {
		return nil, err
	}
	l, err := ri.List(ctx, opts)
	if err != nil {
		return nil, kube.Read(kube.List(Group, resource, ns), err)
	}
	return l, nil
}

// Decode converts unstructured objects into typed ones.
func Decode[T any](items []unstructured.Unstructured) ([]T, error) {
	out := make([]T, len(items))
	for i := range items {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(items[i].Object, &out[i]); err != nil {
			return nil, fmt.Errorf("decoding %s %s/%s: %w", items[i].GetKind(), items[i].GetNamespace(), items[i].GetName(), err)
		}
	}
	return out, nil
}

// Gateway reads one Gateway.
func (r Reader) Gateway(ctx context.Context, ns, name string) (*gwv1.Gateway, error) {
	return get[gwv1.Gateway](ctx, r, Gateways, ns, name)
}

// Gateways lists the Gateways of a namespace ("" all).
func (r Reader) Gateways(ctx context.Context, ns string) ([]gwv1.Gateway, error) {
	return list[gwv1.Gateway](ctx, r, Gateways, ns)
}

// GatewayClasses lists every GatewayClass.
func (r Reader) GatewayClasses(ctx context.Context) ([]gwv1.GatewayClass, error) {
	return list[gwv1.GatewayClass](ctx, r, GatewayClasses, "")
}

// HTTPRoute reads one HTTPRoute.
func (r Reader) HTTPRoute(ctx context.Context, ns, name string) (*gwv1.HTTPRoute, error) {
	return get[gwv1.HTTPRoute](ctx, r, HTTPRoutes, ns, name)
}

// HTTPRoutes lists the HTTPRoutes of a namespace ("" all).
func (r Reader) HTTPRoutes(ctx context.Context, ns string) ([]gwv1.HTTPRoute, error) {
	return list[gwv1.HTTPRoute](ctx, r, HTTPRoutes, ns)
}

// GRPCRoute reads one GRPCRoute.
func (r Reader) GRPCRoute(ctx context.Context, ns, name string) (*gwv1.GRPCRoute, error) {
	return get[gwv1.GRPCRoute](ctx, r, GRPCRoutes, ns, name)
}

// GRPCRoutes lists the GRPCRoutes of a namespace ("" all).
func (r Reader) GRPCRoutes(ctx context.Context, ns string) ([]gwv1.GRPCRoute, error) {
	return list[gwv1.GRPCRoute](ctx, r, GRPCRoutes, ns)
}

// ReferenceGrants lists the ReferenceGrants of a namespace ("" all).
func (r Reader) ReferenceGrants(ctx context.Context, ns string) ([]gwv1.ReferenceGrant, error) {
	return list[gwv1.ReferenceGrant](ctx, r, ReferenceGrants, ns)
}

// TLSRoute reads one TLSRoute.
func (r Reader) TLSRoute(ctx context.Context, ns, name string) (*gwv1.TLSRoute, error) {
	return get[gwv1.TLSRoute](ctx, r, TLSRoutes, ns, name)
}

// TCPRoute reads one TCPRoute.
func (r Reader) TCPRoute(ctx context.Context, ns, name string) (*gwv1.TCPRoute, error) {
	return get[gwv1.TCPRoute](ctx, r, TCPRoutes, ns, name)
}

// TLSRoutes lists the TLSRoutes of a namespace ("" all).
func (r Reader) TLSRoutes(ctx context.Context, ns string) ([]gwv1.TLSRoute, error) {
	return list[gwv1.TLSRoute](ctx, r, TLSRoutes, ns)
}

// TCPRoutes lists the TCPRoutes of a namespace ("" all).
func (r Reader) TCPRoutes(ctx context.Context, ns string) ([]gwv1.TCPRoute, error) {
	return list[gwv1.TCPRoute](ctx, r, TCPRoutes, ns)
}

// ListenerSet reads one ListenerSet.
func (r Reader) ListenerSet(ctx context.Context, ns, name string) (*gwv1.ListenerSet, error) {
	return get[gwv1.ListenerSet](ctx, r, ListenerSets, ns, name)
}

// ListenerSets lists the ListenerSets of a namespace ("" all). A cluster
// that does not serve them answers ErrNotServed.
func (r Reader) ListenerSets(ctx context.Context, ns string) ([]gwv1.ListenerSet, error) {
	return list[gwv1.ListenerSet](ctx, r, ListenerSets, ns)
}
