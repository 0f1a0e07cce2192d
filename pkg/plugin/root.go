// Package plugin wires netdebug's procedures to cobra commands, one file per
// subcommand, each with kubectl's Options pattern (Complete, Validate, Run).
// The procedures live in pkg/checks; rendering in pkg/printers.
package plugin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"
)

// Config is what the process gives the command tree: its streams, and the
// environment and clock, which tests replace.
type Config struct {
	Streams genericiooptions.IOStreams
	// Getenv reads the environment (NO_COLOR, TERM); os.Getenv when nil.
	Getenv func(string) string
	// Now is the clock for ages in reports; time.Now when nil.
	Now func() time.Time
}

// Execute runs netdebug with args and returns the process exit code:
// 0 no problem found, 1 problems found, 2 the diagnosis could not run.
func Execute(ctx context.Context, cfg Config, args []string) int {
	cmd := NewRootCmd(cfg)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	fmt.Fprintf(cfg.Streams.ErrOut, "error: %s\n", oneLine(explain(err)))
	return 2
}

// ExitError carries the exit code of a diagnosis that ran and printed its
// report: nothing more needs to be said on stderr.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

const overview = `netdebug finds out why traffic in a Kubernetes cluster does not flow, and says
so in one screen: the most likely root cause first, then each check of the
troubleshooting procedure with the evidence it gathered and the next action.

Procedures:
  Pod to pod          kubectl netdebug pod SRC DST      pods, nodes, CNI agents, policy verdict, ping and TCP from SRC
  NetworkPolicy       kubectl netdebug netpol SRC DST   policies of a pod, flow verdict and its deciding rule, matrix, what-if, --local
  Service discovery   kubectl netdebug service NAME     selector, pods, readiness, ports, EndpointSlices
  Ingress             kubectl netdebug ingress NAME     class, controller, address, backends, TLS, conflicts, --host/--path routing
  Gateway API         kubectl netdebug gateway NAME     class, controller, status, addresses, listeners, TLS, attached routes
  Gateway API route   kubectl netdebug route NAME       parents, hostnames, backends, grants, --host/--path: winning rule, predicted answer
  Cluster DNS         kubectl netdebug dns [NAME]       kube-dns, CoreDNS pods, Corefile, logs, lookups --from a pod
  Network plugin      kubectl netdebug cni              CNI agents per node, log errors, policy enforcement, kube-proxy
  Packet capture      kubectl netdebug capture POD      tcpdump in the pod's network namespace, pcap streamed to you
  Cluster scan        kubectl netdebug scan [-A]        every static check over a namespace or the cluster, worst first

Exit codes: 0 no problem found, 1 problems found, 2 the diagnosis could not run.`

const completionExample = `  # bash, for this shell (the kubectl-netdebug binary)
  source <(kubectl-netdebug completion bash)

  # Through kubectl (1.26+): put kubectl_complete-netdebug from the release
  # archive on your PATH; then kubectl netdebug <TAB> completes.`

// NewRootCmd builds the command tree.
func NewRootCmd(cfg Config) *cobra.Command {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := NewGlobalOptions(cfg)
	cmd := &cobra.Command{
		// The binary's name, which completion scripts register for; help and
		// usage say "kubectl netdebug" through the display-name annotation.
		Use:   "kubectl-netdebug",
		Short: "Find out why traffic in a Kubernetes cluster does not flow",
		Long:  overview,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl netdebug",
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetIn(cfg.Streams.In)
	cmd.SetOut(cfg.Streams.Out)
	cmd.SetErr(cfg.Streams.ErrOut)
	g.AddFlags(cmd.PersistentFlags())
	addKlogFlags(cmd.PersistentFlags())
	cmd.AddCommand(
		NewCmdPod(g),
		NewCmdNetpol(g),
		NewCmdService(g),
		NewCmdIngress(g),
		NewCmdGateway(g),
		NewCmdRoute(g),
		NewCmdDNS(g),
		NewCmdCNI(g),
		NewCmdCapture(g),
		NewCmdScan(g),
		NewCmdVersion(g),
	)
	cmd.InitDefaultCompletionCmd()
	for _, sub := range cmd.Commands() {
		if sub.Name() == "completion" {
			sub.Example = completionExample
			sub.Args, sub.RunE = unknownSubcommand, unknownSubcommand
		}
	}
	cmd.SetHelpCommand(newHelpCmd(cmd))
	registerCompletions(cmd, g)
	addCodeLists(cmd)
	return cmd
}

// unknownSubcommand makes a group command (completion) refuse an unknown
// subcommand, exit 2, where cobra prints the group's help and exits 0.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	return fmt.Errorf("unknown command %q for %q: see %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())
}

// newHelpCmd is `help [command]`: an unknown topic is an error (exit 2),
// where cobra prints the overview and exits 0.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(_ *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return fmt.Errorf("unknown help topic %q: see %s --help", strings.Join(args, " "), root.CommandPath())
			}
			return target.Help()
		},
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			for _, sub := range root.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, sub.Name())
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
	}
}

// addKlogFlags exposes klog's -v and hides the rest, as kubectl plugins do.
func addKlogFlags(fs *pflag.FlagSet) {
	gofs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(gofs)
	gofs.VisitAll(func(f *flag.Flag) {
		pf := pflag.PFlagFromGoFlag(f)
		if fs.Lookup(pf.Name) != nil {
			return
		}
		if pf.Name == "v" {
			pf.Shorthand = "v"
			pf.Usage = "log level: 1 shows the evidence of passing checks, 6 and up the API requests"
		} else {
			pf.Hidden = true
		}
		fs.AddFlag(pf)
	})
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
