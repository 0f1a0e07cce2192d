package plugin_test

import (
	"strings"
	"testing"
)

// TestNetpolLocalUnknowns: offline, what the manifests do not say leaves a
// flow undecided (exit 2), with the reason, instead of a guess: the labels
// of an undeclared namespace, the IP a pod will get, how the network plugin
// treats a hostNetwork pod. A selector on the name label is still decided.
func TestNetpolLocalUnknowns(t *testing.T) {
	noCluster := "/nonexistent/kubeconfig"
	for _, tc := range []struct {
		src  string
		code int
		want []string
	}{
		{"monitoring/prometheus", 2, []string{"Undecided", "namespace monitoring is not in the snapshot, so only its label kubernetes.io/metadata.name=monitoring is known"}},
		{"shop/batch", 2, []string{"Undecided", "pod shop/batch has no IP yet"}},
		{"shop/node-agent", 2, []string{"Undecided", "the result is Allowed", "under the reading most network plugins implement"}},
		{"kube-system/coredns", 0, []string{"Allowed on TCP 8080"}},
	} {
		res := runAs(t, noCluster, "netpol", tc.src, "shop/web", "--port", "8080", "--local", "-f", "testdata/netpol-offline")
		if res.code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s%s", tc.src, res.code, tc.code, res.stdout, res.stderr)
		}
		for _, want := range tc.want {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("%s: output lacks %q\n%s", tc.src, want, res.stdout)
			}
		}
	}
}
