package plugin

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// execute runs the command tree without a cluster: stdout, stderr, exit.
func execute(t *testing.T, cfg Config, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cfg.Streams = genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) string { return "" }
	}
	code := Execute(context.Background(), cfg, args)
	return out.String(), errOut.String(), code
}

// A wrong number of arguments names the arguments, from the Use line, and
// points to the command's help; exit 2. It was cobra's bare "accepts 1
// arg(s), received 0".
func TestArgumentCountErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pod"}, "pod needs two arguments: SRC DST; see 'kubectl netdebug pod -h'"},
		{[]string{"pod", "web"}, "pod needs two arguments: SRC DST; missing: DST; see 'kubectl netdebug pod -h'"},
		{[]string{"pod", "a", "b", "c"}, `pod takes two arguments: SRC DST; unexpected: "c"; see 'kubectl netdebug pod -h'`},
		{[]string{"service"}, "service needs one argument: NAME; see 'kubectl netdebug service -h'"},
		{[]string{"service", "a", "b"}, `service takes one argument: NAME; unexpected: "b"`},
		{[]string{"netpol"}, "netpol needs one or two arguments: POD, or SRC DST; see 'kubectl netdebug netpol -h'"},
		{[]string{"netpol", "a", "b", "c"}, `netpol takes one or two arguments: POD, or SRC DST; unexpected: "c"`},
		{[]string{"dns", "a", "b"}, `dns takes at most one argument: [NAME]; unexpected: "b"`},
		{[]string{"gateway"}, "gateway needs one argument: [NAMESPACE/]NAME"},
		{[]string{"capture"}, "capture needs one argument: POD"},
		{[]string{"netpol", "test"}, "netpol test needs at least one argument: TESTS.yaml..."},
		{[]string{"netpol", "allow-all"}, "netpol allow-all needs one argument: POD; see 'kubectl netdebug netpol allow-all -h'"},
		{[]string{"cni", "x"}, `cni takes no arguments, got "x"; see 'kubectl netdebug cni -h'`},
		{[]string{"netpol", "matrix", "x", "y"}, `netpol matrix takes no arguments, got "x" "y"`},
		{[]string{"version", "x"}, `version takes no arguments, got "x"`},
		{[]string{"service", "web", "--bogus"}, "unknown flag: --bogus; see 'kubectl netdebug service -h'"},
		{[]string{"servce", "web"}, `unknown command "servce" for "kubectl netdebug" Did you mean this? service; see 'kubectl netdebug -h'`},
	} {
		_, stderr, code := execute(t, Config{}, tc.args...)
		if code != 2 || stderr != "error: "+tc.want+"\n" && !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, code, stderr, tc.want)
		}
	}
}

// Every command whose arguments cobra counts gets a sentence, never
// cobra's own words.
func TestEveryCommandNamesItsArguments(t *testing.T) {
	root := NewRootCmd(Config{Streams: genericiooptions.NewTestIOStreamsDiscard()})
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Args == nil || c == root || c.Name() == "completion" || c.Name() == "help" {
			return
		}
		for n := range 5 {
			err := c.Args(c, make([]string, n))
			if err == nil {
				continue
			}
			msg := err.Error()
			if strings.Contains(msg, "arg(s)") || strings.HasPrefix(msg, "unknown command") || !strings.Contains(msg, "see '"+c.CommandPath()+" -h'") {
				t.Errorf("%s with %d arguments: %q", c.CommandPath(), n, msg)
			}
		}
	}
	walk(root)
}

// kubectl's connection flags are listed once, by `kubectl netdebug
// options`; each command's help lists its own flags and the plugin's
// global ones, and points to options, as kubectl's help does.
func TestHelpListsConnectionFlagsOnce(t *testing.T) {
	connection := []string{"--as string", "--as-group", "--as-uid", "--as-user-extra", "--cache-dir", "--certificate-authority", "--client-certificate", "--client-key", "--cluster string", "--context string", "--disable-compression", "--insecure-skip-tls-verify", "--kubeconfig string", "-n, --namespace", "--proxy-url", "--request-timeout", "-s, --server", "--tls-server-name", "--token string", "--user string"}
	pointer := `Use "kubectl netdebug options" for a list of global command-line options (applies to all commands).`
	for _, args := range [][]string{{}, {"pod"}, {"service"}, {"netpol"}, {"netpol", "matrix"}, {"scan"}, {"version"}, {"capture"}} {
		h := help(t, args...)
		for _, f := range connection {
			if strings.Contains(h, f) {
				t.Errorf("%v --help lists %s:\n%s", args, f, h)
			}
		}
		for _, want := range []string{"-o, --output string", "--color string", "-v, --v Level", pointer} {
			if !strings.Contains(h, want) {
				t.Errorf("%v --help lacks %q:\n%s", args, want, h)
			}
		}
	}
	out, stderr, code := execute(t, Config{}, "options")
	if code != 0 || stderr != "" || !strings.HasPrefix(out, "The following options can be passed to any command:\n\n") {
		t.Fatalf("options: exit %d, stderr %q\n%s", code, stderr, out)
	}
	for _, f := range append(connection, "-o, --output", "--color") {
		if strings.Count(out, f) != 1 {
			t.Errorf("options lists %q %d times:\n%s", f, strings.Count(out, f), out)
		}
	}
	if strings.Contains(out, pointer) {
		t.Errorf("options points to itself:\n%s", out)
	}
	if _, stderr, code := execute(t, Config{}, "options", "x"); code != 2 || !strings.Contains(stderr, "options takes no arguments") {
		t.Errorf("options x: exit %d %q", code, stderr)
	}
}

// The plugin's own flag descriptions start with a capital, as kubectl's.
func TestFlagDescriptionsCapitalised(t *testing.T) {
	root := NewRootCmd(Config{Streams: genericiooptions.NewTestIOStreamsDiscard()})
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			if r := []rune(f.Usage); len(r) == 0 || unicode.IsLower(r[0]) {
				t.Errorf("%s --%s: %q", c.CommandPath(), f.Name, f.Usage)
			}
		}
		c.LocalFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// Help folds flag descriptions at the terminal's width, under their
// column; a pipe gets them whole.
func TestHelpFoldsAtTheTerminalWidth(t *testing.T) {
	out, _, _ := execute(t, Config{Width: func(io.Writer) int { return 80 }}, "pod", "--help")
	for _, l := range strings.Split(out, "\n") {
		// Examples are commands to copy: they stay whole.
		if len(l) > 80 && len(strings.Fields(l)) > 1 && !strings.HasPrefix(l, "  kubectl netdebug") {
			t.Errorf("%d columns: %q", len(l), l)
		}
	}
	if !strings.Contains(out, "      --probe string             How to probe from inside pods: auto (exec\n                                 when the container has tools") || !strings.HasSuffix(out, "\nUse \"kubectl netdebug options\" for a list of global command-line options\n(applies to all commands).\n") {
		t.Errorf("--probe not folded under its column:\n%s", out)
	}
	out, _, _ = execute(t, Config{}, "pod", "--help")
	if !strings.Contains(out, "How to probe from inside pods: auto (exec when the container has tools, else static checks only)") {
		t.Errorf("folded without a terminal:\n%s", out)
	}
}
