package plugin_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/plugin"
)

// One real kube-apiserver + etcd for the whole package; each test works in
// namespaces of its own.
var (
	env    *testenv.Env
	update = flag.Bool("update", false, "rewrite the golden files in testdata/")
)

// now is the clock the commands see, so ages in golden files are stable.
var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	env, err = testenv.Start(testenv.WithGatewayAPI())
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration tests need a control plane:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
	}
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// run executes the real command tree as the admin user.
func run(t *testing.T, args ...string) result {
	t.Helper()
	return runAs(t, env.Kubeconfig, args...)
}

func runAs(t *testing.T, kubeconfig string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	cfg := plugin.Config{
		Streams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Getenv:  func(string) string { return "" },
		Now:     func() time.Time { return now },
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := plugin.Execute(ctx, cfg, append([]string{"--kubeconfig", kubeconfig}, args...))
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// golden compares got with testdata/NAME.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
