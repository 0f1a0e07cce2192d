package probe

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// LabelNodeDebug marks netdebug's node debug pods, so that `cleanup` finds
// the ones an interrupted run left (their activeDeadlineSeconds ends them
// anyway).
const LabelNodeDebug = "netdebug.io/node-debug"

// nodePodLifetime bounds a node debug pod that is never deleted (the plugin
// was killed): the kubelet ends it after this long.
const nodePodLifetime = 10 * time.Minute

// NodeSettings say how node debug pods are made.
type NodeSettings struct {
	Image     string
	Namespace string        // where the pods are created
	Timeout   time.Duration // per command
	// StartTimeout bounds the wait for the pod to run; 60s when zero.
	StartTimeout time.Duration
}

// NodeSession runs commands on a node, in a short-lived debug pod like the
// one `kubectl debug node/N --profile=sysadmin` makes: privileged, in the
// node's network namespace, with the node's root filesystem read-only at
// /host. Close deletes the pod.
type NodeSession struct {
	Node   string
	Prober *Prober // nil when the pod could not be set up
	// How says how commands run on the node, or why they do not.
	How       string
	Forbidden *report.Permission
	Err       error
	client    kubernetes.Interface
	namespace string
	pod       string
}

// OpenNode creates the debug pod on node and waits until it runs. It never
// fails the diagnosis: problems are described in the session.
func OpenNode(ctx context.Context, cfg *rest.Config, client kubernetes.Interface, node string, s NodeSettings) NodeSession {
	ns := s.Namespace
	sess := NodeSession{Node: node, client: client, namespace: ns}
	if why := podSecurityRefuses(ctx, client, ns); why != "" {
		sess.How = why
		sess.Err = fmt.Errorf("%s", why)
		return sess
	}
	pod, err := client.CoreV1().Pods(ns).Create(ctx, nodeDebugPod(node, s.Image), metav1.CreateOptions{})
	if err != nil {
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "PodSecurity") {
			sess.How = fmt.Sprintf("Pod Security admission refuses a privileged node debug pod in namespace %s: %s; give --node-namespace with a namespace at the privileged level", ns, shortError(err))
			sess.Err = err
			return sess
		}
		f := failed(err, "pods", ns, "create a node debug pod in namespace "+ns)
		sess.How, sess.Forbidden, sess.Err = f.How, f.Forbidden, err
		return sess
	}
	sess.pod = pod.Name
	start := s.StartTimeout
	if start <= 0 {
		start = 60 * time.Second
	}
	if err := waitPodRunning(ctx, client, ns, pod.Name, start); err != nil {
		sess.How = fmt.Sprintf("node debug pod %s/%s on node %s did not start: %v", ns, pod.Name, node, err)
		sess.Err = err
		return sess
	}
	runner := &ExecRunner{Config: cfg, Client: client, Namespace: ns, Pod: pod.Name, Container: "debug"}
	tools, err := Detect(ctx, runner)
	if err != nil {
		f := failed(err, "pods/exec", ns, "exec into "+runner.Where())
		sess.How, sess.Forbidden, sess.Err = f.How, f.Forbidden, err
		return sess
	}
	if !tools.Shell {
		sess.How = fmt.Sprintf("image %s has no shell: node checks need one", s.Image)
		sess.Err = fmt.Errorf("%s", sess.How)
		return sess
	}
	sess.Prober = &Prober{Runner: runner, Tools: tools, Timeout: s.Timeout}
	sess.How = fmt.Sprintf("node debug pod %s/%s on node %s (privileged, host network, node root read-only at /host)", ns, pod.Name, node)
	return sess
}

// Close deletes the debug pod, also when ctx is already done (an interrupt):
// it uses a fresh, bounded context of its own. Closing twice is harmless.
func (s *NodeSession) Close() error {
	if s.pod == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	zero := int64(0)
	err := s.client.CoreV1().Pods(s.namespace).Delete(ctx, s.pod, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting node debug pod %s/%s: %w", s.namespace, s.pod, err)
	}
	s.pod = ""
	return nil
}

// podSecurityRefuses says why the namespace's Pod Security level admits no
// privileged pod, from its enforce label; "" when it does (or is unreadable:
// admission will tell).
func podSecurityRefuses(ctx context.Context, client kubernetes.Interface, ns string) string {
	n, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	const label = "pod-security.kubernetes.io/enforce"
	if level := n.Labels[label]; level == "baseline" || level == "restricted" {
		return fmt.Sprintf("namespace %s enforces the %s Pod Security level (label %s=%s), which admits no privileged node debug pod; give --node-namespace with a namespace at the privileged level", ns, level, label, level)
	}
	return ""
}

// nodeDebugPod is the pod of `kubectl debug node --profile=sysadmin`, bounded
// in time and labelled for cleanup.
func nodeDebugPod(node, image string) *corev1.Pod {
	yes, no := true, false
	zero := int64(0)
	deadline := int64(nodePodLifetime.Seconds())
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "netdebug-node-",
			Labels:       map[string]string{LabelNodeDebug: "true"},
			Annotations:  map[string]string{"netdebug.io/node": node},
		},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			HostNetwork:                   true,
			RestartPolicy:                 corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:         &deadline,
			TerminationGracePeriodSeconds: &zero,
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			// a node debug pod must run whatever the node's taints
			Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:            "debug",
				Image:           image,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         []string{"sleep", fmt.Sprint(int(nodePodLifetime.Seconds()))},
				SecurityContext: &corev1.SecurityContext{Privileged: &yes},
				VolumeMounts:    []corev1.VolumeMount{{Name: "host", MountPath: "/host", ReadOnly: true}},
			}},
			Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}},
		},
	}
}

// waitPodRunning waits until the pod's containers run; a container that
// cannot start (image pull, crash) ends the wait with its reason.
func waitPodRunning(ctx context.Context, client kubernetes.Interface, ns, name string, timeout time.Duration) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		switch p.Status.Phase {
		case corev1.PodRunning:
			return true, nil
		case corev1.PodFailed, corev1.PodSucceeded:
			return false, fmt.Errorf("it ended (%s)", p.Status.Phase)
		}
		for _, cs := range p.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
				last = w.Reason + ": " + w.Message
				if w.Reason == "ErrImageNeverPull" || w.Reason == "InvalidImageName" || w.Reason == "ImagePullBackOff" || w.Reason == "ErrImagePull" {
					return false, fmt.Errorf("%s", last)
				}
			}
		}
		return false, nil
	})
	if err != nil && last != "" && !strings.Contains(err.Error(), last) {
		return fmt.Errorf("%w (last: %s)", err, last)
	}
	return err
}
