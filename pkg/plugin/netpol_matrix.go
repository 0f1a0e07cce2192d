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

  # On one port, across all namespaces, as JSON rows for a script
  kubectl netdebug netpol matrix -A --port 8080 -o json

  # Which flows would a new policy cut or open?
  kubectl netdebug netpol matrix -n shop --what-if -f default-deny.yaml

  # From manifests, without a cluster
  kubectl netdebug netpol matrix --local -f k8s/

  # In a pull request: which flows does the change open or close? Exit 1 if
  # any (--allow-changes: exit 0)
  kubectl netdebug netpol matrix --local -f base/k8s/ --what-if -f k8s/`

// NetpolMatrixOptions are `kubectl netdebug netpol matrix`.
type NetpolMatrixOptions struct {
	*GlobalOptions
	Source        NetpolSourceFlags
	AllNamespaces bool
	MaxPods       int
	AllowChanges  bool

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
pods are left out and named.

-o json and -o yaml give NP008's data in a compact form, written row by row
as it is printed: pods (the rows and columns, in order) and ports once, the
counts allowed, denied and undecided, then rows, one per source: rows[i][p]
is a string with one code per destination, its character j the flow from
pods[i] to pods[j] on ports[p]: A allowed, D denied, U undecided, - not
checked (pods[j] does not have the port). A named port (--port http) has
port 0 and numbers[j], its number on pods[j] (0 where unchecked). For
example, every denied flow:

  jq -r '.checks[] | select(.code == "NP008").data as $d
    | range($d.pods | length) as $i | range($d.ports | length) as $p
    | $d.rows[$i][$p] | split("") | to_entries[] | select(.value == "D")
    | "\($d.pods[$i]) -> \($d.pods[.key]) \($d.ports[$p].protocol)"
      + " \($d.ports[$p].numbers[.key] // $d.ports[$p].port)"'

Scope: -n NS (default: the current namespace), -A for all namespaces; offline
(--local) every pod of the manifests unless -n is given. --max-pods (default
1000) bounds the scope: the matrix has pods x pods flows per port (5,000 pods:
about 3 s on 2 cores, 50 MB of JSON for two ports).

Ctrl-C or SIGTERM stops a matrix within a fraction of a second, reading,
computing or printing: exit code 2, "error: interrupted ..." on stderr, and
output cut short (not a whole JSON or YAML document).`,
		Example: netpolMatrixExample,
		Args:    cobra.NoArgs,
		RunE:    g.runE(o),
	}
	o.Source.AddFlags(cmd.Flags())
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Every namespace")
	cmd.Flags().IntVar(&o.MaxPods, "max-pods", netpol.DefaultMaxPods, "Refuse scopes with more pods than this")
	cmd.Flags().BoolVar(&o.AllowChanges, "allow-changes", false, "With --what-if: flows that change only warn (exit 0) instead of failing the run (exit 1)")
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
	if o.AllowChanges && !o.Source.WhatIf {
		return errors.New("--allow-changes is for --what-if")
	}
	var err error
	if o.src, err = o.Source.validate(ns, o.Streams.In); err != nil {
		return err
	}
	if o.src.whatIf != nil {
		o.src.whatIf.FailOnChange = !o.AllowChanges
	}
	return nil
}

// Run builds the matrix and prints it.
func (o *NetpolMatrixOptions) Run(ctx context.Context) error {
	req := o.src.request()
	req.Matrix, req.Scope, req.MaxPods = true, o.namespaces, o.MaxPods
	rep, err := netpol.Diagnose(ctx, o.clients, req)
	if err != nil {
		return err
	}
	return o.PrintContext(ctx, rep)
}
