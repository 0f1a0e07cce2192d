package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// CleanupRequest is `netpol cleanup`.
type CleanupRequest struct {
	// Namespace to clean; "" means all namespaces.
	Namespace string
	// All removes every netdebug-managed policy, expired or not.
	All bool
	Now time.Time
}

// CleanupData is one policy looked at, in NP012's data.
type CleanupData struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	ExpiresAt string `json:"expiresAt,omitempty"`
	// Action is deleted, kept or failed.
	Action string `json:"action"`
	Reason string `json:"reason"`
}

// Cleanup removes the netdebug-managed NetworkPolicies whose expiry has
// passed (all of them with req.All): leftovers of an allow-all test whose
// process was killed before it could delete its policy.
func Cleanup(ctx context.Context, client kubernetes.Interface, req CleanupRequest) (*report.Report, error) {
	code := checks.NPCleanup
	scope := "all namespaces"
	target := report.Object{Kind: "Namespaces", Name: "all"}
	if req.Namespace != "" {
		scope = "namespace " + req.Namespace
		target = report.Object{Kind: "Namespace", Name: req.Namespace}
	}
	rep := report.New(netpol.CommandCleanup, target)
	rep.Title = "Leftover netdebug policies, " + scope
	list, err := client.NetworkingV1().NetworkPolicies(req.Namespace).List(ctx, metav1.ListOptions{LabelSelector: netpol.LabelManagedBy + "=" + netpol.ManagedBy})
	if err != nil {
		err = kube.Read(kube.List("networking.k8s.io", "networkpolicies", req.Namespace), err)
		if !kube.IsAPIAnswer(err) {
			return nil, err
		}
		rep.Add(code.FromError("listing netdebug's policies", err))
		rep.Finish(checks.CouldNot("clean up"))
		return rep, nil
	}
	var data []CleanupData
	var deleted, kept, failed []string
	var forbidden *kube.ForbiddenError
	for _, np := range list.Items {
		d := CleanupData{Namespace: np.Namespace, Name: np.Name, ExpiresAt: np.Annotations[netpol.AnnotationExpiresAt]}
		ref := np.Namespace + "/" + np.Name
		expired, why := expiry(np, req.Now)
		if !req.All && !expired {
			d.Action, d.Reason = "kept", why
			kept = append(kept, ref+" ("+why+")")
			data = append(data, d)
			continue
		}
		if req.All && !expired {
			why = "--all (" + why + ")"
		}
		uid := np.UID
		err := client.NetworkingV1().NetworkPolicies(np.Namespace).Delete(ctx, np.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		switch {
		case err == nil || apierrors.IsNotFound(err):
			d.Action, d.Reason = "deleted", why
			deleted = append(deleted, ref+" ("+why+")")
		default:
			perm := kube.Get("networking.k8s.io", "networkpolicies", np.Namespace)
			perm.Verb = "delete"
			err = kube.Read(perm, err)
			if !kube.IsAPIAnswer(err) {
				return nil, err
			}
			var fe *kube.ForbiddenError
			if errors.As(err, &fe) && forbidden == nil {
				forbidden = fe
			}
			d.Action, d.Reason = "failed", err.Error()
			failed = append(failed, ref)
		}
		data = append(data, d)
	}
	var c report.Check
	switch {
	case len(list.Items) == 0:
		c = code.New(report.Pass, "no netdebug-managed NetworkPolicy in %s", scope)
	case forbidden != nil:
		c = code.FromError("deleting "+strings.Join(failed, ", "), forbidden)
	case len(failed) > 0:
		c = code.New(report.Error, "could not delete %s", strings.Join(failed, ", "))
	default:
		var parts []string
		if len(deleted) > 0 {
			parts = append(parts, fmt.Sprintf("deleted %d leftover(s): %s", len(deleted), checks.ListSome(deleted, 5)))
		}
		if len(kept) > 0 {
			parts = append(parts, fmt.Sprintf("kept %d not expired yet: %s", len(kept), checks.ListSome(kept, 5)))
		}
		c = code.New(report.Pass, "%s", strings.Join(parts, "; "))
	}
	for _, d := range deleted {
		c.Facts = append(c.Facts, report.Fact{Name: "deleted", Value: d})
	}
	for _, k := range kept {
		c.Facts = append(c.Facts, report.Fact{Name: "kept", Value: k})
	}
	for _, f := range failed {
		c.Next = append(c.Next, "kubectl -n "+strings.Replace(f, "/", " delete networkpolicy ", 1))
	}
	if len(kept) > 0 && c.Status == report.Pass {
		c.Next = append(c.Next, "kubectl netdebug netpol cleanup --all"+nsFlag(req.Namespace))
	}
	for _, np := range list.Items {
		c.Objects = append(c.Objects, report.Object{Kind: "NetworkPolicy", Namespace: np.Namespace, Name: np.Name})
	}
	if data == nil {
		data = []CleanupData{}
	}
	c.Data = data
	rep.Add(c)
	if c.Status == report.Pass {
		rep.Finish(func([]report.Check, report.Verdict) report.Verdict {
			return report.Verdict{Outcome: report.OK, Code: c.Code, Message: c.Message, Next: c.Next}
		})
		return rep, nil
	}
	rep.Finish(checks.CouldNot("clean up"))
	return rep, nil
}

// expiry says whether a policy's expiry has passed, and when it is.
func expiry(np networkingv1.NetworkPolicy, now time.Time) (bool, string) {
	v, ok := np.Annotations[netpol.AnnotationExpiresAt]
	if !ok {
		return false, "no " + netpol.AnnotationExpiresAt + " annotation"
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return false, fmt.Sprintf("invalid %s %q", netpol.AnnotationExpiresAt, v)
	}
	if !t.After(now) {
		return true, "expired " + v
	}
	return false, "expires " + v
}

func nsFlag(ns string) string {
	if ns == "" {
		return " -A"
	}
	return " -n " + ns
}
