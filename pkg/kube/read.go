// Package kube is how netdebug talks to the API server: the clients of a run,
// and reads that turn API answers into errors naming the permission RBAC
// refused. It sits below every reader and procedure and imports none of them.
package kube

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

// Missing describes an object that was not found, and what the user may
// have meant instead.
type Missing struct {
	Kind      string // lower case, as typed on the command line: "service"
	Plural    string // "services"
	Namespace string
	Name      string
	// NamespaceMissing: the namespace itself does not exist.
	NamespaceMissing bool
	// Elsewhere: other namespaces holding an object of that exact name.
	Elsewhere []string
	// Similar: names in the namespace that look like a typo of Name.
	Similar []string
}
