package service

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// This file exports the static checks of the Service procedure for callers
// that have already read everything (the cluster scan): they run exactly as
// in `netdebug service`, on objects given rather than fetched.

// Objects are what the static checks of one Service look at. Pods may be
// trimmed to what the checks read: name, namespace, labels, container ports
// (sidecars included), deletion timestamp, phase, conditions and IPs.
type Objects struct {
	Service *corev1.Service
	// NamespacePods are all the pods of the Service's namespace, or the
	// error of reading them.
	NamespacePods    []corev1.Pod
	NamespacePodsErr error
	// Slices are the Service's EndpointSlices, or the error of reading them.
	Slices    []discoveryv1.EndpointSlice
	SlicesErr error
}

// StaticChecks runs SVC003 (selector), SVC005 (target ports) and SVC006
// (EndpointSlices) on one Service.
func StaticChecks(o Objects) []report.Check {
	f := &facts{namespace: o.Service.Namespace, name: o.Service.Name, svc: o.Service, slices: o.Slices, slicesErr: o.SlicesErr}
	sel := o.Service.Spec.Selector
	if len(sel) > 0 && o.Service.Spec.Type != corev1.ServiceTypeExternalName {
		f.podsErr = o.NamespacePodsErr
		if o.NamespacePodsErr == nil {
			s := labels.SelectorFromSet(sel)
			for i := range o.NamespacePods {
				if s.Matches(labels.Set(o.NamespacePods[i].Labels)) {
					f.pods = append(f.pods, o.NamespacePods[i])
				}
			}
			if len(f.pods) == 0 {
				f.nsPods = o.NamespacePods
			}
		}
	}
	return []report.Check{checkSelector(f), checkTargetPorts(f), checkEndpoints(f)}
}
