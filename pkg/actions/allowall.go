package actions

import (
	"context"
	"errors"
	"fmt"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// AllowAll creates the plan's policy, waits until the TTL ends or ctx is cancelled
// (Ctrl-C), and deletes it with a context of its own. progress is told each
// step as it happens. Creating is refused when the user could not delete
// the policy afterwards.
func AllowAll(ctx context.Context, client kubernetes.Interface, p *netpol.AllowAllPlan, now func() time.Time, progress func(string)) *report.Report {
	rep := p.Report()
	code := checks.NPAllowAll
	ns, name := p.Policy.Namespace, p.Policy.Name
	del := kube.Get("networking.k8s.io", "networkpolicies", ns)
	del.Verb = "delete"
	if err := canI(ctx, client, del); err != nil {
		c := code.FromError("creating the temporary policy", err)
		c.Message += ": it could not be removed afterwards, so it is not created"
		p.Fill(&c, false)
		rep.Add(c)
		rep.Finish(checks.CouldNot("run the allow-all test"))
		return rep
	}
	// Not cancelled by Ctrl-C: a create the server has done must be known,
	// to be deleted.
	createCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	created, err := client.NetworkingV1().NetworkPolicies(ns).Create(createCtx, p.Policy, metav1.CreateOptions{FieldManager: netpol.ManagedBy})
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
		p.Fill(&c, false)
		rep.Add(c)
		rep.Finish(checks.CouldNot("run the allow-all test"))
		return rep
	}
	start := now()
	progress(fmt.Sprintf("created networkpolicy %s/%s: all traffic of pod %s is allowed until %s (%s), or until Ctrl-C", ns, name, p.Pod.Name, start.Add(p.TTL).UTC().Format(time.RFC3339), netpol.FormatTTL(p.TTL)))
	for _, w := range p.Warnings[1:] {
		progress("warning: " + w)
	}
	timer := time.NewTimer(p.TTL)
	defer timer.Stop()
	ended := "the TTL of " + netpol.FormatTTL(p.TTL) + " ended"
	select {
	case <-timer.C:
	case <-ctx.Done():
		ended = "interrupted"
	}
	progress(fmt.Sprintf("%s: deleting networkpolicy %s/%s", ended, ns, name))
	delErr := deleteWithRetry(client, ns, name, created.UID)
	data := netpol.AllowAllData{Policy: created, AlsoSelected: p.AlsoSelected, Warnings: p.Warnings, Created: start.UTC().Format(time.RFC3339), Ended: ended}
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
	p.Fill(&c, delErr == nil)
	c.Data = data
	rep.Add(c)
	rep.Finish(checks.Settled(c.Message))
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
