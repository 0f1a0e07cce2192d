package plugin

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

const netpolExample = `  # Which policies select pod api, and what may reach it and what may it reach?
  kubectl netdebug netpol api -n shop

  # May frontend reach api, on every port api declares? Why not?
  kubectl netdebug netpol frontend api -n shop

  # On one port, from a ready pod of a deployment, or from an IP outside the cluster
  kubectl netdebug netpol deploy/frontend shop/api --port 8080
  kubectl netdebug netpol 203.0.113.7 shop/api --port http
  kubectl netdebug netpol shop/api 10.96.0.10 --port 53/udp

  # Would this new policy cut or open the flow?
  kubectl netdebug netpol frontend api -n shop --what-if -f new-policy.yaml

  # Without a cluster, from manifests (CI)
  kubectl netdebug netpol frontend api -n shop --local -f k8s/`

// NetpolOptions are `kubectl netdebug netpol POD` and `netpol SRC DST`.
type NetpolOptions struct {
	*GlobalOptions
	Source NetpolSourceFlags
	Args   []string

	namespace string
	src       *netpolSource
	endpoints []endpointArg
	client    kubernetes.Interface
	dyn       dynamic.Interface
}

// NewCmdNetpol is `kubectl netdebug netpol` and its subcommands.
func NewCmdNetpol(g *GlobalOptions) *cobra.Command {
	o := &NetpolOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "netpol POD | netpol SRC DST",
		Short: "NetworkPolicy: what selects a pod, why a flow is allowed or denied, matrix, what-if, allow-all test",
		Long: `Judge NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy
the way the API defines them, and explain the verdict.

  netpol POD        the policies selecting the pod, whether it is isolated for
                    ingress and egress, and their rules in words
  netpol SRC DST    the verdict on each port (--port, else every port DST
                    declares) with both sides explained: the exact allowing
                    rule (policy, rule, peer, port), or for a deny why each
                    candidate rule missed, closest miss first

SRC and DST are POD, NAMESPACE/POD, KIND/NAME (deploy/web) or an IP address;
an IP that belongs to a pod is judged as that pod. Against a cluster it reads
only the pods, the namespaces, the policies of the pods' namespaces, the admin
policies and the network plugin's DaemonSets, and says loudly when the plugin
does not enforce NetworkPolicy: every verdict is then theory.

Exit codes: 0 allowed on every port, 1 denied on some port (or the network
plugin ignores the policies), 2 undecided or could not run.`,
		Example: netpolExample,
		Args:    cobra.RangeArgs(1, 2),
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
	o.Source.AddFlags(cmd.Flags())
	cmd.AddCommand(NewCmdNetpolMatrix(g), NewCmdNetpolAllowAll(g), NewCmdNetpolCleanup(g))
	return cmd
}

// Complete reads the arguments and, against a cluster, builds the clients.
func (o *NetpolOptions) Complete(args []string) error {
	o.Args = args
	var err error
	if o.namespace, err = o.netpolNamespace(o.Source.Local); err != nil {
		return err
	}
	if o.Source.Local {
		return nil
	}
	return o.netpolClients(&o.client, &o.dyn)
}

// Validate parses the endpoints and flags and reads the manifests.
func (o *NetpolOptions) Validate() error {
	if err := o.GlobalOptions.Validate(); err != nil {
		return err
	}
	o.endpoints = nil
	for _, a := range o.Args {
		ep, err := parseEndpoint(a)
		if err != nil {
			return err
		}
		o.endpoints = append(o.endpoints, ep)
	}
	if len(o.endpoints) == 1 {
		if o.endpoints[0].ip.IsValid() {
			return fmt.Errorf("%s is an IP address: netpol POD describes a pod; to judge a flow give SRC and DST", o.Args[0])
		}
		if len(o.Source.Ports) > 0 || o.Source.Protocol != "" || o.Source.WhatIf {
			return fmt.Errorf("--port, --protocol and --what-if judge a flow: give SRC and DST")
		}
	}
	var err error
	o.src, err = o.Source.validate(o.namespace, o.Streams.In)
	return err
}

// Run answers the question and prints the report.
func (o *NetpolOptions) Run(ctx context.Context) error {
	args := make([]netpol.Arg, len(o.endpoints))
	var known []corev1.Pod
	var pods []policy.PodRef
	var ips []netip.Addr
	for i, ep := range o.endpoints {
		a, pod, err := ep.resolve(ctx, o.client, o.namespace, o.src.local)
		if err != nil {
			return err
		}
		args[i] = a
		switch {
		case pod != nil:
			known = append(known, *pod)
		case a.IsIP():
			ips = append(ips, a.IP)
		default:
			pods = append(pods, a.Pod)
		}
	}
	w, err := o.world(ctx, pods, known, ips)
	if err != nil {
		return err
	}
	if len(args) == 1 {
		return o.printNetpol(netpol.Describe(w, args[0].Pod))
	}
	res, err := netpol.Flow(w, netpol.FlowRequest{
		Src: args[0], Dst: args[1], Ports: o.src.ports, Protocol: o.src.protocol, WhatIf: o.src.whatIf,
		Describe: o.describeCommand(),
	})
	if err != nil {
		return err
	}
	return o.printNetpol(res)
}

// world is the manifests offline, else what the cluster has for the pods.
func (o *NetpolOptions) world(ctx context.Context, pods []policy.PodRef, known []corev1.Pod, ips []netip.Addr) (*netpol.World, error) {
	if o.src.local {
		w := netpol.FromManifests(o.Source.Filenames, o.src.world)
		for _, ip := range ips {
			netpol.FindIPOwners(w, ip)
		}
		return w, nil
	}
	return netpol.Gather(ctx, o.client, o.dyn, netpol.Request{Pods: pods, Known: known, IPs: ips})
}

// describeCommand is how to describe a pod from the same policies, with %s
// for the pod.
func (o *NetpolOptions) describeCommand() string {
	if !o.src.local {
		return "kubectl netdebug netpol %s"
	}
	return "kubectl netdebug netpol %s --local -f " + strings.Join(o.Source.Filenames, " -f ")
}
