package route

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
)

func condOf(conds []metav1.Condition, t gwv1.RouteConditionType) *metav1.Condition {
	return meta.FindStatusCondition(conds, string(t))
}

func routeHosts(hs []gwv1.Hostname) []string {
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		out = append(out, string(h))
	}
	return out
}

func routeList(rs []gateway.Route) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Key())
	}
	if len(out) == 0 {
		return "none"
	}
	return checks.ListSome(out, 5)
}
