package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/route"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
)

const routeExample = `  # Is HTTPRoute shop in namespace web attached, and where does its first rule's request land?
  kubectl netdebug route shop -n web

  # What does https://shop.example.com/api/v1 get through gateway infra/public?
  kubectl netdebug route shop -n web --gateway infra/public --host https://shop.example.com --path /api/v1

  # A POST with a header, through every parent
  kubectl netdebug route httproute/shop -n web --host shop.example.com --path /cart --method POST --header X-Canary=1

  # A gRPC call through a GRPCRoute
  kubectl netdebug route grpcroute/cart -n web --host grpc.example.com --path /shop.v1.Cart/AddItem

  # A TLSRoute's parents and backends (its matching is not modelled)
  kubectl netdebug route tlsroute/db -n data

  # The predicted answer for a script (RT010: status, reason, route, rule, backends)
  kubectl netdebug route shop -n web --host shop.example.com -o json | jq '.checks[] | select(.code=="RT010").data'`

// RouteOptions diagnose one HTTPRoute or GRPCRoute, optionally one request
// through it.
type RouteOptions struct {
	*GlobalOptions
	Kind      string
	Name      string
	Namespace string
	// Gateway is --gateway [NS/]NAME: the one parent to route through.
	Gateway string
	Host    string
	Path    string
	Method  string
	Headers []string
	Probe   *ProbeFlags

	gatewayNS, gatewayName string
	settings               probe.Settings
	clients                kube.Clients
}

// NewCmdRoute is `kubectl netdebug route [httproute/|grpcroute/|tlsroute/|tcproute/]NAME`.
func NewCmdRoute(g *GlobalOptions) *cobra.Command {
	o := &RouteOptions{GlobalOptions: g, Probe: NewProbeFlags()}
	cmd := &cobra.Command{
		Use:   "route [httproute/|grpcroute/|tlsroute/|tcproute/]NAME [--host H] [--path P] [--method M] [--header K=V] [--gateway [NS/]NAME]",
		Short: "Diagnose a Gateway API route: parents, hostnames, backends, grants, where one request lands and what it gets",
		Long: `Diagnose an HTTPRoute (the default) or a GRPCRoute: per parentRef, whether the
Gateway's listeners accept it, as a conformant controller decides it
(sectionName and port, allowedRoutes kinds and namespaces, hostname
intersection: NoMatchingParent, NotAllowedByListeners,
NoMatchingListenerHostname), beside the controller's own Accepted and
ResolvedRefs conditions; the hostnames it serves on each listener; its rules
and filters (redirects, rewrites); each backendRef (the Service and port exist,
a ReferenceGrant permits a reference to another namespace, ready endpoints,
weights).

Then one request, given by --host (a URL sets the scheme, port and path too),
--path (with a query; for a GRPCRoute /package.Service/Method), --method and
--header, or else the request the route's first rule describes, is routed
through every route attached to the listener it reaches, with the Gateway
API's precedence: the most specific hostname, an Exact path, the longest
PathPrefix, a method match, the most header then query matches, the oldest
route, then namespace/name, then rule order. The report names the winning
route, rule and backends and predicts the answer (RT010): 404, 500, 503, a
redirect, or 200 when it is forwarded to a ready endpoint.

Unless --probe=none, it also connects from a ready data-plane pod of the
gateway to a ready endpoint of each backend of the winning rule (502: refused,
504: dropped) and judges NetworkPolicy from that pod to the backend pods.

For a TLSRoute (tlsroute/NAME) or a TCPRoute (tcproute/NAME) it checks the
parents, attachment, hostnames and backends only: their matching (SNI, port)
is not modelled, so no request is routed and no answer predicted.`,
		Example: routeExample,
		Args:    cobra.ExactArgs(1),
		RunE:    g.runE(o),
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

// AddFlags binds the command's own flags.
func (o *RouteOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Gateway, "gateway", o.Gateway, "Route through this parent Gateway only, [NAMESPACE/]NAME (default: every parent)")
	fs.StringVar(&o.Host, "host", o.Host, "The Host of one request (shop.example.com, shop.example.com:8080, or a URL that sets scheme, port and path)")
	fs.StringVar(&o.Path, "path", o.Path, "The path of the request, with a query (/search?q=x); for a GRPCRoute /package.Service/Method")
	fs.StringVar(&o.Method, "method", o.Method, "The HTTP method of the request (default GET)")
	fs.StringArrayVar(&o.Headers, "header", o.Headers, "A header of the request, Name=value (repeatable)")
	o.Probe.AddFlags(fs)
}

// Complete reads the kind and name, the namespace and the clients.
func (o *RouteOptions) Complete(args []string) error {
	if err := o.completeCluster(&o.Namespace, &o.clients); err != nil {
		return err
	}
	o.Kind, o.Name = route.HTTPRoute, args[0]
	if prefix, rest, ok := strings.Cut(args[0], "/"); ok {
		switch strings.ToLower(prefix) {
		case "httproute", "httproutes", "httproute.gateway.networking.k8s.io":
			o.Name = rest
		case "grpcroute", "grpcroutes", "grpcroute.gateway.networking.k8s.io":
			o.Kind, o.Name = route.GRPCRoute, rest
		case "tlsroute", "tlsroutes", "tlsroute.gateway.networking.k8s.io":
			o.Kind, o.Name = route.TLSRoute, rest
		case "tcproute", "tcproutes", "tcproute.gateway.networking.k8s.io":
			o.Kind, o.Name = route.TCPRoute, rest
		default:
			o.Namespace, o.Name = prefix, rest
		}
	}
	if ns, name, ok := strings.Cut(o.Name, "/"); ok {
		o.Namespace, o.Name = ns, name
	}
	if o.Gateway != "" {
		o.gatewayNS, o.gatewayName = splitNamespaced(o.Gateway, o.Namespace)
	}
	return nil
}

// Validate rejects names and requests the API server or a gateway would
// reject anyway.
func (o *RouteOptions) Validate() error {
	if err := validateObjectName(strings.ToLower(o.Kind), o.Namespace, o.Name); err != nil {
		return err
	}
	if o.Gateway != "" {
		if err := validateObjectName("gateway", o.gatewayNS, o.gatewayName); err != nil {
			return fmt.Errorf("--gateway: %w", err)
		}
	}
	if o.Kind == route.GRPCRoute && o.Method != "" {
		return fmt.Errorf("--method applies to HTTPRoutes: a gRPC call's method is in --path /package.Service/Method")
	}
	if err := o.request().Validate(); err != nil {
		return err
	}
	var err error
	o.settings, err = o.Probe.Settings()
	return err
}

func (o *RouteOptions) request() route.Request {
	return route.Request{
		Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, GatewayNamespace: o.gatewayNS, GatewayName: o.gatewayName,
		Host: o.Host, Path: o.Path, Method: o.Method, Headers: o.Headers, Probe: o.settings, Now: o.Now,
	}
}

// Run diagnoses and prints.
func (o *RouteOptions) Run(ctx context.Context) error {
	rep, err := route.Diagnose(ctx, o.clients, o.request())
	if err != nil {
		return err
	}
	return o.Print(rep)
}
