package gateway

import (
	"fmt"
	"sort"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkClass (GW002): a Gateway is programmed only by the controller that
// accepted its GatewayClass. A missing class, or one no controller
// accepted, leaves every listener of the Gateway dark.
func checkClass(f *facts) report.Check {
	code := checks.GwClass
	name := string(f.gw.Spec.GatewayClassName)
	if f.classesErr != nil {
		return code.FromError("listing the GatewayClasses", f.classesErr)
	}
	names := make([]string, 0, len(f.classes))
	for _, c := range f.classes {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	cl := f.class
	if cl == nil {
		msg := fmt.Sprintf("GatewayClass %s does not exist: no controller programs this gateway, so nothing answers on its listeners", name)
		if similar := checks.SimilarNames(name, names, 2); len(similar) > 0 {
			msg += fmt.Sprintf("; did you mean %s?", strings.Join(similar, " or "))
		}
		c := code.New(report.Fail, "%s", msg)
		c.Facts = []report.Fact{{Name: "classes", Value: orNone(names)}}
		c.Next = []string{"kubectl get gatewayclasses", fmt.Sprintf(`kubectl -n %s patch gateway %s --type merge -p '{"spec":{"gatewayClassName":"<class>"}}'`, f.namespace, f.name)}
		return c
	}
	ctrl := string(cl.Spec.ControllerName)
	facts := []report.Fact{{Name: "controller", Value: describeControllerName(ctrl, f.dataPlane.Implementation)}}
	if p := cl.Spec.ParametersRef; p != nil {
		v := fmt.Sprintf("%s.%s/%s", p.Kind, p.Group, p.Name)
		if p.Namespace != nil {
			v += " in namespace " + string(*p.Namespace)
		}
		facts = append(facts, report.Fact{Name: "parameters", Value: v})
	}
	acc := condition(cl.Status.Conditions, string(gwv1.GatewayClassConditionStatusAccepted))
	facts = append(facts, report.Fact{Name: "Accepted", Value: describeCondition(acc)})
	if v := condition(cl.Status.Conditions, string(gwv1.GatewayClassConditionStatusSupportedVersion)); v != nil {
		facts = append(facts, report.Fact{Name: "SupportedVersion", Value: describeCondition(v)})
	}
	var c report.Check
	switch {
	case pending(acc):
		c = code.New(report.Fail, "GatewayClass %s has not been accepted by any controller (no Accepted condition from %s): is that controller installed and running?", name, ctrl)
		c.Next = []string{"kubectl get pods -A | grep -i gateway", fmt.Sprintf("kubectl describe gatewayclass %s", name)}
	case acc.Status != "True":
		c = code.New(report.Fail, "GatewayClass %s was not accepted by its controller: %s", name, describeCondition(acc))
		c.Next = []string{fmt.Sprintf("kubectl describe gatewayclass %s", name)}
	case acc.ObservedGeneration != 0 && acc.ObservedGeneration < cl.Generation:
		c = code.New(report.Warn, "GatewayClass %s was accepted, but its controller has not seen its latest spec yet (generation %d, condition of %d)", name, cl.Generation, acc.ObservedGeneration)
	case condition(cl.Status.Conditions, string(gwv1.GatewayClassConditionStatusSupportedVersion)) != nil &&
		condition(cl.Status.Conditions, string(gwv1.GatewayClassConditionStatusSupportedVersion)).Status == "False":
		c = code.New(report.Warn, "GatewayClass %s is accepted, but its controller does not support the Gateway API version of the installed CRDs: %s", name,
			describeCondition(condition(cl.Status.Conditions, string(gwv1.GatewayClassConditionStatusSupportedVersion))))
	default:
		c = code.New(report.Pass, "GatewayClass %s is accepted by controller %s", name, ctrl)
	}
	c.Facts = append(facts, c.Facts...)
	c.Objects = []report.Object{{Kind: "GatewayClass", Name: name}}
	return c
}

func describeControllerName(ctrl, impl string) string {
	if impl == "" {
		return ctrl + " (not an implementation netdebug knows; its pods are looked for by name)"
	}
	return fmt.Sprintf("%s (%s)", ctrl, impl)
}

func orNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}
