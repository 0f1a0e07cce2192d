package service

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkExists (SVC001): the Service is there. When it is not, the most
// useful thing is what the user probably meant.
func checkExists(f *facts) report.Check {
	code := checks.SvcExists
	obj := report.Object{Kind: "Service", Namespace: f.namespace, Name: f.name}
	if f.svc != nil {
		c := code.New(report.Pass, "service %s/%s exists (type %s)", f.namespace, f.name, serviceType(f.svc))
		c.Objects = []report.Object{obj}
		return c
	}
	if !apierrors.IsNotFound(f.svcErr) {
		return code.FromError("reading the service", f.svcErr)
	}
	var c report.Check
	switch {
	case f.namespaceErr != nil:
		c = code.New(report.Fail, "namespace %s does not exist", f.namespace)
		c.Next = []string{"kubectl get namespaces"}
	case len(f.elsewhere) > 0:
		c = code.New(report.Fail, "service %s is not in namespace %s but exists in namespace %s",
			f.name, f.namespace, listSome(f.elsewhere, 3))
		c.Next = []string{fmt.Sprintf("kubectl netdebug service %s -n %s", f.name, f.elsewhere[0])}
	case len(f.similar) > 0:
		c = code.New(report.Fail, "service %s not found in namespace %s; did you mean %s?",
			f.name, f.namespace, strings.Join(f.similar, " or "))
		c.Next = []string{fmt.Sprintf("kubectl netdebug service %s -n %s", f.similar[0], f.namespace)}
	default:
		c = code.New(report.Fail, "service %s not found in namespace %s", f.name, f.namespace)
		c.Next = []string{fmt.Sprintf("kubectl get services -n %s", f.namespace)}
	}
	if len(f.elsewhere) > 3 {
		c.Facts = append(c.Facts, report.Fact{Name: "same name in namespaces", Value: strings.Join(f.elsewhere, ", ")})
	}
	return c
}

// listSome joins up to max items and counts the rest.
func listSome(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}
