package plugin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

func TestColorDecision(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	tests := []struct {
		mode string
		env  map[string]string
		want bool
	}{
		{"always", map[string]string{"NO_COLOR": "1"}, true},
		{"never", nil, false},
		{"auto", nil, false}, // a buffer is not a terminal
		{"auto", map[string]string{"NO_COLOR": "1"}, false},
	}
	for _, tt := range tests {
		g := NewGlobalOptions(Config{Getenv: env(tt.env)})
		g.Color = tt.mode
		if got := g.colorOn(&bytes.Buffer{}); got != tt.want {
			t.Errorf("--color=%s env %v: got %t", tt.mode, tt.env, got)
		}
	}
}

func TestRequestTimeout(t *testing.T) {
	g := NewGlobalOptions(Config{Getenv: func(string) string { return "" }})
	if d := g.requestTimeout(); d != defaultRequestTimeout {
		t.Errorf("default request timeout %s", d)
	}
	*g.ConfigFlags.Timeout = "5s"
	if d := g.requestTimeout(); d != 5*time.Second {
		t.Errorf("--request-timeout 5s gave %s", d)
	}
	*g.ConfigFlags.Timeout = "7"
	if d := g.requestTimeout(); d != 7*time.Second {
		t.Errorf("--request-timeout 7 gave %s", d)
	}
	// 0 waits without limit, as kubectl documents.
	*g.ConfigFlags.Timeout = "0"
	if d := g.requestTimeout(); d != 0 {
		t.Errorf("--request-timeout 0 gave %s", d)
	}
}

// The client's per-request timeout follows the flag: 30s by default, none
// with 0 (it was 30s whatever the flag said).
func TestRequestTimeoutReachesTheClient(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\ncontexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]time.Duration{"": 30 * time.Second, "0": 0, "5s": 5 * time.Second} {
		g := NewGlobalOptions(Config{Getenv: func(string) string { return "" }})
		fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
		g.AddFlags(fs)
		args := []string{"--kubeconfig", kubeconfig}
		if flag != "" {
			args = append(args, "--request-timeout", flag)
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		cfg, err := g.ConfigFlags.ToRESTConfig()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Timeout != want {
			t.Errorf("--request-timeout %q: client timeout %s, want %s", flag, cfg.Timeout, want)
		}
	}
}

// Help shows the real default, 30s, not kubectl's "0".
func TestRequestTimeoutHelp(t *testing.T) {
	g := NewGlobalOptions(Config{Getenv: func(string) string { return "" }})
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	g.AddFlags(fs)
	f := fs.Lookup("request-timeout")
	if f.DefValue != "30s" || !strings.Contains(f.Usage, "0 waits without limit") || strings.Contains(f.Usage, "A value of zero means don't timeout") {
		t.Errorf("default %q, usage %q", f.DefValue, f.Usage)
	}
}

type resetTransport struct{}

func (resetTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("read: connection reset by peer")
}

// TestRunWatchedSaysTheServerStalled: a run whose requests keep failing
// ends with the watch's cause and the last failure, not "context canceled";
// a printed report's exit code passes through.
func TestRunWatchedSaysTheServerStalled(t *testing.T) {
	g := NewGlobalOptions(Config{Getenv: func(string) string { return "" }})
	*g.ConfigFlags.Timeout = "50ms"
	client := &http.Client{Transport: g.stall.Wrap(resetTransport{})}
	err := g.runWatched(context.Background(), func(ctx context.Context) error {
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://127.0.0.1:6443/api", nil)
			if _, err := client.Do(req); ctx.Err() != nil {
				return err
			}
			time.Sleep(5 * time.Millisecond) // as client-go between retries
		}
	})
	if got, want := explain(err), "the API server gave no answer for 50ms (--request-timeout); last: GET https://127.0.0.1:6443/api: read: connection reset by peer"; got != want {
		t.Errorf("explain:\n%s\nwant\n%s", got, want)
	}
	err = g.runWatched(context.Background(), func(context.Context) error { return &ExitError{Code: 1} })
	if err.Error() != "exit status 1" {
		t.Errorf("an exit code must pass through: %v", err)
	}
}

// TestAStalledRunsReportSaysWhy: checks cut short only saw "context
// canceled"; the report printed after the watch fired names the cause.
func TestAStalledRunsReportSaysWhy(t *testing.T) {
	var out bytes.Buffer
	g := NewGlobalOptions(Config{Getenv: func(string) string { return "" }, Streams: genericiooptions.IOStreams{Out: &out}})
	*g.ConfigFlags.Timeout = "50ms"
	client := &http.Client{Transport: g.stall.Wrap(resetTransport{})}
	err := g.runWatched(context.Background(), func(ctx context.Context) error {
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://127.0.0.1:6443/api", nil)
			_, _ = client.Do(req)
			time.Sleep(5 * time.Millisecond)
		}
		r := report.New("service", report.Object{Kind: "Service", Name: "web"})
		r.Add(report.Check{Code: "SVC007", Status: report.Error, Message: "context canceled"})
		r.Finish(nil)
		return g.Print(r)
	})
	if err == nil || !strings.Contains(out.String(), "the API server gave no answer for 50ms (--request-timeout); last: GET https://127.0.0.1:6443/api: read: connection reset by peer") {
		t.Errorf("exit %v, report:\n%s", err, out.String())
	}
}

// version prints the commit too, and JSON or YAML with -o.
func TestVersionOutput(t *testing.T) {
	for format, want := range map[string]string{"": "kubectl-netdebug dev (commit ", "json": "\"goVersion\": \"go", "yaml": "platform: "} {
		var out bytes.Buffer
		code := Execute(context.Background(), Config{Streams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}, Getenv: func(string) string { return "" }}, []string{"version", "-o", format})
		if code != 0 || !strings.Contains(out.String(), want) {
			t.Errorf("-o %q: exit %d, %q", format, code, out.String())
		}
	}
	var out bytes.Buffer
	if code := Execute(context.Background(), Config{Streams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}, Getenv: func(string) string { return "" }}, []string{"version", "-o", "junit"}); code != 2 || !strings.Contains(out.String(), "version prints text, -o json, -o yaml, -o jsonpath=TEMPLATE or -o go-template=TEMPLATE") {
		t.Errorf("-o junit: exit %d, %q", code, out.String())
	}
}

// An unknown subcommand of completion or an unknown help topic is an
// error (exit 2), not the help and exit 0.
func TestUnknownSubcommandsFail(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"completion", "tcsh"}, 2, `unknown command "tcsh" for "kubectl netdebug completion"`},
		{[]string{"help", "nonexist"}, 2, `unknown help topic "nonexist"`},
		{[]string{"help", "netpol", "matrix"}, 0, "Decide every flow"},
		{[]string{"completion", "bash"}, 0, "bash completion"},
	} {
		var out bytes.Buffer
		code := Execute(context.Background(), Config{Streams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}, Getenv: func(string) string { return "" }}, tc.args)
		if code != tc.code || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%v: exit %d, %.200q", tc.args, code, out.String())
		}
	}
}

// writeKubeconfig writes a kubeconfig of one context, c, whose cluster is
// server and whose user is user (YAML of a users[].user).
func writeKubeconfig(t *testing.T, server, user string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	doc := "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: '" + server + "'}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: " + user + "}]\ncurrent-context: c\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Errors of the kubeconfig and of the connection flags name their real
// cause: the flag value, the file, the context, the credential plugin. They
// read "reading the namespace from the kubeconfig", "loading the
// kubeconfig" or "cannot reach the API server" before.
func TestKubeconfigErrorsNameTheCause(t *testing.T) {
	good := writeKubeconfig(t, "https://127.0.0.1:1", "{token: x}")
	noContext := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(noContext, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\ncontexts: [{name: c, context: {cluster: c}}]\ncurrent-context: gone\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	exec := writeKubeconfig(t, "https://127.0.0.1:1", "{exec: {apiVersion: client.authentication.k8s.io/v1, command: /nonexistent, interactiveMode: Never}}")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kubeconfig", good, "--context", "nope", "service", "web"}, `error: context "nope" (--context) is not in the kubeconfig: it has c`},
		{[]string{"--kubeconfig", good, "--cluster", "nope", "service", "web"}, `error: cluster "nope" (--cluster) is not in the kubeconfig: it has c`},
		{[]string{"--kubeconfig", good, "--user", "nope", "service", "web"}, `error: user "nope" (--user) is not in the kubeconfig: it has u`},
		{[]string{"--kubeconfig", noContext, "service", "web"}, `error: the kubeconfig's current-context "gone" is not one of its contexts (c)`},
		{[]string{"--kubeconfig", "/nonexistent/config", "service", "web"}, "error: the kubeconfig file /nonexistent/config (--kubeconfig) does not exist"},
		{[]string{"--kubeconfig", good, "--request-timeout", "abc", "service", "web"}, `error: invalid --request-timeout "abc": give a duration (30s, 2m) or a number of seconds`},
		{[]string{"--kubeconfig", good, "--request-timeout", "-1s", "service", "web"}, `error: invalid --request-timeout "-1s"`},
		{[]string{"--kubeconfig", "/nonexistent/config", "--request-timeout", "abc", "service", "web"}, `error: invalid --request-timeout "abc"`},
		{[]string{"--kubeconfig", exec, "service", "web"}, "error: the kubeconfig's credential plugin (users[].user.exec) failed, so no request was sent to the API server at https://127.0.0.1:1: exec: fork/exec /nonexistent: no such file or directory"},
	} {
		out, stderr, code := execute(t, Config{}, tc.args...)
		if code != 2 || out != "" || !strings.HasPrefix(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line starting %q", tc.args, code, stderr, tc.want)
		}
	}
}

// Arguments and flags are validated before the kubeconfig is read: bad
// input is named even where no cluster is configured.
func TestInputIsValidatedBeforeTheKubeconfig(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "x.yaml")
	if err := os.WriteFile(manifest, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, kubeconfig := range []string{"", "/nonexistent/config"} {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"netpol", "a", "-f", manifest}, "-f and -k are for --local (judge manifests without a cluster) or --what-if (simulate them against the cluster): add one"},
			{[]string{"netpol", "a", "b", "--lenient"}, "--lenient is for --local"},
			{[]string{"netpol", "a", "b", "--port", "70000"}, "--port"},
			{[]string{"pod", "a", "b", "--probe", "bogus"}, "bogus"},
			{[]string{"pod", "a/b/c/d", "b"}, "SRC: "},
			{[]string{"service", "web", "-o", "xml"}, `unsupported output format "xml"`},
			{[]string{"service", "web", "--color", "rainbow"}, `invalid --color "rainbow"`},
		} {
			args := tc.args
			if kubeconfig != "" {
				args = append([]string{"--kubeconfig", kubeconfig}, args...)
			}
			// KUBECONFIG is unset and HOME has no kubeconfig: no cluster.
			t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
			_, stderr, code := execute(t, Config{}, args...)
			if code != 2 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "no cluster configured") || strings.Contains(stderr, "kubeconfig") {
				t.Errorf("%v: exit %d, stderr %q; want %q", args, code, stderr, tc.want)
			}
		}
	}
	// Valid input: then the missing cluster is the error.
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	if _, stderr, code := execute(t, Config{}, "netpol", "a", "b"); code != 2 || !strings.Contains(stderr, "no cluster configured") {
		t.Errorf("netpol a b without a cluster: exit %d %q", code, stderr)
	}
}

// A 401 ends the run with one line that says to log in again (exit 2),
// not a report of checks that all saw "Unauthorized".
func TestUnauthorizedIsOneLine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`)
	}))
	defer srv.Close()
	kubeconfig := writeKubeconfig(t, srv.URL, "{token: expired}")
	for _, args := range [][]string{{"service", "web"}, {"service", "web", "-o", "json"}, {"netpol", "a", "b"}, {"cni"}, {"scan", "--request-timeout", "0"}} {
		out, stderr, code := execute(t, Config{}, append([]string{"--kubeconfig", kubeconfig}, args...)...)
		want := "error: the API server at " + srv.URL + " rejected the credentials (401 Unauthorized): log in again"
		if code != 2 || out != "" || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, stdout:\n%s", args, code, stderr, out)
		}
	}
}

// A 401 of a pod's logs or exec is the kubelet's or the pod's: it does not
// end the run.
func TestUnauthorizedSubresourceIsNotTheUsers(t *testing.T) {
	a := &authWatch{}
	rt := a.wrap(roundTripperFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusUnauthorized, Body: http.NoBody}, nil
	}))
	for _, path := range []string{"/api/v1/namespaces/kube-system/pods/coredns-1/log", "/api/v1/namespaces/a/pods/b/exec", "/api/v1/nodes/n/proxy/metrics"} {
		req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1:6443"+path, nil)
		if _, err := rt.RoundTrip(req); err != nil || a.err() != nil {
			t.Errorf("%s: %v, %v", path, err, a.err())
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1:6443/api/v1/namespaces/a/services/web", nil)
	if _, _ = rt.RoundTrip(req); a.err() == nil {
		t.Error("a 401 of a service read was not recorded")
	}
}

// The human report folds at the terminal's width (Config.Width), JSON
// never; and nothing folds when stdout is not a terminal.
func TestReportFoldsAtTheTerminalWidth(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "shop.yaml")
	doc := `apiVersion: v1
kind: Pod
metadata: {name: client-with-a-rather-long-name-for-folding, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.1, phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: server-with-a-rather-long-name-for-folding, namespace: shop, labels: {app: server}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 8080, name: http}]}]}
status: {podIP: 10.0.0.2, phase: Running}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-everything-that-is-not-explicitly-allowed, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
`
	if err := os.WriteFile(manifest, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"netpol", "shop/client-with-a-rather-long-name-for-folding", "shop/server-with-a-rather-long-name-for-folding", "--local", "-f", manifest}
	narrow := Config{Width: func(io.Writer) int { return 60 }}
	folded, _, code := execute(t, narrow, args...)
	whole, _, _ := execute(t, Config{}, args...)
	if code != 1 || folded == whole {
		t.Fatalf("exit %d; folded:\n%s\nwhole:\n%s", code, folded, whole)
	}
	long := 0
	for _, l := range strings.Split(whole, "\n") {
		if len(l) > 60 {
			long++
		}
	}
	if long == 0 {
		t.Fatalf("no line to fold:\n%s", whole)
	}
	for _, l := range strings.Split(folded, "\n") {
		if len(l) > 60 && len(strings.Fields(l)) > 1 {
			t.Errorf("%d columns: %q", len(l), l)
		}
	}
	if strings.Join(strings.Fields(folded), " ") != strings.Join(strings.Fields(whole), " ") {
		t.Errorf("folding changed the words:\n%s\n%s", folded, whole)
	}
	js, _, _ := execute(t, narrow, append(args, "-o", "json")...)
	jsWhole, _, _ := execute(t, Config{}, append(args, "-o", "json")...)
	if js != jsWhole {
		t.Errorf("JSON folded")
	}
	g := NewGlobalOptions(Config{})
	if w := g.width(&bytes.Buffer{}); w != 0 {
		t.Errorf("a buffer is not a terminal: width %d", w)
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
