package plugin_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/netdebug/kubectl-netdebug/internal/faultproxy"
	"github.com/netdebug/kubectl-netdebug/pkg/plugin"
)

// runBounded runs the command against kubeconfig under a context that
// cancels after guard: the hang guard. It returns the result and how long
// the run took.
func runBounded(t *testing.T, kubeconfig string, guard time.Duration, args ...string) (result, time.Duration) {
	t.Helper()
	var out, errOut bytes.Buffer
	cfg := plugin.Config{
		Streams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Getenv:  func(string) string { return "" },
		Now:     func() time.Time { return now },
	}
	c, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	start := time.Now()
	code := plugin.Execute(c, cfg, append([]string{"--kubeconfig", kubeconfig}, args...))
	return result{stdout: out.String(), stderr: errOut.String(), code: code}, time.Since(start)
}

// TestReliabilityAPIFaults puts a fault-injecting proxy between the plugin
// and the API server and checks, for each fault and several commands: a run
// the server stops answering ends within --request-timeout of the first
// failure (plus process slack: a hang guard, not a speed target), says why
// in one line on stderr with exit 2 when it cannot run, never prints a stack
// trace, and retries 429s a bounded number of times.
func TestReliabilityAPIFaults(t *testing.T) {
	ns := "rel-faults"
	relShop(t, ns, "10.88.2")
	proxy, err := faultproxy.Start(env.Config)
	check(t, err)
	t.Cleanup(proxy.Close)
	kubeconfig := must[string](t)(proxy.WriteKubeconfig(t.TempDir(), "proxy"))

	// Latency faults use a short --request-timeout (that is what they
	// test); the others a longer one, so that client-go's retries (after
	// resets and 429s, 1s apart) have time to show.
	const short, long = time.Second, 5 * time.Second
	commands := [][]string{
		{"service", "web", "-n", ns},
		{"netpol", "client", "server", "-n", ns},
		{"pod", "client", "server", "-n", ns, "--probe", "none"},
		{"cni"},
		{"scan", "-n", ns, "--page-size", "2"},
	}
	withTimeout := func(args []string, d time.Duration) []string {
		return append(append([]string{}, args...), "--request-timeout", d.String())
	}
	// Without faults, through the proxy: the shop is healthy.
	healthy := map[string]int{}
	for _, args := range commands {
		proxy.SetFault(faultproxy.Fault{})
		res, _ := runBounded(t, kubeconfig, time.Minute, withTimeout(args, long)...)
		noCrash(t, "no fault: "+strings.Join(args, " "), res)
		if res.code == 2 {
			t.Fatalf("no fault: %v: exit 2\n%s%s", args, res.stdout, res.stderr)
		}
		healthy[strings.Join(args, " ")] = res.code
	}

	type fault struct {
		name    string
		fault   faultproxy.Fault
		timeout time.Duration
		// wantCode is the exit code, -1: the healthy run's.
		wantCode int
		// the output must contain this.
		says string
		// only these commands (indexes), to keep slow faults short; nil: all.
		only []int
	}
	faults := []fault{
		{"latency below the timeout", faultproxy.Fault{Latency: 300 * time.Millisecond}, short, -1, "", nil},
		{"latency above the timeout", faultproxy.Fault{Latency: 3 * short}, short, 2, "no answer within 1s", nil},
		{"500 on every request", faultproxy.Fault{Status: http.StatusInternalServerError}, long, 2, "injected by faultproxy", nil},
		{"503 on every request", faultproxy.Fault{Status: http.StatusServiceUnavailable}, long, 2, "injected by faultproxy", nil},
		{"500 after 2 requests", faultproxy.Fault{Status: http.StatusInternalServerError, After: 2}, long, 2, "injected by faultproxy", nil},
		{"429 with Retry-After twice, then through", faultproxy.Fault{Status: http.StatusTooManyRequests, RetryAfter: 1, Times: 2}, long, -1, "", nil},
		{"connection reset on every request", faultproxy.Fault{Reset: true}, long, 2, "connection reset", nil},
		{"connection reset after 1 request", faultproxy.Fault{Reset: true, After: 1}, long, 2, "connection reset", []int{0, 2, 4}},
	}
	tried := 0
	for _, f := range faults {
		for i, args := range commands {
			if f.only != nil && !containsInt(f.only, i) {
				continue
			}
			tried++
			what := f.name + ": " + strings.Join(args, " ")
			proxy.SetFault(f.fault)
			res, took := runBounded(t, kubeconfig, 2*time.Minute, withTimeout(args, f.timeout)...)
			faultCheck(t, what, res, took, hangGuard(f.timeout, f.wantCode == 2), f.wantCode, healthy[strings.Join(args, " ")], f.says)
			t.Logf("%s: exit %d in %s after %d request(s), stderr %q", what, res.code, took.Round(time.Millisecond), proxy.Requests(), strings.TrimSpace(res.stderr))
		}
	}

	// 429 forever: client-go retries with Retry-After by itself; the run
	// ends --request-timeout after the first 429, saying so.
	for _, args := range commands[:1] {
		tried++
		what := "429 on every request: " + strings.Join(args, " ")
		proxy.SetFault(faultproxy.Fault{Status: http.StatusTooManyRequests, RetryAfter: 1})
		res, took := runBounded(t, kubeconfig, 2*time.Minute, withTimeout(args, long)...)
		faultCheck(t, what, res, took, hangGuard(long, true), 2, 0, "429 Too Many Requests")
		if n := proxy.Requests(); n > 8*11 {
			t.Errorf("%s: %d requests: retries are not bounded", what, n)
		}
		t.Logf("%s: exit %d in %s after %d request(s), stderr %q", what, res.code, took.Round(time.Millisecond), proxy.Requests(), strings.TrimSpace(res.stderr))
	}

	// The server goes away mid-run: after N requests the proxy closes its
	// listener and every connection; later connections are refused.
	for _, after := range []int64{0, 1, 2, 4} {
		for _, args := range commands {
			tried++
			what := fmt.Sprintf("server stopped after %d request(s): %s", after, strings.Join(args, " "))
			p, err := faultproxy.Start(env.Config)
			check(t, err)
			kc := must[string](t)(p.WriteKubeconfig(t.TempDir(), "stopping"))
			p.SetFault(faultproxy.Fault{Stop: true, After: after})
			res, took := runBounded(t, kc, 2*time.Minute, withTimeout(args, long)...)
			p.Close()
			want := 2
			if p.Faulted() == 0 {
				want = -1 // the command was done before the server went away
			}
			faultCheck(t, what, res, took, hangGuard(long, want == 2), want, healthy[strings.Join(args, " ")], "")
			t.Logf("%s: exit %d in %s after %d request(s) (%d refused), stderr %q", what, res.code, took.Round(time.Millisecond), p.Requests(), p.Faulted(), strings.TrimSpace(res.stderr))
		}
	}
	t.Logf("%d fault runs: %d fault kinds, 429 forever, the server stopped at 4 points; %d commands", tried, len(faults), len(commands))
}

// hangGuard bounds one run. A run that fails must end within the timeout
// of the server's first failure to answer (the faults start within the
// first few requests), plus slack for starting up on a loaded machine; a
// run that succeeds under latency has a loose bound.
func hangGuard(timeout time.Duration, fails bool) time.Duration {
	if fails {
		return timeout + 4*time.Second
	}
	return 10*timeout + 30*time.Second
}

// faultCheck asserts the rules for a run under a fault: no crash, the exit
// code, one clear line on stderr when no report was printed, the output
// says stderr (when given), and the run ended within guard.
func faultCheck(t *testing.T, what string, res result, took, guard time.Duration, wantCode, healthyCode int, stderr string) {
	t.Helper()
	noCrash(t, what, res)
	if took > guard {
		t.Errorf("%s: took %s, more than the hang guard %s", what, took, guard)
	}
	want := wantCode
	if want < 0 {
		want = healthyCode
	}
	if res.code != want {
		t.Errorf("%s: exit %d, want %d\n%s%s", what, res.code, want, res.stdout, res.stderr)
	}
	if want == 2 {
		if strings.TrimSpace(res.stdout) == "" {
			oneLineError(t, what, res)
		} else if res.stderr != "" {
			oneLineError(t, what, res)
		}
	}
	if stderr != "" && !strings.Contains(res.stderr+res.stdout, stderr) {
		t.Errorf("%s: output does not say %q\n%s%s", what, stderr, res.stdout, res.stderr)
	}
	if want == 2 && res.stdout != "" && !strings.Contains(res.stdout, "ERROR") && !strings.Contains(res.stdout, "INCOMPLETE") {
		t.Errorf("%s: exit 2 with a report that shows no error\n%s", what, res.stdout)
	}
}
