package ingress

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkExists (ING001): the Ingress is there; when it is not, what the user
// probably meant.
func checkExists(f *facts) report.Check {
	code := checks.IngExists
	obj := report.Object{Kind: "Ingress", Namespace: f.namespace, Name: f.name}
	if f.ing != nil {
		c := code.New(report.Pass, "ingress %s/%s exists (%d rule(s), %d TLS entr%s)", f.namespace, f.name,
			len(f.ing.Spec.Rules), len(f.ing.Spec.TLS), plural(len(f.ing.Spec.TLS), "y", "ies"))
		c.Objects = []report.Object{obj}
		return c
	}
	if !apierrors.IsNotFound(f.ingErr) {
		return code.FromError("reading the ingress", f.ingErr)
	}
	var c report.Check
	switch {
	case f.namespaceErr != nil:
		c = code.New(report.Fail, "namespace %s does not exist", f.namespace)
		c.Next = []string{"kubectl get namespaces"}
	case len(f.elsewhere) > 0:
		c = code.New(report.Fail, "ingress %s is not in namespace %s but exists in namespace %s",
			f.name, f.namespace, listSome(f.elsewhere, 3))
		c.Next = []string{fmt.Sprintf("kubectl netdebug ingress %s -n %s", f.name, f.elsewhere[0])}
	case len(f.similar) > 0:
		c = code.New(report.Fail, "ingress %s not found in namespace %s; did you mean %s?",
			f.name, f.namespace, strings.Join(f.similar, " or "))
		c.Next = []string{fmt.Sprintf("kubectl netdebug ingress %s -n %s", f.similar[0], f.namespace)}
	default:
		c = code.New(report.Fail, "ingress %s not found in namespace %s", f.name, f.namespace)
		c.Next = []string{fmt.Sprintf("kubectl get ingresses -n %s", f.namespace)}
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
