package plugin

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/netdebug/kubectl-netdebug/pkg/actions"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

const netpolAllowAllExample = `  # Show the temporary allow-all policy for pod api (changes nothing)
  kubectl netdebug netpol allow-all api -n shop

  # Create it for 5 minutes, test your traffic, then it is deleted (or on Ctrl-C)
  kubectl netdebug netpol allow-all api -n shop --apply --ttl 5m`

// NetpolAllowAllOptions are `kubectl netdebug netpol allow-all POD`.
type NetpolAllowAllOptions struct {
	*GlobalOptions
	Pod   string
	Apply bool
	TTL   time.Duration

	namespace string
	ref       target.Ref
	clients   kube.Clients
}

// NewCmdNetpolAllowAll is `kubectl netdebug netpol allow-all POD`.
func NewCmdNetpolAllowAll(g *GlobalOptions) *cobra.Command {
	o := &NetpolAllowAllOptions{GlobalOptions: g, TTL: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "allow-all POD [--apply --ttl 5m]",
		Short: "The procedure's temporary allow-all test, made safe: dry run by default, deleted after --ttl",
		Long: `If traffic flows once every policy lets it through, NetworkPolicy was the
cause. By default this prints the NetworkPolicy it would create (allowing all
ingress and egress of the pods with exactly the pod's labels, naming any other
pod they select) and changes nothing.

With --apply it creates the policy (labelled app.kubernetes.io/managed-by:
kubectl-netdebug, annotated netdebug.io/expires-at), waits until --ttl ends or
Ctrl-C, then deletes it. It refuses to create a policy you could not delete.
A policy left behind by a killed process is removed by
kubectl netdebug netpol cleanup once expired.

An allow-all NetworkPolicy cannot override an AdminNetworkPolicy Deny, and
does not open the other end's own policies.`,
		Example: netpolAllowAllExample,
		Args:    cobra.ExactArgs(1),
		RunE:    g.runE(o),
	}
	cmd.Flags().BoolVar(&o.Apply, "apply", false, "Create the policy, wait --ttl (or Ctrl-C), delete it")
	cmd.Flags().DurationVar(&o.TTL, "ttl", o.TTL, fmt.Sprintf("How long the policy stays (at most %s)", netpol.MaxTTL))
	return cmd
}

// Complete reads the pod and builds the clients.
func (o *NetpolAllowAllOptions) Complete(args []string) error {
	o.Pod = args[0]
	return o.completeCluster(&o.namespace, &o.clients)
}

// Validate checks the pod reference and the TTL.
func (o *NetpolAllowAllOptions) Validate() error {
	var err error
	if o.ref, err = target.Parse(o.Pod); err != nil {
		return err
	}
	if o.TTL <= 0 || o.TTL > netpol.MaxTTL {
		return fmt.Errorf("--ttl %s: give a duration between 1s and %s", o.TTL, netpol.MaxTTL)
	}
	return nil
}

// Run plans, then prints the dry run, or applies the plan: the policy is
// created, kept for --ttl (or until Ctrl-C) and deleted, each step said on
// stderr as it happens.
func (o *NetpolAllowAllOptions) Run(ctx context.Context) error {
	plan, err := netpol.PlanAllowAll(ctx, o.clients, netpol.AllowAllRequest{Pod: o.ref, Namespace: o.namespace, TTL: o.TTL, Now: o.Now()})
	if err != nil {
		return err
	}
	if !o.Apply {
		return o.Print(plan.DryRunReport())
	}
	return o.Print(actions.AllowAll(ctx, o.clients.Typed, plan, o.Now, func(line string) {
		fmt.Fprintln(o.Streams.ErrOut, line)
	}))
}

// NetpolCleanupOptions are `kubectl netdebug netpol cleanup`.
type NetpolCleanupOptions struct {
	*GlobalOptions
	AllNamespaces bool
	All           bool

	namespace string
	clients   kube.Clients
}

// NewCmdNetpolCleanup is `kubectl netdebug netpol cleanup`.
func NewCmdNetpolCleanup(g *GlobalOptions) *cobra.Command {
	o := &NetpolCleanupOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "cleanup [-n NS | -A] [--all]",
		Short: "Delete the temporary allow-all policies whose expiry has passed (--all: every netdebug-managed one)",
		Long: `Delete the NetworkPolicies labelled app.kubernetes.io/managed-by: kubectl-netdebug
whose netdebug.io/expires-at has passed: leftovers of an allow-all test whose
process was killed. --all deletes them whether expired or not.`,
		Example: `  kubectl netdebug netpol cleanup -A
  kubectl netdebug netpol cleanup -n shop --all`,
		Args: cobra.NoArgs,
		RunE: g.runE(o),
	}
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Every namespace")
	cmd.Flags().BoolVar(&o.All, "all", false, "Delete every netdebug-managed NetworkPolicy, expired or not")
	return cmd
}

// Complete resolves the namespace and the clients.
func (o *NetpolCleanupOptions) Complete([]string) error {
	return o.completeScope(o.AllNamespaces, &o.namespace, &o.clients)
}

// Validate has nothing to check beyond the shared flags.
func (o *NetpolCleanupOptions) Validate() error { return nil }

// Run deletes the leftovers and prints what it did.
func (o *NetpolCleanupOptions) Run(ctx context.Context) error {
	rep, err := actions.Cleanup(ctx, o.clients.Typed, actions.CleanupRequest{Namespace: o.namespace, All: o.All, Now: o.Now()})
	if err != nil {
		return err
	}
	return o.Print(rep)
}
