package gateway

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkExists (GW001): the Gateway is there; when it is not, what the
// user probably meant.
func checkExists(f *facts) report.Check {
	code := checks.GwExists
	obj := report.Object{Kind: "Gateway", Namespace: f.namespace, Name: f.name}
	if f.gw != nil {
		c := code.New(report.Pass, "gateway %s/%s exists (class %s, %d listener(s))", f.namespace, f.name, f.gw.Spec.GatewayClassName, len(f.gw.Spec.Listeners))
		c.Objects = []report.Object{obj}
		c.Facts = []report.Fact{{Name: "API", Value: "gateway.networking.k8s.io/" + f.api.Version("gateways")}}
		return c
	}
	if !apierrors.IsNotFound(f.gwErr) {
		return code.FromError("reading the gateway", f.gwErr)
	}
	return code.NotFound(kube.Missing{
		Kind: "gateway", Plural: "gateways", Namespace: f.namespace, Name: f.name,
		NamespaceMissing: f.namespaceErr != nil, Elsewhere: f.elsewhere, Similar: f.similar,
	})
}
