package plugin

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

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
