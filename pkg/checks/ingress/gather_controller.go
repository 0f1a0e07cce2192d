package ingress

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
)

// controllerFacts is what is known about the controller of the class.
type controllerFacts struct {
	class classResolution
	kind  *controllerKind
	// names looked for when the controller is not a known one.
	names []string
	// selectors the pods were looked for with; empty when no search ran.
	selectors []string
	pods      []controllerPod
	podsErr   error
	// excluded: pods that matched but serve another controller class.
	excluded []string

	// Services of the pods' namespaces that select the pods.
	services    []serviceOfController
	servicesErr error

	logs []podLog
}

type controllerPod struct {
	pod      corev1.Pod
	evidence string
}

type serviceOfController struct {
	svc  corev1.Service
	pods int
}

func (c *controllerFacts) readyPods() []*corev1.Pod {
	var out []*corev1.Pod
	for i := range c.pods {
		if podstatus.Ready(&c.pods[i].pod) {
			out = append(out, &c.pods[i].pod)
		}
	}
	return out
}

// findControllerPods looks for the pods of the class's controller across
// the cluster, with server-side label selectors only: the labels its
// installations use when it is a known controller, else labels naming it.
func findControllerPods(ctx context.Context, client kubernetes.Interface, c *controllerFacts) {
	controller := c.class.controller()
	if controller == "" {
		return
	}
	c.kind = lookupController(controller)
	if c.kind != nil && c.kind.outside != "" {
		return
	}
	var appNames, apps, extra []string
	if c.kind != nil {
		appNames, apps, extra = c.kind.appNames, c.kind.apps, c.kind.extra
	} else {
		c.names = controllerNames(controller)
		appNames, apps = c.names, c.names
	}
	if len(appNames) > 0 {
		c.selectors = append(c.selectors, fmt.Sprintf("app.kubernetes.io/name in (%s)", strings.Join(appNames, ",")))
	}
	if len(apps) > 0 {
		c.selectors = append(c.selectors, fmt.Sprintf("app in (%s)", strings.Join(apps, ",")))
	}
	c.selectors = append(c.selectors, extra...)

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		seen = map[string]bool{}
	)
	for _, sel := range c.selectors {
		wg.Go(func() {
			list, err := client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{LabelSelector: sel})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, kube.Read(kube.List("", "pods", ""), err))
				return
			}
			for _, p := range list.Items {
				key := p.Namespace + "/" + p.Name
				if seen[key] {
					continue
				}
				seen[key] = true
				if why := excludePod(&p, c.kind, controller); why != "" {
					if why != "-" {
						c.excluded = append(c.excluded, key+" ("+why+")")
					}
					continue
				}
				c.pods = append(c.pods, controllerPod{pod: p, evidence: podEvidence(&p, appNames, apps, extra, c.names)})
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 && len(c.pods) == 0 {
		c.podsErr = errs[0]
	}
	sort.Slice(c.pods, func(i, j int) bool {
		a, b := &c.pods[i].pod, &c.pods[j].pod
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	sort.Strings(c.excluded)
}

// excludePod says why a matching pod is not the data plane of this class:
// "-" for pods not worth mentioning (Job pods such as admission-webhook
// setup, other components), a reason for pods of another controller class.
func excludePod(p *corev1.Pod, k *controllerKind, controller string) string {
	for _, o := range p.OwnerReferences {
		if o.Kind == "Job" {
			return "-"
		}
	}
	if k != nil && len(k.components) > 0 {
		if comp, ok := p.Labels["app.kubernetes.io/component"]; ok && !contains(k.components, comp) {
			return "-"
		}
	}
	if cc := podArg(p, "--controller-class"); cc != "" && cc != controller {
		return "serves controller class " + cc
	}
	return ""
}

// podArg is the value of a --flag=value argument of any container.
func podArg(p *corev1.Pod, flag string) string {
	for _, c := range p.Spec.Containers {
		for _, a := range append(append([]string{}, c.Command...), c.Args...) {
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				return v
			}
		}
	}
	return ""
}

// podEvidence says why a pod is taken for the controller.
func podEvidence(p *corev1.Pod, appNames, apps, extra, names []string) string {
	var parts []string
	if v, ok := p.Labels["app.kubernetes.io/name"]; ok && contains(appNames, v) {
		parts = append(parts, "label app.kubernetes.io/name="+v)
	}
	if v, ok := p.Labels["app"]; ok && contains(apps, v) {
		parts = append(parts, "label app="+v)
	}
	for _, sel := range extra {
		if k, v, ok := strings.Cut(sel, "="); ok && p.Labels[k] == v {
			parts = append(parts, "label "+sel)
		}
	}
	for _, c := range p.Spec.Containers {
		for _, n := range names {
			if strings.Contains(strings.ToLower(c.Image), n) {
				parts = append(parts, "image "+c.Image)
				break
			}
		}
	}
	return strings.Join(parts, ", ")
}

// controllerNames derives the names an unknown controller's pods are likely
// labelled with from its controller string: example.com/foo-controller
// gives foo-controller, foo, example.
func controllerNames(controller string) []string {
	generic := map[string]bool{"": true, "ingress": true, "controller": true, "ingress-controller": true,
		"k8s": true, "io": true, "com": true, "org": true, "net": true, "www": true, "github": true, "kubernetes": true, "gateway": true}
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
		for _, suffix := range []string{"-ingress-controller", "-controller", "-ingress"} {
			s = strings.TrimSuffix(s, suffix)
		}
		s = strings.TrimPrefix(s, "ingress-")
		add(s)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// gatherController reads, concurrently, the logs of a few controller pods
// and the Services of the controller's namespaces.
func gatherController(ctx context.Context, client kubernetes.Interface, f *facts, req Request) {
	c := &f.controller
	if len(c.pods) == 0 {
		return
	}
	var wg sync.WaitGroup
	namespaces := map[string]bool{}
	for _, p := range c.pods {
		namespaces[p.pod.Namespace] = true
	}
	var nsList []string
	for ns := range namespaces {
		nsList = append(nsList, ns)
	}
	sort.Strings(nsList)
	if len(nsList) > 3 {
		nsList = nsList[:3]
	}
	var mu sync.Mutex
	for _, ns := range nsList {
		wg.Go(func() {
			list, err := client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				c.servicesErr = errors.Join(c.servicesErr, kube.Read(kube.List("", "services", ns), err))
				return
			}
			for _, svc := range list.Items {
				if n := selectsPods(&svc, c.pods); n > 0 {
					c.services = append(c.services, serviceOfController{svc: svc, pods: n})
				}
			}
		})
	}
	logPods := logTargets(c.pods, 3)
	c.logs = make([]podLog, len(logPods))
	for i, p := range logPods {
		wg.Go(func() { c.logs[i] = readLog(ctx, client, p, c.kind, req.LogTimeout) })
	}
	wg.Wait()
	sort.Slice(c.services, func(i, j int) bool {
		a, b := c.services[i].svc, c.services[j].svc
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// selectsPods counts the controller pods svc selects.
func selectsPods(svc *corev1.Service, pods []controllerPod) int {
	if len(svc.Spec.Selector) == 0 {
		return 0
	}
	n := 0
	for _, p := range pods {
		if p.pod.Namespace != svc.Namespace {
			continue
		}
		match := true
		for k, v := range svc.Spec.Selector {
			if p.pod.Labels[k] != v {
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

// logTargets picks up to max pods whose logs are read, ready ones first.
func logTargets(pods []controllerPod, max int) []*corev1.Pod {
	var ready, other []*corev1.Pod
	for i := range pods {
		p := &pods[i].pod
		if podstatus.Ready(p) {
			ready = append(ready, p)
		} else {
			other = append(other, p)
		}
	}
	out := append(ready, other...)
	if len(out) > max {
		out = out[:max]
	}
	return out
}
