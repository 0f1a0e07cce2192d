package plugin_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

const corefile = `.:53 {
    errors
    health
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
}
`

// TestDNS walks cluster DNS through healthy, misconfigured and broken states
// in kube-system, which all DNS scenarios share: so they run in sequence.
func TestDNS(t *testing.T) {
	c := ctx(t)
	sys := "kube-system"
	check(t, testenv.CreateNode(c, env.Client, "dns-node"))
	dnsLabels := map[string]string{"k8s-app": "kube-dns"}
	svc := must[*corev1.Service](t)(env.Client.CoreV1().Services(sys).Create(c, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Labels: dnsLabels},
		Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.10", Selector: dnsLabels, Ports: []corev1.ServicePort{
			{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
			{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)},
		}},
	}, metav1.CreateOptions{}))
	cm := must[*corev1.ConfigMap](t)(env.Client.CoreV1().ConfigMaps(sys).Create(c, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "coredns"}, Data: map[string]string{"Corefile": corefile},
	}, metav1.CreateOptions{}))
	dnsPorts := []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP}}
	var pods []*corev1.Pod
	for i, ip := range []string{"10.244.0.2", "10.244.0.3"} {
		pods = append(pods, must[*corev1.Pod](t)(testenv.CreatePod(c, env.Client, sys, testenv.Pod{
			Name: []string{"coredns-1", "coredns-2"}[i], Labels: dnsLabels, Ports: dnsPorts, Node: "dns-node", IP: ip, Ready: true,
		})))
	}
	slice := must[*discoveryv1.EndpointSlice](t)(testenv.CreateEndpointSlice(c, env.Client, svc, pods, []discoveryv1.EndpointPort{
		{Name: ptr("dns"), Port: ptr(int32(53)), Protocol: ptr(corev1.ProtocolUDP)},
		{Name: ptr("dns-tcp"), Port: ptr(int32(53)), Protocol: ptr(corev1.ProtocolTCP)},
	}))

	t.Run("healthy", func(t *testing.T) {
		res := run(t, "dns")
		if res.code != 0 {
			t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		r := decode(t, run(t, "dns", "-o", "json").stdout)
		for code, want := range map[string]report.Status{"DNS001": report.Pass, "DNS002": report.Pass, "DNS003": report.Pass, "DNS004": report.Pass, "DNS005": report.Skip} {
			if got := checkByCode(t, r, code); got.Status != want {
				t.Errorf("%s = %s (%s), want %s", code, got.Status, got.Message, want)
			}
		}
		// envtest has no kubelet: the log read fails and says so, without
		// failing the diagnosis.
		if logs := checkByCode(t, r, "DNS006"); logs.Status != report.Warn || !strings.Contains(logs.Message, "could not read the DNS pods' logs") {
			t.Errorf("DNS006 = %s %s", logs.Status, logs.Message)
		}
		if d := checkByCode(t, r, "DNS004"); !strings.Contains(d.Message, "serves cluster.local") {
			t.Errorf("DNS004: %s", d.Message)
		}
	})

	t.Run("pod with dnsPolicy Default", func(t *testing.T) {
		check(t, testenv.CreateNamespace(c, env.Client, "dns-client", nil))
		p := must[*corev1.Pod](t)(env.Client.CoreV1().Pods("dns-client").Create(c, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "legacy"},
			Spec:       corev1.PodSpec{DNSPolicy: corev1.DNSDefault, NodeName: "dns-node", Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1"}}},
		}, metav1.CreateOptions{}))
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.0.40"}
		must[*corev1.Pod](t)(env.Client.CoreV1().Pods("dns-client").UpdateStatus(c, p, metav1.UpdateOptions{}))
		res := run(t, "dns", "api", "--from", "dns-client/legacy", "--probe", "none")
		if res.code != 1 || !strings.Contains(res.stdout, "dnsPolicy Default") {
			t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		golden(t, "dns-policy-default", res.stdout)
	})

	t.Run("Corefile without the kubernetes plugin", func(t *testing.T) {
		cm.Data["Corefile"] = ".:53 {\n    forward . 8.8.8.8\n    loop\n}\n"
		cm = must[*corev1.ConfigMap](t)(env.Client.CoreV1().ConfigMaps(sys).Update(c, cm, metav1.UpdateOptions{}))
		r := decode(t, run(t, "dns", "-o", "json").stdout)
		if r.Verdict.Code != "DNS004" || !strings.Contains(r.Verdict.Message, "no server block enables the kubernetes plugin") {
			t.Errorf("verdict %+v", r.Verdict)
		}
		cm.Data["Corefile"] = corefile
		cm = must[*corev1.ConfigMap](t)(env.Client.CoreV1().ConfigMaps(sys).Update(c, cm, metav1.UpdateOptions{}))
	})

	t.Run("scaled to zero", func(t *testing.T) {
		for _, p := range pods {
			check(t, env.Client.CoreV1().Pods(sys).Delete(c, p.Name, *metav1.NewDeleteOptions(0)))
		}
		slice.Endpoints = nil
		must[*discoveryv1.EndpointSlice](t)(env.Client.DiscoveryV1().EndpointSlices(sys).Update(c, slice, metav1.UpdateOptions{}))
		res := run(t, "dns")
		if res.code != 1 {
			t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		golden(t, "dns-no-pods", res.stdout)
		r := decode(t, run(t, "dns", "-o", "json").stdout)
		if r.Verdict.Code != "DNS002" || !strings.Contains(r.Verdict.Message, "no DNS pods") {
			t.Errorf("verdict %+v", r.Verdict)
		}
	})
}
