package testenv

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// Pod describes a pod as a kubelet would have reported it.
type Pod struct {
	Name     string
	Labels   map[string]string
	Ports    []corev1.ContainerPort
	Node     string
	IP       string
	Ready    bool
	Restarts int32
	// Waiting, when set, is the reason the container is waiting
	// (CrashLoopBackOff, ImagePullBackOff...).
	Waiting string
	// Readiness gives the container an HTTP readiness probe on this path.
	Readiness string
}

// CreateNamespace creates a namespace with labels.
func CreateNamespace(ctx context.Context, c kubernetes.Interface, name string, labels map[string]string) error {
	_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// CreateNode creates a Ready node whose only address is loopback and whose
// kubelet port has nothing behind it: an API server asked to reach this
// node's kubelet (logs, exec) never sends traffic off the machine.
func CreateNode(ctx context.Context, c kubernetes.Interface, name string) error {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}}}
	n, err := c.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating node %s: %w", name, err)
	}
	n.Status = corev1.NodeStatus{
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 1}},
		Conditions:      []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
	}
	if _, err := c.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("setting status of node %s: %w", name, err)
	}
	return nil
}

// CreatePod creates the pod and sets its status through the status
// subresource, as the kubelet would.
func CreatePod(ctx context.Context, c kubernetes.Interface, ns string, p Pod) (*corev1.Pod, error) {
	container := corev1.Container{Name: "app", Image: "example.invalid/app:1", Ports: p.Ports}
	if p.Readiness != "" && len(p.Ports) > 0 {
		container.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: p.Readiness, Port: intOrPort(p.Ports[0]),
		}}}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: ns, Labels: p.Labels},
		Spec:       corev1.PodSpec{NodeName: p.Node, Containers: []corev1.Container{container}},
	}
	created, err := c.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating pod %s/%s: %w", ns, p.Name, err)
	}
	created.Status = podStatus(p)
	updated, err := c.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("setting status of pod %s/%s: %w", ns, p.Name, err)
	}
	return updated, nil
}

func intOrPort(p corev1.ContainerPort) intstr.IntOrString {
	if p.Name != "" {
		return intstr.FromString(p.Name)
	}
	return intstr.FromInt32(p.ContainerPort)
}

func podStatus(p Pod) corev1.PodStatus {
	ready := corev1.ConditionFalse
	if p.Ready {
		ready = corev1.ConditionTrue
	}
	now := metav1.Now()
	cs := corev1.ContainerStatus{Name: "app", Image: "example.invalid/app:1", Ready: p.Ready, RestartCount: p.Restarts, Started: ptr(true)}
	if p.Waiting != "" {
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: p.Waiting, Message: "back-off restarting failed container"}
		cs.Started = ptr(false)
	} else {
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: now}
	}
	st := corev1.PodStatus{
		Phase:             corev1.PodRunning,
		ContainerStatuses: []corev1.ContainerStatus{cs},
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: ready, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: ready, LastTransitionTime: now},
		},
	}
	if p.IP != "" {
		st.PodIP = p.IP
		st.PodIPs = []corev1.PodIP{{IP: p.IP}}
		st.HostIP = "127.0.0.1"
		st.HostIPs = []corev1.HostIP{{IP: "127.0.0.1"}}
	}
	return st
}

// CreateEndpointSlice writes the slice the EndpointSlice controller would
// keep for svc and pods (envtest runs no controllers).
func CreateEndpointSlice(ctx context.Context, c kubernetes.Interface, svc *corev1.Service, pods []*corev1.Pod, ports []discoveryv1.EndpointPort) (*discoveryv1.EndpointSlice, error) {
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: svc.Name + "-",
			Namespace:    svc.Namespace,
			Labels: map[string]string{
				discoveryv1.LabelServiceName: svc.Name,
				discoveryv1.LabelManagedBy:   "endpointslice-controller.k8s.io",
			},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       ports,
	}
	for _, p := range pods {
		ready := podIsReady(p)
		ep := discoveryv1.Endpoint{
			Addresses:  []string{p.Status.PodIP},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr(ready), Serving: ptr(ready), Terminating: ptr(false)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
		}
		if p.Spec.NodeName != "" {
			ep.NodeName = ptr(p.Spec.NodeName)
		}
		slice.Endpoints = append(slice.Endpoints, ep)
	}
	out, err := c.DiscoveryV1().EndpointSlices(svc.Namespace).Create(ctx, slice, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating EndpointSlice for %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return out, nil
}

// CreateReadinessFailure records the event a kubelet writes when a pod's
// readiness probe fails, last seen at when.
func CreateReadinessFailure(ctx context.Context, c kubernetes.Interface, pod *corev1.Pod, message string, count int32, when time.Time) error {
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: pod.Name + ".", Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{
			Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID, APIVersion: "v1",
			FieldPath: "spec.containers{app}",
		},
		Reason:         "Unhealthy",
		Message:        "Readiness probe failed: " + message,
		Type:           corev1.EventTypeWarning,
		Count:          count,
		FirstTimestamp: metav1.NewTime(when.Add(-time.Duration(count) * 10 * time.Second)),
		LastTimestamp:  metav1.NewTime(when),
		Source:         corev1.EventSource{Component: "kubelet", Host: pod.Spec.NodeName},
	}
	if _, err := c.CoreV1().Events(pod.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating event for pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

func podIsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }
