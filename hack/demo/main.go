// Command demo starts a local control plane (kube-apiserver + etcd built by
// hack/build-kube.sh), loads a small shop with realistic Service faults, and
// runs the real kubectl-netdebug binary against it. It is `make demo`'s
// API-only mode: no kubelet runs, so pods and EndpointSlices are written as a
// cluster's kubelet and controllers would have left them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
)

const ns = "demo-shop"

func main() {
	plugin := flag.String("plugin", "bin/kubectl-netdebug", "the plugin binary to run")
	keep := flag.Bool("keep", false, "keep the control plane running until Ctrl-C, to try more commands")
	flag.Parse()
	if err := run(*plugin, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(plugin string, keep bool) error {
	fmt.Println("Starting a local kube-apiserver and etcd (API-only demo)...")
	env, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	}()
	ctx, cancel := testenv.Context()
	defer cancel()
	if err := loadShop(ctx, env.Client); err != nil {
		return err
	}
	for _, svc := range []string{"web", "checkout", "cart"} {
		args := []string{"service", svc, "-n", ns}
		fmt.Printf("\n$ kubectl netdebug service %s -n %s\n", svc, ns)
		if err := runPlugin(plugin, env.Kubeconfig, args); err != nil {
			return err
		}
	}
	if keep {
		fmt.Printf("\nThe control plane stays up. Try:\n  export KUBECONFIG=%s\n  %s service web -n %s -o yaml\nCtrl-C stops it.\n", env.Kubeconfig, plugin, ns)
		sig, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		<-sig.Done()
	}
	return nil
}

// runPlugin runs the plugin; exit codes 1 (problems found) are the point of
// the demo, not a failure of it.
func runPlugin(plugin, kubeconfig string, args []string) error {
	cmd := exec.Command(plugin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		fmt.Println("(exit code 1: problems found)")
		return nil
	}
	return err
}

// loadShop: three services. web's selector still says app=web after the
// pods were relabelled app=web-frontend; checkout's pods fail their
// readiness probe; cart is healthy.
func loadShop(ctx context.Context, c kubernetes.Interface) error {
	if err := testenv.CreateNamespace(ctx, c, ns, nil); err != nil {
		return err
	}
	if err := testenv.CreateNode(ctx, c, "demo-node"); err != nil {
		return err
	}
	http := []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}
	apps := []struct {
		service  string
		selector map[string]string
		labels   map[string]string
		ready    bool
	}{
		{"web", map[string]string{"app": "web"}, map[string]string{"app": "web-frontend", "pod-template-hash": "7d9f8"}, true},
		{"checkout", map[string]string{"app": "checkout"}, map[string]string{"app": "checkout", "pod-template-hash": "5c4b1"}, false},
		{"cart", map[string]string{"app": "cart"}, map[string]string{"app": "cart", "pod-template-hash": "6f2a3"}, true},
	}
	for i, a := range apps {
		svc, err := c.CoreV1().Services(ns).Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: a.service},
			Spec: corev1.ServiceSpec{Selector: a.selector, Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP},
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating service %s: %w", a.service, err)
		}
		var selected []*corev1.Pod
		for j := 1; j <= 2; j++ {
			p, err := testenv.CreatePod(ctx, c, ns, testenv.Pod{
				Name: fmt.Sprintf("%s-%s-%d", a.labels["app"], a.labels["pod-template-hash"], j), Labels: a.labels,
				Ports: http, Node: "demo-node", IP: fmt.Sprintf("10.244.0.%d", 10*(i+1)+j), Ready: a.ready, Readiness: "/healthz",
			})
			if err != nil {
				return err
			}
			if !a.ready {
				msg := `Get "http://` + p.Status.PodIP + `:8080/healthz": dial tcp ` + p.Status.PodIP + `:8080: connect: connection refused`
				if err := testenv.CreateReadinessFailure(ctx, c, p, msg, 7, time.Now().Add(-20*time.Second)); err != nil {
					return err
				}
			}
			if a.labels["app"] == a.selector["app"] {
				selected = append(selected, p)
			}
		}
		ports := []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}}
		if _, err := testenv.CreateEndpointSlice(ctx, c, svc, selected, ports); err != nil {
			return err
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
