package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/external"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/ingress"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/route"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
)

const gatewayExample = `  # Why does gateway shop in namespace infra serve nothing?
  kubectl netdebug gateway infra/shop

  # Send a request for shop.example.com from this machine to its address
  kubectl netdebug gateway infra/shop --external --host shop.example.com

  # The same, namespace by flag, as JSON for a script
  kubectl netdebug gateway shop -n infra -o json`

// GatewayOptions diagnose one Gateway API Gateway.
type GatewayOptions struct {
	*GlobalOptions
	Name      string
	Namespace string
	// Host and Path are the request --external sends.
	Host     string
	Path     string
	External *ExternalFlags
	// Probe is how --external's prediction probes the backends from the
	// gateway's data plane (as the route command does).
	Probe *ProbeFlags

	external *external.Settings
	probe    probe.Settings
	clients  kube.Clients
}

// NewCmdGateway is `kubectl netdebug gateway [NS/]NAME`.
func NewCmdGateway(g *GlobalOptions) *cobra.Command {
	o := &GatewayOptions{GlobalOptions: g, External: NewExternalFlags(), Probe: NewProbeFlags()}
	cmd := &cobra.Command{
		Use:     "gateway [NAMESPACE/]NAME",
		Aliases: []string{"gtw"},
		Short:   "Diagnose a Gateway API Gateway: class, controller, status, addresses, listeners, TLS, attached routes",
		Long: `Diagnose a Gateway (gateway.networking.k8s.io) the way its troubleshooting
goes by hand: its GatewayClass exists and is accepted by a controller; the
controller's and the data plane's pods (found by the labels of known
implementations, the GEP-1762 gateway-name label, or the Service at the
Gateway's address) are ready, and what their recent logs say about this
namespace; the Gateway's Accepted and Programmed conditions with their
reasons; its addresses and the Service or load balancer in front of it; and
for each listener: conflicts with the others (port, protocol, hostname), its
conditions (ResolvedRefs...), its TLS certificateRefs (the Secret exists,
parses, is valid and covers the hostname; a Secret of another namespace needs
a ReferenceGrant), the route kinds and namespaces it admits, and the routes
attached to it: when none is, which routes try and why they cannot.

With --external it also sends one request (--host, --path; else a hostname
the gateway serves) from this machine to the gateway's status address, or to
--address/--url, with that Host and TLS SNI, and compares the answer with the
one predicted inside (GW013): from its status, the HTTPRoute that takes the
request, and what that route's backends give (the route command's answer:
their endpoints and weights, and a probe from the data plane, which --probe,
--image and --probe-timeout tune). No answer from outside is the load
balancer or a firewall; the same failure inside and out is the backend; a
different answer is the gateway. Nothing leaves this machine without
--external.

A cluster that does not serve the Gateway API is said so in one line (exit 2).
Where one request lands and what it gets: kubectl netdebug route.`,
		Example: gatewayExample,
		Args:    cobra.ExactArgs(1),
		RunE:    g.runE(o),
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

// AddFlags binds the command's own flags.
func (o *GatewayOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Host, "host", o.Host, "With --external: the Host (and TLS SNI) of the request sent (shop.example.com; a URL sets --path too)")
	fs.StringVar(&o.Path, "path", o.Path, "With --external: the path of the request sent (default /)")
	o.External.AddFlags(fs, "gateway")
	o.Probe.AddFlags(fs)
}

// Complete reads the name, the namespace (NS/NAME wins over -n) and the
// clients.
func (o *GatewayOptions) Complete(args []string) error {
	if err := o.completeCluster(&o.Namespace, &o.clients); err != nil {
		return err
	}
	o.Namespace, o.Name = splitNamespaced(args[0], o.Namespace)
	return nil
}

// Validate rejects names the API server would reject anyway.
func (o *GatewayOptions) Validate() error {
	if err := validateObjectName("gateway", o.Namespace, o.Name); err != nil {
		return err
	}
	var err error
	if o.external, err = o.External.Settings(); err != nil {
		return err
	}
	if o.external == nil && (o.Host != "" || o.Path != "") {
		return fmt.Errorf("--host and --path need --external (where one request lands: kubectl netdebug route)")
	}
	if o.probe, err = o.Probe.Settings(); err != nil {
		return err
	}
	if o.External.URL != "" && o.Host == "" && o.Path == "" {
		_, o.Host, _, o.Path, _ = external.SplitURL(o.External.URL)
	}
	if o.Host != "" || o.Path != "" {
		if o.Host, o.Path, err = ingress.NormalizeRequest(o.Host, o.Path); err != nil {
			return err
		}
	}
	return nil
}

// Run diagnoses and prints.
func (o *GatewayOptions) Run(ctx context.Context) error {
	req := gateway.Request{Namespace: o.Namespace, Name: o.Name, Now: o.Now, External: o.external, Host: o.Host, Path: o.Path}
	if o.external != nil {
		req.RouteAnswer = route.GatewayAnswers(o.clients, o.probe)
	}
	rep, err := gateway.Diagnose(ctx, o.clients, req)
	if err != nil {
		return err
	}
	return o.Print(rep)
}

// splitNamespaced splits "NS/NAME"; a bare NAME keeps namespace.
func splitNamespaced(arg, namespace string) (string, string) {
	if ns, name, ok := strings.Cut(arg, "/"); ok {
		return ns, name
	}
	return namespace, arg
}

// validateObjectName checks a namespace and an object name as the API
// server would.
func validateObjectName(kind, namespace, name string) error {
	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return fmt.Errorf("invalid namespace %q: %s", namespace, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("invalid %s name %q: %s", kind, name, strings.Join(errs, "; "))
	}
	return nil
}
