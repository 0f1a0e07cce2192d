package ingress

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/tlscert"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
)

// facts is everything the checks look at, gathered up front with few,
// concurrent, server-filtered requests. Each error is kept beside the data it
// was meant to fill, so that one forbidden read skips only its own checks.
type facts struct {
	namespace, name string
	now             time.Time

	ing    *networkingv1.Ingress
	ingErr error
	// When the Ingress is missing: similar names in the namespace, other
	// namespaces holding an Ingress of that name, or a missing namespace.
	similar      []string
	elsewhere    []string
	namespaceErr error

	classes    []networkingv1.IngressClass
	classesErr error

	// Every Ingress of the cluster, for conflicts and request routing: the
	// one read that grows with the cluster.
	all    []networkingv1.Ingress
	allErr error

	// The Services of the Ingress's namespace, by name.
	services    map[string]*corev1.Service
	servicesErr error

	// EndpointSlices of the backend Services, by Service name.
	slices    map[string][]discoveryv1.EndpointSlice
	slicesErr error

	// Pods selected by each backend Service, by Service name.
	backendPods map[string]podList

	// TLS secrets by name. Only what the checks need is kept: never key
	// material.
	secrets map[string]*tlscert.Secret

	controller controllerFacts

	// routeClaims: the HTTPRoutes that claim the host of --host.
	routeClaims routeClaims
}

type podList struct {
	pods []corev1.Pod
	err  error
}

// gather reads in three rounds: the Ingress, the classes, the cluster's
// Ingresses and the namespace's Services; then what they name (EndpointSlices,
// backend pods, TLS secrets, controller pods); then the controller's logs and
// Service.
func gather(ctx context.Context, client kubernetes.Interface, req Request) (*facts, error) {
	f := &facts{namespace: req.Namespace, name: req.Name, now: req.Now()}
	ns := req.Namespace
	var wg sync.WaitGroup
	wg.Go(func() {
		ing, err := client.NetworkingV1().Ingresses(ns).Get(ctx, req.Name, metav1.GetOptions{})
		if err == nil {
			f.ing = ing
		}
		f.ingErr = kube.Read(kube.Get("networking.k8s.io", "ingresses", ns), err)
	})
	wg.Go(func() {
		list, err := client.NetworkingV1().IngressClasses().List(ctx, metav1.ListOptions{})
		if err == nil {
			f.classes = list.Items
		}
		f.classesErr = kube.Read(kube.List("networking.k8s.io", "ingressclasses", ""), err)
	})
	wg.Go(func() {
		list, err := client.NetworkingV1().Ingresses(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
		if err == nil {
			f.all = list.Items
		}
		f.allErr = kube.Read(kube.List("networking.k8s.io", "ingresses", ""), err)
	})
	wg.Go(func() {
		list, err := client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		f.servicesErr = kube.Read(kube.List("", "services", ns), err)
		if err != nil {
			return
		}
		f.services = map[string]*corev1.Service{}
		for i := range list.Items {
			f.services[list.Items[i].Name] = &list.Items[i]
		}
	})
	wg.Wait()
	if f.ingErr != nil && !kube.IsAPIAnswer(f.ingErr) {
		return nil, fmt.Errorf("reading ingress %s/%s: %w", ns, req.Name, f.ingErr)
	}
	if f.ing == nil {
		if apierrors.IsNotFound(f.ingErr) {
			gatherNotFound(ctx, client, f)
		}
		return f, nil
	}

	backends := backendServices(f.ing)
	class := resolveClass(f.ing, f.classes)
	f.controller.class = class
	wg.Go(func() {
		var err error
		f.slices, err = service.ListEndpointSlices(ctx, client, ns, backends)
		f.slicesErr = err
	})
	f.backendPods = map[string]podList{}
	var mu sync.Mutex
	for _, name := range backends {
		svc := f.services[name]
		if svc == nil || len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		wg.Go(func() {
			list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String()})
			pl := podList{err: kube.Read(kube.List("", "pods", ns), err)}
			if err == nil {
				pl.pods = list.Items
			}
			mu.Lock()
			f.backendPods[name] = pl
			mu.Unlock()
		})
	}
	f.secrets = map[string]*tlscert.Secret{}
	var secretsMu sync.Mutex
	for _, name := range secretNames(f.ing) {
		wg.Go(func() {
			s := tlscert.Read(ctx, client, ns, name)
			secretsMu.Lock()
			f.secrets[name] = s
			secretsMu.Unlock()
		})
	}
	wg.Go(func() { findControllerPods(ctx, client, &f.controller) })
	wg.Wait()

	gatherController(ctx, client, f, req)
	return f, nil
}

// gatherNotFound looks for what the user may have meant: a similar name in
// the namespace, the same name in another namespace, or a missing namespace.
func gatherNotFound(ctx context.Context, client kubernetes.Interface, f *facts) {
	var names []string
	if f.allErr == nil {
		for _, ing := range f.all {
			if ing.Namespace == f.namespace {
				names = append(names, ing.Name)
			} else if ing.Name == f.name {
				f.elsewhere = append(f.elsewhere, ing.Namespace)
			}
		}
		sort.Strings(f.elsewhere)
	} else if list, err := client.NetworkingV1().Ingresses(f.namespace).List(ctx, metav1.ListOptions{}); err == nil {
		for _, ing := range list.Items {
			names = append(names, ing.Name)
		}
	}
	f.similar = checks.SimilarNames(f.name, names, 3)
	_, err := client.CoreV1().Namespaces().Get(ctx, f.namespace, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		f.namespaceErr = err
	}
}

// backendServices are the names of the Services the Ingress routes to,
// sorted and without duplicates.
func backendServices(ing *networkingv1.Ingress) []string {
	seen := map[string]bool{}
	var out []string
	add := func(b *networkingv1.IngressBackend) {
		if b != nil && b.Service != nil && !seen[b.Service.Name] {
			seen[b.Service.Name] = true
			out = append(out, b.Service.Name)
		}
	}
	add(ing.Spec.DefaultBackend)
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for i := range r.HTTP.Paths {
			add(&r.HTTP.Paths[i].Backend)
		}
	}
	sort.Strings(out)
	return out
}

// secretNames are the TLS secrets the Ingress names, sorted, without
// duplicates.
func secretNames(ing *networkingv1.Ingress) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range ing.Spec.TLS {
		if t.SecretName != "" && !seen[t.SecretName] {
			seen[t.SecretName] = true
			out = append(out, t.SecretName)
		}
	}
	sort.Strings(out)
	return out
}
