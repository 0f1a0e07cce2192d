package plugin_test

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/internal/testenv"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Shared helpers of the reliability suite (reliability_*_test.go): a small
// shop of its own (namespaces rel-*, pod IPs 10.88.0.0/16, node rel-node),
// and the invariants every run must keep whatever goes wrong.

// relShop creates, in ns, pods client (app=client) and server (app=server,
// port http 8080), Service web selecting server with its EndpointSlice, an
// Ingress web with a TLS secret, and a NetworkPolicy letting client reach
// server on 8080.
func relShop(t *testing.T, ns, ipPrefix string) {
	t.Helper()
	c := ctx(t)
	check(t, testenv.CreateNamespace(c, env.Client, ns, nil))
	if _, err := env.Client.CoreV1().Nodes().Get(c, "rel-node", metav1.GetOptions{}); err != nil {
		check(t, testenv.CreateNode(c, env.Client, "rel-node"))
	}
	must[*corev1.Pod](t)(testenv.CreatePod(c, env.Client, ns, testenv.Pod{Name: "client", Labels: map[string]string{"app": "client"}, Node: "rel-node", IP: ipPrefix + ".10", Ready: true}))
	server := must[*corev1.Pod](t)(testenv.CreatePod(c, env.Client, ns, testenv.Pod{Name: "server", Labels: map[string]string{"app": "server"}, Ports: httpPort, Node: "rel-node", IP: ipPrefix + ".20", Ready: true}))
	svc := must[*corev1.Service](t)(env.Client.CoreV1().Services(ns).Create(c, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "server"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
		},
	}, metav1.CreateOptions{}))
	must[*discoveryv1.EndpointSlice](t)(testenv.CreateEndpointSlice(c, env.Client, svc, []*corev1.Pod{server},
		[]discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}}))
	cert, key, err := testenv.Certificate([]string{"web.example.com"}, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0))
	check(t, err)
	check(t, testenv.CreateSecret(c, env.Client, ns, "web-tls", corev1.SecretTypeTLS, map[string][]byte{"tls.crt": cert, "tls.key": key}))
	prefix := networkingv1.PathTypePrefix
	must[*networkingv1.Ingress](t)(env.Client.NetworkingV1().Ingresses(ns).Create(c, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: networkingv1.IngressSpec{
			TLS: []networkingv1.IngressTLS{{Hosts: []string{"web.example.com"}, SecretName: "web-tls"}},
			Rules: []networkingv1.IngressRule{{Host: "web.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}},
				}}},
			}}}},
		},
	}, metav1.CreateOptions{}))
	tcp := corev1.ProtocolTCP
	must[*networkingv1.NetworkPolicy](t)(env.Client.NetworkingV1().NetworkPolicies(ns).Create(c, &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "server-from-client", Namespace: ns},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "server"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "client"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: ptr(intstr.FromInt32(8080))}},
			}},
		},
	}, metav1.CreateOptions{}))
}

// noCrash fails when a run's output shows a panic or a stack trace.
func noCrash(t *testing.T, what string, res result) {
	t.Helper()
	for _, out := range []string{res.stdout, res.stderr} {
		if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") || strings.Contains(out, ".go:") {
			t.Errorf("%s: a stack trace or panic in the output:\n%s", what, out)
			return
		}
	}
	if res.code < 0 || res.code > 2 {
		t.Errorf("%s: exit %d, want 0, 1 or 2", what, res.code)
	}
}

// oneLineError checks that a run which printed no report said why in one
// line on stderr starting with "error: ".
func oneLineError(t *testing.T, what string, res result) {
	t.Helper()
	msg := strings.TrimSuffix(res.stderr, "\n")
	if !strings.HasPrefix(msg, "error: ") || strings.Contains(msg, "\n") || len(msg) < len("error: ")+10 {
		t.Errorf("%s: stderr is not one clear line starting with \"error: \": %q", what, res.stderr)
	}
}

// jsonReport decodes stdout as a report if it is one.
func jsonReport(out string) (report.Report, bool) {
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Kind != report.Kind {
		return r, false
	}
	return r, true
}

// reportRules checks a JSON report against the exit-code and RBAC rules:
// the exit code is the verdict's; a check the API refused is a skip with
// a forbidden permission named in its message; nothing forbidden hides in
// an error or a failure.
func reportRules(t *testing.T, what string, res result, r report.Report) {
	t.Helper()
	if want := r.Verdict.Outcome.ExitCode(); res.code != want {
		t.Errorf("%s: exit %d but verdict %s (exit %d)", what, res.code, r.Verdict.Outcome, want)
	}
	fails := 0
	for _, c := range r.Checks {
		if c.Status == report.Fail {
			fails++
		}
		low := strings.ToLower(c.Message)
		if c.Forbidden != nil {
			if c.Status != report.Skip {
				t.Errorf("%s: %s has forbidden %v but status %s", what, c.Code, c.Forbidden, c.Status)
			}
			if c.Forbidden.Verb == "" || c.Forbidden.Resource == "" {
				t.Errorf("%s: %s forbidden %+v does not name verb and resource", what, c.Code, *c.Forbidden)
			}
			if !strings.Contains(c.Message, c.Forbidden.Verb+" "+c.Forbidden.Resource) {
				t.Errorf("%s: %s message %q does not name %q", what, c.Code, c.Message, c.Forbidden.Verb+" "+c.Forbidden.Resource)
			}
		} else if strings.Contains(low, "forbidden") || strings.Contains(low, "not allowed to") {
			t.Errorf("%s: %s %s %q is about a refused request but has no forbidden field", what, c.Code, c.Status, c.Message)
		}
	}
	if fails > 0 && res.code != 1 {
		t.Errorf("%s: %d failure(s) but exit %d", what, fails, res.code)
	}
}
