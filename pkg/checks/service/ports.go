package service

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkTargetPorts (SVC005): every service port's targetPort resolves on
// every selected pod. A named targetPort resolves only on a container port of
// that name AND the service port's protocol; a pod where it does not is left
// out of the endpoints for that port, silently.
func checkTargetPorts(f *facts) report.Check {
	code := checks.SvcTargetPorts
	if f.podsErr != nil {
		return code.Skipped("skipped: the selected pods could not be read")
	}
	if len(f.pods) == 0 {
		return code.Skipped("no selected pods to resolve target ports on")
	}
	var fails, warns []string
	var facts []report.Fact
	for _, sp := range f.svc.Spec.Ports {
		res := resolvePort(sp, f.pods)
		facts = append(facts, report.Fact{Name: "port " + portLabel(sp), Value: res.summary()})
		if msg := res.problem(); msg != "" {
			if res.fatal {
				fails = append(fails, msg)
			} else {
				warns = append(warns, msg)
			}
		}
	}
	var c report.Check
	switch {
	case len(fails) > 0:
		c = code.New(report.Fail, "%s", strings.Join(fails, "; "))
		c.Next = []string{fmt.Sprintf("kubectl -n %s get pods -l %s -o custom-columns='NAME:.metadata.name,PORTS:.spec.containers[*].ports[*]'",
			f.namespace, labels.SelectorFromSet(f.svc.Spec.Selector))}
	case len(warns) > 0:
		c = code.New(report.Warn, "%s", strings.Join(warns, "; "))
	default:
		c = code.New(report.Pass, "every targetPort resolves on all %d selected pod(s)", len(f.pods))
	}
	c.Facts = facts
	return c
}

// portResolution is how one service port maps onto the selected pods.
type portResolution struct {
	port   corev1.ServicePort
	target intstr.IntOrString
	// numbers the target resolved to, with the pods for each.
	resolved map[int32][]string
	// missing: pods where a named port does not resolve; wrongProto: those
	// of them that have the name under another protocol.
	missing    []string
	wrongProto map[string]corev1.Protocol
	// undeclared: pods where a numeric target is not a declared container
	// port although the pod declares others (a hint, not a fault).
	undeclared []string
	fatal      bool
}

func resolvePort(sp corev1.ServicePort, pods []corev1.Pod) portResolution {
	sp.Protocol = protocol(sp.Protocol)
	r := portResolution{port: sp, target: targetPort(sp), resolved: map[int32][]string{}, wrongProto: map[string]corev1.Protocol{}}
	for i := range pods {
		pod := &pods[i]
		ports := containerPorts(pod)
		if r.target.Type == intstr.String {
			n, ok := namedPort(ports, r.target.StrVal, sp.Protocol)
			if ok {
				r.resolved[n] = append(r.resolved[n], pod.Name)
				continue
			}
			r.missing = append(r.missing, pod.Name)
			if p, ok := namedPortAnyProtocol(ports, r.target.StrVal); ok {
				r.wrongProto[pod.Name] = p
			}
			continue
		}
		n := int32(r.target.IntValue())
		r.resolved[n] = append(r.resolved[n], pod.Name)
		if len(ports) > 0 && !declares(ports, n, sp.Protocol) {
			r.undeclared = append(r.undeclared, pod.Name)
		}
	}
	r.fatal = len(r.missing) > 0
	return r
}

func (r portResolution) summary() string {
	var parts []string
	nums := make([]int32, 0, len(r.resolved))
	for n := range r.resolved {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	for _, n := range nums {
		parts = append(parts, fmt.Sprintf("%d/%s on %d pod(s)", n, r.port.Protocol, len(r.resolved[n])))
	}
	if len(r.missing) > 0 {
		parts = append(parts, fmt.Sprintf("unresolved on %s", strings.Join(r.missing, ", ")))
	}
	return fmt.Sprintf("targetPort %s -> %s", &r.target, strings.Join(parts, "; "))
}

// problem is the one-line finding for this port, or "".
func (r portResolution) problem() string {
	label := portLabel(r.port)
	switch {
	case len(r.missing) > 0 && len(r.wrongProto) == len(r.missing):
		return fmt.Sprintf("port %s: named targetPort %q is %s on pod(s) %s, but the service port is %s",
			label, r.target.StrVal, r.wrongProto[r.missing[0]], strings.Join(r.missing, ", "), r.port.Protocol)
	case len(r.missing) > 0:
		return fmt.Sprintf("port %s: named targetPort %q (%s) is not a container port of pod(s) %s, which are left out of the endpoints",
			label, r.target.StrVal, r.port.Protocol, strings.Join(r.missing, ", "))
	case len(r.resolved) > 1:
		return fmt.Sprintf("port %s: named targetPort %q resolves to different numbers on different pods", label, r.target.StrVal)
	case len(r.undeclared) > 0:
		return fmt.Sprintf("port %s: targetPort %s/%s is not declared by pod(s) %s (fine only if the process listens on it)",
			label, &r.target, r.port.Protocol, strings.Join(r.undeclared, ", "))
	}
	return ""
}

// targetPort is the service port's target, defaulted as the API server does.
func targetPort(sp corev1.ServicePort) intstr.IntOrString {
	if sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "" {
		return sp.TargetPort
	}
	if sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0 {
		return sp.TargetPort
	}
	return intstr.FromInt32(sp.Port)
}

// containerPorts are the ports the EndpointSlice controller considers: those
// of regular containers and of sidecars (restartable init containers).
func containerPorts(pod *corev1.Pod) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	for _, c := range pod.Spec.Containers {
		out = append(out, c.Ports...)
	}
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			out = append(out, c.Ports...)
		}
	}
	return out
}

func namedPort(ports []corev1.ContainerPort, name string, proto corev1.Protocol) (int32, bool) {
	for _, p := range ports {
		if p.Name == name && protocol(p.Protocol) == proto {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

func namedPortAnyProtocol(ports []corev1.ContainerPort, name string) (corev1.Protocol, bool) {
	for _, p := range ports {
		if p.Name == name {
			return protocol(p.Protocol), true
		}
	}
	return "", false
}

func declares(ports []corev1.ContainerPort, n int32, proto corev1.Protocol) bool {
	for _, p := range ports {
		if p.ContainerPort == n && protocol(p.Protocol) == proto {
			return true
		}
	}
	return false
}
