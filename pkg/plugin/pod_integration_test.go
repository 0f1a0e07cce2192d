package plugin_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// TestPodStatic runs `pod` without probes on the API server alone: the pods,
// their node, the CNI checks and the policy verdict are all static.
func TestPodStatic(t *testing.T) {
	c := ctx(t)
	ns := "pod-static"
	check(t, testenv.CreateNamespace(c, env.Client, ns, nil))
	check(t, testenv.CreateNode(c, env.Client, "pod-node"))
	must[*corev1.Pod](t)(testenv.CreatePod(c, env.Client, ns, testenv.Pod{Name: "web", Labels: map[string]string{"app": "web"}, Node: "pod-node", IP: "10.244.9.10", Ready: true}))
	must[*corev1.Pod](t)(testenv.CreatePod(c, env.Client, ns, testenv.Pod{Name: "db", Labels: map[string]string{"app": "db"}, Node: "pod-node", IP: "10.244.9.20", Ready: true,
		Ports: []corev1.ContainerPort{{Name: "pg", ContainerPort: 5432, Protocol: corev1.ProtocolTCP}}}))
	tcp := corev1.ProtocolTCP
	port := ptr(intstr.FromInt32(5432))
	must[*networkingv1.NetworkPolicy](t)(env.Client.NetworkingV1().NetworkPolicies(ns).Create(c, &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "db-from-api"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: port}},
			}},
		},
	}, metav1.CreateOptions{}))

	res := run(t, "pod", "web", "db", "-n", ns, "--probe", "none")
	if res.code != 1 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	golden(t, "pod-policy-deny", res.stdout)
	r := decode(t, run(t, "pod", "web", "db", "-n", ns, "--probe", "none", "-o", "json").stdout)
	pol := checkByCode(t, r, "POD003")
	if pol.Status != report.Fail || !strings.Contains(pol.Message, "podSelector app=api does not match pod pod-static/web labels app=web") {
		t.Errorf("POD003 = %s %s", pol.Status, pol.Message)
	}
	if tcpCheck := checkByCode(t, r, "POD005"); tcpCheck.Status != report.Skip {
		t.Errorf("POD005 without probes = %s", tcpCheck.Status)
	}

	// The allowed direction on a port db does not declare.
	res = run(t, "pod", "db", "web", "-n", ns, "--probe", "none", "--port", "8080")
	if res.code != 0 {
		t.Errorf("db -> web: exit %d\n%s", res.code, res.stdout)
	}

	res = run(t, "pod", "web", "nope", "-n", ns, "--probe", "none")
	if res.code != 1 || !strings.Contains(res.stdout, "destination nope not found") {
		t.Errorf("missing pod: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, bad := range [][]string{{"pod", "web", "db", "--port", "70000"}, {"pod", "web", "db", "--port", "80/icmp"}, {"pod", "a/b/c/d", "db"}} {
		if res := run(t, bad...); res.code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, res.code)
		}
	}
}
