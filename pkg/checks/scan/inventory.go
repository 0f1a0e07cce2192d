package scan

import (
	"context"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/pager"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// inventory is what the scan keeps of the cluster: for each kind, only the
// fields the checks read, copied out of each page as it arrives so that a
// page can be freed before the next one is decoded.
type inventory struct {
	pods []podRecord // sorted by namespace
	// podsByNS are sub-slices of pods.
	podsByNS map[string][]podRecord
	podsErr  error

	services    []*corev1.Service
	servicesErr error

	// slices by namespace, then Service name.
	slices    map[string]map[string][]discoveryv1.EndpointSlice
	nSlices   int
	slicesErr error

	ingresses    []*networkingv1.Ingress
	ingressesErr error

	classes    []networkingv1.IngressClass
	classesErr error

	policies    []networkingv1.NetworkPolicy
	policiesErr error

	// namespaces only with -A: namespace selectors of policy peers need
	// their labels.
	namespaces    []corev1.Namespace
	namespacesErr error
}

// read runs one paged LIST per kind, concurrently. It returns an error only
// when the API server cannot be reached; API answers (Forbidden...) stay
// beside the kind they concern.
func read(ctx context.Context, client kubernetes.Interface, ns string, pageSize int64) (*inventory, error) {
	inv := &inventory{slices: map[string]map[string][]discoveryv1.EndpointSlice{}}
	var wg sync.WaitGroup
	wg.Go(func() {
		inv.podsErr = each(ctx, checks.List("", "pods", ns), pageSize,
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return client.CoreV1().Pods(ns).List(ctx, o)
			},
			func(obj runtime.Object) { inv.pods = append(inv.pods, record(obj.(*corev1.Pod))) })
	})
	wg.Go(func() {
		inv.servicesErr = each(ctx, checks.List("", "services", ns), pageSize,
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return client.CoreV1().Services(ns).List(ctx, o)
			},
			func(obj runtime.Object) { inv.services = append(inv.services, slimService(obj.(*corev1.Service))) })
	})
	wg.Go(func() {
		inv.slicesErr = each(ctx, checks.List("discovery.k8s.io", "endpointslices", ns), pageSize,
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return client.DiscoveryV1().EndpointSlices(ns).List(ctx, o)
			},
			func(obj runtime.Object) {
				s := obj.(*discoveryv1.EndpointSlice)
				svc := s.Labels[discoveryv1.LabelServiceName]
				if svc == "" {
					return // not a Service's slice
				}
				m := inv.slices[s.Namespace]
				if m == nil {
					m = map[string][]discoveryv1.EndpointSlice{}
					inv.slices[s.Namespace] = m
				}
				m[svc] = append(m[svc], slimSlice(s))
				inv.nSlices++
			})
	})
	wg.Go(func() {
		inv.ingressesErr = each(ctx, checks.List("networking.k8s.io", "ingresses", ns), pageSize,
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return client.NetworkingV1().Ingresses(ns).List(ctx, o)
			},
			func(obj runtime.Object) {
				inv.ingresses = append(inv.ingresses, slimIngress(obj.(*networkingv1.Ingress)))
			})
	})
	wg.Go(func() {
		inv.classesErr = each(ctx, checks.List("networking.k8s.io", "ingressclasses", ""), pageSize,
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return client.NetworkingV1().IngressClasses().List(ctx, o)
			},
			func(obj runtime.Object) {
				c := obj.(*networkingv1.IngressClass).DeepCopy()
				c.ManagedFields = nil
				inv.classes = append(inv.classes, *c)
			})
	})
	wg.Go(func() {
		inv.policiesErr = each(ctx, checks.List("networking.k8s.io", "networkpolicies", ns), pageSize,
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return client.NetworkingV1().NetworkPolicies(ns).List(ctx, o)
			},
			func(obj runtime.Object) {
				p := obj.(*networkingv1.NetworkPolicy)
				inv.policies = append(inv.policies, networkingv1.NetworkPolicy{
					ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
					Spec:       *p.Spec.DeepCopy(),
				})
			})
	})
	if ns == "" {
		wg.Go(func() {
			inv.namespacesErr = each(ctx, checks.List("", "namespaces", ""), pageSize,
				func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
					return client.CoreV1().Namespaces().List(ctx, o)
				},
				func(obj runtime.Object) {
					n := obj.(*corev1.Namespace)
					inv.namespaces = append(inv.namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels}})
				})
		})
	}
	wg.Wait()
	for _, err := range []error{inv.podsErr, inv.servicesErr, inv.slicesErr, inv.ingressesErr, inv.classesErr, inv.policiesErr, inv.namespacesErr} {
		if err != nil && !checks.IsAPIAnswer(err) {
			return nil, err
		}
	}
	inv.indexPods()
	return inv, nil
}

// each lists one kind page by page and hands every item to keep; the page
// is dropped once its items are kept.
func each(ctx context.Context, perm report.Permission, pageSize int64, list pager.ListPageFunc, keep func(runtime.Object)) error {
	p := pager.New(list)
	p.PageSize = pageSize
	p.PageBufferSize = 0 // the next page is fetched while this one is kept, no further ahead
	err := p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		keep(obj)
		return nil
	})
	return checks.Read(perm, err)
}

func (inv *inventory) indexPods() {
	sort.SliceStable(inv.pods, func(i, j int) bool { return inv.pods[i].namespace < inv.pods[j].namespace })
	inv.podsByNS = map[string][]podRecord{}
	start := 0
	for i := 1; i <= len(inv.pods); i++ {
		if i == len(inv.pods) || inv.pods[i].namespace != inv.pods[start].namespace {
			ns := inv.pods[start].namespace
			inv.podsByNS[ns] = inv.pods[start:i:i]
			start = i
		}
	}
}

// podRecord is what the scan keeps of a pod, a tenth of a corev1.Pod:
// identity, labels, container ports (sidecars apart), host networking,
// deletion, phase, readiness and IPs. pod() turns it back into the trimmed
// corev1.Pod the checks take, one namespace at a time.
type podRecord struct {
	name, namespace string
	labels          map[string]string
	ports           []corev1.ContainerPort // of regular containers
	sidecarPorts    []corev1.ContainerPort // of restartable init containers
	node            string
	podIP, hostIP   string
	podIPs          []corev1.PodIP
	phase           corev1.PodPhase
	ready           corev1.ConditionStatus // "" without a Ready condition
	deleting        *metav1.Time
	hostNetwork     bool
}

func record(p *corev1.Pod) podRecord {
	r := podRecord{
		name: p.Name, namespace: p.Namespace, labels: p.Labels, node: p.Spec.NodeName,
		podIP: p.Status.PodIP, hostIP: p.Status.HostIP, podIPs: p.Status.PodIPs,
		phase: p.Status.Phase, deleting: p.DeletionTimestamp, hostNetwork: p.Spec.HostNetwork,
	}
	for _, c := range p.Spec.Containers {
		r.ports = append(r.ports, c.Ports...)
	}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			r.sidecarPorts = append(r.sidecarPorts, c.Ports...)
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			r.ready = c.Status
		}
	}
	return r
}

var always = corev1.ContainerRestartPolicyAlways

func (r *podRecord) pod() corev1.Pod {
	p := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: r.name, Namespace: r.namespace, Labels: r.labels, DeletionTimestamp: r.deleting},
		Spec:       corev1.PodSpec{HostNetwork: r.hostNetwork, NodeName: r.node},
		Status:     corev1.PodStatus{Phase: r.phase, PodIP: r.podIP, PodIPs: r.podIPs, HostIP: r.hostIP},
	}
	if len(r.ports) > 0 {
		p.Spec.Containers = []corev1.Container{{Name: "ports", Ports: r.ports}}
	}
	if len(r.sidecarPorts) > 0 {
		p.Spec.InitContainers = []corev1.Container{{Name: "sidecar-ports", Ports: r.sidecarPorts, RestartPolicy: &always}}
	}
	if r.ready != "" {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: r.ready}}
	}
	return p
}

// podsOf rebuilds the trimmed pods of some namespaces.
func (inv *inventory) podsOf(namespaces ...string) []corev1.Pod {
	n := 0
	for _, ns := range namespaces {
		n += len(inv.podsByNS[ns])
	}
	out := make([]corev1.Pod, 0, n)
	for _, ns := range namespaces {
		for i := range inv.podsByNS[ns] {
			out = append(out, inv.podsByNS[ns][i].pod())
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

// slimSlice keeps ports and each endpoint's addresses, conditions, node and
// pod name.
func slimSlice(s *discoveryv1.EndpointSlice) discoveryv1.EndpointSlice {
	out := discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace},
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
