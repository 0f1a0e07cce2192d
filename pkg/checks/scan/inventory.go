package scan

import (
	"context"
	"errors"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/pager"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/policyfetch"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// newSources are the kinds streamed one namespace at a time: the many
// (pods, Services, EndpointSlices, Ingresses, and the routes of the Gateway
// API when gw is not nil: HTTPRoutes, GRPCRoutes, TLSRoutes and TCPRoutes,
// those the cluster serves).
func newSources(client kubernetes.Interface, gw *gatewayapi.Reader, ns string, pagesAtOnce int) *sources {
	pages := make(chan struct{}, pagesAtOnce)
	src := func(group, resource string, list func(context.Context, metav1.ListOptions) (runtime.Object, error), keep func(*objects, runtime.Object)) *source {
		return &source{name: resource, perm: kube.List(group, resource, ns), list: list, keep: keep, parts: make(chan part, 1), pages: pages}
	}
	out := &sources{
		pods: src("", "pods", func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return client.CoreV1().Pods(ns).List(ctx, o)
		}, func(o *objects, obj runtime.Object) { o.pods = append(o.pods, slimPod(obj.(*corev1.Pod))) }),
		services: src("", "services", func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return client.CoreV1().Services(ns).List(ctx, o)
		}, func(o *objects, obj runtime.Object) {
			o.services = append(o.services, slimService(obj.(*corev1.Service)))
		}),
		slices: src("discovery.k8s.io", "endpointslices", func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return client.DiscoveryV1().EndpointSlices(ns).List(ctx, o)
		}, func(o *objects, obj runtime.Object) {
			if s := obj.(*discoveryv1.EndpointSlice); s.Labels[discoveryv1.LabelServiceName] != "" { // else not a Service's
				o.slices = append(o.slices, slimSlice(s))
			}
		}),
		ingresses: src("networking.k8s.io", "ingresses", func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return client.NetworkingV1().Ingresses(ns).List(ctx, o)
		}, func(o *objects, obj runtime.Object) {
			o.ingresses = append(o.ingresses, slimIngress(obj.(*networkingv1.Ingress)))
		}),
	}
	if gw == nil {
		return out
	}
	// The reader wraps its errors with the permission already.
	routes := func(resource string, keep func(*objects, *unstructured.Unstructured)) *source {
		s := src(gatewayapi.Group, resource, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return gw.ListPage(ctx, resource, ns, o)
		}, func(o *objects, obj runtime.Object) { keep(o, obj.(*unstructured.Unstructured)) })
		return s
	}
	if gw.API.Serves(gatewayapi.HTTPRoutes) {
		out.httpRoutes = routes(gatewayapi.HTTPRoutes, func(o *objects, u *unstructured.Unstructured) {
			if r, err := gatewayapi.Decode[gwv1.HTTPRoute]([]unstructured.Unstructured{*u}); err == nil {
				o.routes = append(o.routes, slimRoute(gateway.FromHTTP(&r[0])))
			}
		})
	}
	if gw.API.Serves(gatewayapi.GRPCRoutes) {
		out.grpcRoutes = routes(gatewayapi.GRPCRoutes, func(o *objects, u *unstructured.Unstructured) {
			if r, err := gatewayapi.Decode[gwv1.GRPCRoute]([]unstructured.Unstructured{*u}); err == nil {
				o.routes = append(o.routes, slimRoute(gateway.FromGRPC(&r[0])))
			}
		})
	}
	if gw.API.Serves(gatewayapi.TLSRoutes) {
		out.tlsRoutes = routes(gatewayapi.TLSRoutes, func(o *objects, u *unstructured.Unstructured) {
			if r, err := gatewayapi.Decode[gwv1.TLSRoute]([]unstructured.Unstructured{*u}); err == nil {
				o.routes = append(o.routes, slimRoute(gateway.FromTLS(&r[0])))
			}
		})
	}
	if gw.API.Serves(gatewayapi.TCPRoutes) {
		out.tcpRoutes = routes(gatewayapi.TCPRoutes, func(o *objects, u *unstructured.Unstructured) {
			if r, err := gatewayapi.Decode[gwv1.TCPRoute]([]unstructured.Unstructured{*u}); err == nil {
				o.routes = append(o.routes, slimRoute(gateway.FromTCP(&r[0])))
			}
		})
	}
	return out
}

// slimRoute drops what the checks do not read: metadata beyond identity
// and creation, conditions' messages are kept (findings quote them).
func slimRoute(r gateway.Route) gateway.Route {
	switch {
	case r.HTTP != nil:
		r.HTTP.ObjectMeta = metav1.ObjectMeta{Name: r.Name, Namespace: r.Namespace, CreationTimestamp: r.Created}
	case r.GRPC != nil:
		r.GRPC.ObjectMeta = metav1.ObjectMeta{Name: r.Name, Namespace: r.Namespace, CreationTimestamp: r.Created}
	case r.TLS != nil:
		r.TLS.ObjectMeta = metav1.ObjectMeta{Name: r.Name, Namespace: r.Namespace, CreationTimestamp: r.Created}
	case r.TCP != nil:
		r.TCP.ObjectMeta = metav1.ObjectMeta{Name: r.Name, Namespace: r.Namespace, CreationTimestamp: r.Created}
	}
	return r
}

// clusterObjects are the few kinds every namespace's checks may need, read
// whole before the namespaces are: IngressClasses, NetworkPolicies (a
// policy's peers may select pods of any namespace) and, with every
// namespace in scope, Namespaces (for the policies' namespace selectors).
type clusterObjects struct {
	classes    []networkingv1.IngressClass
	classesErr error

	policies    []networkingv1.NetworkPolicy // in key order
	policiesErr error

	// admin holds the cluster-scoped admin policies (ANP, BANP,
	// ClusterNetworkPolicy), read when every namespace is in scope: only
	// then can "selects no pod" be told.
	admin    policy.Snapshot
	adminErr error

	namespaces    []corev1.Namespace
	namespacesErr error

	// The Gateway API, when served (gwAPI not nil): every Gateway,
	// ReferenceGrant and ListenerSet (when served; of the scope when the
	// cluster's are forbidden), held whole as they are few.
	gwAPI     *gatewayapi.API
	gateways  []gwv1.Gateway
	gwErr     error
	grants    []gwv1.ReferenceGrant
	grantsErr error
	sets      []gwv1.ListenerSet
	setsErr   error
	// setsScope: the namespace whose ListenerSets alone were read, when
	// the cluster's are forbidden; "" when every namespace's were.
	setsScope string
}

// readClusterObjects returns an error only when the API server cannot be
// reached; API answers (Forbidden...) stay beside the kind they concern.
func readClusterObjects(ctx context.Context, clients kube.Clients, gw *gatewayapi.Reader, ns string, pageSize int64) (*clusterObjects, error) {
	client := clients.Typed
	c := &clusterObjects{}
	var wg sync.WaitGroup
	if gw != nil {
		c.gwAPI = gw.API
		wg.Go(func() {
			c.gateways, c.gwErr = clusterOrScope(ns, func(scope string) ([]gwv1.Gateway, error) { return gw.Gateways(ctx, scope) })
		})
		if gw.API.Serves(gatewayapi.ReferenceGrants) {
			wg.Go(func() {
				c.grants, c.grantsErr = clusterOrScope(ns, func(scope string) ([]gwv1.ReferenceGrant, error) { return gw.ReferenceGrants(ctx, scope) })
			})
		}
		if gw.API.Serves(gatewayapi.ListenerSets) {
			wg.Go(func() {
				c.sets, c.setsScope, c.setsErr = readListenerSets(ctx, gw, ns, pageSize)
			})
		}
	}
	if ns == "" && clients.Dynamic != nil {
		wg.Go(func() { c.admin, c.adminErr = policyfetch.ReadAdminPolicies(ctx, client, clients.Dynamic) })
	}
	wg.Go(func() {
		c.classesErr = each(ctx, kube.List("networking.k8s.io", "ingressclasses", ""), pageSize,
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return client.NetworkingV1().IngressClasses().List(ctx, o)
			},
			func(obj runtime.Object) {
				ic := obj.(*networkingv1.IngressClass).DeepCopy()
				ic.ManagedFields = nil
				c.classes = append(c.classes, *ic)
			})
	})
	wg.Go(func() {
		c.policiesErr = each(ctx, kube.List("networking.k8s.io", "networkpolicies", ns), pageSize,
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return client.NetworkingV1().NetworkPolicies(ns).List(ctx, o)
			},
			func(obj runtime.Object) {
				p := obj.(*networkingv1.NetworkPolicy)
				c.policies = append(c.policies, networkingv1.NetworkPolicy{
					ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
					Spec:       *p.Spec.DeepCopy(),
				})
			})
	})
	if ns == "" {
		wg.Go(func() {
			c.namespacesErr = each(ctx, kube.List("", "namespaces", ""), pageSize,
				func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
					return client.CoreV1().Namespaces().List(ctx, o)
				},
				func(obj runtime.Object) {
					n := obj.(*corev1.Namespace)
					c.namespaces = append(c.namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels}})
				})
		})
	}
	wg.Wait()
	for _, err := range []error{c.classesErr, c.policiesErr, c.namespacesErr, c.adminErr, c.gwErr, c.grantsErr, c.setsErr} {
		if err != nil && !kube.IsAPIAnswer(err) {
			return nil, err
		}
	}
	return c, nil
}

// clusterOrScope lists every namespace's objects, or only ns's when that is
// forbidden and the scan is of one namespace.
func clusterOrScope[T any](ns string, list func(string) ([]T, error)) ([]T, error) {
	all, err := list(metav1.NamespaceAll)
	var fe *kube.ForbiddenError
	if err == nil || ns == "" || !errors.As(err, &fe) {
		return all, err
	}
	return list(ns)
}

// readListenerSets lists every namespace's ListenerSets with one paged
// LIST, or, when that is forbidden and the scan is of namespace ns, those
// of ns (scope is then ns). A route or Gateway of the scope may name a
// ListenerSet of any namespace.
func readListenerSets(ctx context.Context, gw *gatewayapi.Reader, ns string, pageSize int64) (sets []gwv1.ListenerSet, scope string, err error) {
	read := func(scope string) ([]gwv1.ListenerSet, error) {
		var out []gwv1.ListenerSet
		p := pager.New(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return gw.ListPage(ctx, gatewayapi.ListenerSets, scope, o) // the error names the permission
		})
		p.PageSize = pageSize
		err := p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok {
				return nil
			}
			ls, err := gatewayapi.Decode[gwv1.ListenerSet]([]unstructured.Unstructured{*u})
			if err != nil {
				return nil // not judged, as routes that do not decode
			}
			out = append(out, slimListenerSet(ls[0]))
			return nil
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	sets, err = read(metav1.NamespaceAll)
	var fe *kube.ForbiddenError
	if err == nil || ns == "" || !errors.As(err, &fe) {
		return sets, "", err
	}
	if sets, err = read(ns); err != nil {
		return nil, "", err
	}
	return sets, ns, nil
}

// slimListenerSet keeps its identity, creation (the merged list's
// precedence), spec and status.
func slimListenerSet(ls gwv1.ListenerSet) gwv1.ListenerSet {
	ls.ObjectMeta = metav1.ObjectMeta{Name: ls.Name, Namespace: ls.Namespace, CreationTimestamp: ls.CreationTimestamp}
	return ls
}

// each lists one kind page by page and hands every item to keep.
func each(ctx context.Context, perm report.Permission, pageSize int64, list pager.ListPageFunc, keep func(runtime.Object)) error {
	p := pager.New(list)
	p.PageSize = pageSize
	err := p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		keep(obj)
		return nil
	})
	return kube.Read(perm, err)
}

var always = corev1.ContainerRestartPolicyAlways

// slimPod keeps what the static checks read of a pod: identity, labels,
// container ports (sidecars apart), host networking, node, deletion, phase,
// readiness and IPs.
func slimPod(p *corev1.Pod) corev1.Pod {
	out := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: p.Labels, DeletionTimestamp: p.DeletionTimestamp},
		Spec:       corev1.PodSpec{HostNetwork: p.Spec.HostNetwork, NodeName: p.Spec.NodeName},
		Status:     corev1.PodStatus{Phase: p.Status.Phase, PodIP: p.Status.PodIP, PodIPs: p.Status.PodIPs, HostIP: p.Status.HostIP},
	}
	var ports, sidecarPorts []corev1.ContainerPort
	for _, c := range p.Spec.Containers {
		ports = append(ports, c.Ports...)
	}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecarPorts = append(sidecarPorts, c.Ports...)
		}
	}
	if len(ports) > 0 {
		out.Spec.Containers = []corev1.Container{{Name: "ports", Ports: ports}}
	}
	if len(sidecarPorts) > 0 {
		out.Spec.InitContainers = []corev1.Container{{Name: "sidecar-ports", Ports: sidecarPorts, RestartPolicy: &always}}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			out.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: c.Status}}
		}
	}
	return out
}

func slimService(s *corev1.Service) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace},
		Spec:       *s.Spec.DeepCopy(),
		Status:     corev1.ServiceStatus{LoadBalancer: s.Status.LoadBalancer},
	}
}

// slimSlice keeps the Service name, ports and each endpoint's addresses,
// conditions, node and pod name.
func slimSlice(s *discoveryv1.EndpointSlice) discoveryv1.EndpointSlice {
	out := discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace,
			Labels: map[string]string{discoveryv1.LabelServiceName: s.Labels[discoveryv1.LabelServiceName]}},
		AddressType: s.AddressType,
		Ports:       s.Ports,
		Endpoints:   make([]discoveryv1.Endpoint, len(s.Endpoints)),
	}
	for i, e := range s.Endpoints {
		out.Endpoints[i] = discoveryv1.Endpoint{Addresses: e.Addresses, Conditions: e.Conditions, NodeName: e.NodeName}
		if e.TargetRef != nil {
			out.Endpoints[i].TargetRef = &corev1.ObjectReference{Kind: e.TargetRef.Kind, Name: e.TargetRef.Name}
		}
	}
	return out
}

func slimIngress(i *networkingv1.Ingress) *networkingv1.Ingress {
	out := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: i.Name, Namespace: i.Namespace},
		Spec:       *i.Spec.DeepCopy(),
	}
	if v, ok := i.Annotations["kubernetes.io/ingress.class"]; ok {
		out.Annotations = map[string]string{"kubernetes.io/ingress.class": v}
	}
	return out
}
