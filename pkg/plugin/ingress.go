package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/external"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/ingress"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
)

const ingressExample = `  # Why does ingress shop in namespace web not serve its hosts?
  kubectl netdebug ingress shop -n web

  # Where does https://shop.example.com/api/v1 land, and what does it get?
  kubectl netdebug ingress shop -n web --host shop.example.com --path /api/v1

  # Send that request from this machine to the ingress's address too
  kubectl netdebug ingress shop -n web --host shop.example.com --path /api/v1 --external

  # The same as JSON for a script
  kubectl netdebug ingress shop -n web -o json`

// IngressOptions diagnose one Ingress, optionally one request through it.
type IngressOptions struct {
	*GlobalOptions
	Name      string
	Namespace string
	// Host and Path are --host and --path: one request to route.
	Host     string
	Path     string
	Probe    *ProbeFlags
	External *ExternalFlags

	settings probe.Settings
	external *external.Settings
	clients  kube.Clients
}

// NewCmdIngress is `kubectl netdebug ingress NAME [--host H --path P]`.
func NewCmdIngress(g *GlobalOptions) *cobra.Command {
	o := &IngressOptions{GlobalOptions: g, Probe: NewProbeFlags(), External: NewExternalFlags()}
	cmd := &cobra.Command{
		Use:     "ingress NAME [--host HOST] [--path PATH]",
		Aliases: []string{"ing"},
		Short:   "Diagnose an Ingress: class, controller, address, backends, TLS, conflicts, what each route gets",
		Long: `Diagnose an Ingress the way the ingress troubleshooting procedure does by
hand, for any controller: the class (spec.ingressClassName, the legacy
annotation, the default IngressClass), the class's controller (its pods,
restarts, recent log errors about this namespace, its Service and load-balancer
address), the Ingress's published address, every rule's backend Service, port,
ready endpoints (EndpointSlices) and targetPort, the TLS secrets and
certificates (type, host coverage, expiry; key material is never shown), and
rules of other Ingresses of the class that claim the same host and path. The
verdict says which host and path get 404, 503 or a certificate error, and why.

With --host and --path it routes one request as the controller would (exact
host, then wildcard, then rules without a host; Exact or Prefix paths, the
longest wins; the default backend otherwise), through every Ingress of the
class, and follows the backend chain of the rule it lands on.

Unless --probe=none, it also connects from a ready controller pod to one ready
endpoint of each backend: endpoints that exist but refuse or drop the
controller's connections are the 502s (and 504s) the API cannot show.

With --external it also sends the request (or the ingress's first route) from
this machine to the ingress's load-balancer address, or to --address/--url,
with the request's Host and TLS SNI, and compares the answer with the one
predicted inside (ING017): no answer from outside is the load balancer or a
firewall, a different answer the controller, the same failure the backend.
Nothing leaves this machine without --external.`,
		Example: ingressExample,
		Args:    cobra.ExactArgs(1),
		RunE:    g.runE(o),
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

// AddFlags binds the command's own flags.
func (o *IngressOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Host, "host", o.Host, "The Host of one request to route (shop.example.com, a port is ignored; a URL sets --path too)")
	fs.StringVar(&o.Path, "path", o.Path, "The path of one request to route (default /; without --host, a request whose Host matches no rule host)")
	o.Probe.AddFlags(fs)
	o.External.AddFlags(fs, "ingress")
}

// Complete fills the namespace and the client from the flags.
func (o *IngressOptions) Complete(args []string) error {
	o.Name = args[0]
	return o.completeCluster(&o.Namespace, &o.clients)
}

// Validate rejects names and requests the API server or a controller would
// reject anyway.
func (o *IngressOptions) Validate() error {
	if errs := validation.IsDNS1123Subdomain(o.Name); len(errs) > 0 {
		return fmt.Errorf("invalid ingress name %q: %s", o.Name, strings.Join(errs, "; "))
	}
	var err error
	if o.external, err = o.External.Settings(); err != nil {
		return err
	}
	if o.External.URL != "" && o.Host == "" && o.Path == "" {
		_, o.Host, _, o.Path, _ = external.SplitURL(o.External.URL)
	}
	if o.Host != "" || o.Path != "" {
		if _, _, err := ingress.NormalizeRequest(o.Host, o.Path); err != nil {
			return err
		}
	}
	o.settings, err = o.Probe.Settings()
	return err
}

// Run diagnoses and prints.
func (o *IngressOptions) Run(ctx context.Context) error {
	rep, err := ingress.Diagnose(ctx, o.clients, ingress.Request{
		Namespace: o.Namespace, Name: o.Name, Host: o.Host, Path: o.Path, Probe: o.settings, Now: o.Now,
		External: o.external,
	})
	if err != nil {
		return err
	}
	return o.Print(rep)
}
