package plugin

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
)

const netpolMatrixExample = `  # Who may reach whom in namespace shop, on the ports each pod declares?
  kubectl netdebug netpol matrix -n shop

  # On one port, across all namespaces, as JSON cells for a script
  kubectl netdebug netpol matrix -A --port 8080 -o json

  # Which flows would a new policy cut or open?
  kubectl netdebug netpol matrix -n shop --what-if -f default-deny.yaml

  # From manifests, without a cluster
  kubectl netdebug netpol matrix --local -f k8s/`

// NetpolMatrixOptions are `kubectl netdebug netpol matrix`.
type NetpolMatrixOptions struct {
	*GlobalOptions
	Source        NetpolSourceFlags
	AllNamespaces bool
	MaxPods       int

	namespaces []string
	src        *netpolSource
	client     kubernetes.Interface
	dyn        dynamic.Interface
}

// NewCmdNetpolMatrix is `kubectl netdebug netpol matrix`.
func NewCmdNetpolMatrix(g *GlobalOptions) *cobra.Command {
	o := &NetpolMatrixOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "matrix [-n NS | -A]",
		Short: "The truth table of NetworkPolicy between the pods of a namespace (rows from, columns to)",
		Long: `Decide every flow between the pods in scope (a pod to itself included): on
--port, else each destination on the ports it declares. Rows are sources,
columns destinations, numbered as the rows: . allowed, X denied, ? undecided,
~ allowed on some ports only, - nothing to check. hostNetwork and finished
pods are left out and named. -o json lists every cell (from, to, port,
protocol, allowed, result).

Scope: -n NS (default: the current namespace), -A for all namespaces; offline
(--local) every pod of the manifests unless -n is given.`,
		Example: netpolMatrixExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return g.runWatched(cmd.Context(), o.Run)
		},
	}
	o.Source.AddFlags(cmd.Flags())
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "every namespace")
	cmd.Flags().IntVar(&o.MaxPods, "max-pods", netpol.DefaultMaxPods, "refuse scopes with more pods than this")
	return cmd
}

// Complete resolves the scope and, against a cluster, the clients.
func (o *NetpolMatrixOptions) Complete() error {
	nsGiven := o.ConfigFlags.Namespace != nil && *o.ConfigFlags.Namespace != ""
	if o.AllNamespaces && nsGiven {
		return errors.New("give -n NS or -A, not both")
	}
	ns, err := o.netpolNamespace(o.Source.Local)
	if err != nil {
		return err
	}
	switch {
	case o.AllNamespaces, o.Source.Local && !nsGiven:
		o.namespaces = nil
	default:
		o.namespaces = []string{ns}
	}
	if o.Source.Local {
		return nil
	}
	return o.netpolClients(&o.client, &o.dyn)
}

// Validate checks the flags and reads the manifests.
func (o *NetpolMatrixOptions) Validate() error {
	if err := o.GlobalOptions.Validate(); err != nil {
		return err
	}
	if o.MaxPods < 1 {
		return errors.New("--max-pods must be at least 1")
	}
	ns := "default"
	if len(o.namespaces) == 1 {
		ns = o.namespaces[0]
	}
	var err error
	o.src, err = o.Source.validate(ns, o.Streams.In)
	return err
}

// Run builds the matrix and prints it.
func (o *NetpolMatrixOptions) Run(ctx context.Context) error {
	var w *netpol.World
	if o.src.local {
		w = netpol.FromManifests(o.Source.Filenames, o.src.world)
	} else {
		list := o.namespaces
		if list == nil {
			list = []string{""}
		}
		var err error
		if w, err = netpol.Gather(ctx, o.client, o.dyn, netpol.Request{ListPodsIn: list}); err != nil {
			return err
		}
	}
	res, err := netpol.Matrix(w, netpol.MatrixRequest{
		Namespaces: o.namespaces, Ports: o.src.ports, Protocol: o.src.protocol, WhatIf: o.src.whatIf, MaxPods: o.MaxPods,
	})
	if err != nil {
		return err
	}
	return o.printNetpol(res)
}
