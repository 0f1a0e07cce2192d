package service

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
)

// This file exports the parts of the Service procedure that other
// procedures reuse when a Service is their backend (an Ingress rule, a
// Gateway route): how a targetPort resolves on pods, and what the
// EndpointSlices say. It adds nothing to the Service procedure itself.

// TargetPortResolution is how one service port's targetPort maps onto pods,
// as the EndpointSlice controller resolves it.
type TargetPortResolution struct {
	// Target is the targetPort, defaulted to the port as the API server does.
	Target intstr.IntOrString
	// Resolved maps each port number the target resolved to to its pods.
	Resolved map[int32][]string
	// Missing are the pods where a named target does not resolve: they are
	// left out of the endpoints for that port.
	Missing []string
	// Summary is one line of evidence; Problem the one-line finding, or "".
	Summary string
	Problem string
	// Fatal: some pods are left out of the endpoints.
	Fatal bool
}

// ResolveTargetPort resolves sp's targetPort on pods (regular containers and
// sidecars, by name and protocol), exactly as SVC005 does.
func ResolveTargetPort(sp corev1.ServicePort, pods []corev1.Pod) TargetPortResolution {
	r := resolvePort(sp, pods)
	return TargetPortResolution{
		Target:   r.target,
		Resolved: r.resolved,
		Missing:  r.missing,
		Summary:  r.summary(),
		Problem:  r.problem(),
		Fatal:    r.fatal,
	}
}

// FindServicePort finds the port of svc that a backend names by number (when
// number is not 0) or by name.
func FindServicePort(svc *corev1.Service, name string, number int32) (corev1.ServicePort, bool) {
	for _, p := range svc.Spec.Ports {
		if (number != 0 && p.Port == number) || (number == 0 && p.Name == name) {
			return p, true
		}
	}
	return corev1.ServicePort{}, false
}

// DescribePorts lists a Service's ports as "http 80/TCP->8080".
func DescribePorts(svc *corev1.Service) string {
	parts := make([]string, 0, len(svc.Spec.Ports))
	for _, p := range svc.Spec.Ports {
		tp := targetPort(p)
		s := fmt.Sprintf("%d/%s->%s", p.Port, protocol(p.Protocol), tp.String())
		if p.Name != "" {
			s = p.Name + " " + s
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// EndpointsForPort are the endpoints of the slices that carry the service
// port named portName ("" for an unnamed port): the EndpointSlice controller
// puts pods on which a port does not resolve in slices without that port, so
// they receive no traffic for it.
func EndpointsForPort(slices []discoveryv1.EndpointSlice, portName string) []Endpoint {
	var carrying []discoveryv1.EndpointSlice
	for _, s := range slices {
		for _, p := range s.Ports {
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			if name == portName {
				carrying = append(carrying, s)
				break
			}
		}
	}
	return endpointsOf(carrying)
}

// ReadyTarget picks a ready endpoint and the number the Service port's
// targetPort resolves to on that endpoint's pod (targets, when resolved),
// for a probe of what the endpoint answers.
func ReadyTarget(endpoints []Endpoint, targets *TargetPortResolution, svcPort *corev1.ServicePort) (ip string, port int32, pod string, ok bool) {
	for _, e := range endpoints {
		if !e.Ready {
			continue
		}
		if targets != nil {
			for n, pods := range targets.Resolved {
				if slices.Contains(pods, e.Pod) {
					return e.Address, n, e.Pod, true
				}
			}
		}
		if svcPort != nil && svcPort.TargetPort.IntValue() > 0 {
			return e.Address, int32(svcPort.TargetPort.IntValue()), e.Pod, true
		}
	}
	return "", 0, "", false
}

// NoEndpointsWhy explains, as " (...)" or "", why a backend Service has no
// ready endpoints for a port, from its selected pods (podsErr: they could
// not be read) and how its targetPort resolved on them (targets, nil when
// not resolved): the usual causes, most specific first.
func NoEndpointsWhy(svc *corev1.Service, slices []discoveryv1.EndpointSlice, pods []corev1.Pod, podsErr error, targets *TargetPortResolution, now time.Time) string {
	switch {
	case len(svc.Spec.Selector) == 0:
		if len(slices) == 0 {
			return " (it has no selector and no EndpointSlices)"
		}
		return ""
	case podsErr != nil:
		return ""
	case len(pods) == 0:
		return fmt.Sprintf(" (its selector %s matches no pods)", labels.SelectorFromSet(svc.Spec.Selector))
	case targets != nil && len(targets.Missing) == len(pods):
		return fmt.Sprintf(" (targetPort %q resolves on none of its %d pod(s))", targets.Target.String(), len(pods))
	}
	var notReady []corev1.Pod
	for _, p := range pods {
		if !podstatus.Ready(&p) {
			notReady = append(notReady, p)
		}
	}
	if len(notReady) == len(pods) {
		return fmt.Sprintf(" (none of its %d pod(s) is ready; %s: %s)", len(pods), notReady[0].Name, podstatus.NotReadyReason(&notReady[0], nil, now))
	}
	if len(slices) == 0 {
		return " (it has no EndpointSlices although pods are ready: is kube-controller-manager running?)"
	}
	return ""
}

// ServiceType is the type as shown in reports ("ClusterIP, headless").
func ServiceType(svc *corev1.Service) string { return serviceType(svc) }

// LoadBalancerAddresses are the IPs and hostnames in the Service's status.
func LoadBalancerAddresses(svc *corev1.Service) []string { return lbAddresses(svc) }

// ListEndpointSlices reads the EndpointSlices of several Services of one
// namespace in a single LIST (label selector `kubernetes.io/service-name in
// (...)`) and groups them by Service name.
func ListEndpointSlices(ctx context.Context, client kubernetes.Interface, ns string, services []string) (map[string][]discoveryv1.EndpointSlice, error) {
	out := map[string][]discoveryv1.EndpointSlice{}
	if len(services) == 0 {
		return out, nil
	}
	names := append([]string(nil), services...)
	sort.Strings(names)
	names = dedupe(names)
	sel := fmt.Sprintf("%s in (%s)", discoveryv1.LabelServiceName, strings.Join(names, ","))
	list, err := client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, kube.Read(kube.List("discovery.k8s.io", "endpointslices", ns), err)
	}
	for _, s := range list.Items {
		name := s.Labels[discoveryv1.LabelServiceName]
		out[name] = append(out[name], s)
	}
	return out, nil
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// PodNamed is the pod of pods named name (ReadyTarget's pod), nil when
// none is.
func PodNamed(pods []corev1.Pod, name string) *corev1.Pod {
	for i := range pods {
		if pods[i].Name == name && name != "" {
			return &pods[i]
		}
	}
	return nil
}
