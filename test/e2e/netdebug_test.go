//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/netdebug/kubectl-netdebug/pkg/plugin"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// netdebug runs the real command tree against the test cluster.
func netdebug(ctx context.Context, t *testing.T, args ...string) (report.Report, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cfg := plugin.Config{Streams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}}
	code := plugin.Execute(ctx, cfg, append(args, "-o", "json"))
	var r report.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("netdebug %v: exit %d, not a JSON report: %v\nstdout: %s\nstderr: %s", args, code, err, out.String(), errOut.String())
	}
	return r, errOut.String(), code
}

func find(t *testing.T, r report.Report, code string) report.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Code == code {
			return c
		}
	}
	t.Fatalf("no %s in report: %+v", code, r.Checks)
	return report.Check{}
}

// serverPod serves HTTP on 8080 (busybox httpd) and declares 9090 too,
// where nothing listens.
func serverPod(name string, labels map[string]string) *corev1.Pod {
	p := toolsPod(name, labels, "httpd", "-f", "-p", "8080", "-h", "/")
	p.Spec.Containers[0].Ports = []corev1.ContainerPort{
		{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
		{Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP},
	}
	return p
}

func ingressOnlyFrom(ns, name string, to, from map[string]string, port int32) *networkingv1.NetworkPolicy {
	tcp := corev1.ProtocolTCP
	p := intstr.FromInt32(port)
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: to},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: from}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &p}},
			}},
		},
	}
}

// TestPodExecProbes: exec probes with busybox find a working port and a
// refused one, and the pods' IPs inside match the API's.
func TestPodExecProbes(t *testing.T) {
	ctx := testContext(t, 3*time.Minute)
	ns := newNamespace(ctx, t)
	createPod(ctx, t, ns, toolsPod("client", map[string]string{"app": "client"}))
	createPod(ctx, t, ns, serverPod("server", map[string]string{"app": "server"}))

	r, _, code := netdebug(ctx, t, "pod", "client", "server", "-n", ns)
	if code != 1 || r.Verdict.Code != "POD005" || !strings.Contains(r.Verdict.Message, "refuses connections: nothing listens on port 9090") {
		t.Fatalf("exit %d, verdict %+v", code, r.Verdict)
	}
	for code, want := range map[string]report.Status{"POD001": report.Pass, "POD002": report.Pass, "POD003": report.Pass, "POD004": report.Pass} {
		if c := find(t, r, code); c.Status != want {
			t.Errorf("%s = %s (%s), want %s", code, c.Status, c.Message, want)
		}
	}
	r, _, code = netdebug(ctx, t, "pod", "client", "server", "-n", ns, "--port", "http")
	if code != 0 || r.Verdict.Outcome != report.OK {
		t.Errorf("port http: exit %d, verdict %+v", code, r.Verdict)
	}
}

// TestPodPolicyBlocks: a policy that blocks A->B is found both by the engine
// (the deciding rule) and by a timed-out probe; the verdict names it.
func TestPodPolicyBlocks(t *testing.T) {
	ctx := testContext(t, 3*time.Minute)
	ns := newNamespace(ctx, t)
	createPod(ctx, t, ns, toolsPod("client", map[string]string{"app": "client"}))
	createPod(ctx, t, ns, serverPod("server", map[string]string{"app": "server"}))
	if _, err := client.NetworkingV1().NetworkPolicies(ns).Create(ctx, ingressOnlyFrom(ns, "only-prometheus", map[string]string{"app": "server"}, map[string]string{"app": "prometheus"}, 8080), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The enforcer programs the rule within moments; wait until it bites.
	var r report.Report
	eventually(ctx, t, 60*time.Second, "policy enforced", func(ctx context.Context) error {
		var code int
		r, _, code = netdebug(ctx, t, "pod", "client", "server", "-n", ns, "--port", "8080", "--probe-timeout", "3s")
		if code != 1 || r.Verdict.Code != "POD003" {
			return errorf("exit %d verdict %+v", code, r.Verdict)
		}
		return nil
	})
	if !strings.Contains(r.Verdict.Message, "timed out because NetworkPolicy denied") || !strings.Contains(r.Verdict.Message, "only-prometheus") {
		t.Errorf("verdict %q", r.Verdict.Message)
	}
	if c := find(t, r, "POD005"); c.Status != report.Fail || !strings.Contains(c.Message, "8080 timeout") {
		t.Errorf("POD005 = %s %s", c.Status, c.Message)
	}
}

// TestPodEphemeralProbes: a debug container is added once and reused.
func TestPodEphemeralProbes(t *testing.T) {
	ctx := testContext(t, 4*time.Minute)
	ns := newNamespace(ctx, t)
	createPod(ctx, t, ns, toolsPod("client", map[string]string{"app": "client"}))
	createPod(ctx, t, ns, serverPod("server", map[string]string{"app": "server"}))
	args := []string{"pod", "client", "server", "-n", ns, "--port", "8080", "--probe", "ephemeral", "--image", toolsImage}
	r, _, code := netdebug(ctx, t, args...)
	if code != 0 || len(r.Notes) == 0 || !strings.Contains(strings.Join(r.Notes, " "), "stay in the pod spec") {
		t.Fatalf("first run: exit %d, notes %v, verdict %+v", code, r.Notes, r.Verdict)
	}
	r, _, code = netdebug(ctx, t, args...)
	if code != 0 || len(r.Notes) != 0 {
		t.Errorf("second run: exit %d, notes %v (want the container reused, no note)", code, r.Notes)
	}
	pod, err := client.CoreV1().Pods(ns).Get(ctx, "client", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pod.Spec.EphemeralContainers); n != 1 {
		t.Errorf("client has %d ephemeral containers, want 1", n)
	}
}

// TestServiceFromPod tells a policy problem on the backend path apart.
func TestServiceFromPod(t *testing.T) {
	ctx := testContext(t, 3*time.Minute)
	ns := newNamespace(ctx, t)
	createPod(ctx, t, ns, toolsPod("client", map[string]string{"app": "client"}))
	createPod(ctx, t, ns, serverPod("web-1", map[string]string{"app": "web"}))
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "web"},
		Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}},
	}}
	if _, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, 60*time.Second, "service healthy from client", func(ctx context.Context) error {
		r, _, code := netdebug(ctx, t, "service", "web", "-n", ns, "--from", "client")
		if code != 0 {
			return errorf("exit %d verdict %+v", code, r.Verdict)
		}
		for _, c := range []string{"SVC007", "SVC008", "SVC009", "SVC010"} {
			if s := find(t, r, c).Status; s != report.Pass {
				return errorf("%s = %s", c, s)
			}
		}
		return nil
	})
	if _, err := client.NetworkingV1().NetworkPolicies(ns).Create(ctx, ingressOnlyFrom(ns, "web-from-frontend", map[string]string{"app": "web"}, map[string]string{"app": "frontend"}, 8080), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, 60*time.Second, "policy problem named", func(ctx context.Context) error {
		r, _, code := netdebug(ctx, t, "service", "web", "-n", ns, "--from", "client", "--probe-timeout", "3s")
		if code != 1 || r.Verdict.Code != "SVC008" || !strings.Contains(r.Verdict.Message, "web-from-frontend") {
			return errorf("exit %d verdict %+v", code, r.Verdict)
		}
		if c := find(t, r, "SVC009"); c.Status != report.Fail {
			return errorf("backend probe %s: %s", c.Status, c.Message)
		}
		return nil
	})
}

// TestDNSFromPod: lookups work; a default-deny egress policy that forgets
// DNS is named; CoreDNS scaled to zero is named.
func TestDNSFromPod(t *testing.T) {
	ctx := testContext(t, 5*time.Minute)
	ns := newNamespace(ctx, t)
	createPod(ctx, t, ns, toolsPod("client", map[string]string{"app": "client"}))

	r, _, code := netdebug(ctx, t, "dns", "kubernetes.default", "--from", "client", "-n", ns)
	if code != 0 || find(t, r, "DNS008").Status != report.Pass || find(t, r, "DNS007").Status != report.Pass {
		t.Fatalf("healthy: exit %d verdict %+v", code, r.Verdict)
	}

	deny := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default-deny-egress"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}}}
	if _, err := client.NetworkingV1().NetworkPolicies(ns).Create(ctx, deny, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, 60*time.Second, "DNS blocked by policy", func(ctx context.Context) error {
		r, _, code := netdebug(ctx, t, "dns", "--from", "client", "-n", ns, "--probe-timeout", "3s")
		if code != 1 || r.Verdict.Code != "DNS009" || !strings.HasPrefix(r.Verdict.Message, "DNS pods are ready but NetworkPolicy denied") {
			return errorf("exit %d verdict %+v", code, r.Verdict)
		}
		if c := find(t, r, "DNS008"); c.Status != report.Fail {
			return errorf("lookups %s %s", c.Status, c.Message)
		}
		return nil
	})
	if err := client.NetworkingV1().NetworkPolicies(ns).Delete(ctx, "default-deny-egress", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	scaleCoreDNS(ctx, t, 0)
	t.Cleanup(func() { scaleCoreDNS(context.Background(), t, 1) })
	eventually(ctx, t, 90*time.Second, "DNS pods gone", func(ctx context.Context) error {
		r, _, code := netdebug(ctx, t, "dns", "--from", "client", "-n", ns, "--probe-timeout", "3s")
		if code != 1 || r.Verdict.Code != "DNS002" {
			return errorf("exit %d verdict %+v", code, r.Verdict)
		}
		return nil
	})
}

func scaleCoreDNS(ctx context.Context, t *testing.T, replicas int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	scale, err := client.AppsV1().Deployments("kube-system").GetScale(ctx, "coredns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scale.Spec.Replicas = replicas
	if _, err := client.AppsV1().Deployments("kube-system").UpdateScale(ctx, "coredns", scale, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if replicas > 0 {
		eventually(ctx, t, 90*time.Second, "coredns back", func(ctx context.Context) error {
			d, err := client.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
			if err != nil || d.Status.ReadyReplicas < replicas {
				return errorf("ready %d", d.Status.ReadyReplicas)
			}
			return nil
		})
	}
}

// TestCapture: the pcap holds the probe's own packets, and stopping by
// cancel (Ctrl-C) leaves a valid file and nothing else behind.
func TestCapture(t *testing.T) {
	ctx := testContext(t, 4*time.Minute)
	ns := newNamespace(ctx, t)
	cl := createPod(ctx, t, ns, toolsPod("client", map[string]string{"app": "client"}))
	srv := createPod(ctx, t, ns, serverPod("server", map[string]string{"app": "server"}))
	file := filepath.Join(t.TempDir(), "server.pcap")

	captureCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var code int
	var stderr bytes.Buffer
	wg.Go(func() {
		cfg := plugin.Config{Streams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &stderr}}
		code = plugin.Execute(captureCtx, cfg, []string{"capture", "server", "-n", ns, "-f", "tcp port 8080", "-w", file, "--image", toolsImage})
	})
	// Connect until the capture has seen it, then stop as Ctrl-C would.
	eventually(ctx, t, 90*time.Second, "packets captured", func(ctx context.Context) error {
		execIn(ctx, ns, "client", "main", "nc", "-w", "2", srv.Status.PodIP, "8080")
		if fi, err := os.Stat(file); err != nil || fi.Size() <= 24 {
			return errorf("pcap %v", err)
		}
		return nil
	})
	stop()
	wg.Wait()
	if code != 0 {
		t.Fatalf("capture exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "capturing in pod "+ns+"/server, container ") {
		t.Errorf("stderr does not say where it captured: %q", stderr.String())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if n := countTCP(t, data, cl.Status.PodIP, srv.Status.PodIP, 8080); n == 0 {
		t.Errorf("no packet from %s to %s:8080 in the %d-byte pcap", cl.Status.PodIP, srv.Status.PodIP, len(data))
	}
	// Nothing left running: tcpdump was interrupted inside the pod.
	pod, err := client.CoreV1().Pods(ns).Get(ctx, "server", metav1.GetOptions{})
	if err != nil || len(pod.Spec.EphemeralContainers) != 1 {
		t.Fatalf("server: %v, %d ephemeral containers", err, len(pod.Spec.EphemeralContainers))
	}
	res := execIn(ctx, ns, "server", pod.Spec.EphemeralContainers[0].Name, "sh", "-c", "pidof tcpdump || echo none")
	if strings.TrimSpace(res.Stdout) != "none" {
		t.Errorf("tcpdump still running after stop: %s", res)
	}
}

// countTCP reads a pcap (Linux cooked capture v1 or v2, as tcpdump -i any
// writes, or Ethernet) and counts IPv4 TCP packets from src to dst:port.
func countTCP(t *testing.T, data []byte, src, dst string, port uint16) int {
	t.Helper()
	if len(data) < 24 || binary.LittleEndian.Uint32(data) != 0xa1b2c3d4 {
		t.Fatalf("not a little-endian microsecond pcap")
	}
	linkType := binary.LittleEndian.Uint32(data[20:])
	var l2 int
	switch linkType {
	case 113: // LINUX_SLL
		l2 = 16
	case 276: // LINUX_SLL2
		l2 = 20
	case 1: // Ethernet
		l2 = 14
	default:
		t.Fatalf("link type %d", linkType)
	}
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	n := 0
	for off := 24; off+16 <= len(data); {
		incl := int(binary.LittleEndian.Uint32(data[off+8:]))
		pkt := data[off+16 : min(off+16+incl, len(data))]
		off += 16 + incl
		if len(pkt) < l2+20+4 {
			continue
		}
		ip := pkt[l2:]
		if ip[0]>>4 != 4 || ip[9] != 6 {
			continue
		}
		ihl := int(ip[0]&0x0f) * 4
		if bytes.Equal(ip[12:16], s[:]) && bytes.Equal(ip[16:20], d[:]) && binary.BigEndian.Uint16(ip[ihl+2:]) == port {
			n++
		}
	}
	return n
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
