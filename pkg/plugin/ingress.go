package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/ingress"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
)

const ingressExample = `  # Why does ingress shop in namespace web not serve its hosts?
  kubectl netdebug ingress shop -n web

  # Where does https://shop.example.com/api/v1 land, and what does it get?
  kubectl netdebug ingress shop -n web --host shop.example.com --path /api/v1

  # The same as JSON for a script
  kubectl netdebug ingress shop -n web -o json`

// IngressOptions diagnose one Ingress, optionally one request through it.
type IngressOptions struct {
	*GlobalOptions
	Name      string
	Namespace string
	// Host and Path are --host and --path: one request to route.
	Host  string
	Path  string
	Probe *ProbeFlags

	settings probe.Settings
	client   kubernetes.Interface
}

// NewCmdIngress is `kubectl netdebug ingress NAME [--host H --path P]`.
func NewCmdIngress(g *GlobalOptions) *cobra.Command {
	o := &IngressOptions{GlobalOptions: g, Probe: NewProbeFlags()}
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
controller's connections are the 502s (and 504s) the API cannot show.`,
		Example: ingressExample,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return g.runWatched(cmd.Context(), o.Run)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

// AddFlags binds the command's own flags.
func (o *IngressOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Host, "host", o.Host, "the Host of one request to route (shop.example.com, a port is ignored; a URL sets --path too)")
	fs.StringVar(&o.Path, "path", o.Path, "the path of one request to route (default /; without --host, a request whose Host matches no rule host)")
	o.Probe.AddFlags(fs)
}

// Complete fills the namespace and the client from the flags.
func (o *IngressOptions) Complete(args []string) error {
	o.Name = args[0]
	ns, err := o.GlobalOptions.Namespace()
	if err != nil {
		return err
	}
	o.Namespace = ns
	if o.client == nil {
		if o.client, err = o.Clientset(); err != nil {
			return err
		}
	}
	return nil
}

// Validate rejects names and requests the API server or a controller would
// reject anyway.
func (o *IngressOptions) Validate() error {
	if errs := validation.IsDNS1123Subdomain(o.Name); len(errs) > 0 {
		return fmt.Errorf("invalid ingress name %q: %s", o.Name, strings.Join(errs, "; "))
	}
	if o.Host != "" || o.Path != "" {
		if _, _, err := ingress.NormalizeRequest(o.Host, o.Path); err != nil {
			return err
		}
	}
	if err := o.GlobalOptions.Validate(); err != nil {
		return err
	}
	var err error
	o.settings, err = o.Probe.Settings()
	return err
}

// Run diagnoses and prints.
func (o *IngressOptions) Run(ctx context.Context) error {
	req := ingress.Request{Namespace: o.Namespace, Name: o.Name, Host: o.Host, Path: o.Path, Now: o.Now}
	if o.settings.Mode != probe.ModeNone {
		req.Open = func(ctx context.Context, pod *corev1.Pod) probe.Session {
			sess, err := o.openProbes(ctx, pod, "", o.settings)
			if err != nil {
				return probe.Session{How: err.Error(), Err: err}
			}
			return sess
		}
	}
	rep, err := ingress.Diagnose(ctx, o.client, req)
	if err != nil {
		return err
	}
	return o.Print(rep)
}
