package ingress

import (
	"context"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/controllerpods"
)

// controllerFacts is what is known about the controller of the class.
type controllerFacts struct {
	class classResolution
	kind  *controllerKind
	// names looked for when the controller is not a known one.
	names []string
	// selectors the pods were looked for with; empty when no search ran.
	selectors []string
	pods      []controllerpods.Pod
	podsErr   error
	// excluded: pods that matched but serve another controller class.
	excluded []string

	// Services of the pods' namespaces that select the pods.
	services    []controllerpods.Service
	servicesErr error

	logs []controllerpods.Log
}

func (c *controllerFacts) readyPods() []*corev1.Pod { return controllerpods.Ready(c.pods) }

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
		c.names = controllerpods.NamesFrom(controller, "ingress")
		appNames, apps = c.names, c.names
	}
	if len(appNames) > 0 {
		c.selectors = append(c.selectors, fmt.Sprintf("app.kubernetes.io/name in (%s)", strings.Join(appNames, ",")))
	}
	if len(apps) > 0 {
		c.selectors = append(c.selectors, fmt.Sprintf("app in (%s)", strings.Join(apps, ",")))
	}
	c.selectors = append(c.selectors, extra...)

	c.pods, c.excluded, c.podsErr = controllerpods.Find(ctx, client, controllerpods.AllNamespaces(c.selectors...),
		func(p *corev1.Pod) string { return excludePod(p, c.kind, controller) },
		func(p *corev1.Pod) string { return podEvidence(p, appNames, apps, extra, c.names) })
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
	wg.Go(func() { c.services, c.servicesErr = controllerpods.Services(ctx, client, c.pods) })
	wg.Go(func() {
		c.logs = controllerpods.ReadLogs(ctx, client, c.pods, 3, func(p *corev1.Pod) string { return controllerContainer(p, c.kind) }, req.LogTimeout)
	})
	wg.Wait()
}
