package probe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// DefaultImage is the ephemeral probe image when --image is not given: a
// widely used network-tools image. Air-gapped users point --image at a
// mirror; any image with busybox or the usual tools will do.
const DefaultImage = "docker.io/nicolaka/netshoot:v0.13"

// ContainerPrefix names netdebug's ephemeral containers, so that a later run
// can find and reuse them.
const ContainerPrefix = "netdebug-"

// Profile is the security context of a debug container.
type Profile string

const (
	// Restricted satisfies the restricted Pod Security level: non-root, no
	// capabilities, no privilege escalation, RuntimeDefault seccomp. TCP and
	// DNS probes work; ping works only where the node allows unprivileged
	// ICMP (net.ipv4.ping_group_range).
	Restricted Profile = "restricted"
	// General runs as the image's user with the runtime's default
	// capabilities (NET_RAW for ping included): allowed by baseline and
	// privileged namespaces.
	General Profile = "general"
	// NetAdmin adds NET_ADMIN and NET_RAW for packet capture, as kubectl
	// debug's netadmin profile; only a privileged namespace admits it.
	NetAdmin Profile = "netadmin"
)

// ProfileFor picks the least-privileged profile that still works for probes
// in a namespace, from its Pod Security enforce label.
func ProfileFor(ns *corev1.Namespace) Profile {
	if ns != nil && ns.Labels["pod-security.kubernetes.io/enforce"] == "restricted" {
		return Restricted
	}
	return General
}

// Ephemeral describes the debug container netdebug adds to a pod.
type Ephemeral struct {
	Image   string
	Profile Profile
	// Command keeps the container alive for reuse by later runs; it exits
	// by itself after an hour so that an abandoned one does not linger as a
	// running process.
	Command []string
}

// EnsureResult says which container is used and whether it was added now.
type EnsureResult struct {
	Container string
	Created   bool
}

// Ensure finds netdebug's running ephemeral container with the same image
// and profile in the pod, or adds one, and waits until it runs. Ephemeral
// containers cannot be removed: they stay in the pod spec until the pod is
// recreated, which is why one is reused rather than added per run.
func (e Ephemeral) Ensure(ctx context.Context, client kubernetes.Interface, ns, podName string) (EnsureResult, error) {
	if len(e.Command) == 0 {
		e.Command = []string{"sleep", "3600"}
	}
	name := e.containerName()
	pods := client.CoreV1().Pods(ns)
	var res EnsureResult
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pod, err := pods.Get(ctx, podName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		current, running := ephemeralState(pod, name)
		switch {
		case running:
			res = EnsureResult{Container: current}
			return nil
		case current != "":
			// Ours, but it has exited: names cannot be reused, add another.
			name = fmt.Sprintf("%s-%d", e.containerName(), len(pod.Spec.EphemeralContainers))
		}
		pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, e.container(name))
		if _, err := pods.UpdateEphemeralContainers(ctx, podName, pod, metav1.UpdateOptions{}); err != nil {
			return err
		}
		res = EnsureResult{Container: name, Created: true}
		return nil
	})
	if err != nil {
		return EnsureResult{}, err
	}
	return res, waitRunning(ctx, client, ns, podName, res.Container)
}

// containerName is stable for an image and profile, so reruns find it.
func (e Ephemeral) containerName() string {
	sum := sha256.Sum256([]byte(e.Image + "\x00" + string(e.Profile)))
	return ContainerPrefix + hex.EncodeToString(sum[:])[:8]
}

func (e Ephemeral) container(name string) corev1.EphemeralContainer {
	c := corev1.EphemeralContainerCommon{
		Name:                     name,
		Image:                    e.Image,
		ImagePullPolicy:          corev1.PullIfNotPresent,
		Command:                  e.Command,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		SecurityContext:          securityContext(e.Profile),
	}
	return corev1.EphemeralContainer{EphemeralContainerCommon: c}
}

func securityContext(p Profile) *corev1.SecurityContext {
	no, yes := false, true
	switch p {
	case Restricted:
		uid := int64(65534)
		return &corev1.SecurityContext{
			RunAsUser:                &uid,
			RunAsNonRoot:             &yes,
			AllowPrivilegeEscalation: &no,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}
	case NetAdmin:
		return &corev1.SecurityContext{
			Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"}},
		}
	default:
		return nil
	}
}

// ephemeralState finds the container (name, or name-N from an earlier
// replacement) and whether it is running.
func ephemeralState(pod *corev1.Pod, name string) (string, bool) {
	found := ""
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name || strings.HasPrefix(c.Name, name+"-") {
			found = c.Name
			for _, s := range pod.Status.EphemeralContainerStatuses {
				if s.Name == c.Name && s.State.Running != nil {
					return c.Name, true
				}
			}
		}
	}
	return found, false
}

// waitRunning waits for the container to start, and reports why it did not
// (image pull failure, admission) rather than timing out silently.
func waitRunning(ctx context.Context, client kubernetes.Interface, ns, pod, container string) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, s := range p.Status.EphemeralContainerStatuses {
			if s.Name != container {
				continue
			}
			switch {
			case s.State.Running != nil:
				return true, nil
			case s.State.Terminated != nil:
				return false, fmt.Errorf("debug container %s exited: %s %s", container, s.State.Terminated.Reason, s.State.Terminated.Message)
			case s.State.Waiting != nil:
				last = s.State.Waiting.Reason
				if m := s.State.Waiting.Message; m != "" {
					last += ": " + m
				}
				if s.State.Waiting.Reason == "ErrImagePull" || s.State.Waiting.Reason == "ImagePullBackOff" || s.State.Waiting.Reason == "InvalidImageName" {
					return false, fmt.Errorf("debug container %s cannot start: %s (use --image with an image your nodes can pull)", container, last)
				}
			}
		}
		return false, nil
	})
	if err != nil && last != "" && wait.Interrupted(err) {
		return fmt.Errorf("debug container %s did not start in time: %s", container, last)
	}
	return err
}
