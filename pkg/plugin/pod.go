package plugin

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/pod"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

const podExample = `  # Why can't web-1 reach db-0? (ports: what db-0 declares)
  kubectl netdebug pod web-1 db-0 -n shop

  # Across namespaces, on given ports, from a deployment's ready pod
  kubectl netdebug pod shop/deploy/web data/db-0 --port 5432 --port 9187

  # Probe from a debug container when the pods' images have no tools
  kubectl netdebug pod web-1 db-0 --probe=ephemeral --image=registry.local/netshoot:v0.13

  # Also read routes, MTUs and firewall counters on both pods' nodes
  kubectl netdebug pod web-1 db-0 --node-checks --node-namespace=netdebug`

// PodOptions diagnose traffic from one pod to another.
type PodOptions struct {
	*GlobalOptions
	Probe *ProbeFlags
	Nodes NodeCheckFlags
	Ports []string

	src, dst  target.Ref
	ports     []pod.Port
	namespace string
	settings  probe.Settings
	clients   kube.Clients
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
combines them: a refusal is explained by DST's listening sockets (read from
/proc/net/tcp through exec: it listens on 127.0.0.1 only, on other ports, or
on the port after all); a timeout with a denying policy
names the policy; a timeout without one points at the CNI, node or routing; a
success despite a deny means the CNI does not enforce policies. Once a small
ping passes, pings that fill the pods' MTU tell an MTU mismatch on the path
(small packets pass, large ones vanish), with the largest size that passes.

With --node-checks, a short-lived privileged debug pod on each pod's node
(deleted on exit, and by its own deadline of 10 minutes) reads how packets to
the other pod leave the node, that interface's MTU, and which drop or reject
rules of iptables and nftables counted packets while the probes ran: the
verdict then names the node firewall rule or the missing route.`,
		Example: podExample,
		Args:    cobra.ExactArgs(2),
		RunE:    g.runE(o),
	}
	cmd.Flags().StringSliceVar(&o.Ports, "port", nil, "Destination port to check, P or P/PROTO (80, 53/udp, http); repeatable; default: the ports DST declares")
	o.Probe.AddFlags(cmd.Flags())
	o.Nodes.AddFlags(cmd.Flags())
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
	return o.completeCluster(&o.namespace, &o.clients)
}

// Validate checks the flags before any request.
func (o *PodOptions) Validate() error {
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
	rep, err := pod.Diagnose(ctx, o.clients, pod.Request{
		Src: o.src, Dst: o.dst, Namespace: o.namespace, Ports: o.ports, Probe: o.settings, Now: o.Now,
		NodeChecks: o.Nodes.Enabled, Node: o.Nodes.Settings(o.settings, o.namespace),
	})
	if err != nil {
		return err
	}
	return o.Print(rep)
}
