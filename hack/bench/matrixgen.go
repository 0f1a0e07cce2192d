package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// matrixNamespaces is how many namespaces the matrix manifests spread their
// pods over.
const matrixNamespaces = 20

// writeMatrixManifests writes, from seed, the manifests of a matrix
// benchmark into dir: pods over matrixNamespaces namespaces, each declaring
// http 8080 and metrics 9090, and policies of the shapes of pkg/policy's
// benchCluster (default deny, same app, labelled namespaces, namespace+pod
// peers with a port range, egress to DNS and to CIDRs, named ports), so that
// the offline matrix measures the same engine work as its Go benchmark.
func writeMatrixManifests(dir string, nPods, nPolicies int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	doc := func(obj any) error {
		y, err := yaml.Marshal(obj)
		if err != nil {
			return err
		}
		b.WriteString("---\n")
		b.Write(y)
		return nil
	}
	for i := range matrixNamespaces {
		ns := corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns%02d", i), Labels: map[string]string{
				"team": fmt.Sprintf("t%d", i%5), "env": []string{"prod", "dev"}[i%2], "kubernetes.io/metadata.name": fmt.Sprintf("ns%02d", i)}}}
		if err := doc(ns); err != nil {
			return err
		}
	}
	for i := range nPods {
		p := corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("ns%02d", i%matrixNamespaces), Name: fmt.Sprintf("pod%04d", i),
				Labels: map[string]string{"app": fmt.Sprintf("app%d", r.IntN(10)), "tier": []string{"web", "db", "cache"}[r.IntN(3)]}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "app", Ports: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}, {Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: fmt.Sprintf("10.%d.%d.%d", 1+i/65536, (i/256)%256, i%256),
				HostIP: fmt.Sprintf("192.168.0.%d", r.IntN(20))},
		}
		if err := doc(p); err != nil {
			return err
		}
	}
	for i := range nPolicies {
		np, err := matrixPolicy(r, fmt.Sprintf("np%03d", i))
		if err != nil {
			return err
		}
		if err := doc(np); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "world.yaml"), b.Bytes(), 0o644)
}

// matrixPolicy is one policy of a random shape of benchCluster's.
func matrixPolicy(r *rand.Rand, name string) (networkingv1.NetworkPolicy, error) {
	ns := fmt.Sprintf("ns%02d", r.IntN(matrixNamespaces))
	app := fmt.Sprintf("app=app%d", r.IntN(10))
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	port := func(proto *corev1.Protocol, p intstr.IntOrString, end int32) networkingv1.NetworkPolicyPort {
		np := networkingv1.NetworkPolicyPort{Protocol: proto, Port: &p}
		if end != 0 {
			np.EndPort = &end
		}
		return np
	}
	var err error
	sel := func(s string) *metav1.LabelSelector {
		ls, e := metav1.ParseToLabelSelector(s)
		if e != nil && err == nil {
			err = e
		}
		return ls
	}
	np := networkingv1.NetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	spec := &np.Spec
	ingress := func(ports []networkingv1.NetworkPolicyPort, peers ...networkingv1.NetworkPolicyPeer) {
		spec.Ingress = append(spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: peers, Ports: ports})
	}
	egress := func(ports []networkingv1.NetworkPolicyPort, peers ...networkingv1.NetworkPolicyPeer) {
		spec.Egress = append(spec.Egress, networkingv1.NetworkPolicyEgressRule{To: peers, Ports: ports})
	}
	team := fmt.Sprintf("team=t%d", r.IntN(5))
	switch r.IntN(7) {
	case 0: // default deny, both directions
		spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	case 1:
		spec.PodSelector = *sel(app)
		ingress([]networkingv1.NetworkPolicyPort{port(&tcp, intstr.FromInt32(8080), 0)}, networkingv1.NetworkPolicyPeer{PodSelector: sel(app)})
	case 2:
		spec.PodSelector = *sel(app)
		ingress([]networkingv1.NetworkPolicyPort{port(nil, intstr.FromString("http"), 0)}, networkingv1.NetworkPolicyPeer{NamespaceSelector: sel(team)})
	case 3:
		spec.PodSelector = *sel("tier=db")
		ingress([]networkingv1.NetworkPolicyPort{port(nil, intstr.FromInt32(8000), 8100), port(&tcp, intstr.FromInt32(8080), 0)},
			networkingv1.NetworkPolicyPeer{NamespaceSelector: sel("env=prod"), PodSelector: sel("tier=web")},
			networkingv1.NetworkPolicyPeer{PodSelector: sel("tier in (web,cache)")})
	case 4:
		spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		egress([]networkingv1.NetworkPolicyPort{port(&udp, intstr.FromInt32(53), 0), port(&tcp, intstr.FromInt32(53), 0)},
			networkingv1.NetworkPolicyPeer{NamespaceSelector: sel("kubernetes.io/metadata.name=kube-system"), PodSelector: sel("k8s-app=kube-dns")})
		egress([]networkingv1.NetworkPolicyPort{port(&tcp, intstr.FromInt32(8080), 0)}, networkingv1.NetworkPolicyPeer{PodSelector: sel("")})
	case 5:
		spec.PodSelector = *sel(app)
		spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		egress(nil, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/16", Except: []string{"10.0.1.0/24"}}},
			networkingv1.NetworkPolicyPeer{NamespaceSelector: sel("env=dev")})
	default:
		spec.PodSelector = *sel(app)
		ingress([]networkingv1.NetworkPolicyPort{port(&tcp, intstr.FromInt32(8080), 0), port(&tcp, intstr.FromInt32(9090), 0)},
			networkingv1.NetworkPolicyPeer{NamespaceSelector: sel(""), PodSelector: sel("tier notin (cache)")})
	}
	return np, err
}
