package checks

import (
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// ForbiddenError is an API read that RBAC refused. It carries the permission
// that was missing so that the check can be skipped with a precise reason.
type ForbiddenError struct {
	Permission report.Permission
	Err        error
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("forbidden: cannot %s", e.Permission)
}

func (e *ForbiddenError) Unwrap() error { return e.Err }

// Read wraps the error of one API request: a Forbidden answer becomes a
// *ForbiddenError for perm; other errors get perm as context.
func Read(perm report.Permission, err error) error {
	if err == nil {
		return nil
	}
	if apierrors.IsForbidden(err) {
		return &ForbiddenError{Permission: perm, Err: err}
	}
	return fmt.Errorf("%s: %w", perm, err)
}

// FromError turns a failed read into a check: Skip naming the permission when
// RBAC forbade it, Error otherwise. what says what the check was doing.
func (c Code) FromError(what string, err error) report.Check {
	var fe *ForbiddenError
	if errors.As(err, &fe) {
		perm := fe.Permission
		chk := c.New(report.Skip, "skipped %s: not allowed to %s", what, perm)
		chk.Forbidden = &perm
		chk.Next = []string{fmt.Sprintf("kubectl auth can-i %s %s%s", perm.Verb, resourceArg(perm), nsArg(perm.Namespace))}
		return chk
	}
	return c.New(report.Error, "%s failed: %v", what, err)
}

// IsAPIAnswer reports whether err is an answer of the API server (a status
// such as NotFound or Forbidden) rather than a failure to reach it.
func IsAPIAnswer(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status)
}

// List and Get build the Permission of common reads.
func List(group, resource, namespace string) report.Permission {
	return report.Permission{Verb: "list", Group: group, Resource: resource, Namespace: namespace}
}

func Get(group, resource, namespace string) report.Permission {
	return report.Permission{Verb: "get", Group: group, Resource: resource, Namespace: namespace}
}

func resourceArg(p report.Permission) string {
	if p.Group == "" {
		return p.Resource
	}
	return p.Resource + "." + p.Group
}

func nsArg(ns string) string {
	if ns == "" {
		return " -A"
	}
	return " -n " + ns
}
