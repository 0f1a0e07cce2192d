package ingress

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/controllerpods"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// ControllerPod is the Data of ING003, one entry per controller pod found.
type ControllerPod = controllerpods.State

// checkController (ING003): the controller named by the class runs and is
// ready. Known controllers are found by the labels their installations use,
// others by labels carrying their name; either way with the evidence.
func checkController(f *facts, a *analysis, now time.Time) report.Check {
	code := checks.IngController
	c := &f.controller
	r := c.class
	switch {
	case f.classesErr != nil:
		return code.Skipped("skipped: the IngressClasses could not be read, so the controller is unknown")
	case r.class == nil && r.name == "":
		return code.Skipped("no IngressClass applies, so no controller is bound to this ingress")
	case r.class == nil:
		return code.Skipped("no IngressClass %s, so its controller is unknown", r.name)
	case c.kind != nil && c.kind.outside != "":
		chk := code.New(report.Pass, "controller %s: %s; no pods are expected in the cluster", r.class.Spec.Controller, c.kind.outside)
		chk.Next = []string{"check the load balancer in the cloud provider's console"}
		return chk
	case c.podsErr != nil:
		return code.FromError("looking for the controller's pods", c.podsErr)
	case len(c.selectors) == 0:
		return code.New(report.Warn, "controller %s is not one netdebug knows, and its name gives no label to look for its pods by", r.class.Spec.Controller)
	}

	var facts []report.Fact
	add := func(name, format string, args ...any) {
		facts = append(facts, report.Fact{Name: name, Value: fmt.Sprintf(format, args...)})
	}
	add("controller", "%s", describeController(r.class.Spec.Controller, c.kind))
	add("looked for", "pods labelled %s, in all namespaces", strings.Join(c.selectors, " or "))
	for _, ex := range c.excluded {
		add("left out", "%s", ex)
	}
	if len(c.pods) == 0 {
		var chk report.Check
		switch {
		case a.controller.down:
			chk = code.New(report.Fail, "no %s pods were found and the ingress has no address: nothing serves class %s, so its hosts get no answer", c.kind.name, r.name)
		case c.kind != nil:
			chk = code.New(report.Warn, "no %s pods were found by the labels its installations use; it may run under other labels", c.kind.name)
		default:
			chk = code.New(report.Warn, "controller %s is not one netdebug knows, and no pods labelled with its name (%s) were found",
				r.class.Spec.Controller, strings.Join(c.names, ", "))
		}
		chk.Facts = facts
		chk.Next = []string{fmt.Sprintf("kubectl get pods -A -l '%s'", c.selectors[0]), "kubectl get pods -A -o wide | grep -i ingress"}
		return chk
	}

	h := controllerpods.Summarize(c.pods, now, func(p *corev1.Pod) string { return controllerContainer(p, c.kind) })
	for i, d := range h.Pods {
		add("pod "+d.Namespace+"/"+d.Name, "%s", h.Facts[i])
	}
	data, notReady, restarted := h.Pods, h.NotReady, h.Restarted
	name := "controller"
	if c.kind != nil {
		name = c.kind.name
	}
	var chk report.Check
	switch {
	case len(notReady) == len(data):
		chk = code.New(report.Fail, "none of the %d %s pod(s) is ready, so requests to the ingress get no answer; %s/%s: %s",
			len(data), name, notReady[0].Namespace, notReady[0].Name, notReady[0].Reason)
		chk.Next = []string{fmt.Sprintf("kubectl -n %s describe pod %s", notReady[0].Namespace, notReady[0].Name)}
	case len(notReady) > 0:
		chk = code.New(report.Warn, "%d of %d %s pod(s) are not ready; %s/%s: %s",
			len(notReady), len(data), name, notReady[0].Namespace, notReady[0].Name, notReady[0].Reason)
		chk.Next = []string{fmt.Sprintf("kubectl -n %s describe pod %s", notReady[0].Namespace, notReady[0].Name)}
	case len(restarted) > 0:
		rs := restarted[0]
		chk = code.New(report.Warn, "%s pod %s/%s %s", name, rs.Namespace, rs.Name, rs.Reason)
		chk.Next = []string{fmt.Sprintf("kubectl -n %s logs %s --previous", rs.Namespace, rs.Name)}
	default:
		chk = code.New(report.Pass, "%d %s pod(s) ready in namespace %s", len(data), name, h.Namespaces())
		if c.kind == nil {
			chk.Message += fmt.Sprintf(" (found by %s)", data[0].Evidence)
		}
	}
	chk.Facts = facts
	for _, d := range data {
		chk.Objects = append(chk.Objects, report.Object{Kind: "Pod", Namespace: d.Namespace, Name: d.Name})
	}
	chk.Data = data
	return chk
}
