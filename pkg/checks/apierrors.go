package checks

import (
	"errors"
	"fmt"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// FromError turns a failed read into a check: Skip naming the permission when
// RBAC forbade it, Error otherwise. what says what the check was doing.
func (c Code) FromError(what string, err error) report.Check {
	var fe *kube.ForbiddenError
	if errors.As(err, &fe) {
		perm := fe.Permission
		chk := c.New(report.Skip, "skipped %s: not allowed to %s", what, perm)
		chk.Forbidden = &perm
		chk.Next = []string{fmt.Sprintf("kubectl auth can-i %s %s%s", perm.Verb, resourceArg(perm), nsArg(perm.Namespace))}
		return chk
	}
	return c.New(report.Error, "%s failed: %v", what, err)
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
