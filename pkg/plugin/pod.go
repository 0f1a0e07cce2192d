package plugin

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/pod"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

const podExample = `  # Why can't web-1 reach db-0? (ports: what db-0 declares)
  kubectl netdebug pod web-1 db-0 -n shop

  # Across namespaces, on given ports, from a deployment's ready pod
  kubectl netdebug pod shop/deploy/web data/db-0 --port 5432 --port 9187

  # Probe from a debug container when the pods' images have no tools
  kubectl netdebug pod web-1 db-0 --probe=ephemeral --image=registry.local/netshoot:v0.13`

// PodOptions diagnose traffic from one pod to another.
type PodOptions struct {
	*GlobalOptions
	Probe *ProbeFlags
	Ports []string

	src, dst  target.Ref
	ports     []pod.Port
	namespace string
	settings  probe.Settings
}

// NewCmdPod is `kubectl netdebug pod SRC DST`.
func NewCmdPod(g *GlobalOptions) *cobra.Command {
	o := &PodOptions{GlobalOptions: g, Probe: NewProbeFlags()}
	cmd := &cobra.Command{
		Use:   "pod SRC DST [--port P[/PROTO]]...",
		Short: "Why can't pod SRC reach pod DST: pods, nodes, CNI, policy verdict and live probes",
		Long: `Answer "why can't SRC reach DST" in the procedure's order: both pods running
and ready with IPs (and the IPs inside the pods), their nodes and the CNI agent
on each, the NetworkPolicy verdict for SRC's egress and DST's ingress with the
deciding rules, then ping and a TCP connect from SRC to DST. The verdict
combines them: refused means nothing listens; a timeout with a denying policy
names the policy; a timeout without one points at the CNI, node or routing; a
success despite a deny means the CNI does not enforce policies.`,
		Example: podExample,
		Args:    cobra.ExactArgs(2),
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
	cmd.Flags().StringSliceVar(&o.Ports, "port", nil, "destination port to check, P or P/PROTO (80, 53/udp, http); repeatable; default: the ports DST declares")
	o.Probe.AddFlags(cmd.Flags())
	return cmd
}

// Complete parses the references.
func (o *PodOptions) Complete(args []string) error {
	var err error
	if o.src, err = target.Parse(args[0]); err != nil {
		return fmt.Errorf("SRC: %w", err)
	}
	if o.dst, err = target.Parse(args[1]); err != nil {
		return fmt.Errorf("DST: %w", err)
	}
	o.namespace, err = o.GlobalOptions.Namespace()
	return err
}

// Validate checks the flags before any request.
func (o *PodOptions) Validate() error {
	if err := o.GlobalOptions.Validate(); err != nil {
		return err
	}
	o.ports = nil
	for _, p := range o.Ports {
		pp, err := pod.ParsePort(p)
		if err != nil {
			return err
		}
		o.ports = append(o.ports, pp)
	}
	var err error
	o.settings, err = o.Probe.Settings()
	return err
}

// Run diagnoses and prints.
func (o *PodOptions) Run(ctx context.Context) error {
	client, err := o.Clientset()
	if err != nil {
		return err
	}
	dyn, err := o.DynamicClient()
	if err != nil {
		return err
	}
	req := pod.Request{Src: o.src, Dst: o.dst, Namespace: o.namespace, Ports: o.ports, Now: o.Now}
	if o.settings.Mode != probe.ModeNone {
		cfg, err := o.RESTConfig()
		if err != nil {
			return err
		}
		req.Open = func(ctx context.Context, pod *corev1.Pod) probe.Session {
			return probe.Open(ctx, cfg, client, pod, "", o.settings)
		}
	}
	rep, err := pod.Diagnose(ctx, client, dyn, req)
	if err != nil {
		return err
	}
	return o.Print(rep)
}
