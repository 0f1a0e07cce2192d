package netpol

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/cnidetect"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
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

// PlanAllowAll reads the pod, the other pods its labels select, the policies
// that apply to it and the network plugin. A pod without labels is refused:
// a policy cannot select it alone.
func PlanAllowAll(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, ref policy.PodRef, ttl time.Duration, now time.Time) (*AllowAllPlan, error) {
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
	w, err := Gather(ctx, client, dyn, Request{Known: []corev1.Pod{*pod}})
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
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("the pod's labels %s also select %d other pod(s), which the policy opens too: %s", policy.FormatLabels(pod.Labels), len(plan.AlsoSelected), joinMax(plan.AlsoSelected, 10)))
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
			if ps.Policy.Kind != policy.KindAdminNetworkPolicy || seen[ps.Policy.Name] {
				continue
			}
			seen[ps.Policy.Name] = true
			what := ps.Policy.Name
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
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("AdminNetworkPolicy %s selects the pod: an allow-all NetworkPolicy cannot override an AdminNetworkPolicy Deny (admin policies are evaluated first)", strings.Join(admins, ", ")))
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

// DryRunText is the dry run for a terminal: the warnings as YAML comments,
// then the policy, so that the output can still be reviewed and applied.
func (p *AllowAllPlan) DryRunText() (string, error) {
	y, err := p.PolicyYAML()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Dry run: nothing was created. The temporary allow-all NetworkPolicy for pod %s/%s:\n", p.Pod.Namespace, p.Pod.Name)
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "# WARNING: %s\n", w)
	}
	fmt.Fprintf(&b, "# To create it for %s and delete it afterwards: kubectl netdebug netpol allow-all -n %s %s --apply --ttl %s\n", FormatTTL(p.TTL), p.Pod.Namespace, p.Pod.Name, FormatTTL(p.TTL))
	b.WriteString(y)
	return b.String(), nil
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

// DryRunReport is the dry run as a report (for -o json and -o yaml).
func (p *AllowAllPlan) DryRunReport() *report.Report {
	rep := p.report()
	c := checks.NPAllowAll.New(report.Pass, "dry run: would create networkpolicy %s/%s allowing all traffic of pod %s for %s; nothing was created", p.Policy.Namespace, p.Policy.Name, p.Pod.Name, FormatTTL(p.TTL))
	p.fill(&c, false)
	c.Data = AllowAllData{DryRun: true, Policy: p.Policy, AlsoSelected: p.AlsoSelected, Warnings: p.Warnings}
	rep.Add(c)
	finish(rep, c.Message, "", "")
	if rep.Verdict.Outcome == report.OK {
		rep.Verdict.Next = []string{fmt.Sprintf("kubectl netdebug netpol allow-all -n %s %s --apply --ttl %s", p.Pod.Namespace, p.Pod.Name, FormatTTL(p.TTL))}
	}
	return rep
}

func (p *AllowAllPlan) report() *report.Report {
	rep := newReport(p.World, CommandAllowAll, podObject(policy.PodRef{Namespace: p.Pod.Namespace, Name: p.Pod.Name}), fmt.Sprintf("Temporary allow-all for pod %s/%s", p.Pod.Namespace, p.Pod.Name))
	return rep
}

// fill adds the objects and the warnings; once the policy is deleted, the
// first warning (it must not stay) no longer applies.
func (p *AllowAllPlan) fill(c *report.Check, deleted bool) {
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

// Apply creates the policy, waits until the TTL ends or ctx is cancelled
// (Ctrl-C), and deletes it with a context of its own. progress is told each
// step as it happens. Creating is refused when the user could not delete
// the policy afterwards.
func (p *AllowAllPlan) Apply(ctx context.Context, client kubernetes.Interface, now func() time.Time, progress func(string)) *report.Report {
	rep := p.report()
	code := checks.NPAllowAll
	ns, name := p.Policy.Namespace, p.Policy.Name
	del := kube.Get("networking.k8s.io", "networkpolicies", ns)
	del.Verb = "delete"
	if err := canI(ctx, client, del); err != nil {
		c := code.FromError("creating the temporary policy", err)
		c.Message += ": it could not be removed afterwards, so it is not created"
		p.fill(&c, false)
		rep.Add(c)
		incomplete(rep, "run the allow-all test")
		return rep
	}
	// Not cancelled by Ctrl-C: a create the server has done must be known,
	// to be deleted.
	createCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	created, err := client.NetworkingV1().NetworkPolicies(ns).Create(createCtx, p.Policy, metav1.CreateOptions{FieldManager: ManagedBy})
	cancel()
	if err != nil {
		create := kube.Get("networking.k8s.io", "networkpolicies", ns)
		create.Verb = "create"
		var c report.Check
		if apierrors.IsAlreadyExists(err) {
			c = code.New(report.Error, "networkpolicy %s/%s already exists (another allow-all test?): nothing was created", ns, name)
			c.Next = []string{fmt.Sprintf("kubectl -n %s get networkpolicy %s -o yaml", ns, name), "kubectl netdebug netpol cleanup -n " + ns}
		} else {
			c = code.FromError("creating the temporary policy", kube.Read(create, err))
			if !kube.IsAPIAnswer(err) {
				c.Message += "; if it was created nonetheless, remove it"
				c.Next = []string{fmt.Sprintf("kubectl -n %s delete networkpolicy %s --ignore-not-found", ns, name)}
			}
		}
		p.fill(&c, false)
		rep.Add(c)
		incomplete(rep, "run the allow-all test")
		return rep
	}
	start := now()
	progress(fmt.Sprintf("created networkpolicy %s/%s: all traffic of pod %s is allowed until %s (%s), or until Ctrl-C", ns, name, p.Pod.Name, start.Add(p.TTL).UTC().Format(time.RFC3339), FormatTTL(p.TTL)))
	for _, w := range p.Warnings[1:] {
		progress("warning: " + w)
	}
	timer := time.NewTimer(p.TTL)
	defer timer.Stop()
	ended := "the TTL of " + FormatTTL(p.TTL) + " ended"
	select {
	case <-timer.C:
	case <-ctx.Done():
		ended = "interrupted"
	}
	progress(fmt.Sprintf("%s: deleting networkpolicy %s/%s", ended, ns, name))
	delErr := deleteWithRetry(client, ns, name, created.UID)
	data := AllowAllData{Policy: created, AlsoSelected: p.AlsoSelected, Warnings: p.Warnings, Created: start.UTC().Format(time.RFC3339), Ended: ended}
	var c report.Check
	if delErr != nil {
		c = code.New(report.Fail, "networkpolicy %s/%s could NOT be deleted (%v): it still allows all traffic of pod %s", ns, name, delErr, p.Pod.Name)
		c.Next = []string{fmt.Sprintf("kubectl -n %s delete networkpolicy %s", ns, name)}
		progress(fmt.Sprintf("error: could not delete networkpolicy %s/%s: remove it with: kubectl -n %s delete networkpolicy %s", ns, name, ns, name))
	} else {
		data.Deleted = now().UTC().Format(time.RFC3339)
		c = code.New(report.Pass, "allow-all test done: networkpolicy %s/%s allowed all traffic of pod %s, then was deleted (%s)", ns, name, p.Pod.Name, ended)
		progress(fmt.Sprintf("deleted networkpolicy %s/%s", ns, name))
	}
	p.fill(&c, delErr == nil)
	c.Data = data
	rep.Add(c)
	finish(rep, c.Message, "", "")
	return rep
}

// deleteWithRetry deletes the policy it created (by UID, so that a policy
// someone else re-created under the name is left alone), with a short
// context of its own: the command's context is cancelled on Ctrl-C.
func deleteWithRetry(client kubernetes.Interface, ns, name string, uid types.UID) error {
	var err error
	for attempt := range 4 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 500 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = client.NetworkingV1().NetworkPolicies(ns).Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		cancel()
		switch {
		case err == nil, apierrors.IsNotFound(err):
			return nil
		case apierrors.IsConflict(err):
			return fmt.Errorf("it was replaced by another object of the same name, left alone: %w", err)
		case apierrors.IsForbidden(err):
			perm := kube.Get("networking.k8s.io", "networkpolicies", ns)
			perm.Verb = "delete"
			return kube.Read(perm, err)
		}
	}
	return err
}

// canI asks the API server whether the user may perform perm
// (SelfSubjectAccessReview, allowed to every authenticated user).
func canI(ctx context.Context, client kubernetes.Interface, perm report.Permission) error {
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: perm.Namespace, Verb: perm.Verb, Group: perm.Group, Resource: perm.Resource},
	}}
	res, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("checking whether you may %s: %w", perm, err)
	}
	if !res.Status.Allowed {
		return &kube.ForbiddenError{Permission: perm, Err: errors.New(res.Status.Reason)}
	}
	return nil
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
