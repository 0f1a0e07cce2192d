//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// TestRefusalReadsListeningSockets: a server bound to 127.0.0.1:8080 only
// refuses other pods; the plugin reads its /proc/net/tcp through exec and
// says so, from `pod` and from `service --from`, instead of guessing
// between "nothing listens" and "loopback only".
func TestRefusalReadsListeningSockets(t *testing.T) {
	ctx := testContext(t, 4*time.Minute)
	ns := newNamespace(ctx, t)
	createPod(ctx, t, ns, toolsPod("client", map[string]string{"app": "client"}))
	server := toolsPod("server", map[string]string{"app": "loopback"}, "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/")
	server.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}
	createPod(ctx, t, ns, server)

	const loopbackOnly = "it listens on 127.0.0.1:8080 only"
	r, _, code := netdebug(ctx, t, "pod", "client", "server", "-n", ns, "--port", "8080")
	if code != 1 || r.Verdict.Code != "POD005" || !strings.Contains(r.Verdict.Message, "refuses connections: "+loopbackOnly) {
		t.Fatalf("pod: exit %d, verdict %+v", code, r.Verdict)
	}
	if len(r.Verdict.Next) > 0 && strings.Contains(r.Verdict.Next[0], "netstat") {
		t.Errorf("pod: still suggests netstat: %v", r.Verdict.Next)
	}
	c := find(t, r, "POD005")
	var fact string
	for _, f := range c.Facts {
		if f.Name == "listening sockets" {
			fact = f.Value
		}
	}
	if !strings.Contains(fact, "127.0.0.1:8080") || !strings.Contains(fact, "cat /proc/net/tcp /proc/net/tcp6") {
		t.Errorf("POD005 listening sockets fact %q (facts %+v)", fact, c.Facts)
	}

	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "loopback"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "loopback"},
		Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}},
	}}
	if _, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, 60*time.Second, "service backend refusal explained", func(ctx context.Context) error {
		r, _, code := netdebug(ctx, t, "service", "loopback", "-n", ns, "--from", "client")
		if c := find(t, r, "SVC009"); code != 1 || c.Status != report.Fail || !strings.Contains(c.Message, loopbackOnly) {
			return errorf("exit %d, SVC009 %s %q", code, c.Status, c.Message)
		}
		return nil
	})
}
