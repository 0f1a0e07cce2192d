package plugin

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/dns"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
)

const dnsExample = `  # Is cluster DNS healthy? (kube-dns Service, CoreDNS pods, endpoints, Corefile, logs)
  kubectl netdebug dns

  # Can pod web-1 resolve service api, over UDP and TCP, and may it reach DNS?
  kubectl netdebug dns api --from web-1 -n shop

  # The same from a ready pod of a deployment, probing from a debug container
  kubectl netdebug dns api --from deploy/web --probe=ephemeral`

// DNSOptions diagnose cluster DNS, optionally from a pod.
type DNSOptions struct {
	*GlobalOptions
	Live *FromFlags
	Name string

	namespace string
	clients   kube.Clients
}

// NewCmdDNS is `kubectl netdebug dns [NAME] [--from POD]`.
func NewCmdDNS(g *GlobalOptions) *cobra.Command {
	o := &DNSOptions{GlobalOptions: g, Live: NewFromFlags()}
	cmd := &cobra.Command{
		Use:   "dns [NAME] [--from POD]",
		Short: "Diagnose cluster DNS: kube-dns, CoreDNS pods, Corefile, logs, lookups from a pod",
		Long: `Diagnose cluster DNS: the kube-dns Service and its ClusterIP, the DNS pods
(ready, restarts), their EndpointSlices, the Corefile (cluster domain, forward,
loop), a node-local cache, and errors in the DNS pods' logs, counted and quoted.
With --from POD it also reads the pod's resolv.conf and resolves
kubernetes.default and NAME from inside the pod, over UDP and TCP where the
pod's tools allow.`,
		Example: dnsExample,
		Args:    cobra.MaximumNArgs(1),
		RunE:    g.runE(o),
	}
	o.Live.AddFlags(cmd.Flags(), "Pod to resolve names from")
	return cmd
}

// Complete reads the arguments, the namespace and the clients.
func (o *DNSOptions) Complete(args []string) error {
	if len(args) == 1 {
		o.Name = args[0]
	}
	return o.completeCluster(&o.namespace, &o.clients)
}

// Validate checks flags before any request.
func (o *DNSOptions) Validate() error {
	if err := o.Live.Validate(); err != nil {
		return err
	}
	if len(o.Name) > 253 {
		return fmt.Errorf("name %q is longer than 253 characters", o.Name)
	}
	return nil
}

// Run diagnoses and prints.
func (o *DNSOptions) Run(ctx context.Context) error {
	rep, err := dns.Diagnose(ctx, o.clients, dns.Request{
		Name: o.Name, Namespace: o.namespace, From: o.Live.ref, Probe: o.Live.settings, Now: o.Now,
	})
	if err != nil {
		return err
	}
	return o.Print(rep)
}
