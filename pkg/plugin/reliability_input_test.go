package plugin_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
	"github.com/netdebug/kubectl-netdebug/pkg/plugin"
)

// runIn runs the command as the admin with stdin in.
func runIn(t *testing.T, in io.Reader, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	cfg := plugin.Config{
		Streams: genericiooptions.IOStreams{In: in, Out: &out, ErrOut: &errOut},
		Getenv:  func(string) string { return "" },
		Now:     func() time.Time { return now },
	}
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := plugin.Execute(c, cfg, append([]string{"--kubeconfig", env.Kubeconfig}, args...))
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// badInputRules: a clear error (one line on stderr starting with "error: ")
// with exit 2, or a report with a failure (exit 1) or that could not
// decide (exit 2); never exit 0, never a crash.
func badInputRules(t *testing.T, what string, res result, wantCodes ...int) {
	t.Helper()
	noCrash(t, what, res)
	if res.code == 0 {
		t.Errorf("%s: exit 0 for bad input\n%s%s", what, res.stdout, res.stderr)
	}
	if len(wantCodes) > 0 && !containsInt(wantCodes, res.code) {
		t.Errorf("%s: exit %d, want one of %v\n%s%s", what, res.code, wantCodes, res.stdout, res.stderr)
	}
	if r, ok := jsonReport(res.stdout); ok {
		reportRules(t, what, res, r)
		return
	}
	if strings.TrimSpace(res.stdout) != "" && res.code != 2 {
		return // a human report with a failure
	}
	if strings.TrimSpace(res.stdout) == "" {
		oneLineError(t, what, res)
	}
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestReliabilityBadInput runs every command with malformed names, unknown
// namespaces and objects, invalid ports and protocols.
func TestReliabilityBadInput(t *testing.T) {
	ns := "rel-input"
	relShop(t, ns, "10.88.3")
	long := strings.Repeat("a", 300)
	cases := [][]string{
		// malformed names
		{"pod", "Web_1", "server", "-n", ns},
		{"pod", "client", "a/b/c/d", "-n", ns},
		{"pod", "client", "shop/widget/x", "-n", ns},
		{"pod", long, "server", "-n", ns},
		{"pod", "client", "", "-n", ns},
		{"pod", "client", "ns_bad/server"},
		{"service", "Bad_Name", "-n", ns},
		{"service", "../etc", "-n", ns},
		{"service", long, "-n", ns},
		{"service", "web", "-n", "Bad_NS"},
		{"ingress", "UPPER", "-n", ns},
		{"ingress", "a/b", "-n", ns},
		{"dns", "-n", ns, "--from", "a/b/c/d"},
		{"dns", "bad name!", "-n", ns},
		{"netpol", "Web_1", "-n", ns},
		{"netpol", "client", "10.0.0.300", "-n", ns},
		{"netpol", "client", "fe80::1%eth0", "-n", ns},
		{"netpol", "allow-all", "Bad_Pod", "-n", ns},
		{"capture", "Bad_Pod", "-n", ns, "-w", "/dev/null"},
		{"cni", "--node", "bad node"},
		// unknown namespaces and objects
		{"service", "web", "-n", "rel-no-such-ns"},
		{"service", "nope", "-n", ns},
		{"ingress", "web", "-n", "rel-no-such-ns"},
		{"ingress", "nope", "-n", ns},
		{"pod", "client", "nope", "-n", ns, "--probe", "none"},
		{"pod", "nope", "server", "-n", ns, "--probe", "none"},
		{"pod", "client", "server", "-n", "rel-no-such-ns", "--probe", "none"},
		{"pod", "client", "deploy/nope", "-n", ns, "--probe", "none"},
		{"netpol", "nope", "-n", ns},
		{"netpol", "client", "nope", "-n", ns},
		{"netpol", "client", "rel-no-such-ns/x", "-n", ns},
		{"netpol", "matrix", "-n", "rel-no-such-ns"},
		{"netpol", "allow-all", "nope", "-n", ns},
		{"dns", "--from", "nope", "-n", ns},
		{"capture", "nope", "-n", ns, "-w", "/dev/null"},
		{"cni", "--node", "no-such-node"},
		// invalid ports and protocols
		{"pod", "client", "server", "-n", ns, "--probe", "none", "--port", "0"},
		{"pod", "client", "server", "-n", ns, "--probe", "none", "--port", "65536"},
		{"pod", "client", "server", "-n", ns, "--probe", "none", "--port", "-1"},
		{"pod", "client", "server", "-n", ns, "--probe", "none", "--port", "80/icmp"},
		{"pod", "client", "server", "-n", ns, "--probe", "none", "--port", "ht;tp"},
		{"pod", "client", "server", "-n", ns, "--probe", "none", "--port", "99999999999999999999"},
		{"pod", "client", "server", "-n", ns, "--probe", "bogus"},
		{"netpol", "client", "server", "-n", ns, "--port", "0"},
		{"netpol", "client", "server", "-n", ns, "--port", "80", "--protocol", "ICMP"},
		{"netpol", "client", "server", "-n", ns, "--port", "80/"},
		{"netpol", "client", "server", "-n", ns, "--port", "a b"},
		{"netpol", "matrix", "-n", ns, "--port", "70000"},
		{"netpol", "matrix", "-n", ns, "--max-pods", "-1"},
		{"netpol", "allow-all", "server", "-n", ns, "--ttl", "-1s"},
		{"netpol", "allow-all", "server", "-n", ns, "--ttl", "forever"},
		{"capture", "server", "-n", ns, "-w", "/dev/null", "--count", "-5"},
		{"capture", "server", "-n", ns, "-w", "/dev/null", "--duration", "-1s"},
		{"service", "web", "-n", ns, "-o", "xml"},
		{"service", "web", "-n", ns, "--color", "rainbow"},
		{"service", "web", "-n", ns, "--request-timeout", "soon"},
	}
	for _, args := range cases {
		what := strings.Join(args, " ")
		res := run(t, args...)
		badInputRules(t, what, res)
		t.Logf("%s -> exit %d, stderr %q, stdout %d bytes", what, res.code, strings.TrimSpace(res.stderr), len(res.stdout))
	}
	t.Logf("%d bad command lines", len(cases))

	// A port name the destination does not declare: nothing to ask about,
	// so exit 2 naming the ports it does declare. An empty --protocol is no
	// --protocol.
	res := run(t, "pod", "client", "server", "-n", ns, "--probe", "none", "--port", "nosuchname")
	badInputRules(t, "--port nosuchname", res)
	if !strings.Contains(res.stderr, `declares no TCP port named "nosuchname"`) {
		t.Errorf("--port nosuchname: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = run(t, "netpol", "client", "server", "-n", ns, "--protocol", "")
	noCrash(t, "--protocol ''", res)
	if res.code != 0 {
		t.Errorf("--protocol '': exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// TestReliabilityHostileManifests feeds --local malformed and hostile
// manifests: each ends with a clear error, never a panic or a hang.
func TestReliabilityHostileManifests(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		check(t, os.WriteFile(p, data, 0o644))
		return p
	}
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	bomb := "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for i := range 9 {
		name := fmt.Sprintf("b%d", i)
		bomb += fmt.Sprintf("%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	bombPod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bomb\n  labels: &l {app: x}\n  annotations:\n" + indent(bomb, "    ")
	huge := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: huge\n  annotations:\n    big: \"" + strings.Repeat("x", 9<<20) + "\"\n"
	hugeFile := bytes.Repeat([]byte("# filler line to pass the file limit of the loader\n"), (65<<20)/51)
	files := map[string][]byte{
		"deep-json.json":      []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)),
		"deep-yaml.yaml":      []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: d}\nspec: " + strings.Repeat("{a: ", 5000) + "1" + strings.Repeat("}", 5000) + "\n"),
		"deep-block.yaml":     []byte(deepBlock(2000)),
		"huge-doc.yaml":       []byte(huge),
		"huge-file.yaml":      hugeFile,
		"garbage.yaml":        garbage,
		"nul.yaml":            []byte("apiVersion: v1\x00kind: Pod\n"),
		"bomb.yaml":           []byte(bomb),
		"bomb-pod.yaml":       []byte(bombPod),
		"self-alias.yaml":     []byte("a: &a [*a]\n"),
		"merge-bomb.yaml":     []byte("a: &a {x: 1}\nb: &b {<<: [*a, *a, *a]}\nc: {<<: [*b, *b, *b]}\n"),
		"wrong-kind.yaml":     []byte("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"),
		"no-kind.yaml":        []byte("metadata: {name: x}\n"),
		"scalar.yaml":         []byte("just a string\n"),
		"list-of-lists.yaml":  []byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - apiVersion: v1\n    kind: List\n    items: [1, 2]\n"),
		"bad-netpol.yaml":     []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {matchLabels: {app: [1]}}, ingress: 7}\n"),
		"bad-selector.yaml":   []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {matchExpressions: [{key: app, operator: Bogus, values: [x]}]}\n"),
		"bad-ipblock.yaml":    []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 300.1.1.1/99, except: [nonsense]}}]}]\n"),
		"bad-port.yaml":       []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 70000, endPort: 1, protocol: ICMP}]}]\n"),
		"truncated.json":      []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":`),
		"utf16.yaml":          {0xff, 0xfe, 'a', 0, ':', 0, ' ', 0, '1', 0},
		"empty.yaml":          {},
		"only-separators.yml": []byte("---\n---\n...\n---\n"),
	}
	// Policies only matter with pods to judge: these files carry a and b.
	pods := "apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {app: a}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, labels: {app: b}}\nspec: {containers: [{name: c, ports: [{containerPort: 80}]}]}\n---\n"
	for _, name := range []string{"bad-netpol.yaml", "bad-selector.yaml", "bad-ipblock.yaml", "bad-port.yaml", "wrong-kind.yaml"} {
		files[name] = append([]byte(pods), files[name]...)
	}
	type tc struct {
		name string
		args []string
	}
	var cases []tc
	for name, data := range files {
		p := write(name, data)
		cases = append(cases, tc{name, []string{"netpol", "a", "b", "--local", "-f", p}})
	}
	cases = append(cases,
		tc{"missing file", []string{"netpol", "a", "b", "--local", "-f", filepath.Join(dir, "nope.yaml")}},
		tc{"/dev/zero", []string{"netpol", "a", "b", "--local", "-f", "/dev/zero"}},
		tc{"a directory of everything", []string{"netpol", "matrix", "--local", "-f", dir}},
		tc{"matrix on the bomb", []string{"netpol", "matrix", "--local", "-f", filepath.Join(dir, "bomb-pod.yaml")}},
		tc{"what-if with garbage", []string{"netpol", "client", "server", "-n", "rel-input-wi", "--what-if", "-f", filepath.Join(dir, "garbage.yaml")}},
	)
	// A policy the API server would reject does not exist in a cluster:
	// the engine ignores it, and offline the run fails on it (the
	// manifests would not apply); an unknown kind is only a warning.
	type outcome struct {
		code int
		say  string
	}
	ignored := map[string]outcome{
		"bad-port.yaml":     {1, "the API server would reject it"},
		"bad-selector.yaml": {1, "the API server would reject it"},
		"bad-ipblock.yaml":  {1, "the API server would reject it"},
		"wrong-kind.yaml":   {0, "ignored"},
	}
	for _, c := range cases {
		start := time.Now()
		res := run(t, c.args...)
		took := time.Since(start)
		what := c.name + ": " + strings.Join(c.args[:min(len(c.args), 3)], " ")
		noCrash(t, what, res)
		if want, ok := ignored[c.name]; ok {
			if res.code != want.code || !strings.Contains(res.stdout, want.say) {
				t.Errorf("%s: exit %d, want %d with %q\n%s%s", what, res.code, want.code, want.say, res.stdout, res.stderr)
			}
		} else if res.code == 0 {
			t.Errorf("%s: exit 0\n%s%s", what, res.stdout, res.stderr)
		}
		if strings.TrimSpace(res.stdout) == "" {
			oneLineError(t, what, res)
		}
		if took > 30*time.Second {
			t.Errorf("%s: took %s", what, took)
		}
		t.Logf("%s -> exit %d in %s, stderr %.200q", what, res.code, took.Round(time.Millisecond), strings.TrimSpace(res.stderr))
	}
	// The same through stdin, unbounded: a stream of zeros.
	res := runIn(t, io.LimitReader(zeros{}, 80<<20), "netpol", "a", "b", "--local", "-f", "-")
	noCrash(t, "stdin zeros", res)
	oneLineError(t, "stdin zeros", res)
	if res.code != 2 {
		t.Errorf("stdin zeros: exit %d", res.code)
	}
	t.Logf("stdin zeros -> exit %d, stderr %q", res.code, strings.TrimSpace(res.stderr))
	t.Logf("%d hostile manifest cases", len(cases)+1)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// deepBlock is a Pod whose annotations nest n block mappings deep.
func deepBlock(n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata:\n  name: deep\nspec:\n")
	for i := range n {
		b.WriteString(strings.Repeat(" ", 2+i) + "a:\n")
	}
	b.WriteString(strings.Repeat(" ", 2+n) + "b: 1\n")
	return b.String()
}

// TestReliabilityInterrupt sends a real SIGINT (main wires SIGINT and
// SIGTERM to the context it passes to Execute, as this test does) during
// `netpol allow-all --apply --ttl 1m`, and cancels the context at several
// moments of the run: the netdebug-managed policy must never be left
// behind.
func TestReliabilityInterrupt(t *testing.T) {
	ns := "rel-interrupt"
	relShop(t, ns, "10.88.4")
	name := "netdebug-allow-all-server"
	before := len(npPolicies(t, ns))

	// SIGINT once the policy exists.
	sigCtx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var wg sync.WaitGroup
	var res result
	wg.Go(func() {
		res = runCtx(t, sigCtx, "netpol", "allow-all", "server", "-n", ns, "--apply", "--ttl", "1m", "-o", "json")
	})
	if !npWaitFor(t, ns, name, true, 10*time.Second) {
		stop()
		wg.Wait()
		t.Fatalf("the policy was not created\n%s%s", res.stdout, res.stderr)
	}
	check(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	wg.Wait()
	stop()
	noCrash(t, "SIGINT", res)
	r := decode(t, res.stdout)
	var d netpol.AllowAllData
	npRemarshal(t, checkByCode(t, r, "NP011").Data, &d)
	if res.code != 0 || d.Ended != "interrupted" || d.Deleted == "" {
		t.Errorf("SIGINT: exit %d %+v\n%s", res.code, d, res.stderr)
	}
	if got := npPolicies(t, ns); len(got) != before {
		t.Errorf("left behind after SIGINT: %v", got)
	}

	// Cancelled at every moment: before the run, while planning, while
	// creating, just after.
	for _, delay := range []time.Duration{-1, 0, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond, 30 * time.Millisecond, 100 * time.Millisecond} {
		c, cancel := context.WithCancel(context.Background())
		if delay < 0 {
			cancel()
		} else {
			time.AfterFunc(delay, cancel)
		}
		res := runCtx(t, c, "netpol", "allow-all", "server", "-n", ns, "--apply", "--ttl", "1m")
		cancel()
		what := fmt.Sprintf("cancel after %s", delay)
		noCrash(t, what, res)
		if res.code == 2 && strings.TrimSpace(res.stdout) == "" {
			oneLineError(t, what, res)
		}
		// A deletion may still be in flight in the API server's view only
		// if the command returned before it: it must not have.
		if got := npPolicies(t, ns); len(got) != before {
			t.Errorf("%s: left behind: %v (exit %d)\n%s%s", what, got, res.code, res.stdout, res.stderr)
		}
		t.Logf("%s -> exit %d, stderr %q", what, res.code, strings.TrimSpace(res.stderr))
	}
}
