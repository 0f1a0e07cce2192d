package netpol

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// manifestSource is the annotation saying where an offline pod was read.
const manifestSource = manifest.AnnotationSource

// checkEndpoints (NP001): the pods of the question exist, with what the
// engine uses of them (phase, IPs, node, labels, declared ports), and what
// each IP is: a pod's, a node's, or outside the pod network.
func checkEndpoints(w *World, roles []string, args []Arg) report.Check {
	code := checks.NPEndpoints
	if w.ReadErr != nil && w.podsUnread {
		return code.FromError("reading the pods", w.ReadErr)
	}
	var missing []string
	var missingNS []string
	for i, a := range args {
		if !a.IsIP() && w.Engine.Pod(a.Pod) == nil {
			missing = append(missing, strings.TrimSpace(roles[i]+" pod "+a.Pod.String()))
			missingNS = append(missingNS, a.Pod.Namespace)
		}
	}
	if len(missing) > 0 {
		c := code.New(report.Error, "%s does not exist", strings.Join(missing, " and "))
		if len(missing) > 1 {
			c.Message = strings.Join(missing, " and ") + " do not exist"
		}
		if w.Cluster {
			for i, ns := range missingNS {
				if i == 0 || ns != missingNS[0] {
					c.Next = append(c.Next, kubectlNS(ns)+" get pods")
				}
			}
		} else {
			c.Message += " in the manifests"
			c.Next = []string{"a workload stands for one pod named after it: use its name"}
		}
		return c
	}
	var parts []string
	c := code.New(report.Pass, "")
	for i, a := range args {
		role := roles[i]
		if a.IsIP() {
			parts = append(parts, fmt.Sprintf("%s IP %s: %s", role, a.IP, w.ipText(a)))
			for _, o := range w.IPOwners[a.IP] {
				c.Objects = append(c.Objects, podObject(o))
			}
			continue
		}
		pod := w.Engine.Pod(a.Pod)
		parts = append(parts, strings.TrimSpace(fmt.Sprintf("%s pod %s: %s", role, a.Pod, podSummary(pod))))
		c.Objects = append(c.Objects, podObject(a.Pod))
		c.Facts = append(c.Facts, report.Fact{Name: strings.TrimSpace(role + " labels"), Value: policy.FormatLabels(pod.Labels)})
		if ports := policy.PortsOf(pod); len(ports) > 0 {
			c.Facts = append(c.Facts, report.Fact{Name: strings.TrimSpace(role + " ports"), Value: declaredPorts(ports)})
		}
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			c.Status = report.Warn
		}
		if w.assumedNamespace(a.Pod.Namespace) {
			c.Status = report.Warn
			c.Facts = append(c.Facts, report.Fact{Name: "assumed", Value: fmt.Sprintf("namespace %s is not declared in the manifests: only its label %s=%s is known", a.Pod.Namespace, corev1.LabelMetadataName, a.Pod.Namespace)})
		}
	}
	c.Message = strings.Join(parts, "; ")
	return c
}

// ipText says what an IP endpoint is.
func (w *World) ipText(a Arg) string {
	owners := w.IPOwners[a.IP]
	var running []string
	for _, o := range owners {
		p := w.Engine.Pod(o)
		if p != nil && !p.Spec.HostNetwork && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			running = append(running, o.String())
		}
	}
	switch {
	case len(running) == 1:
		return "the IP of pod " + running[0]
	case len(running) > 1:
		return "shared by running pods " + strings.Join(running, ", ")
	case len(owners) > 0:
		return "the node IP of hostNetwork pods, or of finished pods: outside the pod network"
	}
	if !w.Cluster {
		return "no pod of the manifests has it: outside the pod network"
	}
	return "no pod has it: outside the pod network"
}

// podSummary is "Running, IP 10.0.0.1, node n1" with hostNetwork and a
// missing IP said.
func podSummary(p *corev1.Pod) string {
	var parts []string
	if p.Status.Phase != "" {
		parts = append(parts, string(p.Status.Phase))
	}
	var ips []string
	for _, ip := range p.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	if len(ips) == 0 && p.Status.PodIP != "" {
		ips = []string{p.Status.PodIP}
	}
	switch {
	case len(ips) > 0:
		parts = append(parts, "IP "+strings.Join(ips, ","))
	case p.Annotations[manifestSource] != "":
		parts = append(parts, p.Annotations[manifestSource])
	default:
		parts = append(parts, "no IP yet")
	}
	if p.Spec.NodeName != "" {
		parts = append(parts, "node "+p.Spec.NodeName)
	}
	if p.Spec.HostNetwork {
		parts = append(parts, "hostNetwork")
	}
	return strings.Join(parts, ", ")
}

func declaredPorts(ports []policy.ContainerPort) string {
	var out []string
	for _, p := range ports {
		out = append(out, portLabel(p.Protocol, p.Number, p.Name))
	}
	return strings.Join(out, ", ")
}
