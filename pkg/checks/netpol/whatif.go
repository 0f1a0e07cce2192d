package netpol

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// maxChangeFacts bounds the changed flows listed as facts; Data has them all.
const maxChangeFacts = 50

// WhatIf is a change of policies to simulate. Against a cluster, each
// policy of Files adds to the world's or replaces the one with the same kind,
// namespace and name. Offline (Replace), Files are the whole world after the
// change, as a pull request's manifests are after its base: policies missing
// from them are removed, and pods keep the labels they have there.
type WhatIf struct {
	Files []string
	// Policies holds the policies of every kind read from Files; other
	// objects are ignored (against a cluster).
	Policies policy.Snapshot
	// Ignored counts the pods and workloads of the files, which what-if
	// against a cluster does not use.
	Ignored int
	// Replace is the world after the change (offline); Lenient as for
	// the base manifests (World.Lenient).
	Replace *manifest.Result
	Lenient bool
	// replaced is the engine of Replace, once built.
	replaced *policy.Engine
	// FailOnChange: any change of verdict is a problem (NP009 fails), as
	// for a matrix asked whether anything changes; else it warns.
	FailOnChange bool
}

// NewWhatIf keeps the policies of loaded manifests, to add to a cluster's.
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
			CalicoPolicies:             s.CalicoPolicies,
			Unjudged:                   s.Unjudged,
		},
		Ignored: len(s.Pods),
	}
}

// NewOfflineWhatIf compares manifests with the changed manifests res read
// from files: the world after the change is res alone.
func NewOfflineWhatIf(files []string, res *manifest.Result, lenient bool) *WhatIf {
	return &WhatIf{Files: files, Replace: res, Lenient: lenient}
}

// withPolicies builds the engine of the world after the change, and says
// what the change does ("adds NetworkPolicy shop/x"). The world's snapshot
// is not modified.
func (w *World) withPolicies(wi *WhatIf) (*policy.Engine, []string) {
	if wi.Replace != nil {
		after := wi.Replace.Snapshot
		wi.replaced = policy.New(after)
		return wi.replaced, append(policyDiff(w.Snapshot, after), podDiff(w.Snapshot, after)...)
	}
	after := w.Snapshot
	var actions []string
	after.NetworkPolicies = upsert(after.NetworkPolicies, wi.Policies.NetworkPolicies, &actions, networkPolicyID)
	after.AdminNetworkPolicies = upsert(after.AdminNetworkPolicies, wi.Policies.AdminNetworkPolicies, &actions, adminPolicyID)
	after.ClusterNetworkPolicies = upsert(after.ClusterNetworkPolicies, wi.Policies.ClusterNetworkPolicies, &actions, clusterPolicyID)
	after.CiliumPolicies = upsert(after.CiliumPolicies, wi.Policies.CiliumPolicies, &actions, ciliumPolicyID)
	after.CalicoPolicies = upsert(after.CalicoPolicies, wi.Policies.CalicoPolicies, &actions, calicoPolicyID)
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

func networkPolicyID(np networkingv1.NetworkPolicy) string {
	return "NetworkPolicy " + np.Namespace + "/" + np.Name
}
func adminPolicyID(a anp.AdminNetworkPolicy) string { return "AdminNetworkPolicy " + a.Name }
func clusterPolicyID(c cnp.ClusterNetworkPolicy) string {
	return "ClusterNetworkPolicy " + c.Name
}
func ciliumPolicyID(c policy.CiliumPolicy) string { return c.Ref().String() }
func calicoPolicyID(c policy.CalicoPolicy) string { return c.Ref().String() }

// policyDiff says which policies the after snapshot adds, removes or changes
// (any difference of labels, annotations or spec) against before, sorted.
func policyDiff(before, after policy.Snapshot) []string {
	b, a := policyIndex(before), policyIndex(after)
	var actions []string
	for id, obj := range a {
		switch old, ok := b[id]; {
		case !ok:
			actions = append(actions, "adds "+id)
		case !equality.Semantic.DeepEqual(old, obj):
			actions = append(actions, "changes "+id)
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			actions = append(actions, "removes "+id)
		}
	}
	sortActions(actions)
	return actions
}

// sortActions orders "VERB OBJECT..." by object, then verb.
func sortActions(actions []string) {
	slices.SortFunc(actions, func(x, y string) int {
		_, xs, _ := strings.Cut(x, " ")
		_, ys, _ := strings.Cut(y, " ")
		return cmp.Or(strings.Compare(xs, ys), strings.Compare(x, y))
	})
}

// podDiff says which pods (workloads stand for one) the after snapshot adds
// or removes, whose flows are not compared, and which pods and namespaces
// it relabels.
func podDiff(before, after policy.Snapshot) []string {
	index := func(s policy.Snapshot) map[string]map[string]string {
		m := map[string]map[string]string{}
		for _, p := range s.Pods {
			m["pod "+p.Namespace+"/"+p.Name] = p.Labels
		}
		for _, n := range s.Namespaces {
			m["namespace "+n.Name] = n.Labels
		}
		return m
	}
	b, a := index(before), index(after)
	var out []string
	for name, labels := range a {
		switch old, ok := b[name]; {
		case !ok && strings.HasPrefix(name, "pod "):
			out = append(out, "adds "+name+" (its flows are not compared: it has no before)")
		case ok && !maps.Equal(old, labels):
			out = append(out, "relabels "+name+": "+policy.FormatLabels(old)+" -> "+policy.FormatLabels(labels))
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok && strings.HasPrefix(name, "pod ") {
			out = append(out, "removes "+name+" (its flows are not compared: it has no after)")
		}
	}
	sortActions(out)
	return out
}

// policyIndex maps each policy of a snapshot, by kind and name, to what
// decides its meaning: labels and annotations (Calico and Cilium read some)
// and the spec. Status and bookkeeping metadata are left out.
func policyIndex(s policy.Snapshot) map[string]any {
	m := map[string]any{}
	type meaning struct {
		Labels, Annotations map[string]string
		Spec                any
	}
	for _, x := range s.NetworkPolicies {
		m[networkPolicyID(x)] = meaning{x.Labels, x.Annotations, x.Spec}
	}
	for _, x := range s.AdminNetworkPolicies {
		m[adminPolicyID(x)] = meaning{x.Labels, x.Annotations, x.Spec}
	}
	if x := s.BaselineAdminNetworkPolicy; x != nil {
		m["BaselineAdminNetworkPolicy "+x.Name] = meaning{x.Labels, x.Annotations, x.Spec}
	}
	for _, x := range s.ClusterNetworkPolicies {
		m[clusterPolicyID(x)] = meaning{x.Labels, x.Annotations, x.Spec}
	}
	for _, x := range s.CiliumPolicies {
		m[ciliumPolicyID(x)] = x
	}
	for _, x := range s.CalicoPolicies {
		m[calicoPolicyID(x)] = x
	}
	for _, x := range s.CalicoTiers {
		m["Calico Tier "+x.Name] = x
	}
	for _, x := range s.Unjudged {
		m[x.String()] = x
	}
	return m
}

// rejected lists the policies of the changed manifests that the API server
// would reject (and the engine ignores), with where they were read.
func (wi *WhatIf) rejected() []string {
	if wi.replaced == nil {
		return nil
	}
	var out []string
	for _, f := range wi.replaced.Warnings() {
		if f.Code != "InvalidPolicy" {
			continue
		}
		if src, ok := wi.Replace.Sources[f.Policy]; ok {
			f.Message += " (" + src + ")"
		}
		out = append(out, f.Message)
	}
	return out
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
	// Reason explains the new result, with the rule responsible (in a
	// matrix, the first maxExplainedChanges flows).
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

// maxExplainedChanges bounds the changed flows of a matrix whose new result
// is explained: each costs a full evaluation.
const maxExplainedChanges = 1000

// explainChanges gives the first changed flows of a matrix the reason of
// their new result, with the rule responsible.
func explainChanges(after *policy.Engine, pods []policy.PodRef, changes []FlowChangeData) {
	byName := make(map[string]policy.PodRef, len(pods))
	for _, p := range pods {
		byName[p.String()] = p
	}
	for i := range changes[:min(len(changes), maxExplainedChanges)] {
		ch := &changes[i]
		src, dst := byName[ch.From], byName[ch.To]
		port := intstr.FromInt32(ch.Port)
		if ch.Port == 0 {
			port = intstr.FromString(ch.PortName)
		}
		v := after.Evaluate(policy.Flow{Src: policy.PodEndpoint(src.Namespace, src.Name), Dst: policy.PodEndpoint(dst.Namespace, dst.Name),
			Protocol: corev1.Protocol(ch.Protocol), Port: port})
		ch.Reason = v.Reason
	}
}

// checkWhatIf (NP009): the flows whose verdict changes with the simulated
// policies. A change fails when wi.FailOnChange (as kubectl diff exits 1),
// else warns, so that the changed flows are listed: they are what the
// question is about.
func checkWhatIf(wi *WhatIf, actions []string, changes []FlowChangeData, total int, noun string) report.Check {
	code := checks.NPWhatIf
	with := "with the policies from " + strings.Join(wi.Files, ", ")
	if wi.Replace != nil {
		with = "with the manifests of " + strings.Join(wi.Files, ", ") + " instead"
	}
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
		c = code.New(report.Pass, "%s: no change on the %d %s", with, total, noun)
	} else {
		status := report.Warn
		if wi.FailOnChange {
			status = report.Fail
		}
		c = code.New(status, "%s: %d of %d %s change: %d newly allowed, %d no longer allowed", with, len(changes), total, noun, opened, cut)
		if other > 0 {
			c.Message += fmt.Sprintf(", %d other", other)
		}
		if wi.FailOnChange {
			c.Next = []string{"review the changed flows; if they are intended, pass --allow-changes"}
		}
	}
	if len(actions) == 0 && wi.Replace == nil {
		c.Status = report.Warn
		c.Message = fmt.Sprintf("%s holds no policy: nothing to simulate", strings.Join(wi.Files, ", "))
	}
	for i, a := range actions {
		if i == maxChangeFacts {
			c.Facts = append(c.Facts, report.Fact{Name: "simulated", Value: fmt.Sprintf("and %d more", len(actions)-i)})
			break
		}
		c.Facts = append(c.Facts, report.Fact{Name: "simulated", Value: a})
	}
	if wi.Ignored > 0 {
		c.Facts = append(c.Facts, report.Fact{Name: "ignored", Value: fmt.Sprintf("%d pod(s) or workload(s) in the files: what-if only adds or replaces policies", wi.Ignored)})
	}
	switch rejected := wi.rejected(); {
	case len(rejected) > 0 && wi.Lenient:
		if c.Status == report.Pass {
			c.Status = report.Warn
		}
		for _, r := range rejected {
			c.Facts = append(c.Facts, report.Fact{Name: "ignored", Value: r})
		}
	case len(rejected) > 0:
		// The changed manifests would not apply: as strict as the base.
		c.Status = report.Fail
		c.Message = fmt.Sprintf("%d polic(ies) of %s the API server would reject (kubectl apply would fail): %s", len(rejected), strings.Join(wi.Files, ", "), rejected[0])
		c.Next = []string{"fix the manifests, or pass --lenient to judge without them"}
		for _, r := range rejected {
			c.Facts = append(c.Facts, report.Fact{Name: "rejected", Value: r})
		}
	}
	for i, ch := range changes {
		if i == maxChangeFacts {
			c.Facts = append(c.Facts, report.Fact{Name: "changes", Value: fmt.Sprintf("and %d more (all in -o json)", len(changes)-i)})
			break
		}
		v := ch.String()
		if ch.Reason != "" {
			v += ": " + ch.Reason
		}
		c.Facts = append(c.Facts, report.Fact{Name: "change", Value: v})
	}
	if changes == nil {
		changes = []FlowChangeData{}
	}
	c.Data = changes
	return c
}
