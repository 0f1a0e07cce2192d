package probe

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

// Enabled reports whether the settings ask for live probes at all; the zero
// Settings do not.
func (s Settings) Enabled() bool { return s.Mode != "" && s.Mode != ModeNone }

// OpenIn prepares probing from pod with the run's clients; settings that
// are not Enabled give a session that says probes are disabled.
func (s Settings) OpenIn(ctx context.Context, c kube.Clients, pod *corev1.Pod) Session {
	if !s.Enabled() {
		s.Mode = ModeNone
	}
	return Open(ctx, c.REST, c.Typed, pod, "", s)
}

// OpenClient finds the client pod a diagnosis probes from (--from: a pod,
// or a ready pod of a workload) and prepares probing from it. An error means
// there is no such pod to probe from.
func OpenClient(ctx context.Context, c kube.Clients, ref target.Ref, namespace string, s Settings) (*corev1.Pod, Session, error) {
	pod, err := target.Resolve(ctx, c.Typed, ref, namespace)
	if err != nil {
		return nil, Session{}, fmt.Errorf("--from %s: %w", ref, err)
	}
	return pod, Open(ctx, c.REST, c.Typed, pod, "", s), nil
}
