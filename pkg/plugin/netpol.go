package plugin

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
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

  # Without a cluster, from manifests (CI): a policy the API server would
  # reject fails the run; --lenient only warns
  kubectl netdebug netpol frontend api -n shop --local -f k8s/

  # Does a change of the manifests alter this flow? (all flows: netpol matrix)
  kubectl netdebug netpol frontend api -n shop --local -f base/k8s/ --what-if -f k8s/`

// NetpolOptions are `kubectl netdebug netpol POD` and `netpol SRC DST`.
type NetpolOptions struct {
	*GlobalOptions
	Source NetpolSourceFlags
	Args   []string

	namespace string
	src       *netpolSource
	endpoints []netpol.Endpoint
	clients   kube.Clients
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
		RunE:    g.runE(o),
	}
	o.Source.AddFlags(cmd.Flags())
	cmd.AddCommand(NewCmdNetpolMatrix(g), NewCmdNetpolTest(g), NewCmdNetpolAllowAll(g), NewCmdNetpolCleanup(g))
	return cmd
}

// Complete reads the arguments, the namespace and, against a cluster, the
// clients.
func (o *NetpolOptions) Complete(args []string) error {
	o.Args = args
	return o.completeNetpol(o.Source.Local, &o.namespace, &o.clients)
}

// Validate parses the endpoints and flags and reads the manifests.
func (o *NetpolOptions) Validate() error {
	o.endpoints = nil
	for _, a := range o.Args {
		ep, err := netpol.ParseEndpoint(a)
		if err != nil {
			return err
		}
		o.endpoints = append(o.endpoints, ep)
	}
	if len(o.endpoints) == 1 {
		if o.endpoints[0].IsIP() {
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
	req := o.src.request()
	req.Endpoints, req.Namespace = o.endpoints, o.namespace
	rep, err := netpol.Diagnose(ctx, o.clients, req)
	if err != nil {
		return err
	}
	return o.Print(rep)
}
