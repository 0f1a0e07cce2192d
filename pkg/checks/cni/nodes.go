package cni

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// cidrPlugins allocate pod addresses from the node's spec.podCIDR; a node
// without one gets no pod networking from them.
var cidrPlugins = map[string]bool{"flannel": true, "canal": true, "kindnet": true, "kube-router": true}

// CheckNodes (CNI006): nodes Ready and not NetworkUnavailable, with a pod
// CIDR when the plugin needs one.
func CheckNodes(f *Facts) report.Check {
	code := checks.CNINodes
	if f.NodesErr != nil && len(f.Nodes) == 0 {
		return code.FromError("reading nodes", f.NodesErr)
	}
	needCIDR := false
	for _, a := range f.Info.Agents {
		needCIDR = needCIDR || cidrPlugins[a.Plugin]
	}
	var bad []string
	c := code.New(report.Pass, "")
	for _, n := range f.Nodes {
		var problems []string
		ready, netUnavailable := condition(n, corev1.NodeReady), condition(n, corev1.NodeNetworkUnavailable)
		if ready == nil || ready.Status != corev1.ConditionTrue {
			msg := "not Ready"
			if ready != nil && ready.Message != "" {
				msg += ": " + ready.Message
			}
			problems = append(problems, msg)
		}
		if netUnavailable != nil && netUnavailable.Status == corev1.ConditionTrue {
			problems = append(problems, "NetworkUnavailable: "+netUnavailable.Reason+" "+netUnavailable.Message)
		}
		cidrs := n.Spec.PodCIDRs
		if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
			cidrs = []string{n.Spec.PodCIDR}
		}
		if needCIDR && len(cidrs) == 0 {
			problems = append(problems, "no pod CIDR assigned (the controller manager's --allocate-node-cidrs?)")
		}
		v := "Ready"
		if len(problems) > 0 {
			v = strings.Join(problems, "; ")
			bad = append(bad, n.Name+": "+v)
		}
		if len(cidrs) > 0 {
			v += ", podCIDR " + strings.Join(cidrs, ",")
		}
		c.Facts = append(c.Facts, report.Fact{Name: "node " + n.Name, Value: v})
		c.Objects = append(c.Objects, report.Object{Kind: "Node", Name: n.Name})
	}
	switch {
	case len(f.Nodes) == 0:
		c.Status, c.Message = report.Skip, "no nodes to check"
	case len(bad) > 0:
		c.Status, c.Message = report.Fail, fmt.Sprintf("%d of %d node(s) have network trouble: %s", len(bad), len(f.Nodes), bad[0])
		c.Next = []string{"kubectl describe node " + strings.SplitN(bad[0], ":", 2)[0]}
	default:
		c.Message = fmt.Sprintf("%d node(s) Ready with pod networking", len(f.Nodes))
	}
	return c
}

func condition(n corev1.Node, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == t {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}
