// Package capture runs tcpdump in a pod's network namespace, through an
// ephemeral container with only NET_ADMIN and NET_RAW, and streams the pcap
// back over the exec connection. Stopping (Ctrl-C, --duration) interrupts
// tcpdump inside the pod so that it flushes, and the local writer keeps only
// whole records: the file is always a valid pcap.
package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/netdebug/kubectl-netdebug/pkg/probe"
)

// Options of one capture.
type Options struct {
	Interface string // "any" when empty
	Filter    string // BPF filter
	Count     int    // stop after this many packets; 0 = no limit
	Duration  time.Duration
	Image     string // must contain tcpdump and sh
	// Started, when set, is called once the capture container is ready,
	// just before tcpdump starts.
	Started func(Result)
	// Progress, when set, is called about once a second with the packets
	// and bytes written so far.
	Progress func(packets, bytes int64)
}

// Result says what happened.
type Result struct {
	Container string `json:"container"`
	Created   bool   `json:"created"`
	Command   string `json:"command"`
	Packets   int64  `json:"packets"`
	Bytes     int64  `json:"bytes"`
	// Stderr is tcpdump's own report ("listening on ...", "N packets
	// captured").
	Stderr string `json:"stderr"`
}

// Run captures from pod into out until ctx is done, the duration passes,
// or tcpdump stops by itself (--count).
func Run(ctx context.Context, cfg *rest.Config, client kubernetes.Interface, pod *corev1.Pod, opts Options, out io.Writer) (Result, error) {
	if pod.Spec.HostNetwork {
		return Result{}, fmt.Errorf("pod %s uses the host network: capturing there would capture the node's traffic; use a node-level tool instead", pod.Name)
	}
	eph := probe.Ephemeral{Image: opts.Image, Profile: probe.NetAdmin}
	ens, err := eph.Ensure(ctx, client, pod.Namespace, pod.Name)
	if err != nil {
		return Result{}, fmt.Errorf("adding the capture container to pod %s: %w", pod.Name, err)
	}
	runner := &probe.ExecRunner{Config: streamConfig(cfg), Client: client, Namespace: pod.Namespace, Pod: pod.Name, Container: ens.Container}
	pidFile := fmt.Sprintf("/tmp/netdebug-capture-%d.pid", time.Now().UnixNano())
	argv := Command(pidFile, opts)
	res := Result{Container: ens.Container, Created: ens.Created, Command: strings.Join(argv[3:], " ")}
	if opts.Started != nil {
		opts.Started(res)
	}

	// The stream gets its own context: cancelling it would cut the
	// connection before tcpdump flushes. It ends when tcpdump exits.
	streamCtx, cancelStream := context.WithCancel(context.Background())
	defer cancelStream()
	w := &Writer{W: out}
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		code, err := runner.Stream(streamCtx, argv, w, &stderr)
		if err == nil && code != 0 && !w.Valid() {
			err = fmt.Errorf("tcpdump exited with code %d: %s", code, lastLine(stderr.String()))
		}
		done <- err
	}()

	var timeout <-chan time.Time
	if opts.Duration > 0 {
		timeout = time.After(opts.Duration)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var streamErr error
wait:
	for {
		select {
		case streamErr = <-done:
			break wait
		case <-tick.C:
			if opts.Progress != nil {
				opts.Progress(w.Stats())
			}
		case <-timeout:
			streamErr = stop(runner, pidFile, done, cancelStream)
			break wait
		case <-ctx.Done():
			streamErr = stop(runner, pidFile, done, cancelStream)
			break wait
		}
	}
	res.Packets, res.Bytes = w.Stats()
	res.Stderr = strings.TrimSpace(stderr.String())
	if errors.Is(streamErr, errNotPcap) || (streamErr == nil && !w.Valid()) {
		return res, fmt.Errorf("tcpdump did not start: %s", lastLine(res.Stderr))
	}
	return res, streamErr
}

// Command is the capture command: sh records tcpdump's pid so that stop can
// interrupt exactly this capture, then becomes tcpdump. The filter is
// passed as arguments, never through the shell.
func Command(pidFile string, opts Options) []string {
	iface := opts.Interface
	if iface == "" {
		iface = "any"
	}
	argv := []string{"sh", "-c", `echo $$ > "$0" && exec "$@"`, pidFile, "tcpdump", "-i", iface, "-U", "-n", "-w", "-"}
	if opts.Count > 0 {
		argv = append(argv, "-c", strconv.Itoa(opts.Count))
	}
	if f := strings.TrimSpace(opts.Filter); f != "" {
		argv = append(argv, strings.Fields(f)...)
	}
	return argv
}

// stop sends SIGINT to tcpdump in the pod, so that it flushes and exits,
// and waits a bounded time for the stream to end.
func stop(runner *probe.ExecRunner, pidFile string, done <-chan error, cancel context.CancelFunc) error {
	ctx, cancelKill := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelKill()
	_, _ = runner.Run(ctx, []string{"sh", "-c", `kill -INT "$(cat "$0")" && rm -f "$0"`, pidFile})
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		cancel()
		<-done
		return nil // the writer kept only whole records
	}
}

// streamConfig drops the per-request timeout, which would cut a capture
// after --request-timeout.
func streamConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Timeout = 0
	return c
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
