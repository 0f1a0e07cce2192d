package plugin

import (
	"context"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/cni"
)

const cniExample = `  # Which CNI runs, is it healthy on every node, does it enforce NetworkPolicy?
  kubectl netdebug cni

  # Only the nodes that matter
  kubectl netdebug cni --node worker-1 --node worker-2`

// CNIOptions diagnose the network plugin.
type CNIOptions struct {
	*GlobalOptions
	Nodes []string

	client kubernetes.Interface
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.GlobalOptions.Validate(); err != nil {
				return err
			}
			return g.runWatched(cmd.Context(), o.Run)
		},
	}
	cmd.Flags().StringSliceVar(&o.Nodes, "node", nil, "limit the per-node checks to these nodes (repeatable)")
	return cmd
}

// Complete builds the client.
func (o *CNIOptions) Complete() error {
	var err error
	if o.client == nil {
		o.client, err = o.Clientset()
	}
	return err
}

// Run diagnoses and prints.
func (o *CNIOptions) Run(ctx context.Context) error {
	rep, err := cni.Diagnose(ctx, o.client, cni.Request{Nodes: o.Nodes, Now: o.Now})
	if err != nil {
		return err
	}
	return o.Print(rep)
}
