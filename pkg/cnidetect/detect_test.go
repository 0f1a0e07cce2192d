package cnidetect

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func ds(ns, name string, containers ...corev1.Container) appsv1.DaemonSet {
	return appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers}}},
	}
}

func TestRecognise(t *testing.T) {
	tests := []struct {
		name     string
		dss      []appsv1.DaemonSet
		plugins  string
		enforced Enforcement
	}{
		{"flannel alone", []appsv1.DaemonSet{ds("kube-flannel", "kube-flannel-ds"), ds("kube-system", "kube-proxy")}, "flannel", NoEnforce},
		{"flannel with calico policy", []appsv1.DaemonSet{ds("kube-system", "kube-flannel-ds"), ds("kube-system", "calico-node")}, "calico+flannel", Enforces},
		{"cilium", []appsv1.DaemonSet{ds("kube-system", "cilium")}, "cilium", Enforces},
		{"aws without agent", []appsv1.DaemonSet{ds("kube-system", "aws-node", corev1.Container{Name: "aws-node"})}, "aws-vpc-cni", NoEnforce},
		{"aws with agent", []appsv1.DaemonSet{ds("kube-system", "aws-node", corev1.Container{Name: "aws-network-policy-agent", Args: []string{"--enable-network-policy=true"}})}, "aws-vpc-cni", Enforces},
		{"kube-router firewall off", []appsv1.DaemonSet{ds("kube-system", "kube-router", corev1.Container{Args: []string{"--run-firewall=false"}})}, "kube-router", NoEnforce},
		{"kindnet", []appsv1.DaemonSet{ds("kube-system", "kindnet")}, "kindnet", MaybeEnforce},
		{"unknown", []appsv1.DaemonSet{ds("kube-system", "kube-proxy"), ds("kube-system", "my-cni")}, "unknown", MaybeEnforce},
		{"name prefix only on dash", []appsv1.DaemonSet{ds("kube-system", "ciliumx")}, "unknown", MaybeEnforce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := Recognise(tt.dss)
			if info.Names() != tt.plugins || info.Enforced != tt.enforced {
				t.Errorf("got %s enforced=%s, want %s enforced=%s", info.Names(), info.Enforced, tt.plugins, tt.enforced)
			}
		})
	}
	if info := Recognise([]appsv1.DaemonSet{ds("kube-system", "kube-proxy")}); len(info.Evidence) != 1 {
		t.Errorf("unknown CNI should list the DaemonSets looked at: %+v", info)
	}
}

func TestPolicyAPIs(t *testing.T) {
	calicoNode := func(tag string) corev1.Container {
		return corev1.Container{Name: "calico-node", Image: "quay.io/calico/node:" + tag}
	}
	knp := func(image string, args ...string) corev1.Container {
		return corev1.Container{Name: "kube-network-policies", Image: "registry.k8s.io/networking/kube-network-policies:" + image, Args: args}
	}
	ovn := func(env ...corev1.EnvVar) corev1.Container {
		return corev1.Container{Name: "ovnkube-controller", Env: env}
	}
	tests := []struct {
		name string
		dss  []appsv1.DaemonSet
		want []string
	}{
		{"cilium", []appsv1.DaemonSet{ds("kube-system", "cilium")},
			[]string{"NetworkPolicy", "CiliumNetworkPolicy.cilium.io", "CiliumClusterwideNetworkPolicy.cilium.io"}},
		{"calico, version unknown", []appsv1.DaemonSet{ds("kube-system", "calico-node", corev1.Container{Image: "registry.example/mirror/node-agent:v3.30.1"})},
			[]string{"NetworkPolicy", "NetworkPolicy.projectcalico.org", "GlobalNetworkPolicy.projectcalico.org",
				"AdminNetworkPolicy (by version: calico v3.29 to v3.31)", "BaselineAdminNetworkPolicy (by version: calico v3.30 to v3.31)",
				"ClusterNetworkPolicy (by version: calico v3.32+)"}},
		{"calico 3.30", []appsv1.DaemonSet{ds("calico-system", "calico-node", calicoNode("v3.30.2"))},
			[]string{"NetworkPolicy", "NetworkPolicy.projectcalico.org", "GlobalNetworkPolicy.projectcalico.org", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}},
		{"calico 3.29", []appsv1.DaemonSet{ds("calico-system", "calico-node", calicoNode("v3.29.0@sha256:abc"))},
			[]string{"NetworkPolicy", "NetworkPolicy.projectcalico.org", "GlobalNetworkPolicy.projectcalico.org", "AdminNetworkPolicy"}},
		{"calico 3.32 replaced the v1alpha1 kinds", []appsv1.DaemonSet{ds("calico-system", "calico-node", calicoNode("v3.32.0"))},
			[]string{"NetworkPolicy", "NetworkPolicy.projectcalico.org", "GlobalNetworkPolicy.projectcalico.org", "ClusterNetworkPolicy"}},
		{"canal 3.28 with flannel", []appsv1.DaemonSet{ds("kube-system", "canal", corev1.Container{Image: "docker.io/calico/cni:v3.28.0"}, calicoNode("v3.28.1")), ds("kube-system", "kube-flannel-ds")},
			[]string{"NetworkPolicy", "NetworkPolicy.projectcalico.org", "GlobalNetworkPolicy.projectcalico.org"}},
		{"antrea, version unknown", []appsv1.DaemonSet{ds("kube-system", "antrea-agent")},
			[]string{"NetworkPolicy", "NetworkPolicy.crd.antrea.io", "ClusterNetworkPolicy.crd.antrea.io",
				"AdminNetworkPolicy (by setting: feature gate AdminNetworkPolicy (deprecated), antrea v1.13+)",
				"BaselineAdminNetworkPolicy (by setting: feature gate AdminNetworkPolicy (deprecated), antrea v1.13+)",
				"ClusterNetworkPolicy (by setting: feature gate ClusterNetworkPolicy, antrea v2.7+)"}},
		{"antrea 1.15", []appsv1.DaemonSet{ds("kube-system", "antrea-agent", corev1.Container{Image: "antrea/antrea-agent-ubuntu:v1.15.0"})},
			[]string{"NetworkPolicy", "NetworkPolicy.crd.antrea.io", "ClusterNetworkPolicy.crd.antrea.io",
				"AdminNetworkPolicy (by setting: feature gate AdminNetworkPolicy (deprecated))",
				"BaselineAdminNetworkPolicy (by setting: feature gate AdminNetworkPolicy (deprecated))"}},
		{"kube-network-policies", []appsv1.DaemonSet{ds("kube-system", "kube-network-policies", knp("v1.1.1", "/bin/netpol", "--hostname-override=$(MY_NODE_NAME)", "--v=4"))},
			[]string{"NetworkPolicy"}},
		{"kube-network-policies with the admin flags", []appsv1.DaemonSet{ds("kube-system", "kube-network-policies", knp("v0.7.0", "/bin/netpol", "--admin-network-policy=true", "--baseline-admin-network-policy"))},
			[]string{"NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}},
		{"kube-network-policies with single-dash flags", []appsv1.DaemonSet{ds("kube-system", "kube-network-policies", knp("v0.6.0", "-v=2", "-admin-network-policy=true"))},
			[]string{"NetworkPolicy", "AdminNetworkPolicy"}},
		{"kube-network-policies with the flags off", []appsv1.DaemonSet{ds("kube-system", "kube-network-policies", knp("v0.7.0", "--admin-network-policy=false", "--baseline-admin-network-policy=0"))},
			[]string{"NetworkPolicy"}},
		{"kube-network-policies npa-v1alpha1 image", []appsv1.DaemonSet{ds("kube-system", "kube-network-policies", knp("v0.9.0-npa-v1alpha1", "/bin/netpol"))},
			[]string{"NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}},
		{"kube-network-policies npa-v1alpha2 image", []appsv1.DaemonSet{ds("kube-system", "kube-network-policies", knp("v1.1.1-npa-v1alpha2", "/bin/netpol"))},
			[]string{"NetworkPolicy", "ClusterNetworkPolicy"}},
		{"ovn-kubernetes, settings not shown", []appsv1.DaemonSet{ds("ovn-kubernetes", "ovnkube-node", ovn())},
			[]string{"NetworkPolicy", "AdminNetworkPolicy (by setting: ovnkube --enable-admin-network-policy)",
				"BaselineAdminNetworkPolicy (by setting: ovnkube --enable-admin-network-policy)",
				"EgressFirewall.k8s.ovn.org (by setting: ovnkube --enable-egress-firewall)"}},
		{"ovn-kubernetes, admin policies on, egress firewall off", []appsv1.DaemonSet{ds("ovn-kubernetes", "ovnkube-node",
			ovn(corev1.EnvVar{Name: "OVN_ADMIN_NETWORK_POLICY_ENABLE", Value: "true"}, corev1.EnvVar{Name: "OVN_EGRESSFIREWALL_ENABLE", Value: ""}))},
			[]string{"NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}},
		{"ovn-kubernetes, egress firewall flag", []appsv1.DaemonSet{ds("ovn-kubernetes", "ovnkube-node", corev1.Container{Command: []string{"/usr/bin/ovnkube", "--enable-egress-firewall", "--enable-admin-network-policy=false"}})},
			[]string{"NetworkPolicy", "EgressFirewall.k8s.ovn.org"}},
		{"kindnet", []appsv1.DaemonSet{ds("kube-system", "kindnet")},
			[]string{"NetworkPolicy (by version)", "AdminNetworkPolicy (unknown: documented for some standalone kindnet versions, absent from its current code)"}},
		{"kube-router", []appsv1.DaemonSet{ds("kube-system", "kube-router")}, []string{"NetworkPolicy"}},
		{"kube-router firewall off", []appsv1.DaemonSet{ds("kube-system", "kube-router", corev1.Container{Args: []string{"--run-firewall=false"}})}, nil},
		{"aws without agent", []appsv1.DaemonSet{ds("kube-system", "aws-node", corev1.Container{Name: "aws-node"})}, nil},
		{"aws with agent", []appsv1.DaemonSet{ds("kube-system", "aws-node", corev1.Container{Name: "aws-network-policy-agent", Args: []string{"--enable-network-policy=true"}})}, []string{"NetworkPolicy"}},
		{"flannel alone", []appsv1.DaemonSet{ds("kube-flannel", "kube-flannel-ds")}, nil},
		{"unknown", []appsv1.DaemonSet{ds("kube-system", "my-cni")}, nil},
		{"the surest support wins", []appsv1.DaemonSet{ds("kube-system", "calico-node"), ds("kube-system", "kube-network-policies", knp("v0.8.0", "--admin-network-policy"))},
			[]string{"NetworkPolicy", "NetworkPolicy.projectcalico.org", "GlobalNetworkPolicy.projectcalico.org",
				"AdminNetworkPolicy", "BaselineAdminNetworkPolicy (by version: calico v3.30 to v3.31)", "ClusterNetworkPolicy (by version: calico v3.32+)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := Recognise(tt.dss)
			if !reflect.DeepEqual(info.PolicyAPIs, tt.want) {
				t.Errorf("policy APIs:\n got %q\nwant %q", info.PolicyAPIs, tt.want)
			}
		})
	}
}

func TestAgentPolicyAPIs(t *testing.T) {
	info := Recognise([]appsv1.DaemonSet{ds("kube-system", "kube-network-policies",
		corev1.Container{Image: "registry.k8s.io/networking/kube-network-policies:v0.7.0", Args: []string{"--admin-network-policy=true"}})})
	if len(info.Agents) != 1 {
		t.Fatalf("agents %+v", info.Agents)
	}
	want := []PolicyAPI{
		{Group: "networking.k8s.io", Kind: "NetworkPolicy", Support: SupportYes},
		{Group: "policy.networking.k8s.io", Kind: "AdminNetworkPolicy", Support: SupportYes, Note: "flag --admin-network-policy"},
	}
	if got := info.Agents[0].PolicyAPIs; !reflect.DeepEqual(got, want) {
		t.Errorf("agent policy APIs:\n got %+v\nwant %+v", got, want)
	}
	calico := Recognise([]appsv1.DaemonSet{ds("kube-system", "calico-node", corev1.Container{Image: "docker.io/calico/node:v3.31.0"})})
	if v := calico.Agents[0].Version; v != "3.31" {
		t.Errorf("calico version %q, want 3.31", v)
	}
}

// Detect through a clientset, the way the procedures call it: the flags of
// kube-network-policies travel from the DaemonSet to Info.PolicyAPIs and its
// JSON.
func TestDetectPolicyAPIs(t *testing.T) {
	d := ds("kube-system", "kube-network-policies", corev1.Container{
		Name:    "kube-network-policies",
		Image:   "registry.k8s.io/networking/kube-network-policies:v0.8.1",
		Command: []string{"/bin/netpol"},
		Args:    []string{"--hostname-override=$(MY_NODE_NAME)", "--admin-network-policy=true", "--baseline-admin-network-policy=true"},
	})
	info, err := Detect(context.Background(), fake.NewClientset(&d, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-proxy"}}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}
	if info.Names() != "kube-network-policies" || info.Enforced != Enforces || !reflect.DeepEqual(info.PolicyAPIs, want) {
		t.Errorf("got %s enforced=%s APIs %q", info.Names(), info.Enforced, info.PolicyAPIs)
	}
	out, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"policyAPIs":["NetworkPolicy","AdminNetworkPolicy","BaselineAdminNetworkPolicy"]`) ||
		!strings.Contains(string(out), `{"group":"policy.networking.k8s.io","kind":"AdminNetworkPolicy","support":"yes","note":"flag --admin-network-policy"}`) {
		t.Errorf("JSON %s", out)
	}
}

func TestBoolFlag(t *testing.T) {
	for _, tt := range []struct {
		args         []string
		value, found bool
	}{
		{nil, false, false},
		{[]string{"--x"}, true, true},
		{[]string{"-x"}, true, true},
		{[]string{"--x=false"}, false, true},
		{[]string{"-x=1"}, true, true},
		{[]string{"--x=maybe"}, false, false},
		{[]string{"x"}, false, false},
		{[]string{"--xy"}, false, false},
		{[]string{"--x", "--x=false"}, false, true}, // the last one wins, as flag parsing does
	} {
		v, f := boolFlag(corev1.Container{Args: tt.args}, "x")
		if v != tt.value || f != tt.found {
			t.Errorf("%q: got %t %t, want %t %t", tt.args, v, f, tt.value, tt.found)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for s, want := range map[string]string{"v3.30.2": "3.30", "3.29": "3.29", "v1.1.1-npa-v1alpha2": "1.1", "v2.7": "2.7", "v3.31.0-rc1": "3.31", "latest": "", "v3": "", "": ""} {
		got := ""
		if maj, min, ok := parseVersion(s); ok {
			got = fmt.Sprintf("%d.%d", maj, min)
		}
		if got != want {
			t.Errorf("%q: got %q, want %q", s, got, want)
		}
	}
}
