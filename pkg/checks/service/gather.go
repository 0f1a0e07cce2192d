package service

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
)

// facts is everything the checks look at, gathered up front with few,
// concurrent, server-filtered requests. Each error is kept beside the data it
// was meant to fill, so that one forbidden read skips only its own checks.
type facts struct {
	namespace, name string

	svc    *corev1.Service
	svcErr error
	// When the Service is missing: similar names in the namespace, and other
	// namespaces holding a Service of that exact name.
	similar      []string
	elsewhere    []string
	namespaceErr error // the namespace itself is missing or unreadable

	// Pods selected by the Service's selector.
	pods    []corev1.Pod
	podsErr error
	// All pods of the namespace, read only when the selector matches none,
	// to find near misses.
	nsPods    []corev1.Pod
	nsPodsErr error

	slices    []discoveryv1.EndpointSlice
	slicesErr error

	// Readiness-probe failures (events with reason Unhealthy) by pod name,
	// read only when a selected pod is not ready.
	unhealthy    map[string][]corev1.Event
	unhealthyErr error
	// Events of the Service itself, read when a LoadBalancer has no address.
	svcEvents    []corev1.Event
	svcEventsErr error
}

// gather reads in three rounds: the Service and its EndpointSlices; the
// selected pods; then, only if needed, near misses and events.
func gather(ctx context.Context, client kubernetes.Interface, req Request) (*facts, error) {
	f := &facts{namespace: req.Namespace, name: req.Name}
	ns := req.Namespace
	var wg sync.WaitGroup
	wg.Go(func() {
		svc, err := client.CoreV1().Services(ns).Get(ctx, req.Name, metav1.GetOptions{})
		if err == nil {
			f.svc = svc
		}
		f.svcErr = kube.Read(kube.Get("", "services", ns), err)
	})
	wg.Go(func() {
		sel := labels.Set{discoveryv1.LabelServiceName: req.Name}.AsSelector().String()
		list, err := client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err == nil {
			f.slices = list.Items
		}
		f.slicesErr = kube.Read(kube.List("discovery.k8s.io", "endpointslices", ns), err)
	})
	wg.Wait()
	if f.svcErr != nil && !kube.IsAPIAnswer(f.svcErr) {
		return nil, fmt.Errorf("reading service %s/%s: %w", ns, req.Name, f.svcErr)
	}

	if f.svc == nil {
		if apierrors.IsNotFound(f.svcErr) {
			gatherNotFound(ctx, client, f)
		}
		return f, nil
	}

	selector := f.svc.Spec.Selector
	if len(selector) > 0 && f.svc.Spec.Type != corev1.ServiceTypeExternalName {
		list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
		if err == nil {
			f.pods = list.Items
		}
		f.podsErr = kube.Read(kube.List("", "pods", ns), err)
	}

	if len(selector) > 0 && f.podsErr == nil && len(f.pods) == 0 {
		wg.Go(func() {
			list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err == nil {
				f.nsPods = list.Items
			}
			f.nsPodsErr = kube.Read(kube.List("", "pods", ns), err)
		})
	}
	if anyNotReady(f.pods) {
		wg.Go(func() {
			sel := fields.Set{"involvedObject.kind": "Pod", "reason": "Unhealthy"}.AsSelector().String()
			list, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: sel})
			f.unhealthyErr = kube.Read(kube.List("", "events", ns), err)
			if err != nil {
				return
			}
			f.unhealthy = map[string][]corev1.Event{}
			for _, e := range list.Items {
				f.unhealthy[e.InvolvedObject.Name] = append(f.unhealthy[e.InvolvedObject.Name], e)
			}
		})
	}
	if loadBalancerPending(f.svc) {
		wg.Go(func() {
			sel := fields.Set{"involvedObject.kind": "Service", "involvedObject.name": req.Name}.AsSelector().String()
			list, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: sel})
			if err == nil {
				f.svcEvents = list.Items
			}
			f.svcEventsErr = kube.Read(kube.List("", "events", ns), err)
		})
	}
	wg.Wait()
	return f, nil
}

// gatherNotFound looks for what the user may have meant: a similar name in
// the namespace, the same name in another namespace, or a missing namespace.
func gatherNotFound(ctx context.Context, client kubernetes.Interface, f *facts) {
	var wg sync.WaitGroup
	wg.Go(func() {
		list, err := client.CoreV1().Services(f.namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return // suggestions are a courtesy; the check already fails
		}
		names := make([]string, 0, len(list.Items))
		for _, s := range list.Items {
			names = append(names, s.Name)
		}
		f.similar = checks.SimilarNames(f.name, names, 3)
	})
	wg.Go(func() {
		sel := fields.OneTermEqualSelector("metadata.name", f.name).String()
		list, err := client.CoreV1().Services(metav1.NamespaceAll).List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil {
			return
		}
		for _, s := range list.Items {
			if s.Namespace != f.namespace {
				f.elsewhere = append(f.elsewhere, s.Namespace)
			}
		}
	})
	wg.Go(func() {
		_, err := client.CoreV1().Namespaces().Get(ctx, f.namespace, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			f.namespaceErr = err
		}
	})
	wg.Wait()
}

func anyNotReady(pods []corev1.Pod) bool {
	for i := range pods {
		if !podstatus.Ready(&pods[i]) {
			return true
		}
	}
	return false
}

func loadBalancerPending(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && len(svc.Status.LoadBalancer.Ingress) == 0
}
