package netpol

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/printers"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// benchWorld has nPods pods over 20 namespaces, each declaring http 8080
// and metrics 9090, and a policy per namespace letting in only its own app.
func benchWorld(nPods int) *World {
	var s policy.Snapshot
	for i := range 20 {
		s.Namespaces = append(s.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns%02d", i), Labels: map[string]string{"team": fmt.Sprint(i % 5)}}})
		tcp := corev1.ProtocolTCP
		http := intstr.FromString("http")
		s.NetworkPolicies = append(s.NetworkPolicies, networkingv1.NetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: "same-app", Namespace: fmt.Sprintf("ns%02d", i)},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"tier": "db"}},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": fmt.Sprint(i % 5)}}}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &http}},
				}},
			},
		})
	}
	for i := range nPods {
		s.Pods = append(s.Pods, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%04d", i), Namespace: fmt.Sprintf("ns%02d", i%20),
				Labels: map[string]string{"tier": []string{"web", "db"}[i%2]}},
			Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "metrics", ContainerPort: 9090}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: fmt.Sprintf("10.1.%d.%d", i/250, i%250)},
		})
	}
	w := NewWorld(s)
	w.AllPods = true
	return w
}

// BenchmarkMatrixReport1000Pods builds the report and the terminal table of
// a 1,000-pod matrix on the ports each pod declares (2 x 1,000,000 flows).
func BenchmarkMatrixReport1000Pods(b *testing.B) {
	w := benchWorld(1000)
	for b.Loop() {
		res, err := Matrix(context.Background(), w, MatrixRequest{})
		if err != nil || len(sectionText(res)) < 1000*1000 {
			b.Fatal(err, len(sectionText(res)))
		}
	}
}

// BenchmarkMatrixJSON1000Pods encodes the data of a 1,000-pod matrix on
// one port (1,000,000 flows) in one piece, as encoding/json does.
func BenchmarkMatrixJSON1000Pods(b *testing.B) {
	w := benchWorld(1000)
	res, err := Matrix(context.Background(), w, MatrixRequest{Ports: []Port{{Port: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}})
	if err != nil {
		b.Fatal(err)
	}
	data := checkOfReport(res, "NP008").Data
	for b.Loop() {
		out, err := json.Marshal(data)
		if err != nil || len(out) < 1000*1000 {
			b.Fatal(err, len(out))
		}
	}
}

// BenchmarkMatrixPrintJSON1000Pods is -o json of the report of a 1,000-pod
// matrix on the ports each pod declares (2,000,000 flows): the printer
// streams the rows.
func BenchmarkMatrixPrintJSON1000Pods(b *testing.B) {
	w := benchWorld(1000)
	res, err := Matrix(context.Background(), w, MatrixRequest{})
	if err != nil {
		b.Fatal(err)
	}
	var out countingWriter
	for b.Loop() {
		out = 0
		if err := printers.PrintContext(context.Background(), &out, res, printers.JSON, printers.Options{}); err != nil || out < 2*1000*1000 {
			b.Fatal(err, out)
		}
	}
	b.ReportMetric(float64(out)/(2*1000*1000), "bytes/flow")
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

func checkOfReport(res *report.Report, code string) (c struct{ Data any }) {
	for _, ch := range res.Checks {
		if ch.Code == code {
			c.Data = ch.Data
		}
	}
	return c
}

// sectionText is the human-only detail of a report, as printed.
func sectionText(r *report.Report) string {
	var b strings.Builder
	for _, s := range r.Sections {
		for _, l := range s.Lines {
			b.WriteString(l + "\n")
		}
		if s.Write != nil {
			if err := s.Write(context.Background(), &b); err != nil {
				panic(err)
			}
		}
	}
	return b.String()
}
