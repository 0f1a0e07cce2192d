package plugin

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

// FromFlags are --from and the probe flags of commands that add live checks
// from a client pod when asked (service, dns).
type FromFlags struct {
	From  string
	Probe *ProbeFlags

	ref      target.Ref
	settings probe.Settings
}

// NewFromFlags returns the defaults: no client pod.
func NewFromFlags() *FromFlags { return &FromFlags{Probe: NewProbeFlags()} }

// AddFlags binds --from (described by usage) and the probe flags.
func (f *FromFlags) AddFlags(fs *pflag.FlagSet, usage string) {
	fs.StringVar(&f.From, "from", "", usage+": POD, NAMESPACE/POD or KIND/NAME (deploy/web)")
	f.Probe.AddFlags(fs)
}

// Validate checks the flags before any request.
func (f *FromFlags) Validate() error {
	var err error
	if f.settings, err = f.Probe.Settings(); err != nil {
		return err
	}
	if f.From != "" {
		if f.ref, err = target.Parse(f.From); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	return nil
}

// set reports whether a client pod was asked for.
func (f *FromFlags) set() bool { return f.From != "" }

// open finds the client pod and prepares probes in it.
func (f *FromFlags) open(ctx context.Context, g *GlobalOptions, client kubernetes.Interface, ns string) (*corev1.Pod, probe.Session, error) {
	pod, err := target.Resolve(ctx, client, f.ref, ns)
	if err != nil {
		return nil, probe.Session{}, fmt.Errorf("--from %s: %w", f.From, err)
	}
	sess, err := g.openProbes(ctx, pod, "", f.settings)
	return pod, sess, err
}
