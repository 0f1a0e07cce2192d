package ingress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// logTail is how many recent lines of each controller pod are read; logLimit
// bounds the bytes whatever the line length.
const (
	logTail  = 200
	logLimit = 512 << 10
)

// podLog is the outcome of reading one controller pod's recent logs.
type podLog struct {
	namespace, pod, container string
	text                      string
	err                       error
}

// readLog reads the recent logs of the controller container of p, bounded
// by timeout: the API server fetches logs from the node's kubelet, which
// may be unreachable, and a diagnosis must never hang on it.
func readLog(ctx context.Context, client kubernetes.Interface, p *corev1.Pod, k *controllerKind, timeout time.Duration) podLog {
	l := podLog{namespace: p.Namespace, pod: p.Name, container: controllerContainer(p, k)}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tail, limit := int64(logTail), int64(logLimit)
	var b []byte
	stream, err := client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{
		Container: l.container, TailLines: &tail, LimitBytes: &limit,
	}).Stream(ctx)
	if err == nil {
		b, err = io.ReadAll(io.LimitReader(stream, logLimit))
		stream.Close()
	}
	switch {
	case err == nil:
		l.text = string(b)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		l.err = fmt.Errorf("no answer within %s", timeout)
	case apierrors.IsForbidden(err):
		l.err = kube.Read(report.Permission{Verb: "get", Resource: "pods/log", Namespace: p.Namespace}, err)
	default:
		l.err = err
	}
	return l
}

// controllerContainer is the container whose logs matter: the one named or
// imaged after the controller, else the first.
func controllerContainer(p *corev1.Pod, k *controllerKind) string {
	if len(p.Spec.Containers) == 0 {
		return ""
	}
	for _, c := range p.Spec.Containers {
		if c.Name == "controller" || strings.Contains(c.Image, "controller") {
			return c.Name
		}
		if k != nil && (contains(k.appNames, c.Name) || contains(k.apps, c.Name)) {
			return c.Name
		}
	}
	return p.Spec.Containers[0].Name
}
