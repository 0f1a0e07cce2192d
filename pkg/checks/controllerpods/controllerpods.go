// Package controllerpods is what the procedures of traffic entering the
// cluster share about the pods of the controller that serves it (an
// ingress controller, a Gateway's data plane): finding them by labels with
// the evidence, their readiness and restarts, the Services in front of
// them, and the error lines of their recent logs that concern the object
// diagnosed. It gathers and summarises; the procedures judge.
package controllerpods

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
)

// Pod is a pod taken for the controller's, with why.
type Pod struct {
	Pod corev1.Pod
	// Evidence says why the pod is taken for the controller (labels,
	// image).
	Evidence string
}

// Query is one label selector to look for pods with, in one namespace or,
// when Namespace is "", in all of them.
type Query struct {
	Namespace, Selector string
}

// AllNamespaces are queries of every namespace, one per selector.
func AllNamespaces(selectors ...string) []Query {
	out := make([]Query, 0, len(selectors))
	for _, s := range selectors {
		out = append(out, Query{Selector: s})
	}
	return out
}

// Find lists the pods each query selects (server-side, concurrently), once
// each, sorted by namespace and name. exclude says why a matching pod is
// not the controller's: "" keeps it, "-" drops it silently, anything else
// drops it and lists it in excluded. evidence says why a kept pod is
// taken. err is set only when no pod was found and a list failed.
func Find(ctx context.Context, client kubernetes.Interface, queries []Query, exclude, evidence func(*corev1.Pod) string) (pods []Pod, excluded []string, err error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		seen = map[string]bool{}
	)
	for _, q := range queries {
		wg.Go(func() {
			list, err := client.CoreV1().Pods(q.Namespace).List(ctx, metav1.ListOptions{LabelSelector: q.Selector})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, kube.Read(kube.List("", "pods", q.Namespace), err))
				return
			}
			for _, p := range list.Items {
				key := p.Namespace + "/" + p.Name
				if seen[key] {
					continue
				}
				seen[key] = true
				if why := exclude(&p); why != "" {
					if why != "-" {
						excluded = append(excluded, key+" ("+why+")")
					}
					continue
				}
				pods = append(pods, Pod{Pod: p, Evidence: evidence(&p)})
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 && len(pods) == 0 {
		err = errs[0]
	}
	Sort(pods)
	sort.Strings(excluded)
	return pods, excluded, err
}

// NamesFrom derives the names the pods of a controller no one knows are
// likely labelled with from its controller string: for role "ingress",
// example.com/foo-controller gives foo-controller, foo, example; generic
// words (controller, gateway, ingress, domain labels) are left out.
func NamesFrom(controller, role string) []string {
	generic := map[string]bool{"": true, "ingress": true, "controller": true, "ingress-controller": true,
		"k8s": true, "io": true, "com": true, "org": true, "net": true, "www": true, "github": true, "kubernetes": true,
		"gateway": true, "gateway-controller": true, "gatewayclass-controller": true}
	domain, path, _ := strings.Cut(strings.ToLower(controller), "/")
	raw := strings.Split(path, "/")
	if label, _, _ := strings.Cut(domain, "."); label != "" {
		raw = append(raw, label)
	}
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !generic[s] && !seen[s] && len(out) < 6 {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, r := range raw {
		add(r)
		s := r
		for _, suffix := range []string{"-" + role + "-controller", "-controller", "-" + role} {
			s = strings.TrimSuffix(s, suffix)
		}
		s = strings.TrimPrefix(s, role+"-")
		add(s)
	}
	return out
}

// Sort orders pods by namespace and name.
func Sort(pods []Pod) {
	sort.Slice(pods, func(i, j int) bool {
		a, b := &pods[i].Pod, &pods[j].Pod
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// Ready are the ready pods.
func Ready(pods []Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for i := range pods {
		if podstatus.Ready(&pods[i].Pod) {
			out = append(out, &pods[i].Pod)
		}
	}
	return out
}

// Service is a Service that selects some of the controller's pods.
type Service struct {
	Svc  corev1.Service
	Pods int
}

// Services lists the Services of the pods' namespaces (the first three,
// in order) and keeps those that select some of the pods, sorted.
func Services(ctx context.Context, client kubernetes.Interface, pods []Pod) ([]Service, error) {
	namespaces := map[string]bool{}
	for _, p := range pods {
		namespaces[p.Pod.Namespace] = true
	}
	var nsList []string
	for ns := range namespaces {
		nsList = append(nsList, ns)
	}
	sort.Strings(nsList)
	if len(nsList) > 3 {
		nsList = nsList[:3]
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		out  []Service
		errs error
	)
	for _, ns := range nsList {
		wg.Go(func() {
			list, err := client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = errors.Join(errs, kube.Read(kube.List("", "services", ns), err))
				return
			}
			for _, svc := range list.Items {
				if n := SelectsPods(&svc, pods); n > 0 {
					out = append(out, Service{Svc: svc, Pods: n})
				}
			}
		})
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Svc, out[j].Svc
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out, errs
}

// SelectsPods counts the pods svc selects.
func SelectsPods(svc *corev1.Service, pods []Pod) int {
	if len(svc.Spec.Selector) == 0 {
		return 0
	}
	n := 0
	for _, p := range pods {
		if p.Pod.Namespace != svc.Namespace {
			continue
		}
		match := true
		for k, v := range svc.Spec.Selector {
			if p.Pod.Labels[k] != v {
				match = false
				break
			}
		}
		if match {
			n++
		}
	}
	return n
}

// DescribeService is one line about a Service in front of the controller:
// type, ClusterIP, ports, the pods it selects, its load-balancer address.
func DescribeService(svc *corev1.Service, pods int) string {
	var ports []string
	for _, p := range svc.Spec.Ports {
		s := fmt.Sprintf("%d/%s", p.Port, ProtocolOf(p.Protocol))
		if p.NodePort != 0 {
			s = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, ProtocolOf(p.Protocol))
		}
		ports = append(ports, s)
	}
	v := fmt.Sprintf("%s %s, ports %s, selects %d controller pod(s)", service.ServiceType(svc), svc.Spec.ClusterIP, strings.Join(ports, ", "), pods)
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		addr := service.LoadBalancerAddresses(svc)
		if len(addr) == 0 {
			v += ", no load-balancer address"
		} else {
			v += ", load-balancer address " + strings.Join(addr, ", ")
		}
	}
	if svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
		v += ", externalTrafficPolicy Local"
	}
	return v
}

// UsesHostNetwork says whether a pod listens on its node's network
// (hostNetwork, or a hostPort).
func UsesHostNetwork(pods []Pod) bool {
	for _, p := range pods {
		if p.Pod.Spec.HostNetwork {
			return true
		}
		for _, c := range p.Pod.Spec.Containers {
			for _, port := range c.Ports {
				if port.HostPort != 0 {
					return true
				}
			}
		}
	}
	return false
}

// ProtocolOf is a port's protocol, TCP when unset.
func ProtocolOf(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// State is one controller pod as reports show it (the Data of ING003 and
// GW003).
type State struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Ready     bool   `json:"ready"`
	Restarts  int32  `json:"restarts"`
	Node      string `json:"node,omitempty"`
	Image     string `json:"image,omitempty"`
	// Evidence says why the pod is taken for the controller (labels, image).
	Evidence string `json:"evidence,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Health is the state of the controller's pods.
type Health struct {
	Pods     []State
	NotReady []State
	// Restarted: pods with a container restart within RecentRestart, the
	// Reason saying how.
	Restarted []State
	// Facts: one line per pod.
	Facts []string
}

// RecentRestart is how recent a container restart must be to be reported.
const RecentRestart = time.Hour

// Summarize is the state of each pod; container names the container whose
// image is shown.
func Summarize(pods []Pod, now time.Time, container func(*corev1.Pod) string) Health {
	var h Health
	for _, cp := range pods {
		p := &cp.Pod
		st := podstatus.Of(p, nil, now)
		d := State{Namespace: p.Namespace, Name: p.Name, Ready: st.Ready, Restarts: st.Restarts, Node: st.Node,
			Image: ContainerImage(p, container(p)), Evidence: cp.Evidence, Reason: st.Reason}
		h.Pods = append(h.Pods, d)
		v := fmt.Sprintf("ready=%t, restarts=%d", d.Ready, d.Restarts)
		if d.Node != "" {
			v += ", node " + d.Node
		}
		if d.Image != "" {
			v += ", image " + d.Image
		}
		if d.Reason != "" {
			v += "; " + d.Reason
		}
		if d.Evidence != "" {
			v += "; by " + d.Evidence
		}
		h.Facts = append(h.Facts, v)
		if !d.Ready {
			h.NotReady = append(h.NotReady, d)
		}
		if why := LastRestart(p, now); why != "" {
			h.Restarted = append(h.Restarted, State{Namespace: p.Namespace, Name: p.Name, Reason: why})
		}
	}
	return h
}

// Namespaces lists the pods' namespaces, in order, once each.
func (h Health) Namespaces() string {
	var out []string
	for _, p := range h.Pods {
		if !contains(out, p.Namespace) {
			out = append(out, p.Namespace)
		}
	}
	return strings.Join(out, ", ")
}

// LastRestart describes a container restart within RecentRestart, or "".
func LastRestart(p *corev1.Pod, now time.Time) string {
	for _, cs := range p.Status.ContainerStatuses {
		t := cs.LastTerminationState.Terminated
		if t == nil || cs.RestartCount == 0 || t.FinishedAt.IsZero() || now.Sub(t.FinishedAt.Time) > RecentRestart {
			continue
		}
		return fmt.Sprintf("restarted %d time(s), last %s ago (%s, exit code %d)",
			cs.RestartCount, duration.HumanDuration(now.Sub(t.FinishedAt.Time)), t.Reason, t.ExitCode)
	}
	return ""
}

// ContainerImage is the image of the container named name.
func ContainerImage(p *corev1.Pod, name string) string {
	for _, c := range p.Spec.Containers {
		if c.Name == name {
			return c.Image
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
