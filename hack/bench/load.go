package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// Shape of the synthetic cluster, per namespace: 100 namespaces make 10,000
// pods, 2,000 Services (each with an EndpointSlice unless its selector is
// broken), 500 NetworkPolicies and 300 Ingresses.
const (
	podsPerNS      = 100
	servicesPerNS  = 20
	policiesPerNS  = 5
	ingressesPerNS = 3
	nodes          = 20
)

// Fault rates, so that the scan has something to find.
const (
	selectorTypo = 0.02 // Service selector matches nothing
	namedPortBad = 0.02 // targetPort names a port the pods lack
	podNotReady  = 0.03
	policyTypo   = 0.05 // policy selects no pod
	ingressTypo  = 0.05 // backend Service missing
)

func nsName(n int) string { return fmt.Sprintf("bench-%03d", n) }

// loader writes objects with many concurrent requests.
type loader struct {
	client  kubernetes.Interface
	workers int
	writes  atomic.Int64
}

// parallel runs fn(i) for i in [0,n) on the loader's workers and returns the
// first error.
func (l *loader) parallel(n int, fn func(i int) error) error {
	jobs := make(chan int)
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range l.workers {
		wg.Go(func() {
			for i := range jobs {
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return first
}

func (l *loader) nodes(ctx context.Context) error {
	return l.parallel(nodes, func(i int) error {
		name := fmt.Sprintf("node-%02d", i)
		n, err := l.client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		n.Status = corev1.NodeStatus{
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 1}},
			Conditions:      []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
		}
		_, err = l.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
		l.writes.Add(2)
		return err
	})
}

// namespaces loads namespaces [from, to), generated from seed: the same
// seed gives the same cluster.
func (l *loader) namespaces(ctx context.Context, seed uint64, from, to int) error {
	return l.parallel(to-from, func(i int) error { return l.namespace(ctx, seed, from+i) })
}

func (l *loader) namespace(ctx context.Context, seed uint64, n int) error {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	ns := nsName(n)
	c := l.client
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{"team": fmt.Sprintf("team-%d", n%10)}}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	l.writes.Add(1)

	// Pods, with status as a kubelet would have reported it. The status in
	// a create body is ignored, so each pod takes a create and an
	// UpdateStatus; pods of a namespace are written concurrently.
	pods := make([]*corev1.Pod, podsPerNS)
	ready := make([]bool, podsPerNS)
	for i := range pods {
		ready[i] = rng.Float64() >= podNotReady
	}
	var wg sync.WaitGroup
	errs := make(chan error, podsPerNS)
	sem := make(chan struct{}, 8)
	for i := range podsPerNS {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			p, err := l.pod(ctx, ns, n, i, ready[i])
			pods[i] = p
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}

	for s := range servicesPerNS {
		app := fmt.Sprintf("app-%02d", s)
		sel := app
		if rng.Float64() < selectorTypo {
			sel = app + "x"
		}
		target := intstr.FromString("http")
		if rng.Float64() < namedPortBad {
			target = intstr.FromString("grpc")
		}
		svc, err := c.CoreV1().Services(ns).Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%02d", s), Namespace: ns},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": sel},
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: target, Protocol: corev1.ProtocolTCP}}},
		}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		l.writes.Add(1)
		if sel != app {
			continue // the controller would write an empty slice at most
		}
		if err := l.slice(ctx, svc, pods, app, target.StrVal == "http"); err != nil {
			return err
		}
	}

	for k := range policiesPerNS {
		np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pol-%d", k), Namespace: ns}}
		if k == 0 {
			np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress} // default deny
		} else {
			app := fmt.Sprintf("app-%02d", rng.IntN(servicesPerNS))
			if rng.Float64() < policyTypo {
				app = "app-99"
			}
			np.Spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
			peer := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "web"}}}
			if rng.IntN(2) == 0 {
				peer.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": fmt.Sprintf("team-%d", rng.IntN(10))}}
			}
			port := intstr.FromString("http")
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{peer},
				Ports: []networkingv1.NetworkPolicyPort{{Port: &port}}}}
		}
		if _, err := c.NetworkingV1().NetworkPolicies(ns).Create(ctx, np, metav1.CreateOptions{}); err != nil {
			return err
		}
		l.writes.Add(1)
	}

	pt := networkingv1.PathTypePrefix
	class := "nginx"
	for k := range ingressesPerNS {
		backend := fmt.Sprintf("svc-%02d", rng.IntN(servicesPerNS))
		if rng.Float64() < ingressTypo {
			backend = "svc-missing"
		}
		ing := &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ing-%d", k), Namespace: ns},
			Spec: networkingv1.IngressSpec{IngressClassName: &class, Rules: []networkingv1.IngressRule{{
				Host: fmt.Sprintf("ing-%d.%s.bench.example", k, ns),
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
					Path: "/", PathType: &pt,
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: backend, Port: networkingv1.ServiceBackendPort{Number: 80}}},
				}}}},
			}}},
		}
		if _, err := c.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
			return err
		}
		l.writes.Add(1)
	}
	return nil
}

func (l *loader) pod(ctx context.Context, ns string, n, i int, ready bool) (*corev1.Pod, error) {
	tiers := []string{"web", "api", "db"}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%03d", i), Namespace: ns,
			Labels: map[string]string{"app": fmt.Sprintf("app-%02d", i%servicesPerNS), "tier": tiers[i%3]}},
		Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node-%02d", (n*podsPerNS+i)%nodes), Containers: []corev1.Container{{
			Name: "app", Image: "example.invalid/app:1",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
		}}},
	}
	created, err := l.client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	now := metav1.Now()
	ip := fmt.Sprintf("10.%d.%d.%d", 64+n/250, n%250, i+1)
	created.Status = corev1.PodStatus{
		Phase: corev1.PodRunning,
		PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		HostIP: "127.0.0.1", HostIPs: []corev1.HostIP{{IP: "127.0.0.1"}},
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: cond, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: cond, LastTransitionTime: now},
		},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Image: "example.invalid/app:1", Ready: ready,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}},
	}
	updated, err := l.client.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	l.writes.Add(2)
	return updated, err
}

// slice writes the EndpointSlice the controller would keep: the selected
// pods, ready as they are; none carry the port when it does not resolve.
func (l *loader) slice(ctx context.Context, svc *corev1.Service, pods []*corev1.Pod, app string, resolves bool) error {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: svc.Name + "-1", Namespace: svc.Namespace, Labels: map[string]string{
			discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	if resolves {
		name, port, proto := "http", int32(8080), corev1.ProtocolTCP
		s.Ports = []discoveryv1.EndpointPort{{Name: &name, Port: &port, Protocol: &proto}}
	}
	for _, p := range pods {
		if p.Labels["app"] != app {
			continue
		}
		ready := false
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				ready = c.Status == corev1.ConditionTrue
			}
		}
		node := p.Spec.NodeName
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{p.Status.PodIP},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &ready},
			NodeName:   &node,
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
		})
	}
	_, err := l.client.DiscoveryV1().EndpointSlices(svc.Namespace).Create(ctx, s, metav1.CreateOptions{})
	l.writes.Add(1)
	return err
}

func (l *loader) ingressClass(ctx context.Context) error {
	_, err := l.client.NetworkingV1().IngressClasses().Create(ctx, &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx", Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}},
		Spec:       networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"},
	}, metav1.CreateOptions{})
	l.writes.Add(1)
	return err
}
