//go:build e2e

package e2e

// Tests that prove the test cluster itself: the bridge, kube-proxy Services,
// CoreDNS and NetworkPolicy enforcement. netdebug's own live checks rely on
// each of these, so they run first (go test runs files in name order).

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestClusterPodToPodPing(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 3*time.Minute)
	ns := newNamespace(ctx, t)
	a := createPod(ctx, t, ns, toolsPod("a", nil))
	b := createPod(ctx, t, ns, toolsPod("b", nil))
	if a.Status.PodIP == b.Status.PodIP {
		t.Fatalf("both pods have IP %s", a.Status.PodIP)
	}
	for _, p := range [][2]*corev1.Pod{{a, b}, {b, a}} {
		r := execIn(ctx, ns, p[0].Name, "main", "ping", "-c", "3", "-W", "2", p[1].Status.PodIP)
		if r.Err != nil || !strings.Contains(r.Stdout, "3 packets received") {
			t.Fatalf("ping %s -> %s failed: %s", p[0].Name, p[1].Status.PodIP, r)
		}
	}
}

// webServer creates a Deployment of busybox httpd answering its pod name on
// port 8080, and a Service "web" on port 80 in front of it.
func webServer(ctx context.Context, t *testing.T, ns string, replicas int32) *corev1.Service {
	t.Helper()
	labels := map[string]string{"app": "web"}
	pod := toolsPod("", labels, "sh", "-c",
		`mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www`)
	pod.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	pod.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}},
		PeriodSeconds: 1,
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: pod.ObjectMeta, Spec: pod.Spec},
		},
	}
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating deployment: %v", err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{
			Selector: labels,
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
		},
	}
	svc, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating service: %v", err)
	}
	eventually(ctx, t, 2*time.Minute, "deployment web available", func(ctx context.Context) error {
		d, err := client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.AvailableReplicas != replicas {
			return fmt.Errorf("%d of %d replicas available", d.Status.AvailableReplicas, replicas)
		}
		return nil
	})
	return svc
}

// fetch runs busybox wget in the client pod; it fails on any error or timeout.
// (Debian's static busybox wget crashes with -T, hence busybox timeout.)
func fetch(ctx context.Context, ns, pod, url string, timeoutSeconds int) (string, error) {
	r := execIn(ctx, ns, pod, "main", "timeout", fmt.Sprint(timeoutSeconds), "wget", "-q", "-O", "-", url)
	if r.Err != nil {
		return "", fmt.Errorf("wget %s: %v: %s", url, r.Err, strings.TrimSpace(r.Stderr))
	}
	return strings.TrimSpace(r.Stdout), nil
}

func TestClusterServiceClusterIP(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 4*time.Minute)
	ns := newNamespace(ctx, t)
	svc := webServer(ctx, t, ns, 2)
	probe := createPod(ctx, t, ns, toolsPod("client", nil))
	url := "http://" + net.JoinHostPort(svc.Spec.ClusterIP, "80") + "/"
	seen := map[string]bool{}
	// kube-proxy programs the Service shortly after its endpoints are ready.
	eventually(ctx, t, 60*time.Second, "GET "+url, func(ctx context.Context) error {
		body, err := fetch(ctx, ns, probe.Name, url, 3)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(body, "web-") {
			return fmt.Errorf("unexpected answer %q", body)
		}
		seen[body] = true
		return nil
	})
	// both replicas answer through the ClusterIP, sooner or later
	eventually(ctx, t, 60*time.Second, "both replicas answer", func(ctx context.Context) error {
		body, err := fetch(ctx, ns, probe.Name, url, 3)
		if err != nil {
			return err
		}
		seen[body] = true
		if len(seen) < 2 {
			return fmt.Errorf("answers so far from %v", seen)
		}
		return nil
	})
}

func TestClusterDNS(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 4*time.Minute)
	ns := newNamespace(ctx, t)
	svc := webServer(ctx, t, ns, 1)
	probe := createPod(ctx, t, ns, toolsPod("client", nil))
	fqdn := fmt.Sprintf("web.%s.svc.cluster.local", ns)
	eventually(ctx, t, 60*time.Second, "nslookup "+fqdn, func(ctx context.Context) error {
		r := execIn(ctx, ns, probe.Name, "main", "nslookup", fqdn)
		if r.Err != nil {
			return fmt.Errorf("%s", r)
		}
		if !strings.Contains(r.Stdout, svc.Spec.ClusterIP) {
			return fmt.Errorf("answer lacks %s: %s", svc.Spec.ClusterIP, r.Stdout)
		}
		return nil
	})
	// the short name through the pod's search path, and HTTP by name (a
	// busy machine may take a moment to program the Service: retried)
	eventually(ctx, t, 30*time.Second, "GET http://web/", func(ctx context.Context) error {
		body, err := fetch(ctx, ns, probe.Name, "http://web/", 5)
		if err != nil || !strings.HasPrefix(body, "web-") {
			return fmt.Errorf("%q %v", body, err)
		}
		return nil
	})
	// kubernetes.default answers too
	if r := execIn(ctx, ns, probe.Name, "main", "nslookup", "kubernetes.default.svc.cluster.local"); r.Err != nil {
		t.Fatalf("nslookup kubernetes.default: %s", r)
	}
	// names outside the cluster get NXDOMAIN, answered locally (no forwarding)
	r := execIn(ctx, ns, probe.Name, "main", "nslookup", "netdebug-no-such-host.example")
	if r.Err == nil || !strings.Contains(r.Stdout+r.Stderr, "NXDOMAIN") {
		t.Fatalf("outside name: want NXDOMAIN, got %s", r)
	}
}

func TestClusterNetworkPolicyDenies(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 5*time.Minute)
	ns := newNamespace(ctx, t)
	webServer(ctx, t, ns, 1)
	server, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil || len(server.Items) != 1 {
		t.Fatalf("listing web pods: %v (%d)", err, len(server.Items))
	}
	url := "http://" + net.JoinHostPort(server.Items[0].Status.PodIP, "8080") + "/"
	allowed := createPod(ctx, t, ns, toolsPod("allowed", map[string]string{"access": "web"}))
	other := createPod(ctx, t, ns, toolsPod("other", nil))

	works := func(pod string) func(ctx context.Context) error {
		return func(ctx context.Context) error { _, err := fetch(ctx, ns, pod, url, 3); return err }
	}
	// blocked needs two fetches in a row to fail: on a loaded two-node
	// cluster one can time out before the enforcer has the policy.
	blocked := func(pod string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			for range 2 {
				if body, err := fetch(ctx, ns, pod, url, 3); err == nil {
					return fmt.Errorf("%s still reaches %s (%q)", pod, url, body)
				}
			}
			return nil
		}
	}
	eventually(ctx, t, 30*time.Second, "other -> web before any policy", works("other"))

	deny := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "default-deny"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
	if _, err := client.NetworkingV1().NetworkPolicies(ns).Create(ctx, deny, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating policy: %v", err)
	}
	eventually(ctx, t, 60*time.Second, "default-deny blocks other -> web", blocked("other"))
	// the drop is a real timeout, not a refusal
	start := time.Now()
	r := execIn(ctx, ns, other.Name, "main", "nc", "-w", "3", server.Items[0].Status.PodIP, "8080")
	if r.Err == nil || time.Since(start) < 2*time.Second {
		t.Fatalf("nc to a denied pod: want a time-out, got after %s: %s", time.Since(start), r)
	}

	allow := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "allow-access-web"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"access": "web"}}}},
			}},
		},
	}
	if _, err := client.NetworkingV1().NetworkPolicies(ns).Create(ctx, allow, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating policy: %v", err)
	}
	eventually(ctx, t, 60*time.Second, "allow policy lets allowed -> web", works(allowed.Name))
	if err := blocked("other")(ctx); err != nil {
		t.Fatalf("with the allow policy: %v", err)
	}

	for _, name := range []string{"default-deny", "allow-access-web"} {
		if err := client.NetworkingV1().NetworkPolicies(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatalf("deleting policy %s: %v", name, err)
		}
	}
	eventually(ctx, t, 60*time.Second, "other -> web after the policies are gone", works("other"))
}
