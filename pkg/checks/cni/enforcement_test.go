package cni

import (
	"errors"
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/cnidetect"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

func daemonSet(name string, containers ...corev1.Container) appsv1.DaemonSet {
	return appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: name},
		Spec:       appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers}}},
	}
}

func TestEnforcementCheckPolicyAPIs(t *testing.T) {
	tests := []struct {
		name     string
		dss      []appsv1.DaemonSet
		policies int
		status   report.Status
		message  string
		facts    []report.Fact
	}{
		{"cilium", []appsv1.DaemonSet{daemonSet("cilium")}, 3, report.Pass,
			"cilium enforces NetworkPolicy (NetworkPolicies exist); policy APIs enforced: NetworkPolicy, CiliumNetworkPolicy.cilium.io, CiliumClusterwideNetworkPolicy.cilium.io",
			[]report.Fact{{Name: "enforced", Value: "yes"}, {Name: "policies", Value: "some exist"},
				{Name: "policyAPIs", Value: "NetworkPolicy, CiliumNetworkPolicy.cilium.io, CiliumClusterwideNetworkPolicy.cilium.io"}}},
		{"kube-network-policies with admin policies", []appsv1.DaemonSet{daemonSet("kube-network-policies",
			corev1.Container{Args: []string{"--admin-network-policy=true", "--baseline-admin-network-policy=true"}})}, 0, report.Pass,
			"kube-network-policies enforces NetworkPolicy (no NetworkPolicy exists yet); policy APIs enforced: NetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy",
			[]report.Fact{{Name: "enforced", Value: "yes"}, {Name: "policies", Value: "none"},
				{Name: "policyAPIs", Value: "NetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy"}}},
		{"calico of unknown version", []appsv1.DaemonSet{daemonSet("calico-node")}, -1, report.Pass,
			"calico enforces NetworkPolicy (NetworkPolicies exist); policy APIs enforced: NetworkPolicy, NetworkPolicy.projectcalico.org, GlobalNetworkPolicy.projectcalico.org, " +
				"AdminNetworkPolicy (by version: calico v3.29 to v3.31), BaselineAdminNetworkPolicy (by version: calico v3.30 to v3.31), ClusterNetworkPolicy (by version: calico v3.32+)",
			[]report.Fact{{Name: "enforced", Value: "yes"}, {Name: "policies", Value: "unknown (not allowed to list networkpolicies)"},
				{Name: "policyAPIs", Value: "NetworkPolicy, NetworkPolicy.projectcalico.org, GlobalNetworkPolicy.projectcalico.org, " +
					"AdminNetworkPolicy (by version: calico v3.29 to v3.31), BaselineAdminNetworkPolicy (by version: calico v3.30 to v3.31), ClusterNetworkPolicy (by version: calico v3.32+)"}}},
		{"flannel", []appsv1.DaemonSet{daemonSet("kube-flannel-ds")}, 2, report.Fail,
			"flannel does not enforce NetworkPolicy, yet NetworkPolicies exist: they have NO effect, and every policy verdict is theory",
			[]report.Fact{{Name: "enforced", Value: "no"}, {Name: "policies", Value: "some exist"}, {Name: "policyAPIs", Value: "none"}}},
		{"kindnet", []appsv1.DaemonSet{daemonSet("kindnet")}, 1, report.Warn,
			"kindnet may enforce NetworkPolicy (kindnet enforces NetworkPolicy since v1.0; older versions do not): policy verdicts assume enforcement (NetworkPolicies exist)",
			[]report.Fact{{Name: "enforced", Value: "depends"}, {Name: "policies", Value: "some exist"},
				{Name: "policyAPIs", Value: "NetworkPolicy (by version), AdminNetworkPolicy (unknown: documented for some standalone kindnet versions, absent from its current code)"}}},
		// Nothing recognised: no policyAPIs fact, the message as before.
		{"unknown plugin", []appsv1.DaemonSet{daemonSet("my-cni")}, 1, report.Warn,
			"no known network plugin found among the DaemonSets: policy verdicts assume enforcement (NetworkPolicies exist)",
			[]report.Fact{{Name: "enforced", Value: "depends"}, {Name: "policies", Value: "some exist"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := EnforcementCheck(cnidetect.Recognise(tt.dss), nil, tt.policies)
			if c.Code != "CNI004" || c.Status != tt.status || c.Message != tt.message {
				t.Errorf("got %s %s %q\nwant %s %q", c.Code, c.Status, c.Message, tt.status, tt.message)
			}
			if !reflect.DeepEqual(c.Facts, tt.facts) {
				t.Errorf("facts:\n got %+v\nwant %+v", c.Facts, tt.facts)
			}
		})
	}
}

func TestEnforcementCheckError(t *testing.T) {
	c := EnforcementCheck(cnidetect.Info{}, errors.New("boom"), 0)
	for _, f := range c.Facts {
		if f.Name == "policyAPIs" {
			t.Errorf("policyAPIs fact without a detection: %+v", c)
		}
	}
}
