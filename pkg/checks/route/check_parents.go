package route

import (
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// ParentState is one entry of RT002's Data: a parentRef, judged.
type ParentState struct {
	Parent string `json:"parent"`
	// Accepted and Reason are netdebug's judgement, as a controller would
	// decide (Accepted, NoMatchingParent, NotAllowedByListeners,
	// NoMatchingListenerHostname).
	Accepted  bool     `json:"accepted"`
	Reason    string   `json:"reason"`
	Message   string   `json:"message"`
	Listeners []string `json:"listeners,omitempty"`
	// The controller's conditions for the parentRef, "" when it wrote
	// none.
	ControllerAccepted string `json:"controllerAccepted,omitempty"`
	AcceptedReason     string `json:"acceptedReason,omitempty"`
	ResolvedRefs       string `json:"resolvedRefs,omitempty"`
	ResolvedRefsReason string `json:"resolvedRefsReason,omitempty"`
	Controller         string `json:"controller,omitempty"`
}

// checkParents (RT002): each parent accepts the route, as netdebug judges
// it and as the controller says.
func checkParents(f *facts, a *analysis) report.Check {
	code := checks.RtParents
	rt := f.route
	if len(rt.ParentRefs) == 0 {
		c := code.New(report.Fail, "%s names no parentRef: it is attached to no Gateway and serves nothing", rt.Label())
		c.Next = []string{fmt.Sprintf("kubectl -n %s edit %s %s", rt.Namespace, strings.ToLower(rt.Kind), rt.Name)}
		return c
	}
	if len(a.refs) == 0 {
		var names []string
		for _, ref := range rt.ParentRefs {
			names = append(names, routing.DescribeParentRef(ref, rt.Namespace))
		}
		p := a.parents[0]
		c := code.New(report.Fail, "%s does not name gateway %s as a parent (its parents: %s): the gateway does not serve it", rt.Label(), p.key, strings.Join(names, "; "))
		c.Data = []ParentState{{Parent: "gateway " + p.key, Reason: string(gwv1.RouteReasonNoMatchingParent), Message: "not a parentRef of the route"}}
		return c
	}
	var facts []report.Fact
	var data []ParentState
	var fails, warns []string
	var next []string
	for _, pr := range a.refs {
		name := fmt.Sprintf("parentRef %d", pr.index+1)
		d := ParentState{Parent: routing.DescribeParentRef(pr.ref, rt.Namespace)}
		pg := f.gateways[pr.gwKey]
		pls := f.listenerSets[pr.lsKey]
		if pr.lsKey != "" && pr.gwKey != "" {
			d.Parent += " (of gateway " + pr.gwKey + ")"
		}
		switch {
		case pr.lsKey != "" && (pls == nil || pls.ls == nil):
			d.Reason = string(gwv1.RouteReasonNoMatchingParent)
			switch {
			case pls != nil && errors.Is(pls.err, gatewayapi.ErrNotServed):
				d.Message = "the cluster does not serve ListenerSet"
				fails = append(fails, fmt.Sprintf("%s: the cluster does not serve ListenerSet (%s.%s): listenerset %s cannot exist (NoMatchingParent)", name, gatewayapi.ListenerSets, gatewayapi.Group, pr.lsKey))
			case pls != nil && pls.err != nil && !apierrors.IsNotFound(pls.err):
				d.Message = "the listenerset could not be read: " + pls.err.Error()
				warns = append(warns, fmt.Sprintf("%s: listenerset %s could not be read: %s", name, pr.lsKey, pls.err))
			default:
				d.Message = fmt.Sprintf("listenerset %s does not exist", pr.lsKey)
				fails = append(fails, fmt.Sprintf("%s: listenerset %s does not exist (NoMatchingParent): the route is served by no gateway there", name, pr.lsKey))
				next = append(next, "kubectl get listenersets -A")
			}
		case pr.lsKey != "" && pr.gwKey == "":
			d.Reason, d.Message = "NotAGateway", "the listenerset's parentRef names no Gateway: not diagnosed"
			warns = append(warns, fmt.Sprintf("%s (%s): the listenerset's parentRef names no Gateway: not diagnosed", name, d.Parent))
		case pr.gwKey == "":
			d.Reason, d.Message = "NotAGateway", "a parent of another kind (a Service, for a mesh): not diagnosed"
			warns = append(warns, fmt.Sprintf("%s (%s) is not a Gateway: not diagnosed", name, d.Parent))
		case pg == nil || pg.gw == nil:
			d.Reason = string(gwv1.RouteReasonNoMatchingParent)
			switch {
			case pg != nil && pg.err != nil && !apierrors.IsNotFound(pg.err):
				d.Message = "the gateway could not be read: " + pg.err.Error()
				warns = append(warns, fmt.Sprintf("%s: gateway %s could not be read: %s", name, pr.gwKey, pg.err))
			default:
				d.Message = fmt.Sprintf("gateway %s does not exist", pr.gwKey)
				fails = append(fails, fmt.Sprintf("%s: gateway %s does not exist (NoMatchingParent): the route is served by no gateway there", name, pr.gwKey))
				next = append(next, "kubectl get gateways -A")
			}
		case pr.att != nil:
			d.Accepted, d.Reason, d.Message = pr.att.Accepted, string(pr.att.Reason), pr.att.Message
			for _, v := range pr.att.Listeners {
				if v.Accepted {
					d.Listeners = append(d.Listeners, v.Listener)
				}
			}
			if !pr.att.Accepted {
				fails = append(fails, fmt.Sprintf("%s (%s) does not accept the route: %s (%s)", name, d.Parent, pr.att.Message, pr.att.Reason))
				next = append(next, fmt.Sprintf("kubectl netdebug gateway %s", pr.gwKey))
			}
			if pg.class == nil && f.classesErr == nil {
				warns = append(warns, fmt.Sprintf("gateway %s has GatewayClass %s, which does not exist: nothing serves it", pr.gwKey, pg.gw.Spec.GatewayClassName))
				next = append(next, fmt.Sprintf("kubectl netdebug gateway %s", pr.gwKey))
			}
		}
		var notes []report.Fact
		if st := pr.status; st != nil {
			d.Controller = string(st.ControllerName)
			if c := condOf(st.Conditions, gwv1.RouteConditionAccepted); c != nil {
				d.ControllerAccepted, d.AcceptedReason = string(c.Status), c.Reason
				if c.Status == "False" && (pr.att == nil || pr.att.Accepted || string(pr.att.Reason) != c.Reason) {
					fails = append(fails, fmt.Sprintf("%s: the controller did not accept the route: %s (%s)", name, oneLineMsg(c.Message, c.Reason), c.Reason))
				}
			}
			if c := condOf(st.Conditions, gwv1.RouteConditionResolvedRefs); c != nil {
				d.ResolvedRefs, d.ResolvedRefsReason = string(c.Status), c.Reason
				if c.Status == "False" {
					fails = append(fails, fmt.Sprintf("%s: the controller could not resolve the route's references: %s (%s)", name, oneLineMsg(c.Message, c.Reason), c.Reason))
				}
			}
			if d.ControllerAccepted == "True" && !d.Accepted && pr.att != nil {
				notes = append(notes, report.Fact{Name: "  note", Value: "the controller accepts it, netdebug does not: an implementation-specific rule, or the gateway changed since"})
			}
			if d.ControllerAccepted == "False" && d.Accepted {
				notes = append(notes, report.Fact{Name: "  note", Value: fmt.Sprintf("netdebug finds the listeners admit it; the controller says %s", d.AcceptedReason)})
			}
		} else if pr.gwKey != "" && pg != nil && pg.gw != nil {
			warns = append(warns, fmt.Sprintf("%s: no controller has written status for gateway %s: is the controller of class %s running, and does it watch namespace %s?", name, pr.gwKey, pg.gw.Spec.GatewayClassName, rt.Namespace))
		}
		v := fmt.Sprintf("netdebug: %s", describeParent(d))
		if d.Controller != "" {
			v += fmt.Sprintf("; controller %s: Accepted %s (%s), ResolvedRefs %s (%s)", d.Controller, orDash(d.ControllerAccepted), orDash(d.AcceptedReason), orDash(d.ResolvedRefs), orDash(d.ResolvedRefsReason))
		} else {
			v += "; no controller status"
		}
		facts = append(facts, report.Fact{Name: name + " " + d.Parent, Value: v})
		facts = append(facts, notes...)
		data = append(data, d)
	}
	var c report.Check
	switch {
	case len(fails) > 0:
		c = code.New(report.Fail, "%s", fails[0])
		if len(fails) > 1 {
			c.Message += fmt.Sprintf("; %d more problem(s) with its parents", len(fails)-1)
		}
	case len(warns) > 0:
		c = code.New(report.Warn, "%s", warns[0])
	default:
		c = code.New(report.Pass, "every parent accepts the route (%s)", acceptedSummary(data))
	}
	if len(next) > 0 {
		c.Next = next[:1]
	}
	c.Facts = facts
	c.Data = data
	return c
}

func describeParent(d ParentState) string {
	if d.Accepted {
		return "accepted by listener(s) " + strings.Join(d.Listeners, ", ")
	}
	return fmt.Sprintf("not accepted: %s (%s)", d.Message, d.Reason)
}

func acceptedSummary(data []ParentState) string {
	var parts []string
	for _, d := range data {
		if d.Accepted {
			parts = append(parts, fmt.Sprintf("%s: %s", d.Parent, strings.Join(d.Listeners, ", ")))
		}
	}
	return strings.Join(parts, "; ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLineMsg(msg, reason string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if msg == "" {
		return reason
	}
	return msg
}
