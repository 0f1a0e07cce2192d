//go:build e2e

// Package e2e holds netdebug's end-to-end tests. They run against the real
// cluster of hack/cluster (make e2e; two nodes with NODES=2, which the
// cross-node tests need), found through KUBECONFIG.
// Every test makes its own namespace and workloads and deletes them; every
// wait is bounded.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"
)

// Images imported by hack/cluster (no registry: pods never pull).
var toolsImage = envOr("NETDEBUG_TOOLS_IMAGE", "netdebug.local/tools:dev")

const (
	podReadyTimeout = 90 * time.Second
	execTimeout     = 30 * time.Second
	// labelE2E marks everything the suite creates.
	labelE2E = "netdebug.io/e2e"
)

var (
	restConfig *rest.Config
	client     kubernetes.Interface
)

// setup connects to the cluster named by KUBECONFIG; TestMain calls it.
func setup() error {
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		return fmt.Errorf("KUBECONFIG is not set; run `make e2e` (or `make cluster-up` and export KUBECONFIG)")
	}
	var err error
	restConfig, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("loading %s: %w", kubeconfig, err)
	}
	restConfig.Timeout = 30 * time.Second
	client, err = kubernetes.NewForConfig(restConfig)
	return err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// testContext ends after max, or when the test ends.
func testContext(t *testing.T, max time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), max)
	t.Cleanup(cancel)
	return ctx
}

// newNamespace creates a namespace for this test and deletes it afterwards.
func newNamespace(ctx context.Context, t *testing.T) string {
	t.Helper()
	name := "e2e-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	if len(name) > 50 {
		name = name[:50]
	}
	name = strings.TrimRight(name, "-") + "-" + rand.String(5)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{labelE2E: "true"}}}
	if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting namespace %s: %v", name, err)
		}
	})
	// Pods need the namespace's default ServiceAccount, which appears shortly after.
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("namespace %s: no default ServiceAccount: %v", name, err)
	}
	return name
}

// toolsPod is a pod running the tools image with the given command (sleep by default).
func toolsPod(name string, labels map[string]string, command ...string) *corev1.Pod {
	if len(command) == 0 {
		command = []string{"sleep", "3600"}
	}
	zero := int64(0)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: &zero,
			Containers: []corev1.Container{{
				Name:            "main",
				Image:           toolsImage,
				ImagePullPolicy: corev1.PullNever,
				Command:         command,
			}},
		},
	}
}

// createPod creates the pod and waits until it runs and is ready.
func createPod(ctx context.Context, t *testing.T, ns string, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	if _, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating pod %s/%s: %v", ns, pod.Name, err)
	}
	return waitPodReady(ctx, t, ns, pod.Name)
}

func waitPodReady(ctx context.Context, t *testing.T, ns, name string) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, podReadyTimeout, true, func(ctx context.Context) (bool, error) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		pod = p
		if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			return false, fmt.Errorf("pod ended in phase %s", p.Status.Phase)
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return p.Status.PodIP != "", nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("pod %s/%s not ready: %v\n%s", ns, name, err, describePod(pod))
	}
	return pod
}

func describePod(p *corev1.Pod) string {
	if p == nil {
		return "(pod not found)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "phase=%s ip=%s", p.Status.Phase, p.Status.PodIP)
	for _, c := range p.Status.Conditions {
		fmt.Fprintf(&b, " %s=%s(%s)", c.Type, c.Status, c.Message)
	}
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Waiting != nil {
			fmt.Fprintf(&b, " %s waiting: %s %s", s.Name, s.State.Waiting.Reason, s.State.Waiting.Message)
		}
		if s.State.Terminated != nil {
			fmt.Fprintf(&b, " %s terminated: %s exit %d", s.Name, s.State.Terminated.Reason, s.State.Terminated.ExitCode)
		}
	}
	return b.String()
}

// execResult is what a command run in a container printed, and how it ended.
type execResult struct {
	Stdout, Stderr string
	Err            error // nil on exit code 0
}

func (r execResult) String() string {
	return fmt.Sprintf("err=%v\nstdout:\n%s\nstderr:\n%s", r.Err, r.Stdout, r.Stderr)
}

// execIn runs cmd in the pod's container through the API server (WebSocket,
// falling back to SPDY, as kubectl does), bounded by execTimeout.
func execIn(ctx context.Context, ns, pod, container string, cmd ...string) execResult {
	ctx, cancel := context.WithTimeout(ctx, execTimeout)
	defer cancel()
	req := client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: cmd, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(restConfig, "GET", req.URL().String())
	if err != nil {
		return execResult{Err: err}
	}
	spdy, err := remotecommand.NewSPDYExecutor(restConfig, "POST", req.URL())
	if err != nil {
		return execResult{Err: err}
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return execResult{Err: err}
	}
	var stdout, stderr bytes.Buffer
	err = exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr})
	return execResult{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// eventually retries check until it returns nil or the timeout passes.
func eventually(ctx context.Context, t *testing.T, timeout time.Duration, what string, check func(ctx context.Context) error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		err := check(ctx)
		if err != nil && ctx.Err() == nil { // keep the last error not caused by the deadline
			last = err
		}
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: not within %s: %v", what, timeout, last)
	}
}
