package netpol

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// offlineShop: manifests that leave facts open. Namespace monitoring is not
// declared (its labels are unknown), no pod has an IP yet, and node-agent
// uses the host network. web accepts monitoring namespaces, 10.0.0.0/8 and
// the agent; kube-system by name.
const offlineShop = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: example/web, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: prometheus, namespace: monitoring, labels: {app: prometheus}}
spec: {containers: [{name: p, image: example/prometheus}]}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: c, image: example/coredns}]}
---
apiVersion: v1
kind: Pod
metadata: {name: batch, namespace: shop, labels: {app: batch}}
spec: {containers: [{name: b, image: example/batch}]}
---
apiVersion: v1
kind: Pod
metadata: {name: node-agent, namespace: shop, labels: {app: agent}}
spec: {hostNetwork: true, containers: [{name: a, image: example/agent}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: monitoring}}}]
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
  - from: [{ipBlock: {cidr: 10.0.0.0/8}}]
  - from: [{podSelector: {matchLabels: {app: agent}}}]
`

// Offline, what the manifests do not say makes a flow undecided, with the
// reason, where the old engine answered Denied (undeclared namespace, pod
// without IP) or Allowed (hostNetwork pod).
func TestNetpolOfflineUnknownsAreUndecided(t *testing.T) {
	res, err := manifest.LoadBytes("shop.yaml", []byte(offlineShop), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := FromManifests([]string{"shop.yaml"}, res)
	web := Arg{Pod: policy.PodRef{Namespace: "shop", Name: "web"}}
	for _, tc := range []struct {
		src     string
		outcome report.Outcome
		want    []string
	}{
		{"monitoring/prometheus", report.Incomplete, []string{"namespace monitoring is not in the snapshot, so only its label kubernetes.io/metadata.name=monitoring is known", "pod monitoring/prometheus has no IP yet"}},
		{"shop/batch", report.Incomplete, []string{"pod shop/batch has no IP yet"}},
		{"shop/node-agent", report.Incomplete, []string{"under the NetworkPolicy API text (hostNetwork pods are selected and isolated like other pods) the result is Allowed"}},
		// The name label is known even for an undeclared namespace.
		{"kube-system/coredns", report.OK, []string{"allowed on TCP 8080"}},
	} {
		ns, name, _ := strings.Cut(tc.src, "/")
		r, err := Flow(w, FlowRequest{Src: Arg{Pod: policy.PodRef{Namespace: ns, Name: name}}, Dst: web, Ports: []Port{{Port: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}})
		if err != nil {
			t.Fatal(err)
		}
		text := r.Verdict.Message + "\n" + checkOf(t, r, "NP005").Message
		if r.Verdict.Outcome != tc.outcome {
			t.Errorf("%s: outcome %s, want %s: %s", tc.src, r.Verdict.Outcome, tc.outcome, text)
		}
		for _, want := range tc.want {
			if !strings.Contains(text, want) {
				t.Errorf("%s: verdict lacks %q:\n%s", tc.src, want, text)
			}
		}
	}

	// The matrix agrees: the cells into web from prometheus and batch are
	// undecided, none is denied (hostNetwork pods are left out of it).
	r, err := Matrix(context.Background(), w, MatrixRequest{Ports: []Port{{Port: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}})
	if err != nil {
		t.Fatal(err)
	}
	m := checkOf(t, r, "NP008").Data.(MatrixData)
	if m.Denied != 0 || m.Undecided != 2 {
		t.Errorf("matrix: %d allowed, %d denied, %d undecided; want no denied and 2 undecided", m.Allowed, m.Denied, m.Undecided)
	}
}
