package cnidetect

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
