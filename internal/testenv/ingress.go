package testenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Certificate makes a self-signed certificate for hosts (its SANs; the
// first is also the Common Name) valid from notBefore to notAfter, and its
// ECDSA key, both PEM-encoded.
func Certificate(hosts []string, notBefore, notAfter time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		DNSNames:              hosts,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if len(hosts) > 0 {
		tmpl.Subject = pkix.Name{CommonName: hosts[0]}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// CreateSecret creates a secret of type typ with data.
func CreateSecret(ctx context.Context, c kubernetes.Interface, ns, name string, typ corev1.SecretType, data map[string][]byte) error {
	_, err := c.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Type: typ, Data: data,
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating secret %s/%s: %w", ns, name, err)
	}
	return nil
}

// CreateIngressClass creates an IngressClass for controller, marked as the
// cluster's default when isDefault.
func CreateIngressClass(ctx context.Context, c kubernetes.Interface, name, controller string, isDefault bool) error {
	class := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       networkingv1.IngressClassSpec{Controller: controller},
	}
	if isDefault {
		class.Annotations = map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}
	}
	if _, err := c.NetworkingV1().IngressClasses().Create(ctx, class, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating IngressClass %s: %w", name, err)
	}
	return nil
}

// ControllerPod is an ingress controller's pod: a Pod with the image and
// arguments of its controller container.
type ControllerPod struct {
	Pod
	Image string
	Args  []string
}

// CreateControllerPod creates the pod, its container named "controller",
// and sets its status as the kubelet would. Put it on a node made by
// CreateNode, so that reading its logs never leaves the machine.
func CreateControllerPod(ctx context.Context, c kubernetes.Interface, ns string, p ControllerPod) (*corev1.Pod, error) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: ns, Labels: p.Labels},
		Spec: corev1.PodSpec{NodeName: p.Node, Containers: []corev1.Container{{
			Name: "controller", Image: p.Image, Args: p.Args, Ports: p.Ports,
		}}},
	}
	created, err := c.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating pod %s/%s: %w", ns, p.Name, err)
	}
	created.Status = podStatus(p.Pod)
	for i := range created.Status.ContainerStatuses {
		created.Status.ContainerStatuses[i].Name = "controller"
		created.Status.ContainerStatuses[i].Image = p.Image
	}
	updated, err := c.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("setting status of pod %s/%s: %w", ns, p.Name, err)
	}
	return updated, nil
}

// SetLoadBalancerIP records a load-balancer address in a LoadBalancer
// Service's status, as a cloud controller would. Nothing is ever sent there.
func SetLoadBalancerIP(ctx context.Context, c kubernetes.Interface, svc *corev1.Service, ip string) error {
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	if _, err := c.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("setting status of service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return nil
}

// SetIngressAddress publishes an address in the Ingress's status, as its
// controller would.
func SetIngressAddress(ctx context.Context, c kubernetes.Interface, ing *networkingv1.Ingress, ip string) error {
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: ip}}
	if _, err := c.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, ing, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("setting status of ingress %s/%s: %w", ing.Namespace, ing.Name, err)
	}
	return nil
}
