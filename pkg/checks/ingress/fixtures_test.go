package ingress

import (
	"bytes"
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/printers"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func class(name, controller string, isDefault bool, created time.Time) *networkingv1.IngressClass {
	c := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)},
		Spec:       networkingv1.IngressClassSpec{Controller: controller},
	}
	if isDefault {
		c.Annotations = map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}
	}
	return c
}

func readyCondition(ready bool) []corev1.PodCondition {
	s := corev1.ConditionFalse
	if ready {
		s = corev1.ConditionTrue
	}
	return []corev1.PodCondition{{Type: corev1.PodReady, Status: s}}
}

func ctrlPod(name string, ready bool) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ingress-nginx", Labels: map[string]string{
			"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller",
		}},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "controller", Image: "registry.k8s.io/ingress-nginx/controller:v1.12.0",
			Args: []string{"/nginx-ingress-controller", "--controller-class=k8s.io/ingress-nginx"}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.9.9", Conditions: readyCondition(ready),
			ContainerStatuses: []corev1.ContainerStatus{{Name: "controller", Ready: ready}}},
	}
}

func controllerService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "ingress-nginx-controller", Namespace: "ingress-nginx"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.0.50",
			Selector: map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, NodePort: 30080}, {Name: "https", Port: 443, NodePort: 30443}}},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "192.0.2.10"}}}},
	}
}

// backendService is Service name in ns with port http 80 -> targetPort.
func backendService(name string, target intstr.IntOrString) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: corev1.ServiceSpec{ClusterIP: "10.96.1.1", Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: target, Protocol: corev1.ProtocolTCP}}},
	}
}

func backendPod(name, app, ip string, ready bool) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "app",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, Conditions: readyCondition(ready),
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: ready}}},
	}
}

// endpointSlice is what the EndpointSlice controller keeps for service
// name's port http (8080) and the pods' addresses.
func endpointSlice(name string, ready map[string]bool) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name + "-abc", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}},
	}
	for ip, r := range ready {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(r)},
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: name + "-1"}})
	}
	return s
}

func prefixRule(host, path, svc string, port networkingv1.ServiceBackendPort) networkingv1.IngressRule {
	return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
		Paths: []networkingv1.HTTPIngressPath{{Path: path, PathType: ptr(networkingv1.PathTypePrefix), Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: svc, Port: port}}}},
	}}}
}

func port80() networkingv1.ServiceBackendPort { return networkingv1.ServiceBackendPort{Number: 80} }

// shopIngress routes shop.example.com/ to web:80 and /api to api:80, class
// nginx, with an address.
func shopIngress(mut ...func(*networkingv1.Ingress)) *networkingv1.Ingress {
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "ns", CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr("nginx"),
			Rules: []networkingv1.IngressRule{
				prefixRule("shop.example.com", "/", "web", port80()),
				prefixRule("shop.example.com", "/api", "api", networkingv1.ServiceBackendPort{Name: "http"}),
			},
		},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "192.0.2.10"}}}},
	}
	for _, m := range mut {
		m(ing)
	}
	return ing
}

// healthy is a cluster where shopIngress works.
func healthy() []runtime.Object {
	return []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns"}},
		class("nginx", "k8s.io/ingress-nginx", false, now.Add(-48*time.Hour)),
		ctrlPod("ingress-nginx-controller-1", true),
		controllerService(),
		backendService("web", intstr.FromString("http")),
		backendService("api", intstr.FromString("http")),
		backendPod("web-1", "web", "10.244.1.1", true),
		backendPod("api-1", "api", "10.244.1.2", true),
		endpointSlice("web", map[string]bool{"10.244.1.1": true}),
		endpointSlice("api", map[string]bool{"10.244.1.2": true}),
	}
}

// replace swaps objects of the same kind and name in objs.
func replace(objs []runtime.Object, with ...runtime.Object) []runtime.Object {
	out := append([]runtime.Object(nil), objs...)
	for _, w := range with {
		wm := w.(metav1.Object)
		found := false
		for i, o := range out {
			om := o.(metav1.Object)
			if om.GetName() == wm.GetName() && om.GetNamespace() == wm.GetNamespace() && sameType(o, w) {
				out[i], found = w, true
			}
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}

func sameType(a, b runtime.Object) bool {
	return typeName(a) == typeName(b)
}

func typeName(o runtime.Object) string {
	switch o.(type) {
	case *corev1.Pod:
		return "pod"
	case *corev1.Service:
		return "service"
	case *corev1.Secret:
		return "secret"
	case *networkingv1.Ingress:
		return "ingress"
	case *networkingv1.IngressClass:
		return "class"
	case *discoveryv1.EndpointSlice:
		return "slice"
	}
	return "other"
}

// without drops objects of the type and name.
func without(objs []runtime.Object, kind, name string) []runtime.Object {
	var out []runtime.Object
	for _, o := range objs {
		if typeName(o) == kind && o.(metav1.Object).GetName() == name {
			continue
		}
		out = append(out, o)
	}
	return out
}

func diagnose(t *testing.T, req Request, objs ...runtime.Object) *report.Report {
	t.Helper()
	return diagnoseWith(t, fake.NewClientset(objs...), req)
}

func diagnoseWith(t *testing.T, client *fake.Clientset, req Request) *report.Report {
	t.Helper()
	if req.Namespace == "" {
		req.Namespace, req.Name = "ns", "shop"
	}
	req.Now = func() time.Time { return now }
	r, err := Diagnose(context.Background(), kube.Clients{Typed: client}, req)
	if err != nil {
		t.Fatal(err)
	}
	if t.Failed() || testing.Verbose() {
		var b bytes.Buffer
		_ = printers.Print(&b, r, printers.Human, printers.Options{Verbose: true})
		t.Log("\n" + b.String())
	}
	return r
}

func find(t *testing.T, r *report.Report, code string) report.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Code == code {
			return c
		}
	}
	t.Fatalf("no %s in the report", code)
	return report.Check{}
}

// secretFor makes a kubernetes.io/tls secret for hosts valid until
// notAfter.
func secretFor(t *testing.T, name string, hosts []string, notBefore, notAfter time.Time) *corev1.Secret {
	t.Helper()
	cert, key, err := testenv.Certificate(hosts, notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key}}
}

func withTLS(secret string, hosts ...string) func(*networkingv1.Ingress) {
	return func(ing *networkingv1.Ingress) {
		ing.Spec.TLS = append(ing.Spec.TLS, networkingv1.IngressTLS{Hosts: hosts, SecretName: secret})
	}
}
