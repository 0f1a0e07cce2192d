package plugin

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/capture"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

const captureExample = `  # Capture pod web-1's traffic on port 8080 into a file for 30 seconds
  kubectl netdebug capture web-1 -f 'tcp port 8080' -w web.pcap --duration 30s

  # Stream live into Wireshark
  kubectl netdebug capture shop/web-1 -w - | wireshark -k -i -

  # The first 100 DNS packets of a deployment's pod
  kubectl netdebug capture deploy/web -f 'port 53' --count 100 -w dns.pcap`

// CaptureOptions run tcpdump in a pod's network namespace.
type CaptureOptions struct {
	*GlobalOptions
	Container string
	Interface string
	Filter    string
	File      string
	Duration  time.Duration
	Count     int
	Image     string

	ref       target.Ref
	namespace string
	clients   kube.Clients
}

// NewCmdCapture is `kubectl netdebug capture POD`.
func NewCmdCapture(g *GlobalOptions) *cobra.Command {
	o := &CaptureOptions{GlobalOptions: g, Image: probe.DefaultImage}
	cmd := &cobra.Command{
		Use:   "capture POD [-f FILTER] [-w FILE|-]",
		Short: "Capture a pod's traffic with tcpdump, streamed to a local pcap",
		Long: `Run tcpdump in the pod's network namespace and stream the pcap to FILE or
stdout. tcpdump runs in an ephemeral container with only NET_ADMIN and NET_RAW
(kubectl debug's netadmin profile), which the pod's namespace must admit (Pod
Security level privileged). The container stays in the pod spec until the pod
is recreated; later captures reuse it. Ctrl-C stops tcpdump inside the pod and
leaves a valid, flushed pcap.`,
		Example: captureExample,
		Args:    cobra.ExactArgs(1),
		RunE:    g.runE(o),
	}
	f := cmd.Flags()
	f.StringVarP(&o.Container, "container", "c", "", "Container of the pod to check exists (all containers share the pod's network namespace)")
	f.StringVarP(&o.Interface, "interface", "i", "any", "Interface to capture on")
	f.StringVarP(&o.Filter, "filter", "f", "", "BPF capture filter, e.g. 'tcp port 80'")
	f.StringVarP(&o.File, "write", "w", "", "Pcap file to write, or - for stdout (default: stdout when it is not a terminal)")
	f.DurationVar(&o.Duration, "duration", 0, "Stop after this long (default: until Ctrl-C or --count)")
	f.IntVar(&o.Count, "count", 0, "Stop after this many packets")
	f.StringVar(&o.Image, "image", o.Image, "Image with tcpdump and sh for the capture container; point it at your mirror when nodes cannot pull from Docker Hub")
	return cmd
}

// Complete parses the pod reference.
func (o *CaptureOptions) Complete(args []string) error {
	var err error
	if o.ref, err = target.Parse(args[0]); err != nil {
		return err
	}
	return o.completeCluster(&o.namespace, &o.clients)
}

// Validate checks flags before any request.
func (o *CaptureOptions) Validate() error {
	switch {
	case o.Count < 0:
		return fmt.Errorf("invalid --count %d", o.Count)
	case o.Duration < 0:
		return fmt.Errorf("invalid --duration %s", o.Duration)
	case o.Image == "":
		return fmt.Errorf("--image must name an image with tcpdump")
	case o.Output != "":
		return fmt.Errorf("capture writes a pcap, not a report: -o is not supported (use -w)")
	}
	if o.File == "" {
		if f, ok := o.Streams.Out.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			return fmt.Errorf("refusing to write a pcap to a terminal: use -w FILE, or pipe: -w - | wireshark -k -i -")
		}
		o.File = "-"
	}
	return nil
}

// Run captures until done and reports on stderr.
func (o *CaptureOptions) Run(ctx context.Context) error {
	client, cfg := o.clients.Typed, o.clients.REST
	pod, err := target.Resolve(ctx, client, o.ref, o.namespace)
	if err != nil {
		return err
	}
	if err := checkCapturable(pod, o.Container); err != nil {
		return err
	}
	out := o.Streams.Out
	if o.File != "-" {
		f, err := os.Create(o.File)
		if err != nil {
			return fmt.Errorf("creating %s: %w", o.File, err)
		}
		defer f.Close()
		out = f
	}
	opts := capture.Options{Interface: o.Interface, Filter: o.Filter, Count: o.Count, Duration: o.Duration, Image: o.Image}
	if f, ok := o.Streams.ErrOut.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		opts.Progress = func(p, b int64) { fmt.Fprintf(o.Streams.ErrOut, "\r%d packets, %d bytes", p, b) }
	}
	opts.Started = func(r capture.Result) {
		fmt.Fprintf(o.Streams.ErrOut, "capturing in pod %s/%s, container %s (%s)...\n", pod.Namespace, pod.Name, r.Container, describeCapture(opts))
	}
	res, err := capture.Run(ctx, cfg, client, pod, opts, out)
	if opts.Progress != nil {
		fmt.Fprintln(o.Streams.ErrOut)
	}
	if res.Created {
		fmt.Fprintf(o.Streams.ErrOut, "note: added ephemeral container %s to pod %s; it stays in the pod spec until the pod is recreated, and later captures reuse it\n", res.Container, pod.Name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Streams.ErrOut, "captured %d packets (%d bytes) to %s\n", res.Packets, res.Bytes, destination(o.File))
	return nil
}

func checkCapturable(pod *corev1.Pod, container string) error {
	if pod.Status.Phase != corev1.PodRunning {
		return fmt.Errorf("pod %s/%s is %s: only a running pod can be captured", pod.Namespace, pod.Name, pod.Status.Phase)
	}
	if container == "" {
		return nil
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == container {
			return nil
		}
	}
	return fmt.Errorf("pod %s/%s has no container %q", pod.Namespace, pod.Name, container)
}

func describeCapture(o capture.Options) string {
	s := "interface " + o.Interface
	if o.Filter != "" {
		s += ", filter '" + o.Filter + "'"
	}
	if o.Count > 0 {
		s += fmt.Sprintf(", %d packets", o.Count)
	}
	if o.Duration > 0 {
		s += ", for " + o.Duration.String()
	}
	return s + "; Ctrl-C stops"
}

func destination(file string) string {
	if file == "-" {
		return "stdout"
	}
	return file
}
