package route

import (
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkExists (RT001): the route is there; when it is not, what the user
// probably meant.
func checkExists(f *facts) report.Check {
	code := checks.RtExists
	if rt := f.route; rt != nil {
		hosts := "any host"
		if len(rt.Hostnames) > 0 {
			var hs []string
			for _, h := range rt.Hostnames {
				hs = append(hs, string(h))
			}
			hosts = strings.Join(hs, ", ")
		}
		c := code.New(report.Pass, "%s %s exists (%d parentRef(s), %d rule(s), hostnames %s)", rt.Kind, rt.Key(), len(rt.ParentRefs), len(rulesOf(rt)), hosts)
		c.Objects = []report.Object{{Kind: rt.Kind, Namespace: rt.Namespace, Name: rt.Name}}
		return c
	}
	if !apierrors.IsNotFound(f.routeErr) {
		return code.FromError("reading the route", f.routeErr)
	}
	kind := strings.ToLower(f.kind)
	c := code.NotFound(kube.Missing{
		Kind: kind, Plural: kind + "s", Namespace: f.namespace, Name: f.name,
		NamespaceMissing: f.namespaceErr != nil, Elsewhere: f.elsewhere, Similar: f.similar,
	})
	// kubectl netdebug route takes the kind as a prefix.
	for i, n := range c.Next {
		c.Next[i] = strings.Replace(n, "kubectl netdebug "+kind+" ", "kubectl netdebug route "+kind+"/", 1)
	}
	return c
}
