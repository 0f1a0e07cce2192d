package service

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Endpoint is one address of the Service's EndpointSlices: the Data of SVC006.
type Endpoint struct {
	Slice       string `json:"slice"`
	Address     string `json:"address"`
	Pod         string `json:"pod,omitempty"`
	Node        string `json:"node,omitempty"`
	Ready       bool   `json:"ready"`
	Serving     bool   `json:"serving"`
	Terminating bool   `json:"terminating"`
}

// checkEndpoints (SVC006): the EndpointSlices are what kube-proxy and DNS
// really use. They should hold ready endpoints, and those should be the
// ready pods; when they disagree, the endpoint controller is lagging, stopped,
// or the slices are managed by hand and stale.
func checkEndpoints(f *facts) report.Check {
	code := checks.SvcEndpoints
	if f.svc.Spec.Type == corev1.ServiceTypeExternalName {
		return code.Skipped("not applicable: ExternalName services have no endpoints")
	}
	if f.slicesErr != nil {
		return code.FromError("listing the service's EndpointSlices", f.slicesErr)
	}
	eps := endpointsOf(f.slices)
	var ready []Endpoint
	for _, e := range eps {
		if e.Ready {
			ready = append(ready, e)
		}
	}
	selectorless := len(f.svc.Spec.Selector) == 0
	readyPods := readyPodIPs(f.pods)

	var c report.Check
	switch {
	case len(f.slices) == 0 && selectorless:
		c = code.New(report.Fail, "the service has no selector and no EndpointSlices: nothing receives its traffic")
		c.Next = []string{fmt.Sprintf("create an EndpointSlice in %s labelled %s=%s", f.namespace, discoveryv1.LabelServiceName, f.name)}
	case len(f.slices) == 0 && len(readyPods) > 0:
		c = code.New(report.Fail, "%d ready pod(s) are selected but the service has no EndpointSlices: is the endpointslice controller (kube-controller-manager) running?", len(readyPods))
		c.Next = []string{"kubectl -n kube-system get pods -l component=kube-controller-manager"}
	case len(eps) == 0:
		c = code.New(report.Fail, "the service has no endpoints: connections to it are refused or time out")
	case len(ready) == 0:
		c = code.New(report.Fail, "the service has no ready endpoints (%d not ready): connections to it are refused or time out", len(eps))
		if len(f.pods) > 0 {
			c.Next = []string{fmt.Sprintf("kubectl -n %s get endpointslices -l %s=%s -o wide", f.namespace, discoveryv1.LabelServiceName, f.name)}
		}
	default:
		c = agreement(code, f, ready, readyPods, selectorless)
	}
	for _, e := range eps {
		c.Facts = append(c.Facts, report.Fact{Name: "endpoint " + e.Address, Value: describeEndpoint(e)})
	}
	for _, s := range f.slices {
		c.Objects = append(c.Objects, report.Object{Kind: "EndpointSlice", Namespace: s.Namespace, Name: s.Name})
	}
	c.Data = eps
	return c
}

// agreement compares ready endpoints with ready pods when both exist.
func agreement(code checks.Code, f *facts, ready []Endpoint, readyPods map[string][]string, selectorless bool) report.Check {
	if selectorless {
		return code.New(report.Pass, "%d ready endpoint(s) in %d hand-managed EndpointSlice(s)", len(ready), len(f.slices))
	}
	if f.podsErr != nil {
		return code.New(report.Pass, "%d ready endpoint(s) in %d EndpointSlice(s); not compared with the pods, which could not be read", len(ready), len(f.slices))
	}
	podIPs := map[string]bool{}
	for _, ips := range readyPods {
		for _, ip := range ips {
			podIPs[ip] = true
		}
	}
	inSlices := map[string]bool{}
	var stale []string
	for _, e := range ready {
		inSlices[e.Address] = true
		if !podIPs[e.Address] {
			stale = append(stale, e.Address+podSuffix(e.Pod))
		}
	}
	// A dual-stack pod is in the endpoints when any of its IPs is: the
	// service may use one IP family only.
	var missing []string
	for name, ips := range readyPods {
		if !slices.ContainsFunc(ips, func(ip string) bool { return inSlices[ip] }) {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("ready pod(s) %s are not ready endpoints yet", strings.Join(missing, ", ")))
	}
	if len(stale) > 0 {
		problems = append(problems, fmt.Sprintf("ready endpoint(s) %s are not ready selected pods (stale slices?)", strings.Join(stale, ", ")))
	}
	if len(problems) > 0 {
		c := code.New(report.Warn, "%d ready endpoint(s), but %s", len(ready), strings.Join(problems, "; "))
		c.Next = []string{"EndpointSlices lag pod changes by a moment; if this persists, check kube-controller-manager's logs"}
		return c
	}
	return code.New(report.Pass, "%d ready endpoint(s) in %d EndpointSlice(s), matching the ready pods", len(ready), len(f.slices))
}

func endpointsOf(slices []discoveryv1.EndpointSlice) []Endpoint {
	var out []Endpoint
	for _, s := range slices {
		for _, ep := range s.Endpoints {
			for _, addr := range ep.Addresses {
				e := Endpoint{
					Slice:       s.Name,
					Address:     addr,
					Ready:       ep.Conditions.Ready == nil || *ep.Conditions.Ready, // nil means ready, per the API
					Serving:     ep.Conditions.Serving == nil || *ep.Conditions.Serving,
					Terminating: ep.Conditions.Terminating != nil && *ep.Conditions.Terminating,
				}
				if ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
					e.Pod = ep.TargetRef.Name
				}
				if ep.NodeName != nil {
					e.Node = *ep.NodeName
				}
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Address != out[j].Address {
			return out[i].Address < out[j].Address
		}
		return out[i].Slice < out[j].Slice
	})
	return out
}

func describeEndpoint(e Endpoint) string {
	v := fmt.Sprintf("ready=%t serving=%t terminating=%t", e.Ready, e.Serving, e.Terminating)
	if e.Pod != "" {
		v += ", pod " + e.Pod
	}
	if e.Node != "" {
		v += ", node " + e.Node
	}
	return v
}

// readyPodIPs maps each ready selected pod that has an IP to its IPs.
func readyPodIPs(pods []corev1.Pod) map[string][]string {
	out := map[string][]string{}
	for i := range pods {
		p := &pods[i]
		if !podstatus.Ready(p) {
			continue
		}
		ips := []string{}
		if p.Status.PodIP != "" {
			ips = append(ips, p.Status.PodIP)
		}
		for _, ip := range p.Status.PodIPs {
			if ip.IP != p.Status.PodIP {
				ips = append(ips, ip.IP)
			}
		}
		if len(ips) > 0 {
			out[p.Name] = ips
		}
	}
	return out
}

func podSuffix(pod string) string {
	if pod == "" {
		return ""
	}
	return " (pod " + pod + ")"
}
