package plugin

import (
	"bytes"
	"context"
	"errors"
	"net/http"
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
	if code := Execute(context.Background(), Config{Streams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}, Getenv: func(string) string { return "" }}, []string{"version", "-o", "junit"}); code != 2 || !strings.Contains(out.String(), "version prints text, -o json or -o yaml") {
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
