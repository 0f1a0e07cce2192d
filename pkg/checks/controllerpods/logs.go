package controllerpods

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// LogTail is how many recent lines of each controller pod are read;
// logLimit bounds the bytes whatever the line length. MaxLogLines is how
// many matching lines are reported per pod.
const (
	LogTail     = 200
	logLimit    = 512 << 10
	MaxLogLines = 5
)

// Log is the outcome of reading one controller pod's recent logs.
type Log struct {
	Namespace, Pod, Container string
	Text                      string
	Err                       error
}

// ReadLog reads the recent logs of container of p, bounded by timeout: the
// API server fetches logs from the node's kubelet, which may be
// unreachable, and a diagnosis must never hang on it.
func ReadLog(ctx context.Context, client kubernetes.Interface, p *corev1.Pod, container string, timeout time.Duration) Log {
	l := Log{Namespace: p.Namespace, Pod: p.Name, Container: container}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tail, limit := int64(LogTail), int64(logLimit)
	var b []byte
	stream, err := client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{
		Container: l.Container, TailLines: &tail, LimitBytes: &limit,
	}).Stream(ctx)
	if err == nil {
		b, err = io.ReadAll(io.LimitReader(stream, logLimit))
		stream.Close()
	}
	switch {
	case err == nil:
		l.Text = string(b)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		l.Err = fmt.Errorf("no answer within %s", timeout)
	case apierrors.IsForbidden(err):
		l.Err = kube.Read(report.Permission{Verb: "get", Resource: "pods/log", Namespace: p.Namespace}, err)
	default:
		l.Err = err
	}
	return l
}

// ReadLogs reads, concurrently, the logs of up to max pods, ready ones
// first; container names the container to read of each.
func ReadLogs(ctx context.Context, client kubernetes.Interface, pods []Pod, max int, container func(*corev1.Pod) string, timeout time.Duration) []Log {
	targets := LogTargets(pods, max)
	out := make([]Log, len(targets))
	var wg sync.WaitGroup
	for i, p := range targets {
		wg.Go(func() { out[i] = ReadLog(ctx, client, p, container(p), timeout) })
	}
	wg.Wait()
	return out
}

// LogTargets picks up to max pods whose logs are read, ready ones first.
func LogTargets(pods []Pod, max int) []*corev1.Pod {
	var ready, other []*corev1.Pod
	for i := range pods {
		p := &pods[i].Pod
		if podstatus.Ready(p) {
			ready = append(ready, p)
		} else {
			other = append(other, p)
		}
	}
	out := append(ready, other...)
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// levelRE matches the error and warning lines of the log formats
// controllers use: klog (E1127 12:00:00...), logfmt and JSON levels, and
// NGINX's error log ([error], [warn], [crit]).
var levelRE = regexp.MustCompile(`(?i)^[EW]\d{4} |level=(error|warn|warning|fatal)\b|"level":\s*"(error|warn|warning|fatal)"|\[(error|warn|crit|alert|emerg)\]`)

// RelevantLines are the error and warning lines that contain a needle, the
// most recent last, at most MaxLogLines, each shortened to one line.
func RelevantLines(text string, needles []string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if !levelRE.MatchString(line) {
			continue
		}
		for _, n := range needles {
			if strings.Contains(line, n) {
				out = append(out, OneLine(line))
				break
			}
		}
	}
	if len(out) > MaxLogLines {
		out = out[len(out)-MaxLogLines:]
	}
	return out
}

// OneLine collapses white space and shortens s to one report line.
func OneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 240 {
		s = s[:237] + "..."
	}
	return s
}

// LogQuery says which log lines concern the object diagnosed.
type LogQuery struct {
	// Needles: a line must contain one (a namespace as a key prefix, a
	// structured namespace field, a host).
	Needles []string
	// About names the object in messages: "namespace shop".
	About string
	// Grep is what the next step greps the log for: "shop/".
	Grep string
}

// LogsCheck judges logs already read: a skip naming the permission when
// every read was forbidden, a skip when the kubelet could not be reached,
// a warning quoting the error and warning lines that concern q, else a
// pass. logs must not be empty.
func LogsCheck(code checks.Code, logs []Log, q LogQuery) report.Check {
	var facts []report.Fact
	var found, failed int
	var firstErr error
	var objects []report.Object
	for _, l := range logs {
		where := l.Namespace + "/" + l.Pod
		objects = append(objects, report.Object{Kind: "Pod", Namespace: l.Namespace, Name: l.Pod})
		if l.Err != nil {
			failed++
			if firstErr == nil {
				firstErr = l.Err
			}
			facts = append(facts, report.Fact{Name: "logs of " + where, Value: "unreadable: " + OneLine(l.Err.Error())})
			continue
		}
		lines := RelevantLines(l.Text, q.Needles)
		found += len(lines)
		if len(lines) == 0 {
			facts = append(facts, report.Fact{Name: "logs of " + where, Value: fmt.Sprintf("no error or warning about %s in the last %d lines", q.About, LogTail)})
		}
		for _, line := range lines {
			facts = append(facts, report.Fact{Name: where, Value: line})
		}
	}
	var chk report.Check
	switch {
	case failed == len(logs):
		var fe *kube.ForbiddenError
		if errors.As(firstErr, &fe) {
			chk = code.FromError("reading the controller's logs", firstErr)
		} else {
			chk = code.Skipped("could not read the controller's logs (the API server reads them from the node's kubelet): %s", OneLine(firstErr.Error()))
			if len(logs) > 1 {
				chk.Facts = facts
			}
		}
		chk.Next = append(chk.Next, fmt.Sprintf("kubectl -n %s logs %s --tail=%d", logs[0].Namespace, logs[0].Pod, LogTail))
	case found > 0:
		chk = code.New(report.Warn, "the controller logged %d error or warning line(s) about %s recently", found, q.About)
		chk.Facts = facts
		chk.Next = []string{fmt.Sprintf("kubectl -n %s logs %s --tail=%d | grep %s", logs[0].Namespace, logs[0].Pod, LogTail, q.Grep)}
	default:
		chk = code.New(report.Pass, "no error or warning about %s in the controller's recent logs", q.About)
		chk.Facts = facts
	}
	chk.Objects = objects
	return chk
}
