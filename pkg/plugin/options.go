package plugin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/term"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/printers"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/stall"
)

// connectionFlag is the annotation of kubectl's connection flags.
const connectionFlag = "netdebug.io/connection-flag"

// defaultRequestTimeout bounds each API request when --request-timeout is
// not given, so that an unreachable API server never hangs an incident.
const defaultRequestTimeout = 30 * time.Second

// GlobalOptions are the flags and clients every subcommand shares.
type GlobalOptions struct {
	Config
	// ConfigFlags are kubectl's connection flags (--kubeconfig, --context,
	// -n, --as, --request-timeout, --server, --token ...).
	ConfigFlags *genericclioptions.ConfigFlags
	// Output is -o: "" (human), json, yaml, junit, jsonpath=TEMPLATE or
	// go-template=TEMPLATE.
	Output string
	// Color is --color: auto, always or never.
	Color string

	factory cmdutil.Factory
	// stall watches the API requests of a run (runWatched).
	stall *stall.Watch
	// refused records a 401 answer: the credentials were rejected.
	refused *authWatch
	// deferCluster, while set, makes Namespace and Clients keep the
	// kubeconfig's error in clusterErr and return stand-ins, so that a
	// command's Complete goes on and its input is validated first (runE).
	deferCluster bool
	clusterErr   error
}

// NewGlobalOptions returns the defaults.
func NewGlobalOptions(cfg Config) *GlobalOptions {
	flags := genericclioptions.NewConfigFlags(true)
	// The default is real, so help shows it; "0" means no limit, as
	// kubectl documents.
	*flags.Timeout = defaultRequestTimeout.String()
	g := &GlobalOptions{
		Config:      cfg,
		ConfigFlags: flags,
		Color:       "auto",
		factory:     cmdutil.NewFactory(cmdutil.NewMatchVersionFlags(flags)),
		stall:       stall.New(),
		refused:     &authWatch{},
	}
	flags.WrapConfigFn = func(c *rest.Config) *rest.Config {
		c.Wrap(g.stall.Wrap)
		c.Wrap(g.refused.wrap)
		// A diagnosis issues a handful of concurrent reads; client-go's
		// default of 5 QPS would serialise them behind its rate limiter.
		c.QPS, c.Burst = 50, 100
		return c
	}
	return g
}

// AddFlags binds the shared flags.
//
// kubectl's connection flags carry the annotation connectionFlag: help
// lists them once, under `kubectl netdebug options`, not in every command's.
func (g *GlobalOptions) AddFlags(fs *pflag.FlagSet) {
	before := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) { before[f.Name] = true })
	g.ConfigFlags.AddFlags(fs)
	fs.VisitAll(func(f *pflag.Flag) {
		if !before[f.Name] {
			_ = fs.SetAnnotation(f.Name, connectionFlag, []string{"true"})
		}
	})
	if f := fs.Lookup("request-timeout"); f != nil {
		f.Usage = "The length of time to wait before giving up on a single server request (1s, 2m, or a number of seconds); 0 waits without limit. The whole run also ends once the server has given no answer for this long"
	}
	fs.StringVarP(&g.Output, "output", "o", g.Output, "Output format: json, yaml, junit (JUnit XML for CI: one test case per check), jsonpath=TEMPLATE or go-template=TEMPLATE (applied to the JSON report, as kubectl does) (default: the human report)")
	fs.StringVar(&g.Color, "color", g.Color, "Colour the human report: auto (only on a terminal, unless NO_COLOR is set), always or never")
}

// Validate checks the shared flags, the kubeconfig's among them, before the
// kubeconfig is read.
func (g *GlobalOptions) Validate() error {
	if _, err := printers.ParseFormat(g.Output); err != nil {
		return err
	}
	if f := g.ConfigFlags.Timeout; f != nil && *f != "" {
		d, err := clientcmd.ParseTimeout(*f)
		if err != nil || d < 0 {
			return fmt.Errorf("invalid --request-timeout %q: give a duration (30s, 2m) or a number of seconds; 0 waits without limit", *f)
		}
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
		err = g.kubeconfigError(err)
		if g.deferCluster {
			g.clusterErr = cmp.Or(g.clusterErr, err)
			if f := g.ConfigFlags.Namespace; f != nil && *f != "" {
				return *f, nil
			}
			return "default", nil
		}
		return "", err
	}
	return ns, nil
}

// Clients builds the run's connections from kubectl's flags: the typed and
// dynamic clients and the REST config for exec streams.
func (g *GlobalOptions) Clients() (kube.Clients, error) {
	c, err := g.clients()
	if err != nil && g.deferCluster {
		g.clusterErr = cmp.Or(g.clusterErr, err)
		return kube.Clients{}, nil
	}
	return c, err
}

func (g *GlobalOptions) clients() (kube.Clients, error) {
	typed, err := g.Clientset()
	if err != nil {
		return kube.Clients{}, err
	}
	dyn, err := g.factory.DynamicClient()
	if err != nil {
		return kube.Clients{}, g.kubeconfigError(err)
	}
	cfg, err := g.factory.ToRESTConfig()
	if err != nil {
		return kube.Clients{}, g.kubeconfigError(err)
	}
	return kube.Clients{Typed: typed, Dynamic: dyn, REST: cfg}, nil
}

// completeScope is completeCluster for commands that take -n NS or -A:
// with all, namespace is "" (every namespace).
func (g *GlobalOptions) completeScope(all bool, namespace *string, clients *kube.Clients) error {
	if all && g.ConfigFlags.Namespace != nil && *g.ConfigFlags.Namespace != "" {
		return errors.New("give -n NS or -A, not both")
	}
	if err := g.completeCluster(namespace, clients); err != nil {
		return err
	}
	if all {
		*namespace = ""
	}
	return nil
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
		return nil, g.kubeconfigError(err)
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
		return g.kubeconfigError(err)
	}
	if len(raw.Clusters) == 0 {
		return fmt.Errorf("no cluster configured: set KUBECONFIG, pass --kubeconfig, or run where kubectl works")
	}
	return nil
}

// kubeconfigError names what is wrong with the kubeconfig: the file given
// does not exist, the context is not in it, or it is invalid.
func (g *GlobalOptions) kubeconfigError(err error) error {
	var path, context string
	if f := g.ConfigFlags.KubeConfig; f != nil {
		path = *f
	}
	if f := g.ConfigFlags.Context; f != nil {
		context = *f
	}
	if path != "" && errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the kubeconfig file %s (--kubeconfig) does not exist", path)
	}
	raw, rerr := g.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
	if rerr != nil {
		return fmt.Errorf("loading the kubeconfig: %w", err)
	}
	// A name given with --context, --cluster or --user that the kubeconfig
	// lacks, or a current-context that names no context.
	missing := func(what, flag, name string, known []string) error {
		has := "it has none"
		if len(known) > 0 {
			has = "it has " + strings.Join(known, ", ")
		}
		return fmt.Errorf("%s %q (%s) is not in the kubeconfig: %s", what, name, flag, has)
	}
	contexts := slices.Sorted(maps.Keys(raw.Contexts))
	switch {
	case context != "" && raw.Contexts[context] == nil:
		return missing("context", "--context", context, contexts)
	case clientcmd.IsContextNotFound(err) && raw.CurrentContext != "":
		return fmt.Errorf("the kubeconfig's current-context %q is not one of its contexts (%s): choose one with --context or kubectl config use-context", raw.CurrentContext, strings.Join(contexts, ", "))
	case g.ConfigFlags.ClusterName != nil && *g.ConfigFlags.ClusterName != "" && raw.Clusters[*g.ConfigFlags.ClusterName] == nil:
		return missing("cluster", "--cluster", *g.ConfigFlags.ClusterName, slices.Sorted(maps.Keys(raw.Clusters)))
	case g.ConfigFlags.AuthInfoName != nil && *g.ConfigFlags.AuthInfoName != "" && raw.AuthInfos[*g.ConfigFlags.AuthInfoName] == nil:
		return missing("user", "--user", *g.ConfigFlags.AuthInfoName, slices.Sorted(maps.Keys(raw.AuthInfos)))
	case clientcmd.IsConfigurationInvalid(err):
		return fmt.Errorf("the kubeconfig is not valid: %s", strings.TrimPrefix(err.Error(), "invalid configuration: "))
	}
	return fmt.Errorf("loading the kubeconfig: %w", err)
}

// Print renders the report and turns its outcome into the exit code.
func (g *GlobalOptions) Print(r *report.Report) error {
	return g.PrintContext(context.Background(), r)
}

// PrintContext is Print for reports that take long to print (a large
// matrix): it stops with ctx's error once ctx is done, which Execute turns
// into exit code 2 and "interrupted" on stderr.
func (g *GlobalOptions) PrintContext(ctx context.Context, r *report.Report) error {
	format, tmpl, err := printers.ParseOutput(g.Output)
	if err != nil {
		return err
	}
	if err := g.refused.err(); err != nil {
		// Every check only saw "Unauthorized": one line says why.
		return err
	}
	if s := g.stall.Fired(); s != nil {
		// Checks cut short by it only saw "context canceled".
		r.Notes = append(r.Notes, explain(s)+": the checks cut short by it could not finish")
	}
	opts := printers.Options{Verbose: klog.V(1).Enabled(), Template: tmpl}
	if format == printers.Human {
		opts.Color = g.colorOn(g.Streams.Out)
		opts.Width = g.width(g.Streams.Out)
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

// width is the terminal's width the human report folds at: 0, no folding,
// when out is not a terminal (a pipe, a file).
func (g *GlobalOptions) width(out io.Writer) int {
	if g.Width == nil {
		return terminalWidth(out)
	}
	return g.Width(out)
}

// terminalWidth is the width of the terminal out is, else 0. The size comes
// from the terminal; COLUMNS only when the terminal cannot say.
func terminalWidth(out io.Writer) int {
	f, ok := out.(*os.File)
	if !ok || !(isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) {
		return 0
	}
	if size := term.GetSize(f.Fd()); size != nil && size.Width > 0 {
		return int(size.Width)
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 0
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
		if strings.HasPrefix(uerr.Err.Error(), "getting credentials: ") {
			// client-go's exec plugin failed before any request was sent.
			return fmt.Sprintf("the kubeconfig's credential plugin (users[].user.exec) failed, so no request was sent to the API server at %s: %s", host, strings.TrimPrefix(uerr.Err.Error(), "getting credentials: "))
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
		// --request-timeout 0: wait without limit
		if err := run(ctx); err != nil {
			var exit *ExitError
			if rerr := g.refused.err(); rerr != nil && !errors.As(err, &exit) {
				return rerr
			}
			return err
		}
		return nil
	}
	ctx, stop := g.stall.Start(ctx, timeout)
	defer stop()
	err := run(ctx)
	var exit *ExitError
	if err == nil || errors.As(err, &exit) {
		return err // nil, or the report was printed
	}
	if rerr := g.refused.err(); rerr != nil {
		return rerr
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

// authWatch records the first 401 answer of the API server: it rejected the
// credentials, which no check can work around, so the run ends with one line
// that says so instead of a report of checks that all saw "Unauthorized".
type authWatch struct {
	mu   sync.Mutex
	host string
}

// subresourcePaths are answered by the kubelet or a pod through the API
// server: a 401 there says nothing of the user's credentials.
var subresourcePaths = []string{"/log", "/exec", "/attach", "/portforward", "/proxy"}

func (a *authWatch) wrap(rt http.RoundTripper) http.RoundTripper {
	return authRoundTripper{a: a, next: rt}
}

type authRoundTripper struct {
	a    *authWatch
	next http.RoundTripper
}

// WrappedRoundTripper lets client-go reach the transport underneath, to
// cancel a request.
func (r authRoundTripper) WrappedRoundTripper() http.RoundTripper { return r.next }

func (r authRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	for _, p := range subresourcePaths {
		if strings.HasSuffix(req.URL.Path, p) || strings.Contains(req.URL.Path, p+"/") {
			return resp, err
		}
	}
	r.a.mu.Lock()
	if r.a.host == "" {
		r.a.host = req.URL.Scheme + "://" + req.URL.Host
	}
	r.a.mu.Unlock()
	return resp, err
}

// err is the one-line error of a 401, nil when there was none.
func (a *authWatch) err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.host == "" {
		return nil
	}
	return fmt.Errorf("the API server at %s rejected the credentials (401 Unauthorized): log in again or renew the token or client certificate of the kubeconfig's user, then check with kubectl auth whoami", a.host)
}
