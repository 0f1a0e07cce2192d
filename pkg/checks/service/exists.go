package service

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
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
	return code.NotFound(kube.Missing{
		Kind: "service", Plural: "services", Namespace: f.namespace, Name: f.name,
		NamespaceMissing: f.namespaceErr != nil, Elsewhere: f.elsewhere, Similar: f.similar,
	})
}
