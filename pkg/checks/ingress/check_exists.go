package ingress

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
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
	return code.NotFound(kube.Missing{
		Kind: "ingress", Plural: "ingresses", Namespace: f.namespace, Name: f.name,
		NamespaceMissing: f.namespaceErr != nil, Elsewhere: f.elsewhere, Similar: f.similar,
	})
}
