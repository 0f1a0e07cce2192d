package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
)

const serviceExample = `  # Why does service web in the current namespace not answer?
  kubectl netdebug service web

  # The same in namespace shop, as JSON for a script
  kubectl netdebug service web -n shop -o json`

// ServiceOptions diagnose one Service.
type ServiceOptions struct {
	*GlobalOptions
	Live      *FromFlags
	Name      string
	Namespace string

	clients kube.Clients
}

// NewCmdService is `kubectl netdebug service NAME`.
func NewCmdService(g *GlobalOptions) *cobra.Command {
	o := &ServiceOptions{GlobalOptions: g, Live: NewFromFlags()}
	cmd := &cobra.Command{
		Use:     "service NAME",
		Aliases: []string{"svc"},
		Short:   "Diagnose a Service: selector, pods, readiness, target ports, EndpointSlices",
		Long: `Diagnose a Service the way the service-discovery procedure does by hand:
the Service exists (or what was probably meant), its type, its selector
against the pods (with near misses when it matches none), each selected pod's
readiness and the readiness probe's last failure, every targetPort resolved on
every pod, and the EndpointSlices that kube-proxy and DNS really use.
With --from POD it adds live checks from that client pod: the service name
through DNS, the policy verdict to the backends, a TCP connect straight to a
ready endpoint (the backend path) and to ClusterIP:port (the kube-proxy path),
so that a DNS, a VIP, a backend and a policy problem are told apart.`,
		Example: serviceExample,
		Args:    cobra.ExactArgs(1),
		RunE:    g.runE(o),
	}
	o.Live.AddFlags(cmd.Flags(), "Client pod for live checks")
	return cmd
}

// Complete reads the name, the namespace and the clients.
func (o *ServiceOptions) Complete(args []string) error {
	o.Name = args[0]
	return o.completeCluster(&o.Namespace, &o.clients)
}

// Validate rejects names the API server would reject anyway.
func (o *ServiceOptions) Validate() error {
	if errs := validation.IsDNS1035Label(o.Name); len(errs) > 0 {
		return fmt.Errorf("invalid service name %q: %s", o.Name, strings.Join(errs, "; "))
	}
	return o.Live.Validate()
}

// Run diagnoses and prints.
func (o *ServiceOptions) Run(ctx context.Context) error {
	rep, err := service.Diagnose(ctx, o.clients, service.Request{
		Namespace: o.Namespace, Name: o.Name, From: o.Live.ref, Probe: o.Live.settings, Now: o.Now,
	})
	if err != nil {
		return err
	}
	return o.Print(rep)
}
