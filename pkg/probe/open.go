package probe

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/streaming/pkg/httpstream"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Mode is --probe.
type Mode string

const (
	// ModeAuto probes by exec when the target container has the tools,
	// and otherwise does static checks only, with a hint.
	ModeAuto Mode = "auto"
	// ModeExec probes in the target container; no tools is a finding.
	ModeExec Mode = "exec"
	// ModeEphemeral adds (or reuses) netdebug's ephemeral debug container.
	ModeEphemeral Mode = "ephemeral"
	// ModeNone: static checks only.
	ModeNone Mode = "none"
)

// ParseMode validates --probe.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeAuto, ModeExec, ModeEphemeral, ModeNone:
		return m, nil
	}
	return "", fmt.Errorf("invalid --probe %q: use auto, exec, ephemeral or none", s)
}

// Settings are the probe flags.
type Settings struct {
	Mode    Mode
	Image   string        // ephemeral image
	Timeout time.Duration // per probe
	// Profile overrides the ephemeral container's security profile; by
	// default it follows the namespace's Pod Security level.
	Profile Profile
}

// Session is how probes run from one pod, or why they do not.
type Session struct {
	Prober *Prober // nil when no probe runs
	// Reader runs commands in the pod whenever exec works, even without
	// network tools: it reads files such as /proc/net/tcp (Listening).
	// Nil when no command can run (probes disabled, exec refused).
	Reader *Prober
	// How says in one line how probes run or why they do not.
	How string
	// Forbidden names the permission that stopped probing, if any.
	Forbidden *report.Permission
	// Notes: things the user should know once (an ephemeral container was
	// added and stays in the pod spec; restricted profile limits ping).
	Notes []string
	// Err: probing was wanted but could not be set up.
	Err error
}

// Open prepares probing from pod per the settings. It never fails the
// diagnosis: problems are described in the Session.
func Open(ctx context.Context, cfg *rest.Config, client kubernetes.Interface, pod *corev1.Pod, container string, s Settings) Session {
	if s.Mode == ModeNone {
		return Session{How: "probes disabled (--probe=none): static checks only"}
	}
	if pod.Status.Phase != corev1.PodRunning {
		return Session{How: fmt.Sprintf("pod %s is %s: nothing to probe from", pod.Name, pod.Status.Phase)}
	}
	if s.Mode == ModeEphemeral {
		return openEphemeral(ctx, cfg, client, pod, s)
	}
	if container == "" {
		container = defaultContainer(pod)
	}
	runner := &ExecRunner{Config: cfg, Client: client, Namespace: pod.Namespace, Pod: pod.Name, Container: container}
	tools, err := Detect(ctx, runner)
	if err != nil {
		return failed(err, "pods/exec", pod.Namespace, "exec into "+runner.Where())
	}
	reader := &Prober{Runner: runner, Tools: tools, Timeout: s.Timeout}
	if !tools.CanProbe() {
		how := fmt.Sprintf("container %s of pod %s has no shell or network tools (ping, nc): static checks only", container, pod.Name)
		if s.Mode == ModeAuto {
			how += "; --probe=ephemeral adds a debug container with tools"
		}
		return Session{How: how, Reader: reader}
	}
	return Session{
		Prober: reader,
		Reader: reader,
		How:    fmt.Sprintf("exec in %s (tools: %s)", runner.Where(), strings.Join(tools.Names(), ", ")),
	}
}

func openEphemeral(ctx context.Context, cfg *rest.Config, client kubernetes.Interface, pod *corev1.Pod, s Settings) Session {
	profile := s.Profile
	var notes []string
	if profile == "" {
		ns, err := client.CoreV1().Namespaces().Get(ctx, pod.Namespace, metav1.GetOptions{})
		if err != nil {
			ns = nil // unreadable: assume no Pod Security label
		}
		profile = ProfileFor(ns)
	}
	if profile == Restricted {
		notes = append(notes, "namespace enforces the restricted Pod Security level: the debug container runs as non-root without capabilities, so ping works only where nodes allow unprivileged ICMP")
	}
	eph := Ephemeral{Image: s.Image, Profile: profile}
	res, err := eph.Ensure(ctx, client, pod.Namespace, pod.Name)
	if err != nil {
		return failed(err, "pods/ephemeralcontainers", pod.Namespace, "add an ephemeral debug container to pod "+pod.Name)
	}
	if res.Created {
		notes = append(notes, fmt.Sprintf("added ephemeral container %s (image %s) to pod %s; ephemeral containers cannot be removed and stay in the pod spec until the pod is recreated; later runs reuse it", res.Container, s.Image, pod.Name))
	}
	runner := &ExecRunner{Config: cfg, Client: client, Namespace: pod.Namespace, Pod: pod.Name, Container: res.Container}
	tools, err := Detect(ctx, runner)
	if err != nil {
		return failed(err, "pods/exec", pod.Namespace, "exec into "+runner.Where())
	}
	reader := &Prober{Runner: runner, Tools: tools, Timeout: s.Timeout}
	if !tools.CanProbe() {
		return Session{How: fmt.Sprintf("image %s has no network tools (ping, nc)", s.Image), Notes: notes, Reader: reader}
	}
	how := "ephemeral container " + res.Container
	if !res.Created {
		how += " (reused)"
	}
	return Session{
		Prober: reader,
		Reader: reader,
		How:    fmt.Sprintf("%s in pod %s (tools: %s)", how, pod.Name, strings.Join(tools.Names(), ", ")),
		Notes:  notes,
	}
}

// failed describes a set-up failure; Forbidden names the subresource.
func failed(err error, subresource, ns, what string) Session {
	if isForbidden(err) {
		verb := "create"
		if subresource == "pods/ephemeralcontainers" {
			verb = "update" // Ephemeral.Ensure calls UpdateEphemeralContainers
		}
		perm := report.Permission{Verb: verb, Resource: subresource, Namespace: ns}
		return Session{How: fmt.Sprintf("not allowed to %s, so no live probes", perm), Forbidden: &perm, Err: err}
	}
	return Session{How: fmt.Sprintf("could not %s: %s", what, shortError(err)), Err: err}
}

// isForbidden reports whether RBAC refused the request behind err, also when
// the refusal came as the answer to a streaming upgrade (exec), which
// client-go wraps in an UpgradeFailureError that does not unwrap, or SPDY
// turns into text.
func isForbidden(err error) bool {
	if apierrors.IsForbidden(err) {
		return true
	}
	var upgrade *httpstream.UpgradeFailureError
	if errors.As(err, &upgrade) && apierrors.IsForbidden(upgrade.Cause) {
		return true
	}
	// After the fallback, SPDY quotes the API server's Forbidden status as
	// text only ("unable to upgrade connection: pods "x" is forbidden: ...").
	msg := err.Error()
	return strings.Contains(msg, "unable to upgrade connection: ") && strings.Contains(msg, " is forbidden: ")
}

// requestURL matches the request a transport error quotes: the exec URL
// carries the whole command line and says nothing the user needs.
var requestURL = regexp.MustCompile(`(Get|Post) "[^"]*": `)

// shortError is the cause of a failed exec in a few words.
func shortError(err error) string {
	msg := err.Error()
	var se *apierrors.StatusError
	if errors.As(err, &se) {
		msg = se.ErrStatus.Message
	}
	msg = requestURL.ReplaceAllString(msg, "")
	if i := strings.LastIndex(msg, "exec in "); i >= 0 {
		if j := strings.Index(msg[i:], ": "); j >= 0 {
			msg = msg[i+j+2:]
		}
	}
	// How the stream failed to open (WebSocket, then SPDY) says nothing
	// the user needs; the server's answer that follows does.
	for _, prefix := range []string{"unable to upgrade connection: ", "unable to upgrade streaming request: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return msg
}

// defaultContainer is the container kubectl exec picks: the one named by the
// default-container annotation, else the first.
func defaultContainer(pod *corev1.Pod) string {
	if c := pod.Annotations["kubectl.kubernetes.io/default-container"]; c != "" {
		return c
	}
	return pod.Spec.Containers[0].Name
}
