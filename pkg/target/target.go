// Package target turns what users type for a pod (`web-1`, `shop/web-1`,
// `deploy/web`, `shop/deploy/web`) into a pod, picking a ready pod of a
// workload the way `kubectl exec deploy/web` does.
package target

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
)

// Ref is a parsed pod reference.
type Ref struct {
	Namespace string // "" means the default namespace
	Kind      string // pod, deployment, statefulset, daemonset, replicaset, job
	Name      string
}

func (r Ref) String() string {
	s := r.Name
	// A pod in a namespace named like a kind (deploy/web) keeps its kind, or
	// it would read back as a workload.
	if _, ambiguous := kinds[r.Namespace]; r.Kind != "pod" || ambiguous {
		s = r.Kind + "/" + s
	}
	if r.Namespace != "" {
		s = r.Namespace + "/" + s
	}
	return s
}

var kinds = map[string]string{
	"po": "pod", "pod": "pod", "pods": "pod",
	"deploy": "deployment", "deployment": "deployment", "deployments": "deployment",
	"sts": "statefulset", "statefulset": "statefulset", "statefulsets": "statefulset",
	"ds": "daemonset", "daemonset": "daemonset", "daemonsets": "daemonset",
	"rs": "replicaset", "replicaset": "replicaset", "replicasets": "replicaset",
	"job": "job", "jobs": "job",
}

// Parse reads NAME, NS/NAME, KIND/NAME or NS/KIND/NAME.
func Parse(s string) (Ref, error) {
	parts := strings.Split(s, "/")
	var r Ref
	switch len(parts) {
	case 1:
		r = Ref{Kind: "pod", Name: parts[0]}
	case 2:
		if k, ok := kinds[strings.ToLower(parts[0])]; ok {
			r = Ref{Kind: k, Name: parts[1]}
		} else {
			r = Ref{Namespace: parts[0], Kind: "pod", Name: parts[1]}
		}
	case 3:
		k, ok := kinds[strings.ToLower(parts[1])]
		if !ok {
			return Ref{}, fmt.Errorf("invalid pod reference %q: %q is not a workload kind (deploy, sts, ds, rs, job, pod)", s, parts[1])
		}
		r = Ref{Namespace: parts[0], Kind: k, Name: parts[2]}
	default:
		return Ref{}, fmt.Errorf("invalid pod reference %q: use POD, NAMESPACE/POD, KIND/NAME or NAMESPACE/KIND/NAME", s)
	}
	if errs := validation.IsDNS1123Subdomain(r.Name); len(errs) > 0 {
		return Ref{}, fmt.Errorf("invalid name in %q: %s", s, strings.Join(errs, "; "))
	}
	if r.Namespace != "" {
		if errs := validation.IsDNS1123Label(r.Namespace); len(errs) > 0 {
			return Ref{}, fmt.Errorf("invalid namespace in %q: %s", s, strings.Join(errs, "; "))
		}
	}
	return r, nil
}

// Resolve finds the pod a reference stands for; defaultNS fills an empty
// namespace. For a workload it picks a ready, running pod (the newest), else
// any running pod, else the newest pod.
func Resolve(ctx context.Context, client kubernetes.Interface, ref Ref, defaultNS string) (*corev1.Pod, error) {
	ns := ref.Namespace
	if ns == "" {
		ns = defaultNS
	}
	if ref.Kind == "pod" {
		pod, err := client.CoreV1().Pods(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return nil, kube.Read(kube.Get("", "pods", ns), err)
		}
		return pod, nil
	}
	selector, err := WorkloadSelector(ctx, client, ns, ref)
	if err != nil {
		return nil, err
	}
	list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, kube.Read(kube.List("", "pods", ns), err)
	}
	if len(list.Items) == 0 {
		return nil, &NoPodError{fmt.Sprintf("%s %s/%s has no pods", ref.Kind, ns, ref.Name)}
	}
	return pick(list.Items), nil
}

// WorkloadSelector is the label selector of a workload's pods, as kubectl
// finds the pods of deploy/NAME: the workload's spec.selector.
func WorkloadSelector(ctx context.Context, client kubernetes.Interface, ns string, ref Ref) (string, error) {
	var sel *metav1.LabelSelector
	var err error
	apps := client.AppsV1()
	switch ref.Kind {
	case "deployment":
		d, e := apps.Deployments(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		err = e
		if e == nil {
			sel = d.Spec.Selector
		}
	case "statefulset":
		s, e := apps.StatefulSets(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		err = e
		if e == nil {
			sel = s.Spec.Selector
		}
	case "daemonset":
		d, e := apps.DaemonSets(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		err = e
		if e == nil {
			sel = d.Spec.Selector
		}
	case "replicaset":
		r, e := apps.ReplicaSets(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		err = e
		if e == nil {
			sel = r.Spec.Selector
		}
	case "job":
		j, e := client.BatchV1().Jobs(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		err = e
		if e == nil {
			sel = j.Spec.Selector
		}
	}
	if err != nil {
		group := "apps"
		if ref.Kind == "job" {
			group = "batch"
		}
		return "", kube.Read(kube.Get(group, ref.Kind+"s", ns), err)
	}
	if sel == nil {
		return "", &NoPodError{fmt.Sprintf("%s %s/%s has no selector", ref.Kind, ns, ref.Name)}
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return "", &NoPodError{fmt.Sprintf("selector of %s %s/%s: %v", ref.Kind, ns, ref.Name, err)}
	}
	return s.String(), nil
}

// NoPodError: the reference names a workload that has no pod to stand for
// it. It is an answer about the cluster, not a failure to reach it.
type NoPodError struct{ msg string }

func (e *NoPodError) Error() string { return e.msg }

// pick prefers ready over running over the rest, newest first.
func pick(pods []corev1.Pod) *corev1.Pod {
	rank := func(p *corev1.Pod) int {
		switch {
		case p.DeletionTimestamp != nil:
			return 0
		case podstatus.Ready(p):
			return 3
		case p.Status.Phase == corev1.PodRunning:
			return 2
		}
		return 1
	}
	sort.SliceStable(pods, func(i, j int) bool {
		ri, rj := rank(&pods[i]), rank(&pods[j])
		if ri != rj {
			return ri > rj
		}
		return pods[i].CreationTimestamp.After(pods[j].CreationTimestamp.Time)
	})
	return &pods[0]
}
