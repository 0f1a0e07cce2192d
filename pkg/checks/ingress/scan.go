package ingress

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// This file exports the static checks of the Ingress procedure for callers
// that have already read everything (the cluster scan): the class (ING002)
// and each service backend's chain (ING008 service, ING009 port, ING010
// ready endpoints), judged exactly as `netdebug ingress` judges them.

// Objects are what the static checks of one Ingress look at; the maps are
// keyed by name within the Ingress's namespace.
type Objects struct {
	Ingress    *networkingv1.Ingress
	Classes    []networkingv1.IngressClass
	ClassesErr error
	Services   map[string]*corev1.Service
	// ServicesErr: the namespace's Services could not be read.
	ServicesErr error
	Slices      map[string][]discoveryv1.EndpointSlice
	SlicesErr   error
	// NamespacePods are the pods of the namespace (trimmed as for
	// service.Objects), for the backends' selected pods.
	NamespacePods    []corev1.Pod
	NamespacePodsErr error
}

// StaticChecks returns ING002 and one check per broken service backend
// (ING008, ING009 or ING010), or a pass of those codes when every backend
// is fine.
func StaticChecks(o Objects) []report.Check {
	f := &facts{
		namespace: o.Ingress.Namespace, name: o.Ingress.Name, ing: o.Ingress,
		classes: o.Classes, classesErr: o.ClassesErr,
		services: o.Services, servicesErr: o.ServicesErr,
		slices: o.Slices, slicesErr: o.SlicesErr,
		backendPods: map[string]podList{},
	}
	out := []report.Check{classVerdict(checks.IngClass, f, resolveClass(o.Ingress, o.Classes))}
	a := &analysis{}
	seen := map[string]bool{}
	add := func(b *networkingv1.IngressBackend) {
		if b == nil || b.Service == nil {
			return
		}
		key := b.Service.Name + "\x00" + portString(b.Service.Port)
		if seen[key] {
			return
		}
		seen[key] = true
		a.backends = append(a.backends, &backend{service: b.Service.Name, port: b.Service.Port})
	}
	for _, r := range o.Ingress.Spec.Rules {
		if r.HTTP != nil {
			for i := range r.HTTP.Paths {
				add(&r.HTTP.Paths[i].Backend)
			}
		}
	}
	add(o.Ingress.Spec.DefaultBackend)
	if len(a.backends) == 0 {
		return out
	}
	counts := map[checks.Code]int{}
	for _, b := range a.backends {
		if svc := o.Services[b.service]; svc != nil && len(svc.Spec.Selector) > 0 {
			f.backendPods[b.service] = selectPods(svc, o.NamespacePods, o.NamespacePodsErr)
		}
		analyzeBackend(f, b)
		var code checks.Code
		switch b.state {
		case backendNoService:
			code = checks.IngBackendServices
		case backendNoPort:
			code = checks.IngBackendPorts
		case backendNoEndpoints:
			code = checks.IngBackendEndpoints
		case backendUnknown:
			out = append(out, b.unknownAt.FromError("reading the backends", b.unknownErr))
			continue
		default:
			continue
		}
		counts[code]++
		out = append(out, code.New(report.Fail, "%s", b.why))
	}
	// A code with no broken backend passed for this Ingress.
	for _, code := range []checks.Code{checks.IngBackendServices, checks.IngBackendPorts, checks.IngBackendEndpoints} {
		if counts[code] == 0 {
			out = append(out, code.New(report.Pass, "backends fine"))
		}
	}
	return out
}

func selectPods(svc *corev1.Service, pods []corev1.Pod, err error) podList {
	if err != nil {
		return podList{err: err}
	}
	s := labels.SelectorFromSet(svc.Spec.Selector)
	var out []corev1.Pod
	for i := range pods {
		if s.Matches(labels.Set(pods[i].Labels)) {
			out = append(out, pods[i])
		}
	}
	return podList{pods: out}
}
