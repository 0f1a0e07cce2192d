package ingress

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// routeClaims are the HTTPRoutes of the Gateway API that name the host of
// one request among their hostnames: a Gateway may serve the host as well
// as the Ingress's controller, and which answers depends on the address a
// client connects to.
type routeClaims struct {
	claims []string
	err    error
}

// readRouteClaims lists every HTTPRoute, when the cluster serves them, and
// keeps those with a hostname matching host (given as --host).
func readRouteClaims(ctx context.Context, c kube.Clients, host string) routeClaims {
	h, _, err := NormalizeRequest(host, "")
	if err != nil || h == "" || c.Dynamic == nil {
		return routeClaims{}
	}
	api, err := gatewayapi.Discover(ctx, c.Typed)
	if err != nil {
		return routeClaims{err: err}
	}
	if !api.Serves(gatewayapi.HTTPRoutes) {
		return routeClaims{}
	}
	routes, err := gatewayapi.Reader{API: api, Dynamic: c.Dynamic}.HTTPRoutes(ctx, metav1.NamespaceAll)
	if err != nil {
		return routeClaims{err: err}
	}
	var out routeClaims
	for _, r := range routes {
		for _, rh := range r.Spec.Hostnames {
			if routing.MatchGatewayHost(string(rh), h) == routing.HostNone {
				continue
			}
			var parents []string
			for _, ref := range r.Spec.ParentRefs {
				parents = append(parents, routing.DescribeParentRef(ref, r.Namespace))
			}
			out.claims = append(out.claims, fmt.Sprintf("HTTPRoute %s/%s (hostname %s; parents: %s)", r.Namespace, r.Name, rh, orNone(parents)))
			break
		}
	}
	return out
}

// routeClaimFacts are the facts ING015 adds about them.
func routeClaimFacts(c routeClaims) []report.Fact {
	var facts []report.Fact
	if c.err != nil {
		facts = append(facts, report.Fact{Name: "HTTPRoutes", Value: "not checked for the host: " + c.err.Error()})
	}
	for _, cl := range c.claims {
		facts = append(facts, report.Fact{Name: "also claimed by", Value: cl + ": a Gateway serves this host too; which one answers depends on the address the client connects to"})
	}
	return facts
}
