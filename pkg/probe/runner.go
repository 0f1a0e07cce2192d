// Package probe runs network probes inside a pod's network namespace (ping,
// TCP connect, DNS lookups, the pod's addresses, routes and resolv.conf) and
// returns structured results. Commands run through a Runner: kubectl-exec
// style in one of the pod's containers, or in an ephemeral debug container.
// Raw command output is kept as evidence but never parsed downstream.
package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	// client-go's WebSocket executor reports a failed upgrade with this
	// package's UpgradeFailureError, not apimachinery's look-alike: only
	// this one's IsUpgradeFailure lets the SPDY fallback happen.
	"k8s.io/streaming/pkg/httpstream"
)

// Output is what one command printed, and how it ended.
type Output struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// Combined is stdout and stderr together, for classifying messages that
// tools print on either.
func (o Output) Combined() string { return o.Stdout + o.Stderr }

// Runner runs a command where the probes must happen.
type Runner interface {
	// Run runs argv and returns its output. A non-zero exit is not an error;
	// an error means the command could not be run at all.
	Run(ctx context.Context, argv []string) (Output, error)
	// Where says in words where commands run, for evidence.
	Where() string
}

// ErrNotFound: the executable does not exist in the container.
var ErrNotFound = errors.New("executable not found in the container")

// ExecRunner runs commands in a container of a pod through the API server's
// exec subresource, as `kubectl exec` does: WebSocket first, SPDY when the
// server or a proxy cannot upgrade to WebSocket.
type ExecRunner struct {
	Config    *rest.Config
	Client    kubernetes.Interface
	Namespace string
	Pod       string
	Container string
}

func (r *ExecRunner) Where() string {
	return fmt.Sprintf("container %s of pod %s/%s", r.Container, r.Namespace, r.Pod)
}

func (r *ExecRunner) Run(ctx context.Context, argv []string) (Output, error) {
	var stdout, stderr bytes.Buffer
	code, err := r.Stream(ctx, argv, &stdout, &stderr)
	return Output{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: code}, err
}

// Stream runs argv, copying its output as it comes, and returns its exit
// code. A missing executable is ErrNotFound.
func (r *ExecRunner) Stream(ctx context.Context, argv []string, stdout, stderr io.Writer) (int, error) {
	req := r.Client.CoreV1().RESTClient().Post().
		Resource("pods").Namespace(r.Namespace).Name(r.Pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: r.Container,
			Command:   argv,
			Stdout:    true,
			Stderr:    true,
		}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(r.Config, http.MethodGet, req.URL().String())
	if err != nil {
		return 0, fmt.Errorf("exec in %s: %w", r.Where(), err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(r.Config, http.MethodPost, req.URL())
	if err != nil {
		return 0, fmt.Errorf("exec in %s: %w", r.Where(), err)
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return 0, fmt.Errorf("exec in %s: %w", r.Where(), err)
	}
	err = exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr})
	var exitErr utilexec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exitErr):
		code := exitErr.ExitStatus()
		if code == 127 || code == 126 {
			return code, ErrNotFound
		}
		return code, nil
	case notFound(err):
		return 0, ErrNotFound
	default:
		return 0, fmt.Errorf("exec in %s: %w", r.Where(), err)
	}
}

// notFound recognises the runtime's answer for a missing executable, which
// comes back as an error rather than an exit code.
func notFound(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory")
}
