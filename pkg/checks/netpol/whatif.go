package netpol

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// maxChangeFacts bounds the changed flows listed as facts; Data has them all.
const maxChangeFacts = 50

// WhatIf is a set of policies to simulate: each adds to the world's policies
// or replaces the one with the same kind, namespace and name.
type WhatIf struct {
	Files []string
	// Policies holds the policies of every kind read from Files; other
	// objects are ignored.
	Policies policy.Snapshot
	// Ignored counts the pods and workloads of the files, which what-if
	// does not use.
	Ignored int
}

// NewWhatIf keeps the policies of loaded manifests.
func NewWhatIf(files []string, res *manifest.Result) *WhatIf {
	s := res.Snapshot
	return &WhatIf{
		Files: files,
		Policies: policy.Snapshot{
			NetworkPolicies:            s.NetworkPolicies,
			AdminNetworkPolicies:       s.AdminNetworkPolicies,
			BaselineAdminNetworkPolicy: s.BaselineAdminNetworkPolicy,
			ClusterNetworkPolicies:     s.ClusterNetworkPolicies,
			CiliumPolicies:             s.CiliumPolicies,
			Unjudged:                   s.Unjudged,
		},
		Ignored: len(s.Pods),
	}
}

// withPolicies builds the engine of the world with the what-if policies, and
// says what each of them does ("adds NetworkPolicy shop/x"). The world's
// snapshot is not modified.
func (w *World) withPolicies(wi *WhatIf) (*policy.Engine, []string) {
	after := w.Snapshot
	var actions []string
	after.NetworkPolicies = upsert(after.NetworkPolicies, wi.Policies.NetworkPolicies, &actions, func(np networkingv1.NetworkPolicy) string {
		return "NetworkPolicy " + np.Namespace + "/" + np.Name
	})
	after.AdminNetworkPolicies = upsert(after.AdminNetworkPolicies, wi.Policies.AdminNetworkPolicies, &actions, func(a anp.AdminNetworkPolicy) string {
		return "AdminNetworkPolicy " + a.Name
	})
	after.ClusterNetworkPolicies = upsert(after.ClusterNetworkPolicies, wi.Policies.ClusterNetworkPolicies, &actions, func(c cnp.ClusterNetworkPolicy) string {
		return "ClusterNetworkPolicy " + c.Name
	})
	after.CiliumPolicies = upsert(after.CiliumPolicies, wi.Policies.CiliumPolicies, &actions, func(c policy.CiliumPolicy) string {
		return c.Ref().String()
	})
	after.Unjudged = upsert(after.Unjudged, wi.Policies.Unjudged, &actions, policy.UnjudgedPolicy.String)
	if b := wi.Policies.BaselineAdminNetworkPolicy; b != nil {
		if after.BaselineAdminNetworkPolicy != nil {
			actions = append(actions, "replaces BaselineAdminNetworkPolicy "+b.Name)
		} else {
			actions = append(actions, "adds BaselineAdminNetworkPolicy "+b.Name)
		}
		after.BaselineAdminNetworkPolicy = b
	}
	return policy.New(after), actions
}

// upsert adds each of more to a copy of list, replacing the object of the
// same identity (name, as kubectl apply would), and records what it did.
func upsert[T any](list, more []T, actions *[]string, id func(T) string) []T {
	out := slices.Clone(list)
	for _, x := range more {
		name := id(x)
		if i := slices.IndexFunc(out, func(y T) bool { return id(y) == name }); i >= 0 {
			out[i] = x
			*actions = append(*actions, "replaces "+name)
		} else {
			out = append(out, x)
			*actions = append(*actions, "adds "+name)
		}
	}
	return out
}

// FlowChangeData is a flow whose result changes in the what-if world.
type FlowChangeData struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int32  `json:"port"`
	PortName string `json:"portName,omitempty"`
	Protocol string `json:"protocol"`
	Before   string `json:"before"`
	After    string `json:"after"`
	// Reason explains the new result (flows of netpol SRC DST only).
	Reason string `json:"reason,omitempty"`
}

func (c FlowChangeData) String() string {
	return fmt.Sprintf("%s -> %s %s: %s -> %s", c.From, c.To, portLabel(corev1.Protocol(c.Protocol), c.Port, c.PortName), c.Before, c.After)
}

func flowChanges(fcs []policy.FlowChange, ports []Port) []FlowChangeData {
	out := make([]FlowChangeData, 0, len(fcs))
	for _, fc := range fcs {
		name := fc.After.Port.Name
		for _, p := range ports {
			if name == "" && p.Protocol == fc.After.Port.Protocol && p.Port.IntVal == fc.After.Port.Number {
				name = p.Name
			}
		}
		out = append(out, FlowChangeData{
			From: podText(fc.Flow.Src), To: podText(fc.Flow.Dst), Port: fc.After.Port.Number, PortName: name,
			Protocol: string(fc.After.Port.Protocol), Before: string(fc.Before.Result), After: string(fc.After.Result), Reason: fc.After.Reason,
		})
	}
	return out
}

// checkWhatIf (NP009): the flows whose verdict changes with the simulated
// policies. Any change warns, so that the changed flows are listed: they are
// what the question is about.
func checkWhatIf(wi *WhatIf, actions []string, changes []FlowChangeData, total int, noun string) report.Check {
	code := checks.NPWhatIf
	from := strings.Join(wi.Files, ", ")
	var cut, opened, other int
	for _, ch := range changes {
		switch {
		case ch.Before == string(policy.Allowed) && ch.After != string(policy.Allowed):
			cut++
		case ch.After == string(policy.Allowed):
			opened++
		default:
			other++
		}
	}
	var c report.Check
	if len(changes) == 0 {
		c = code.New(report.Pass, "with the policies from %s: no change on the %d %s", from, total, noun)
	} else {
		c = code.New(report.Warn, "with the policies from %s: %d of %d %s change: %d newly allowed, %d no longer allowed", from, len(changes), total, noun, opened, cut)
		if other > 0 {
			c.Message += fmt.Sprintf(", %d other", other)
		}
	}
	if len(actions) == 0 {
		c.Status = report.Warn
		c.Message = fmt.Sprintf("%s holds no NetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy: nothing to simulate", from)
	}
	for _, a := range actions {
		c.Facts = append(c.Facts, report.Fact{Name: "simulated", Value: a})
	}
	if wi.Ignored > 0 {
		c.Facts = append(c.Facts, report.Fact{Name: "ignored", Value: fmt.Sprintf("%d pod(s) or workload(s) in the files: what-if only adds or replaces policies", wi.Ignored)})
	}
	for i, ch := range changes {
		if i == maxChangeFacts {
			c.Facts = append(c.Facts, report.Fact{Name: "changes", Value: fmt.Sprintf("and %d more (all in -o json)", len(changes)-i)})
			break
		}
		c.Facts = append(c.Facts, report.Fact{Name: "change", Value: ch.String()})
	}
	if changes == nil {
		changes = []FlowChangeData{}
	}
	c.Data = changes
	return c
}
