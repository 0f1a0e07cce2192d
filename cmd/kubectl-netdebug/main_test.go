package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs main instead of the tests when the test binary is started
// as the plugin (asPlugin): the signal tests run the real main, signal
// handling included, without building another binary.
func TestMain(m *testing.M) {
	if os.Getenv(asPlugin) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

const asPlugin = "NETDEBUG_TEST_RUN_MAIN"

// SIGTERM (as Ctrl-C) during a large matrix ends the process promptly,
// whether it is reading the manifests or deciding the flows: exit code 2 and
// one line on stderr that says it was interrupted.
func TestSignalEndsLargeMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("computes a 4,000-pod matrix")
	}
	// A matrix of 4,000 pods (read in a few hundred milliseconds, decided
	// in seconds), and manifests of 20,000 pods that take seconds to read.
	large, huge := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(large, "world.yaml"), matrixManifests(4000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(huge, "world.yaml"), matrixManifests(20000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		phase, dir string
		sig        syscall.Signal
	}{{"computing", large, syscall.SIGTERM}, {"computing", large, syscall.SIGINT}, {"reading", huge, syscall.SIGTERM}} {
		sig := c.sig
		cmd := exec.Command(os.Args[0], "netpol", "matrix", "--local", "-f", c.dir, "--max-pods", "4000", "-o", "json")
		cmd.Env = append(os.Environ(), asPlugin+"=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		sent := time.Now()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		took := time.Since(sent)
		t.Logf("%s while %s: exit %d %s after the signal, %d bytes on stdout", sig, c.phase, cmd.ProcessState.ExitCode(), took.Round(time.Millisecond), stdout.Len())
		if code := cmd.ProcessState.ExitCode(); code != 2 {
			t.Errorf("%s: exit code %d, want 2; stderr %q", sig, code, stderr.String())
		}
		if msg := stderr.String(); strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "interrupted") {
			t.Errorf("%s: stderr %q, want one line saying interrupted", sig, msg)
		}
		if took > 5*time.Second {
			t.Errorf("%s: the process took %s to exit", sig, took)
		}
	}
}

// matrixManifests is pods over 10 namespaces, each declaring two ports,
// and per namespace a default deny and policies letting in pods by app and
// namespace.
func matrixManifests(pods int) []byte {
	var b bytes.Buffer
	for ns := range 10 {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ns%d, labels: {team: t%d}}\n", ns, ns%3)
		fmt.Fprintf(&b, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: ns%d}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n", ns)
		for app := range 5 {
			fmt.Fprintf(&b, `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: app%d, namespace: ns%d}
spec:
  podSelector: {matchLabels: {app: app%d}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: app%d}}}, {namespaceSelector: {matchLabels: {team: t%d}}, podSelector: {matchExpressions: [{key: tier, operator: In, values: [web]}]}}]
    ports: [{port: http}, {port: 9090, protocol: TCP}]
`, app, ns, app, (app+1)%5, app%3)
		}
	}
	for i := range pods {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: Pod
metadata: {name: pod%d, namespace: ns%d, labels: {app: app%d, tier: %s}}
spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]}]}
status: {phase: Running, podIP: 10.%d.%d.%d}
`, i, i%10, i%5, []string{"web", "db"}[i%2], 1+i/65536, (i/256)%256, i%256)
	}
	return b.Bytes()
}
