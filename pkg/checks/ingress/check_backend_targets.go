package ingress

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkBackendTargets (ING011): the backend port's targetPort resolves on
// the pods its Service selects, as the EndpointSlice controller resolves it;
// a pod where a named targetPort does not resolve gets no traffic.
func checkBackendTargets(f *facts, a *analysis) report.Check {
	code := checks.IngBackendTargets
	var facts []report.Fact
	var fails, warns []string
	var failing *backend
	checked := 0
	for _, b := range a.backends {
		if b.svcPort == nil || b.state == backendExternalName || len(b.svc.Spec.Selector) == 0 {
			continue
		}
		if b.podsErr != nil {
			return code.FromError("listing the backend pods", b.podsErr)
		}
		if b.targets == nil {
			facts = append(facts, report.Fact{Name: b.label(), Value: "no selected pods"})
			continue
		}
		checked++
		facts = append(facts, report.Fact{Name: b.label(), Value: b.targets.Summary})
		if b.targets.Problem == "" {
			continue
		}
		msg := fmt.Sprintf("service %s %s", b.service, b.targets.Problem)
		if b.targets.Fatal {
			fails = append(fails, msg)
			if failing == nil {
				failing = b
			}
		} else {
			warns = append(warns, msg)
		}
	}
	if checked == 0 {
		return code.Skipped("no backend pods to resolve target ports on")
	}
	var c report.Check
	switch {
	case len(fails) > 0:
		c = code.New(report.Fail, "%s", strings.Join(fails, "; "))
		c.Next = []string{fmt.Sprintf("kubectl -n %s get pods -l %s -o custom-columns='NAME:.metadata.name,PORTS:.spec.containers[*].ports[*]'",
			f.namespace, labels.SelectorFromSet(failing.svc.Spec.Selector))}
	case len(warns) > 0:
		c = code.New(report.Warn, "%s", strings.Join(warns, "; "))
	default:
		c = code.New(report.Pass, "every backend targetPort resolves on the selected pods")
	}
	c.Facts = facts
	return c
}
