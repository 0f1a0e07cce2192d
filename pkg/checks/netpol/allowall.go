package netpol

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/cnidetect"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

// Labels and annotations of the temporary policies netdebug creates.
const (
	LabelManagedBy      = "app.kubernetes.io/managed-by"
	ManagedBy           = "kubectl-netdebug"
	LabelPurpose        = "netdebug.io/purpose"
	PurposeAllowAll     = "allow-all"
	AnnotationExpiresAt = "netdebug.io/expires-at"
	AnnotationPod       = "netdebug.io/pod"
	AnnotationNote      = "netdebug.io/note"
	allowAllPrefix      = "netdebug-allow-all-"
	// MaxTTL bounds --ttl: the policy opens the pod to everything.
	MaxTTL = time.Hour
)

// AllowAllName is the policy's name for a pod: a DNS subdomain of at most
// 253 characters.
func AllowAllName(pod string) string {
	name := allowAllPrefix + pod
	if len(name) > 253 {
		name = strings.TrimRight(name[:253], "-.")
	}
	return name
}

// AllowAllPolicy allows all ingress and egress of the pods that carry every
// label of pod, and carries its expiry.
func AllowAllPolicy(pod *corev1.Pod, expires time.Time) *networkingv1.NetworkPolicy {
	name := AllowAllName(pod.Name)
	return &networkingv1.NetworkPolicy{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: pod.Namespace,
			Labels:    map[string]string{LabelManagedBy: ManagedBy, LabelPurpose: PurposeAllowAll},
			Annotations: map[string]string{
				AnnotationExpiresAt: expires.UTC().Format(time.RFC3339),
				AnnotationPod:       pod.Name,
				AnnotationNote:      fmt.Sprintf("temporary test: allows all traffic of pod %s; must not stay: kubectl -n %s delete networkpolicy %s", pod.Name, pod.Namespace, name),
			},
		},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: maps.Clone(pod.Labels)},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{}},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{}},
		},
	}
}

// AllowAllPlan is what allow-all would create and what the user must know
// first.
type AllowAllPlan struct {
	Pod    *corev1.Pod
	Policy *networkingv1.NetworkPolicy
	TTL    time.Duration
	// AlsoSelected are the other pods of the namespace with the same
	// labels: the policy opens them too.
	AlsoSelected []string
	// Warnings, most important first: what the user must know.
	Warnings []string
	// World holds the pod's policies and the network plugin.
	World *World
}

// AllowAllRequest is `netpol allow-all POD`.
type AllowAllRequest struct {
	// Pod is a pod, or a workload standing for one of its ready pods.
	Pod       target.Ref
	Namespace string // of a Pod given without one
	TTL       time.Duration
	Now       time.Time
}

// PlanAllowAll reads the pod, the other pods its labels select, the policies
// that apply to it and the network plugin: everything the dry run shows and
// pkg/actions needs to apply it. It changes nothing. A pod without labels is
// refused: a policy cannot select it alone.
func PlanAllowAll(ctx context.Context, c kube.Clients, req AllowAllRequest) (*AllowAllPlan, error) {
	client, dyn, ttl, now := c.Typed, c.Dynamic, req.TTL, req.Now
	ref := policy.PodRef{Namespace: req.Pod.Namespace, Name: req.Pod.Name}
	if ref.Namespace == "" {
		ref.Namespace = req.Namespace
	}
	if req.Pod.Kind != "pod" {
		pod, err := target.Resolve(ctx, client, req.Pod, req.Namespace)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", req.Pod, err)
		}
		ref = policy.PodRef{Namespace: pod.Namespace, Name: pod.Name}
	}
	pod, err := client.CoreV1().Pods(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("pod %s does not exist", ref)
	}
	if err != nil {
		return nil, kube.Read(kube.Get("", "pods", ref.Namespace), err)
	}
	if len(pod.Labels) == 0 {
		return nil, fmt.Errorf("pod %s has no labels: a NetworkPolicy cannot select it alone (an empty podSelector selects every pod of namespace %s); label it first (kubectl -n %s label pod %s netdebug=test)", ref, ref.Namespace, ref.Namespace, ref.Name)
	}
	plan := &AllowAllPlan{Pod: pod, Policy: AllowAllPolicy(pod, now.Add(ttl)), TTL: ttl}
	var selected *corev1.PodList
	var selErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		selected, selErr = client.CoreV1().Pods(ref.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(pod.Labels).String()})
	}()
	w, err := Gather(ctx, client, dyn, GatherRequest{Known: []corev1.Pod{*pod}})
	<-done
	if err != nil {
		return nil, err
	}
	plan.World = w
	plan.Warnings = append(plan.Warnings, fmt.Sprintf("this policy allows ALL ingress and egress of the pods it selects: it is a temporary test and must not stay (kubectl -n %s delete networkpolicy %s)", ref.Namespace, plan.Policy.Name))
	if pod.Spec.HostNetwork {
		plan.Warnings = append(plan.Warnings, "the pod uses the host network: most network plugins do not apply NetworkPolicy to it, so this test likely changes nothing")
	}
	switch {
	case w.CNIErr != nil:
	case w.CNI.Enforced == cnidetect.NoEnforce:
		plan.Warnings = append(plan.Warnings, w.CNI.Describe()+": NetworkPolicy is not what blocks this pod's traffic, and this test changes nothing")
	case w.CNI.Enforced == cnidetect.MaybeEnforce:
		plan.Warnings = append(plan.Warnings, w.CNI.Describe()+": if NetworkPolicy is not enforced, this test changes nothing")
	}
	switch {
	case selErr != nil:
		plan.Warnings = append(plan.Warnings, "could not list the other pods these labels select: "+kube.Read(kube.List("", "pods", ref.Namespace), selErr).Error())
	default:
		for _, p := range selected.Items {
			if p.Name != pod.Name {
				plan.AlsoSelected = append(plan.AlsoSelected, p.Name)
			}
		}
		if len(plan.AlsoSelected) > 0 {
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("the pod's labels %s also select %d other pod(s), which the policy opens too: %s", policy.FormatLabels(pod.Labels), len(plan.AlsoSelected), checks.ListSome(plan.AlsoSelected, 10)))
		}
	}
	if w.ReadErr != nil {
		plan.Warnings = append(plan.Warnings, "could not read the policies that apply to the pod ("+w.ReadErr.Error()+"): an AdminNetworkPolicy Deny, if any, cannot be overridden by a NetworkPolicy")
		return plan, nil
	}
	d, err := w.Engine.Describe(ref)
	if err != nil {
		return plan, nil
	}
	var admins []string
	seen := map[string]bool{}
	for _, sd := range []policy.SideDescription{d.Ingress, d.Egress} {
		for _, ps := range sd.Admin {
			if ps.Tier != policy.TierAdmin || seen[ps.Policy.String()] {
				continue
			}
			seen[ps.Policy.String()] = true
			what := ps.Policy.String()
			for _, r := range ps.Rules {
				if r.Action == "Deny" {
					what += " (has Deny rules)"
					break
				}
			}
			admins = append(admins, what)
		}
	}
	if len(admins) > 0 {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("%s select(s) the pod: an allow-all NetworkPolicy cannot override a Deny of the Admin tier (evaluated before NetworkPolicy)", strings.Join(admins, ", ")))
	}
	return plan, nil
}

// PolicyYAML is the policy as a manifest kubectl apply accepts.
func (p *AllowAllPlan) PolicyYAML() (string, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p.Policy)
	if err != nil {
		return "", err
	}
	if meta, ok := u["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	b, err := yaml.Marshal(u)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// AllowAllData is NP011's data.
type AllowAllData struct {
	DryRun       bool                        `json:"dryRun"`
	Policy       *networkingv1.NetworkPolicy `json:"policy"`
	AlsoSelected []string                    `json:"alsoSelected,omitempty"`
	Warnings     []string                    `json:"warnings"`
	Created      string                      `json:"created,omitempty"`
	Deleted      string                      `json:"deleted,omitempty"`
	Ended        string                      `json:"ended,omitempty"`
}

// DryRunReport is the dry run: what would be created, the warnings, and
// for a terminal the manifest itself.
func (p *AllowAllPlan) DryRunReport() *report.Report {
	rep := p.Report()
	c := checks.NPAllowAll.New(report.Pass, "dry run: would create networkpolicy %s/%s allowing all traffic of pod %s for %s; nothing was created", p.Policy.Namespace, p.Policy.Name, p.Pod.Name, FormatTTL(p.TTL))
	p.Fill(&c, false)
	c.Data = AllowAllData{DryRun: true, Policy: p.Policy, AlsoSelected: p.AlsoSelected, Warnings: p.Warnings}
	rep.Add(c)
	if y, err := p.PolicyYAML(); err == nil {
		rep.Sections = append(rep.Sections, report.TextSection("The NetworkPolicy it would create (nothing was created):", y))
	}
	ok := checks.Settled(c.Message)
	rep.Finish(func(list []report.Check, def report.Verdict) report.Verdict {
		v := ok(list, def)
		if v.Outcome == report.OK {
			v.Next = []string{fmt.Sprintf("kubectl netdebug netpol allow-all -n %s %s --apply --ttl %s", p.Pod.Namespace, p.Pod.Name, FormatTTL(p.TTL))}
		}
		return v
	})
	return rep
}

// Report starts a report about the plan.
func (p *AllowAllPlan) Report() *report.Report {
	rep := newReport(p.World, CommandAllowAll, podObject(policy.PodRef{Namespace: p.Pod.Namespace, Name: p.Pod.Name}), fmt.Sprintf("Temporary allow-all for pod %s/%s", p.Pod.Namespace, p.Pod.Name))
	return rep
}

// Fill adds the objects and the warnings to c; once the policy is deleted,
// the first warning (it must not stay) no longer applies.
func (p *AllowAllPlan) Fill(c *report.Check, deleted bool) {
	c.Objects = append(c.Objects, podObject(policy.PodRef{Namespace: p.Pod.Namespace, Name: p.Pod.Name}),
		report.Object{Kind: "NetworkPolicy", Namespace: p.Policy.Namespace, Name: p.Policy.Name})
	warnings := p.Warnings
	if deleted {
		warnings = warnings[1:]
	}
	for _, w := range warnings {
		c.Facts = append(c.Facts, report.Fact{Name: "warning", Value: w})
	}
	if len(p.Warnings) > 1 && c.Status == report.Pass {
		c.Status = report.Warn
	}
}

// FormatTTL prints a duration without zero units: 5m, 1h30m, 2s.
func FormatTTL(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
