//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// TestIngress502: the backend Service has a ready endpoint, but its
// targetPort is one nothing listens on. Only a connect from the controller
// pod shows it: the 502 the API cannot.
func TestIngress502(t *testing.T) {
	ctx := testContext(t, 3*time.Minute)
	ns := newNamespace(ctx, t)
	class := "nd-e2e-" + ns
	ctrl := toolsPod("ingress-nginx-controller", map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller", "e2e-class": class})
	createPod(ctx, t, ns, ctrl)
	createPod(ctx, t, ns, serverPod("web-1", map[string]string{"app": "web"}))
	if _, err := client.NetworkingV1().IngressClasses().Create(ctx, &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: class, Labels: map[string]string{labelE2E: "true"}},
		Spec:       networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.NetworkingV1().IngressClasses().Delete(context.Background(), class, metav1.DeleteOptions{})
	})
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "web"},
		// metrics (9090) is declared by the pod but nothing listens there.
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("metrics")}},
	}}
	if _, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "shop"}, Spec: networkingv1.IngressSpec{
		IngressClassName: &class,
		Rules: []networkingv1.IngressRule{{Host: "shop.example.test", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{
				Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Name: "http"}},
			}}},
		}}}},
	}}
	if _, err := client.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, 60*time.Second, "502 named", func(ctx context.Context) error {
		r, _, code := netdebug(ctx, t, "ingress", "shop", "-n", ns)
		c := find(t, r, "ING016")
		if code != 1 || c.Status != report.Fail || !strings.Contains(c.Message, "502: backend") || !strings.Contains(c.Message, "refuses connections from the controller") {
			return errorf("exit %d ING016 %s %q verdict %+v", code, c.Status, c.Message, r.Verdict)
		}
		return nil
	})
}
