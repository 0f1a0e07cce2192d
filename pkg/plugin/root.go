// Package plugin wires netdebug's procedures to cobra commands, one file per
// subcommand, each with kubectl's Options pattern (Complete, Validate, Run).
// The procedures live in pkg/checks; rendering in pkg/printers.
package plugin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
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
	// Width is the width in columns of the terminal w is, 0 when w is not
	// a terminal; terminalWidth when nil. Tests replace it.
	Width func(w io.Writer) int
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
	msg := oneLine(explain(err))
	if strings.HasPrefix(msg, "unknown command ") && !strings.Contains(msg, "--help") {
		// cobra's, for a mistyped command: point to the list.
		msg += "; see 'kubectl netdebug -h'"
	}
	fmt.Fprintf(cfg.Streams.ErrOut, "error: %s\n", msg)
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
  Node mesh           kubectl netdebug mesh             probe pods on every node: pairs across nodes, path MTU, DNS, a node x node matrix
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
	if cfg.Width == nil {
		cfg.Width = terminalWidth
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
		NewCmdMesh(g),
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
		newOptionsCmd(g),
	)
	cmd.InitDefaultCompletionCmd()
	for _, sub := range cmd.Commands() {
		if sub.Name() == "completion" {
			sub.Example = completionExample
			sub.Args, sub.RunE = unknownSubcommand, unknownSubcommand
			for _, shell := range sub.Commands() {
				if f := shell.Flags().Lookup("no-descriptions"); f != nil {
					f.Usage = "Disable completion descriptions" // capitalised as every flag's
				}
			}
		}
	}
	cmd.SetHelpCommand(newHelpCmd(cmd))
	registerCompletions(cmd, g)
	addCodeLists(cmd)
	explainArgs(cmd)
	cmd.SetUsageFunc(g.usage)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w; see '%s -h'", err, c.CommandPath())
	})
	return cmd
}

// optionsIntro heads the list of `kubectl netdebug options`, as kubectl's.
const optionsIntro = "The following options can be passed to any command:"

// newOptionsCmd is `kubectl netdebug options`: kubectl's connection flags
// (and the plugin's global ones), listed once rather than in every
// command's help, as `kubectl options` does.
func newOptionsCmd(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "options",
		Short:   "Print the list of flags inherited by all commands",
		Example: "  # Print flags inherited by all commands\n  kubectl netdebug options",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			flags := visibleFlags(cmd.Root().PersistentFlags(), func(*pflag.Flag) bool { return true })
			_, err := fmt.Fprintf(g.Streams.Out, "%s\n\n%s\n", optionsIntro, strings.TrimRight(flags.FlagUsagesWrapped(g.width(g.Streams.Out)), " \n"))
			return err
		},
	}
}

// usage is cobra's usage text, with kubectl's connection flags left out:
// a line points to `kubectl netdebug options` instead, as kubectl's help
// does. Flag descriptions fold at the terminal's width.
func (g *GlobalOptions) usage(c *cobra.Command) error {
	width := g.width(g.Streams.Out) // help goes there; c's writer may be a buffer
	own := func(f *pflag.Flag) bool { return f.Annotations[connectionFlag] == nil }
	var b strings.Builder
	b.WriteString("Usage:")
	if c.Runnable() {
		fmt.Fprintf(&b, "\n  %s", c.UseLine())
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "\n  %s [command]", c.CommandPath())
	}
	if len(c.Aliases) > 0 {
		fmt.Fprintf(&b, "\n\nAliases:\n  %s", c.NameAndAliases())
	}
	if c.HasExample() {
		fmt.Fprintf(&b, "\n\nExamples:\n%s", c.Example)
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\nAvailable Commands:")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				fmt.Fprintf(&b, "\n  %-*s %s", sub.NamePadding(), sub.Name(), sub.Short)
			}
		}
	}
	if fs := visibleFlags(c.LocalFlags(), own); fs.HasAvailableFlags() {
		fmt.Fprintf(&b, "\n\nFlags:\n%s", strings.TrimRight(fs.FlagUsagesWrapped(width), " \n"))
	}
	if fs := visibleFlags(c.InheritedFlags(), own); fs.HasAvailableFlags() {
		fmt.Fprintf(&b, "\n\nGlobal Flags:\n%s", strings.TrimRight(fs.FlagUsagesWrapped(width), " \n"))
	}
	// The tips end the text, one a line, as in kubectl's help.
	tips := "\n"
	if c.HasAvailableSubCommands() {
		tips += fmt.Sprintf("\nUse \"%s [command] --help\" for more information about a command.", c.CommandPath())
	}
	if c.Name() != "options" {
		tips += fmt.Sprintf("\nUse \"%s options\" for a list of global command-line options (applies to all commands).", c.Root().CommandPath())
	}
	if tips != "\n" {
		b.WriteString(foldPlain(tips, width))
	}
	b.WriteString("\n")
	_, err := io.WriteString(c.OutOrStderr(), b.String())
	return err
}

// foldPlain folds the lines of s at spaces to width columns (0: not at all).
func foldPlain(s string, width int) string {
	if width <= 0 {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		var b strings.Builder
		col := 0
		for j, w := range strings.Fields(l) {
			if j > 0 && col+1+len(w) > width {
				b.WriteString("\n")
				col = 0
			} else if j > 0 {
				b.WriteString(" ")
				col++
			}
			b.WriteString(w)
			col += len(w)
		}
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}

// visibleFlags are the flags of fs that keep says to, less hidden ones.
func visibleFlags(fs *pflag.FlagSet, keep func(*pflag.Flag) bool) *pflag.FlagSet {
	out := pflag.NewFlagSet("help", pflag.ContinueOnError)
	out.SortFlags = fs.SortFlags
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && keep(f) {
			out.AddFlag(f)
		}
	})
	return out
}

// explainArgs rewrites cobra's errors for a wrong number of arguments
// ("accepts 1 arg(s), received 0") as a sentence that names the arguments,
// taken from the command's Use line, and points to its help.
func explainArgs(root *cobra.Command) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if orig := c.Args; orig != nil {
			c.Args = func(cmd *cobra.Command, args []string) error {
				err := orig(cmd, args)
				if err == nil {
					return nil
				}
				return argsError(root, cmd, args, err)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

var (
	argsExact   = regexp.MustCompile(`^accepts (\d+) arg\(s\), received \d+$`)
	argsAtMost  = regexp.MustCompile(`^accepts at most (\d+) arg\(s\), received \d+$`)
	argsAtLeast = regexp.MustCompile(`^requires at least (\d+) arg\(s\), only received \d+$`)
	argsBetween = regexp.MustCompile(`^accepts between (\d+) and (\d+) arg\(s\), received \d+$`)
)

// argsError is the sentence for cobra's argument-count error err, or err
// itself when it is not one (a command's own Args).
func argsError(root, cmd *cobra.Command, args []string, err error) error {
	lo, hi := -1, -1 // hi -1: no upper bound
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	msg := err.Error()
	switch {
	case argsExact.MatchString(msg):
		m := argsExact.FindStringSubmatch(msg)
		lo, hi = atoi(m[1]), atoi(m[1])
	case argsAtMost.MatchString(msg):
		m := argsAtMost.FindStringSubmatch(msg)
		lo, hi = 0, atoi(m[1])
	case argsAtLeast.MatchString(msg):
		m := argsAtLeast.FindStringSubmatch(msg)
		lo = atoi(m[1])
	case argsBetween.MatchString(msg):
		m := argsBetween.FindStringSubmatch(msg)
		lo, hi = atoi(m[1]), atoi(m[2])
	case len(args) > 0 && msg == fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath()):
		lo, hi = 0, 0 // cobra.NoArgs
	default:
		return err
	}
	name := strings.TrimPrefix(cmd.CommandPath(), root.CommandPath()+" ")
	forms := argNames(cmd)
	var shapes []string
	for _, f := range forms {
		shapes = append(shapes, strings.Join(f, " "))
	}
	shape := strings.Join(shapes, ", or ")
	count := func() string {
		switch {
		case lo == hi:
			return countWord(lo)
		case hi < 0:
			return "at least " + countWord(lo)
		case lo == 0:
			return "at most " + countWord(hi)
		}
		return countWord(lo) + " or " + countWord(hi)
	}()
	plural := "arguments"
	if lo == hi && lo == 1 || lo < hi && hi == 1 || hi < 0 && lo == 1 {
		plural = "argument"
	}
	hint := fmt.Sprintf("see '%s -h'", cmd.CommandPath())
	if hi >= 0 && len(args) > hi {
		extra := make([]string, 0, len(args)-hi)
		for _, a := range args[hi:] {
			extra = append(extra, strconv.Quote(a))
		}
		if hi == 0 {
			return fmt.Errorf("%s takes no arguments, got %s; %s", name, strings.Join(extra, " "), hint)
		}
		return fmt.Errorf("%s takes %s %s: %s; unexpected: %s; %s", name, count, plural, shape, strings.Join(extra, " "), hint)
	}
	missing := ""
	if len(forms) == 1 && lo == hi && len(args) > 0 && len(forms[0]) == lo {
		missing = fmt.Sprintf("; missing: %s", strings.Join(forms[0][len(args):], " "))
	}
	return fmt.Errorf("%s needs %s %s: %s%s; %s", name, count, plural, shape, missing, hint)
}

// argNames are the positional arguments of each form of a command's Use
// line ("netpol POD | netpol SRC DST": [POD] and [SRC DST]): the words after
// the command's name, up to the first flag.
func argNames(cmd *cobra.Command) [][]string {
	var forms [][]string
	for _, form := range strings.Split(cmd.Use, " | ") {
		words := strings.Fields(form)
		if len(words) > 0 && words[0] == cmd.Name() {
			words = words[1:]
		}
		var names []string
		for _, w := range words {
			if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "[-") || w == "[flags]" {
				break
			}
			names = append(names, w)
		}
		if len(names) > 0 {
			forms = append(forms, names)
		}
	}
	return forms
}

func countWord(n int) string {
	if n >= 0 && n < 4 {
		return [...]string{"no", "one", "two", "three"}[n]
	}
	return strconv.Itoa(n)
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
			pf.Usage = "Log level: 1 shows the evidence of passing checks, 6 and up the API requests"
		} else {
			pf.Hidden = true
		}
		fs.AddFlag(pf)
	})
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
