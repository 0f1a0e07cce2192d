package plugin

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
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
	clients    kube.Clients
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
protocol, allowed, result; allowed is left out when the result is Undecided).

Scope: -n NS (default: the current namespace), -A for all namespaces; offline
(--local) every pod of the manifests unless -n is given.`,
		Example: netpolMatrixExample,
		Args:    cobra.NoArgs,
		RunE:    g.runE(o),
	}
	o.Source.AddFlags(cmd.Flags())
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "every namespace")
	cmd.Flags().IntVar(&o.MaxPods, "max-pods", netpol.DefaultMaxPods, "refuse scopes with more pods than this")
	return cmd
}

// Complete resolves the scope and, against a cluster, the clients.
func (o *NetpolMatrixOptions) Complete([]string) error {
	nsGiven := o.ConfigFlags.Namespace != nil && *o.ConfigFlags.Namespace != ""
	if o.AllNamespaces && nsGiven {
		return errors.New("give -n NS or -A, not both")
	}
	var ns string
	if err := o.completeNetpol(o.Source.Local, &ns, &o.clients); err != nil {
		return err
	}
	switch {
	case o.AllNamespaces, o.Source.Local && !nsGiven:
		o.namespaces = nil
	default:
		o.namespaces = []string{ns}
	}
	return nil
}

// Validate checks the flags and reads the manifests.
func (o *NetpolMatrixOptions) Validate() error {
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
	req := o.src.request(o.Source.Filenames)
	req.Matrix, req.Scope, req.MaxPods = true, o.namespaces, o.MaxPods
	rep, err := netpol.Diagnose(ctx, o.clients, req)
	if err != nil {
		return err
	}
	return o.Print(rep)
}
