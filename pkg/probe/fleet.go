package probe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// LabelMesh marks the probe pods of `mesh`; its value is the run's id, so
// that a run deletes its own pods with one request and `mesh cleanup` finds
// the pods of any run.
const LabelMesh = "netdebug.io/mesh"

// FleetSettings say how a fleet of probe pods, one per node, is made.
type FleetSettings struct {
	Namespace string
	Image     string
	// Lifetime is the pods' activeDeadlineSeconds: the kubelet ends them
	// after it even if nobody deletes them.
	Lifetime time.Duration
	// HostNetwork probes from the nodes' own network namespaces.
	HostNetwork bool
	// Tolerate lets the pods run on tainted nodes (every taint tolerated).
	Tolerate bool
	// Profile is the containers' security context; Restricted passes the
	// restricted Pod Security level.
	Profile Profile
	// StartTimeout bounds the wait for the pods to run.
	StartTimeout time.Duration
	// Timeout is each probe's.
	Timeout time.Duration
	// Concurrency bounds the API calls in flight (creates, execs).
	Concurrency int
	// Runner makes the runner of a pod's commands; nil: exec through the
	// API server. Benchmarks give a simulated one.
	Runner func(namespace, pod string) Runner
}

// FleetPod is one probe pod: its node, and how to probe from it once it
// runs.
type FleetPod struct {
	Node   string
	Name   string
	IP     string
	Prober *Prober
	// Problem says why this node has no probe pod to probe from.
	Problem string
}

// Fleet is one run's probe pods.
type Fleet struct {
	Run       string
	Pods      []FleetPod // in node name order
	client    kubernetes.Interface
	namespace string
}

// StartFleet creates one probe pod per node, pinned with nodeName, waits
// until they run (one LIST per second for all of them, whatever their
// number) and finds their tools. Pods that cannot start are reported in
// their FleetPod; the error is for a fleet that could not be made at all.
// The caller must Close the fleet, also when StartFleet fails.
func StartFleet(ctx context.Context, cfg *rest.Config, client kubernetes.Interface, nodes []string, s FleetSettings) (*Fleet, error) {
	run, err := runID()
	if err != nil {
		return nil, err
	}
	f := &Fleet{Run: run, client: client, namespace: s.Namespace}
	sort.Strings(nodes)
	f.Pods = make([]FleetPod, len(nodes))
	limit := NewGroup(max(1, s.Concurrency))
	var mu sync.Mutex
	var firstErr error
	for i, node := range nodes {
		f.Pods[i] = FleetPod{Node: node, Name: fmt.Sprintf("netdebug-mesh-%s-%d", run, i)}
		limit.Go(func() {
			_, err := client.CoreV1().Pods(s.Namespace).Create(ctx, fleetPod(f.Pods[i].Name, node, run, s), metav1.CreateOptions{})
			if err != nil {
				mu.Lock()
				f.Pods[i].Problem = "probe pod not created: " + shortError(err)
				if firstErr == nil && (apierrors.IsForbidden(err) || apierrors.IsNotFound(err)) {
					firstErr = fmt.Errorf("creating probe pods in namespace %s: %w", s.Namespace, err)
				}
				mu.Unlock()
			}
		})
	}
	limit.Wait()
	if firstErr != nil {
		return f, firstErr
	}
	f.waitRunning(ctx, s.StartTimeout)
	runner := s.Runner
	if runner == nil {
		runner = func(ns, pod string) Runner {
			return &ExecRunner{Config: cfg, Client: client, Namespace: ns, Pod: pod, Container: "probe"}
		}
	}
	for i := range f.Pods {
		p := &f.Pods[i]
		if p.Problem != "" {
			continue
		}
		limit.Go(func() {
			r := runner(s.Namespace, p.Name)
			tools, err := Detect(ctx, r)
			switch {
			case err != nil:
				p.Problem = "exec into the probe pod failed: " + shortError(err)
			case !tools.CanProbe():
				p.Problem = fmt.Sprintf("image %s has no network tools (ping, nc)", s.Image)
			default:
				p.Prober = &Prober{Runner: r, Tools: tools, Timeout: s.Timeout}
			}
		})
	}
	limit.Wait()
	return f, nil
}

// waitRunning polls the run's pods with one LIST until each runs (with an
// IP) or cannot start, or the timeout passes.
func (f *Fleet) waitRunning(ctx context.Context, timeout time.Duration) {
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	byName := map[string]*FleetPod{}
	for i := range f.Pods {
		if f.Pods[i].Problem == "" {
			byName[f.Pods[i].Name] = &f.Pods[i]
		}
	}
	pending := func() int {
		n := 0
		for _, p := range byName {
			if p.IP == "" && p.Problem == "" {
				n++
			}
		}
		return n
	}
	_ = wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		list, err := f.client.CoreV1().Pods(f.namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelMesh + "=" + f.Run})
		if err != nil {
			return false, nil
		}
		for _, pod := range list.Items {
			p := byName[pod.Name]
			if p == nil || p.IP != "" || p.Problem != "" {
				continue
			}
			switch {
			case pod.Status.Phase == corev1.PodRunning && pod.Status.PodIP != "":
				p.IP = pod.Status.PodIP
			case pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded:
				p.Problem = fmt.Sprintf("probe pod ended (%s): %s", pod.Status.Phase, pod.Status.Reason)
			default:
				for _, cs := range pod.Status.ContainerStatuses {
					if w := cs.State.Waiting; w != nil && (strings.Contains(w.Reason, "Image") || w.Reason == "CreateContainerConfigError") {
						p.Problem = fmt.Sprintf("probe pod cannot start: %s: %s", w.Reason, w.Message)
					}
				}
			}
		}
		return pending() == 0, nil
	})
	for _, p := range byName {
		if p.IP == "" && p.Problem == "" {
			p.Problem = fmt.Sprintf("probe pod not running after %s (node not ready, out of room, or its taints not tolerated)", timeout)
		}
	}
}

// Close deletes the run's pods with one request, with a context of its own:
// it runs on Ctrl-C too.
func (f *Fleet) Close() error {
	if f == nil || f.Run == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	zero := int64(0)
	opts := metav1.DeleteOptions{GracePeriodSeconds: &zero}
	pods := f.client.CoreV1().Pods(f.namespace)
	err := pods.DeleteCollection(ctx, opts, metav1.ListOptions{LabelSelector: LabelMesh + "=" + f.Run})
	if apierrors.IsForbidden(err) {
		// allowed to delete pods but not collections: one by one
		err = nil
		for _, p := range f.Pods {
			if derr := pods.Delete(ctx, p.Name, opts); derr != nil && !apierrors.IsNotFound(derr) && err == nil {
				err = derr
			}
		}
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the probe pods of run %s (label %s=%s) in namespace %s: %w", f.Run, LabelMesh, f.Run, f.namespace, err)
	}
	return nil
}

// CleanupResult says what Cleanup deleted.
type CleanupResult struct {
	Namespace string   `json:"namespace"`
	Deleted   []string `json:"deleted"`
}

// Cleanup deletes the probe pods of every mesh run and every node debug pod
// in namespace ns ("" for all namespaces) that an interrupted run left.
func Cleanup(ctx context.Context, client kubernetes.Interface, ns string) ([]CleanupResult, error) {
	byNS := map[string][]string{}
	for _, label := range []string{LabelMesh, LabelNodeDebug} {
		list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: label})
		if err != nil {
			return nil, fmt.Errorf("listing pods labelled %s: %w", label, err)
		}
		for _, p := range list.Items {
			byNS[p.Namespace] = append(byNS[p.Namespace], p.Name)
		}
	}
	var out []CleanupResult
	zero := int64(0)
	for _, n := range slices.Sorted(maps.Keys(byNS)) {
		res := CleanupResult{Namespace: n}
		for _, name := range byNS[n] {
			err := client.CoreV1().Pods(n).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
			if err != nil && !apierrors.IsNotFound(err) {
				return out, fmt.Errorf("deleting pod %s/%s: %w", n, name, err)
			}
			res.Deleted = append(res.Deleted, name)
		}
		out = append(out, res)
	}
	return out, nil
}

func runID() (string, error) {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a run id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// fleetPod is a probe pod pinned to node, bounded in time and labelled with
// the run.
func fleetPod(name, node, run string, s FleetSettings) *corev1.Pod {
	no := false
	zero := int64(0)
	lifetime := s.Lifetime
	if lifetime <= 0 {
		lifetime = 10 * time.Minute
	}
	deadline := int64(lifetime.Seconds())
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelMesh: run}},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			HostNetwork:                   s.HostNetwork,
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         &deadline,
			TerminationGracePeriodSeconds: &zero,
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			Containers: []corev1.Container{{
				Name:            "probe",
				Image:           s.Image,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         []string{"sleep", fmt.Sprint(deadline)},
				SecurityContext: securityContext(s.Profile),
			}},
		},
	}
	if s.HostNetwork {
		// the cluster's DNS still, not the node's resolver
		pod.Spec.DNSPolicy = corev1.DNSClusterFirstWithHostNet
	}
	if s.Tolerate {
		pod.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	}
	return pod
}
