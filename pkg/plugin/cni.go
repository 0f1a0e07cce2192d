package plugin

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/cni"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
)

const cniExample = `  # Which CNI runs, is it healthy on every node, does it enforce NetworkPolicy?
  kubectl netdebug cni

  # Only the nodes that matter
  kubectl netdebug cni --node worker-1 --node worker-2`

// CNIOptions diagnose the network plugin.
type CNIOptions struct {
	*GlobalOptions
	Nodes []string

	clients kube.Clients
}

// NewCmdCNI is `kubectl netdebug cni`.
func NewCmdCNI(g *GlobalOptions) *cobra.Command {
	o := &CNIOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "cni",
		Short: "Diagnose the network plugin: agents per node, log errors, policy enforcement, kube-proxy",
		Long: `Recognise the CNI (calico, cilium, flannel, canal, weave, antrea, kube-router,
ovn-kubernetes, aws-node, azure, kindnet, GKE Dataplane V2, kube-network-policies,
or unknown with the evidence) from the DaemonSets of its node agents; check
that its agent pod is ready on each node, quote recent errors from the agents'
logs, say whether NetworkPolicy is enforced at all, check kube-proxy (or its
replacement), and the nodes' Ready/NetworkUnavailable conditions and pod CIDRs.`,
		Example: cniExample,
		Args:    cobra.NoArgs,
		RunE:    g.runE(o),
	}
	cmd.Flags().StringSliceVar(&o.Nodes, "node", nil, "Limit the per-node checks to these nodes (repeatable)")
	return cmd
}

// Complete builds the clients.
func (o *CNIOptions) Complete([]string) error {
	var err error
	o.clients, err = o.Clients()
	return err
}

// Validate has nothing to check beyond the shared flags.
func (o *CNIOptions) Validate() error { return nil }

// Run diagnoses and prints.
func (o *CNIOptions) Run(ctx context.Context) error {
	rep, err := cni.Diagnose(ctx, o.clients, cni.Request{Nodes: o.Nodes, Now: o.Now})
	if err != nil {
		return err
	}
	return o.Print(rep)
}
