package gateway

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/controllerpods"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// ControllerPod is one entry of GW003's Data: a pod of the Gateway's data
// plane or of its controller.
type ControllerPod struct {
	controllerpods.State
	// Role is "data plane", "controller", or "data plane, controller".
	Role string `json:"role"`
}

// checkController (GW003): the pods that carry the Gateway's traffic, and
// those of its controller, run and are ready.
func checkController(f *facts, a *analysis) report.Check {
	code := checks.GwController
	d := &f.dataPlane
	switch {
	case f.classesErr != nil && len(d.All()) == 0:
		return code.FromError("reading the GatewayClasses, which name the controller", f.classesErr)
	case f.class == nil && f.classesErr == nil:
		return code.Skipped("no GatewayClass %s, so its controller is unknown", f.gw.Spec.GatewayClassName)
	case d.Outside != "":
		c := code.New(report.Pass, "controller %s: %s; no pods are expected in the cluster", d.ControllerName, d.Outside)
		c.Next = []string{"check the load balancer in the cloud provider's console"}
		return c
	case d.Err != nil:
		return code.FromError("looking for the gateway's pods", d.Err)
	}
	var facts []report.Fact
	add := func(name, format string, args ...any) {
		facts = append(facts, report.Fact{Name: name, Value: fmt.Sprintf(format, args...)})
	}
	add("controller", "%s", describeControllerName(d.ControllerName, d.Implementation))
	for _, l := range d.Looked {
		add("looked for", "%s", l)
	}
	for _, ex := range d.Excluded {
		add("left out", "%s", ex)
	}
	all := d.All()
	name := d.Implementation
	if name == "" {
		name = "gateway"
	}
	if len(all) == 0 {
		var c report.Check
		if prog := condition(f.gw.Status.Conditions, string(gwv1.GatewayConditionProgrammed)); prog != nil && prog.Status == "True" {
			c = code.New(report.Warn, "no %s pods were found by the labels looked for; the gateway is programmed, so its data plane runs under other labels or outside the cluster", name)
		} else {
			c = code.New(report.Fail, "no %s pods were found and the gateway is not programmed: nothing serves gateway %s/%s", name, f.namespace, f.name)
		}
		c.Facts = facts
		c.Next = []string{fmt.Sprintf("kubectl get pods -A -l %s=%s", gwv1.GatewayNameLabelKey, f.name), "kubectl get pods -A -o wide | grep -i gateway"}
		return c
	}
	h := controllerpods.Summarize(all, f.now, containerFor)
	var data []ControllerPod
	for i, s := range h.Pods {
		role := roleOf(d, &all[i].Pod)
		data = append(data, ControllerPod{State: s, Role: role})
		add("pod "+s.Namespace+"/"+s.Name, "%s; %s", role, h.Facts[i])
	}
	var c report.Check
	readyData := len(d.ReadyDataPlane())
	switch {
	case len(d.Pods) > 0 && readyData == 0:
		nr := firstNotReady(h, d.Pods)
		c = code.New(report.Fail, "none of the %d %s data-plane pod(s) is ready, so requests to the gateway get no answer; %s/%s: %s", len(d.Pods), name, nr.Namespace, nr.Name, nr.Reason)
		c.Next = []string{fmt.Sprintf("kubectl -n %s describe pod %s", nr.Namespace, nr.Name)}
	case len(h.NotReady) == len(h.Pods):
		nr := h.NotReady[0]
		c = code.New(report.Fail, "none of the %d %s controller pod(s) is ready: changes to gateways and routes are not programmed; %s/%s: %s", len(h.Pods), name, nr.Namespace, nr.Name, nr.Reason)
		c.Next = []string{fmt.Sprintf("kubectl -n %s describe pod %s", nr.Namespace, nr.Name)}
	case len(h.NotReady) > 0:
		nr := h.NotReady[0]
		c = code.New(report.Warn, "%d of %d %s pod(s) are not ready; %s/%s: %s", len(h.NotReady), len(h.Pods), name, nr.Namespace, nr.Name, nr.Reason)
		c.Next = []string{fmt.Sprintf("kubectl -n %s describe pod %s", nr.Namespace, nr.Name)}
	case len(h.Restarted) > 0:
		rs := h.Restarted[0]
		c = code.New(report.Warn, "%s pod %s/%s %s", name, rs.Namespace, rs.Name, rs.Reason)
		c.Next = []string{fmt.Sprintf("kubectl -n %s logs %s --previous", rs.Namespace, rs.Name)}
	case len(d.Pods) == 0:
		c = code.New(report.Warn, "%d %s controller pod(s) ready in namespace %s, but no data-plane pod of this gateway was found: the live checks of `route` have no pod to probe from", len(h.Pods), name, h.Namespaces())
	default:
		c = code.New(report.Pass, "%d %s pod(s) ready in namespace %s", len(h.Pods), name, h.Namespaces())
		if d.ByService != "" {
			c.Message += fmt.Sprintf(" (found through service %s)", d.ByService)
		} else if d.Implementation == "" {
			c.Message += fmt.Sprintf(" (found by %s)", h.Pods[0].Evidence)
		}
	}
	c.Facts = facts
	for _, p := range data {
		c.Objects = append(c.Objects, report.Object{Kind: "Pod", Namespace: p.Namespace, Name: p.Name})
	}
	c.Data = data
	return c
}

func roleOf(d *DataPlane, p *corev1.Pod) string {
	var roles []string
	for i := range d.Pods {
		if samePod(&d.Pods[i].Pod, p) {
			roles = append(roles, "data plane")
			break
		}
	}
	for i := range d.Controllers {
		if samePod(&d.Controllers[i].Pod, p) {
			roles = append(roles, "controller")
			break
		}
	}
	return strings.Join(roles, ", ")
}

func firstNotReady(h controllerpods.Health, pods []controllerpods.Pod) controllerpods.State {
	for _, s := range h.NotReady {
		for i := range pods {
			if pods[i].Pod.Namespace == s.Namespace && pods[i].Pod.Name == s.Name {
				return s
			}
		}
	}
	return h.NotReady[0]
}

// checkControllerLogs (GW004): what the controller says about this
// Gateway's namespace and hostnames.
func checkControllerLogs(f *facts) report.Check {
	code := checks.GwControllerLogs
	d := &f.dataPlane
	if len(d.Logs) == 0 {
		switch {
		case f.class == nil:
			return code.Skipped("no GatewayClass, so no controller to read logs from")
		case d.Outside != "":
			return code.Skipped("not applicable: %s", d.Outside)
		case d.Err != nil:
			return code.Skipped("skipped: the gateway's pods could not be read")
		}
		return code.Skipped("no controller or data-plane pods to read logs from")
	}
	ns := f.namespace
	needles := []string{ns + "/", "namespace=" + ns, `"namespace":"` + ns + `"`}
	for i := range f.gw.Spec.Listeners {
		if h := f.gw.Spec.Listeners[i].Hostname; h != nil && !contains(needles, string(*h)) {
			needles = append(needles, string(*h))
		}
	}
	return controllerpods.LogsCheck(code, d.Logs, controllerpods.LogQuery{Needles: needles, About: "namespace " + ns, Grep: ns + "/"})
}
