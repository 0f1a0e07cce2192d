package mesh

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
)

// countingTransport counts the API requests of the plugin's client.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(r)
}

// simulateKubelet plays the kubelets of a synthetic cluster: every probe
// pod created is set Running with an IP from the simulated network,
// through the status subresource, until ctx ends.
func simulateKubelet(ctx context.Context, b *testing.B, c kubernetes.Interface, ns string, sim *simNet) {
	w, err := c.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: probe.LabelMesh})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok || ev.Type != watch.Added {
				continue
			}
			pod.Status.Phase = corev1.PodRunning
			pod.Status.PodIP = sim.start(pod.Name, pod.Spec.NodeName)
			if _, err := c.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil && ctx.Err() == nil {
				b.Errorf("simulated kubelet: %v", err)
			}
		}
	}()
}

// BenchmarkMesh measures a default mesh run (8 peers per node, MTU and DNS
// probes) on synthetic clusters of 10, 100 and 1,000 nodes: a real API
// server, the kubelets simulated (pods set Running with an IP) and the
// probes answered by a simulated network. It reports the plugin's API
// requests per run and per node, and the probe commands per node, which
// must stay constant as the cluster grows (make bench-mesh).
func BenchmarkMesh(b *testing.B) {
	env, err := testenv.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = env.Stop() })
	ctx := context.Background()
	made := 0
	for _, n := range []int{10, 100, 1000} {
		for ; made < n; made++ {
			if err := testenv.CreateNode(ctx, env.Client, fmt.Sprintf("node-%04d", made)); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			ns := fmt.Sprintf("mesh-%d", n)
			if err := testenv.CreateNamespace(ctx, env.Client, ns, nil); err != nil {
				b.Fatal(err)
			}
			var requests atomic.Int64
			cfg := rest.CopyConfig(env.Config)
			cfg.QPS, cfg.Burst = 1000, 2000
			cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt, &requests} })
			typed, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				b.Fatal(err)
			}
			runs, execs := 0, 0
			for b.Loop() {
				sim := newSimNet()
				kctx, stop := context.WithCancel(ctx)
				simulateKubelet(kctx, b, env.Client, ns, sim)
				rep, err := Diagnose(ctx, kube.Clients{Typed: typed, REST: cfg}, Request{Fleet: probe.FleetSettings{
					Namespace: ns, Image: "tools", Runner: sim.runner, Concurrency: 16, StartTimeout: 5 * time.Minute,
					// envtest's nodes keep the not-ready taint admission gave them
					Tolerate: true}})
				stop()
				if err != nil {
					b.Fatal(err)
				}
				if rep.Verdict.Outcome != "ok" {
					b.Fatalf("verdict %s %q", rep.Verdict.Outcome, rep.Verdict.Message)
				}
				runs++
				execs += sim.execs
			}
			perRun := float64(requests.Load()) / float64(runs)
			b.ReportMetric(perRun, "requests/op")
			b.ReportMetric(perRun/float64(n), "requests/node")
			b.ReportMetric(float64(execs)/float64(runs)/float64(n), "probes/node")
		})
	}
}
