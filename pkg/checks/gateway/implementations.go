package gateway

import (
	"strings"
)

// implementation is what netdebug knows about one Gateway API
// implementation, recognised by its GatewayClass's controllerName.
type implementation struct {
	name  string
	match func(controllerName string) bool
	// dataPlane: label selectors of the pods that carry a Gateway's
	// traffic, in all namespaces; {name} and {namespace} stand for the
	// Gateway's. The GEP-1762 label gateway.networking.k8s.io/gateway-name
	// is always looked for in the Gateway's namespace besides these.
	dataPlane []string
	// controller: label selectors of the controller (control plane) pods,
	// in all namespaces. Some implementations are both (Traefik).
	controller []string
	// outside: no pods are expected in the cluster; says what serves
	// traffic instead.
	outside string
}

func prefixOf(s string) func(string) bool {
	return func(c string) bool { return strings.HasPrefix(c, s) }
}

// implementations, by the controllerName of their GatewayClass; their
// labels are those of each project's installation manifests and Helm
// charts.
var implementations = []*implementation{
	{
		name: "Envoy Gateway", match: prefixOf("gateway.envoyproxy.io/"),
		dataPlane:  []string{"gateway.envoyproxy.io/owning-gateway-name={name},gateway.envoyproxy.io/owning-gateway-namespace={namespace}"},
		controller: []string{"control-plane=envoy-gateway"},
	},
	{
		name: "Istio", match: prefixOf("istio.io/"),
		dataPlane:  []string{"istio.io/gateway-name={name}"},
		controller: []string{"app=istiod"},
	},
	{
		name: "Contour", match: prefixOf("projectcontour.io/"),
		dataPlane:  []string{"projectcontour.io/owning-gateway-name={name}"},
		controller: []string{"app.kubernetes.io/name=contour", "app=contour"},
	},
	{
		name: "NGINX Gateway Fabric", match: prefixOf("gateway.nginx.org/"),
		controller: []string{"app.kubernetes.io/name=nginx-gateway"},
	},
	{
		name: "Traefik", match: prefixOf("traefik.io/"),
		dataPlane:  []string{"app.kubernetes.io/name=traefik", "app=traefik"},
		controller: []string{"app.kubernetes.io/name=traefik", "app=traefik"},
	},
	{
		name: "Cilium", match: prefixOf("io.cilium/"),
		dataPlane:  []string{"k8s-app=cilium-envoy", "k8s-app=cilium"},
		controller: []string{"io.cilium/app=operator"},
	},
	{
		name: "Kong", match: prefixOf("konghq.com/"),
		dataPlane:  []string{"app.kubernetes.io/name=kong", "app=kong"},
		controller: []string{"app.kubernetes.io/name=kong", "app=ingress-kong"},
	},
	{
		name: "kgateway", match: prefixOf("kgateway.dev/"),
		controller: []string{"app.kubernetes.io/name=kgateway", "kgateway=kgateway"},
	},
	{
		name: "GKE Gateway", match: prefixOf("networking.gke.io/"),
		outside: "the GKE Gateway controller runs outside the cluster and programs a Google Cloud load balancer",
	},
	{
		name: "AWS Gateway API Controller", match: func(c string) bool {
			return strings.HasPrefix(c, "gateway.k8s.aws/") || strings.HasPrefix(c, "application-networking.k8s.aws/")
		},
		outside: "the AWS controller programs an AWS load balancer (or VPC Lattice) outside the cluster",
	},
	{
		name: "Azure Application Gateway for Containers", match: prefixOf("alb.networking.azure.io/"),
		outside: "Application Gateway for Containers runs outside the cluster",
	},
}

func lookupImplementation(controllerName string) *implementation {
	if controllerName == "" {
		return nil
	}
	for _, k := range implementations {
		if k.match(controllerName) {
			return k
		}
	}
	return nil
}

func expand(selectors []string, ns, name string) []string {
	out := make([]string, 0, len(selectors))
	for _, s := range selectors {
		out = append(out, strings.NewReplacer("{name}", name, "{namespace}", ns).Replace(s))
	}
	return out
}
