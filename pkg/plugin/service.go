package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
)

const serviceExample = `  # Why does service web in the current namespace not answer?
  kubectl netdebug service web

  # The same in namespace shop, as JSON for a script
  kubectl netdebug service web -n shop -o json`

// ServiceOptions diagnose one Service.
type ServiceOptions struct {
	*GlobalOptions
	Name      string
	Namespace string

	client kubernetes.Interface
}

// NewCmdService is `kubectl netdebug service NAME`.
func NewCmdService(g *GlobalOptions) *cobra.Command {
	o := &ServiceOptions{GlobalOptions: g}
	return &cobra.Command{
		Use:     "service NAME",
		Aliases: []string{"svc"},
		Short:   "Diagnose a Service: selector, pods, readiness, target ports, EndpointSlices",
		Long: `Diagnose a Service the way the service-discovery procedure does by hand:
the Service exists (or what was probably meant), its type, its selector
against the pods (with near misses when it matches none), each selected pod's
readiness and the readiness probe's last failure, every targetPort resolved on
every pod, and the EndpointSlices that kube-proxy and DNS really use.`,
		Example: serviceExample,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
}

// Complete fills the namespace and the client from the flags.
func (o *ServiceOptions) Complete(args []string) error {
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

// Validate rejects names the API server would reject anyway.
func (o *ServiceOptions) Validate() error {
	if errs := validation.IsDNS1035Label(o.Name); len(errs) > 0 {
		return fmt.Errorf("invalid service name %q: %s", o.Name, strings.Join(errs, "; "))
	}
	return o.GlobalOptions.Validate()
}

// Run diagnoses and prints.
func (o *ServiceOptions) Run(ctx context.Context) error {
	rep, err := service.Diagnose(ctx, o.client, service.Request{Namespace: o.Namespace, Name: o.Name, Now: o.Now})
	if err != nil {
		return err
	}
	return o.Print(rep)
}
