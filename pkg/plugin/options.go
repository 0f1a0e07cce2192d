package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/printers"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/stall"
)

// defaultRequestTimeout bounds each API request when --request-timeout is
// not given, so that an unreachable API server never hangs an incident.
const defaultRequestTimeout = 30 * time.Second

// GlobalOptions are the flags and clients every subcommand shares.
type GlobalOptions struct {
	Config
	// ConfigFlags are kubectl's connection flags (--kubeconfig, --context,
	// -n, --as, --request-timeout, --server, --token ...).
	ConfigFlags *genericclioptions.ConfigFlags
	// Output is -o: "" (human), json or yaml.
	Output string
	// Color is --color: auto, always or never.
	Color string

	factory cmdutil.Factory
	// stall watches the API requests of a run (runWatched).
	stall *stall.Watch
}

// NewGlobalOptions returns the defaults.
func NewGlobalOptions(cfg Config) *GlobalOptions {
	flags := genericclioptions.NewConfigFlags(true)
	// The default is real, so help shows it; "0" means no limit, as
	// kubectl documents.
	*flags.Timeout = defaultRequestTimeout.String()
	watch := stall.New()
	flags.WrapConfigFn = func(c *rest.Config) *rest.Config {
		c.Wrap(watch.Wrap)
		// A diagnosis issues a handful of concurrent reads; client-go's
		// default of 5 QPS would serialise them behind its rate limiter.
		c.QPS, c.Burst = 50, 100
		return c
	}
	return &GlobalOptions{
		Config:      cfg,
		ConfigFlags: flags,
		Color:       "auto",
		factory:     cmdutil.NewFactory(cmdutil.NewMatchVersionFlags(flags)),
		stall:       watch,
	}
}

// AddFlags binds the shared flags.
func (g *GlobalOptions) AddFlags(fs *pflag.FlagSet) {
	g.ConfigFlags.AddFlags(fs)
	if f := fs.Lookup("request-timeout"); f != nil {
		f.Usage = "The length of time to wait before giving up on a single server request (1s, 2m, or a number of seconds); 0 waits without limit. The whole run also ends once the server has given no answer for this long"
	}
	fs.StringVarP(&g.Output, "output", "o", g.Output, "output format: json, yaml or junit (JUnit XML for CI: one test case per check) (default: the human report)")
	fs.StringVar(&g.Color, "color", g.Color, "colour the human report: auto (only on a terminal, unless NO_COLOR is set), always or never")
}

// Validate checks the shared flags.
func (g *GlobalOptions) Validate() error {
	if _, err := printers.ParseFormat(g.Output); err != nil {
		return err
	}
	switch g.Color {
	case "auto", "always", "never":
		return nil
	}
	return fmt.Errorf("invalid --color %q: use auto, always or never", g.Color)
}

// Namespace is -n, else the kubeconfig context's namespace, else "default".
func (g *GlobalOptions) Namespace() (string, error) {
	ns, _, err := g.ConfigFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("reading the namespace from the kubeconfig: %w", err)
	}
	return ns, nil
}

// Clients builds the run's connections from kubectl's flags: the typed and
// dynamic clients and the REST config for exec streams.
func (g *GlobalOptions) Clients() (kube.Clients, error) {
	typed, err := g.Clientset()
	if err != nil {
		return kube.Clients{}, err
	}
	dyn, err := g.factory.DynamicClient()
	if err != nil {
		return kube.Clients{}, fmt.Errorf("loading the kubeconfig: %w", err)
	}
	cfg, err := g.factory.ToRESTConfig()
	if err != nil {
		return kube.Clients{}, fmt.Errorf("loading the kubeconfig: %w", err)
	}
	return kube.Clients{Typed: typed, Dynamic: dyn, REST: cfg}, nil
}

// completeCluster reads the namespace (-n, else the kubeconfig's) and
// builds the clients: the Complete step of every command that reads a
// cluster.
func (g *GlobalOptions) completeCluster(namespace *string, clients *kube.Clients) error {
	ns, err := g.Namespace()
	if err != nil {
		return err
	}
	*namespace = ns
	*clients, err = g.Clients()
	return err
}

// Clientset is the typed client for the selected cluster.
func (g *GlobalOptions) Clientset() (kubernetes.Interface, error) {
	if err := g.haveCluster(); err != nil {
		return nil, err
	}
	cs, err := g.factory.KubernetesClientSet()
	if err != nil {
		return nil, fmt.Errorf("loading the kubeconfig: %w", err)
	}
	return cs, nil
}

// haveCluster fails early when nothing names a cluster: client-go would
// otherwise fall back to http://localhost:8080 and report a refused
// connection to a server the user never asked for.
func (g *GlobalOptions) haveCluster() error {
	if f := g.ConfigFlags.APIServer; f != nil && *f != "" {
		return nil
	}
	if g.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return nil // in a pod: the in-cluster config applies
	}
	raw, err := g.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return fmt.Errorf("loading the kubeconfig: %w", err)
	}
	if len(raw.Clusters) == 0 {
		return fmt.Errorf("no cluster configured: set KUBECONFIG, pass --kubeconfig, or run where kubectl works")
	}
	return nil
}

// Print renders the report and turns its outcome into the exit code.
func (g *GlobalOptions) Print(r *report.Report) error {
	return g.PrintContext(context.Background(), r)
}

// PrintContext is Print for reports that take long to print (a large
// matrix): it stops with ctx's error once ctx is done, which Execute turns
// into exit code 2 and "interrupted" on stderr.
func (g *GlobalOptions) PrintContext(ctx context.Context, r *report.Report) error {
	format, err := printers.ParseFormat(g.Output)
	if err != nil {
		return err
	}
	if s := g.stall.Fired(); s != nil {
		// Checks cut short by it only saw "context canceled".
		r.Notes = append(r.Notes, explain(s)+": the checks cut short by it could not finish")
	}
	opts := printers.Options{
		Color:   format == printers.Human && g.colorOn(g.Streams.Out),
		Verbose: klog.V(1).Enabled(),
	}
	if err := printers.PrintContext(ctx, g.Streams.Out, r, format, opts); err != nil {
		return fmt.Errorf("printing the report: %w", err)
	}
	if code := r.Verdict.Outcome.ExitCode(); code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// colorOn decides --color: auto means a terminal, NO_COLOR unset and a TERM
// that is not dumb (https://no-color.org).
func (g *GlobalOptions) colorOn(out io.Writer) bool {
	switch g.Color {
	case "always":
		return true
	case "never":
		return false
	}
	if g.Getenv("NO_COLOR") != "" || g.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := out.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// explain rewrites transport failures as one plain sentence about the API
// server; other errors pass through.
func explain(err error) string {
	var stalled *stall.Stalled
	if errors.As(err, &stalled) {
		return fmt.Sprintf("the API server gave no answer for %s (--request-timeout); last: %s", stalled.Timeout, explain(stalled.Last))
	}
	if errors.Is(err, context.Canceled) {
		// Ctrl-C (main cancels the context on SIGINT and SIGTERM): the
		// server was fine, the user stopped us.
		return "interrupted before the diagnosis finished"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		host := uerr.URL
		if u, perr := url.Parse(uerr.URL); perr == nil {
			host = u.Scheme + "://" + u.Host
		}
		if uerr.Timeout() {
			return fmt.Sprintf("the API server at %s did not answer in time (see --request-timeout): %v", host, uerr.Err)
		}
		return fmt.Sprintf("cannot reach the API server at %s: %v", host, uerr.Err)
	}
	return err.Error()
}

// requestTimeout is --request-timeout (default 30s); 0 means no limit. An
// unparsable value is refused when the client is built.
func (g *GlobalOptions) requestTimeout() time.Duration {
	f := g.ConfigFlags.Timeout
	if f == nil || *f == "" {
		return defaultRequestTimeout
	}
	if d, err := time.ParseDuration(*f); err == nil && d > 0 {
		return d
	}
	if n, err := strconv.Atoi(*f); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}

// runWatched runs a diagnosis that ends, with a clear error, once the API
// server has given no answer for --request-timeout (package stall).
func (g *GlobalOptions) runWatched(ctx context.Context, run func(context.Context) error) error {
	timeout := g.requestTimeout()
	if timeout == 0 {
		return run(ctx) // --request-timeout 0: wait without limit
	}
	ctx, stop := g.stall.Start(ctx, timeout)
	defer stop()
	err := run(ctx)
	var exit *ExitError
	if err == nil || errors.As(err, &exit) {
		return err // nil, or the report was printed
	}
	var stalled *stall.Stalled
	if errors.As(context.Cause(ctx), &stalled) {
		// Say why, rather than "context canceled".
		return stalled
	}
	if stalled := g.stall.Failing(); stalled != nil && errors.Is(err, context.DeadlineExceeded) {
		// Ended by client-go's own timeout of a call while the server
		// was not answering: the same story.
		return stalled
	}
	return err
}
