package ingress

import (
	"fmt"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// response is what a controller answers in a situation, with the
// controller-specific behaviour when it differs from the usual.
type response struct {
	status string // "503", "404", "502"
	note   string
}

func (r response) String() string {
	if r.note == "" {
		return r.status
	}
	return r.status + " (" + r.note + ")"
}

// controllerKind is what netdebug knows about one ingress controller.
type controllerKind struct {
	name  string
	match func(controller string) bool
	// How its data-plane pods are labelled: values of
	// app.kubernetes.io/name and of app, and other selectors.
	appNames []string
	apps     []string
	extra    []string
	// components: values of app.kubernetes.io/component that are the data
	// plane; pods with another component (admission webhooks, default
	// backends) are left out.
	components []string
	// outside: no pods are expected in the cluster; says what serves
	// traffic instead. external: the pods only configure a load balancer
	// outside the cluster, traffic does not go through a Service.
	outside  string
	external string
	// What a request gets when the backend has no ready endpoints, and
	// when the backend Service does not exist.
	noEndpoints    response
	missingService response
	// defaultCert is what it serves when a TLS secret is unusable.
	defaultCert string
	// routing is how it routes where several Ingresses meet (pkg/routing
	// RouteIngressFor); the zero value is the generic model, which says
	// where the known controllers would answer otherwise.
	routing routing.IngressController
}

func exact(s string) func(string) bool { return func(c string) bool { return c == s } }
func prefix(s string) func(string) bool {
	return func(c string) bool { return strings.HasPrefix(c, s) }
}
func orMatch(fs ...func(string) bool) func(string) bool {
	return func(c string) bool {
		for _, f := range fs {
			if f(c) {
				return true
			}
		}
		return false
	}
}

var (
	common503 = response{status: "503"}
	envoy503  = response{status: "503", note: "Envoy: no healthy upstream"}
)

// knownControllers, by the spec.controller of their IngressClass.
var knownControllers = []*controllerKind{
	{
		name: "ingress-nginx",
		// k8s.io/ingress-nginx, or a second installation's own value such
		// as k8s.io/ingress-nginx-internal or k8s.io/<ns>-nginx-ingress.
		match: orMatch(prefix("k8s.io/ingress-nginx"), func(c string) bool {
			return strings.HasPrefix(c, "k8s.io/") && strings.Contains(c, "nginx")
		}),
		appNames: []string{"ingress-nginx"}, apps: []string{"ingress-nginx", "nginx-ingress"},
		components:     []string{"controller"},
		noEndpoints:    response{status: "503", note: "ingress-nginx: 503 Service Temporarily Unavailable"},
		missingService: response{status: "503", note: "ingress-nginx: 503 Service Temporarily Unavailable"},
		defaultCert:    `ingress-nginx serves its self-signed "Kubernetes Ingress Controller Fake Certificate"`,
		routing:        routing.IngressNginx,
	},
	{
		name: "F5 NGINX Ingress Controller", match: prefix("nginx.org/"),
		appNames: []string{"nginx-ingress"}, apps: []string{"nginx-ingress"},
		noEndpoints:    response{status: "502", note: "F5 NGINX answers 502 Bad Gateway for a backend without endpoints"},
		missingService: response{status: "502", note: "F5 NGINX answers 502 Bad Gateway for a backend without endpoints"},
	},
	{
		name: "Traefik", match: prefix("traefik.io/"),
		appNames: []string{"traefik"}, apps: []string{"traefik"},
		noEndpoints:    response{status: "404", note: "Traefik drops a router whose service has no endpoints; 503 with allowEmptyServices"},
		missingService: response{status: "404", note: "Traefik drops a router whose service is missing"},
		defaultCert:    `Traefik serves its self-signed "TRAEFIK DEFAULT CERT"`,
		routing:        routing.IngressTraefik,
	},
	{
		name: "HAProxy Kubernetes Ingress Controller", match: prefix("haproxy.org/"),
		appNames: []string{"kubernetes-ingress", "haproxy-kubernetes-ingress"}, extra: []string{"run=haproxy-ingress"},
	},
	{
		name: "HAProxy Ingress", match: prefix("haproxy-ingress.github.io/"),
		appNames: []string{"haproxy-ingress"}, apps: []string{"haproxy-ingress"},
	},
	{
		name: "Contour", match: prefix("projectcontour.io/"),
		appNames: []string{"contour"}, apps: []string{"contour", "envoy"},
		components:  []string{"contour", "envoy"},
		noEndpoints: envoy503, missingService: envoy503,
	},
	{
		name: "Kong", match: prefix("ingress-controllers.konghq.com/"),
		appNames: []string{"kong", "ingress-kong"}, apps: []string{"ingress-kong", "kong"},
	},
	{
		name: "Istio", match: exact("istio.io/ingress-controller"),
		apps: []string{"istio-ingressgateway"}, extra: []string{"istio=ingressgateway"},
		noEndpoints: envoy503, missingService: envoy503,
	},
	{
		name: "AWS Load Balancer Controller", match: exact("ingress.k8s.aws/alb"),
		appNames:    []string{"aws-load-balancer-controller"},
		external:    "an AWS Application Load Balancer outside the cluster",
		noEndpoints: response{status: "503", note: "the ALB's target group has no healthy target"},
	},
	{
		name: "GCE (Google Cloud Load Balancing)", match: exact("k8s.io/ingress-gce"),
		outside:     "the GKE-managed ingress controller runs outside the cluster and programs a Google Cloud load balancer",
		noEndpoints: response{status: "502", note: "the Google Cloud load balancer has no healthy backend"},
	},
}

func lookupController(controller string) *controllerKind {
	if controller == "" {
		return nil
	}
	for _, k := range knownControllers {
		if k.match(controller) {
			return k
		}
	}
	return nil
}

// routingModel is how the controller routes among the Ingresses of its
// class: its own model where pkg/routing has one, else the generic one.
func (k *controllerKind) routingModel() routing.IngressController {
	if k == nil {
		return routing.IngressGeneric
	}
	return k.routing
}

func (k *controllerKind) noEndpointsResponse() response {
	if k == nil || k.noEndpoints.status == "" {
		return common503
	}
	return k.noEndpoints
}

func (k *controllerKind) missingServiceResponse() response {
	if k == nil || k.missingService.status == "" {
		return common503
	}
	return k.missingService
}

func (k *controllerKind) defaultCertificate() string {
	if k == nil || k.defaultCert == "" {
		return "the controller serves its default certificate"
	}
	return k.defaultCert
}

func describeController(controller string, k *controllerKind) string {
	if k == nil {
		return controller + " (not a controller netdebug knows; its pods are looked for by name)"
	}
	return fmt.Sprintf("%s (%s)", controller, k.name)
}
