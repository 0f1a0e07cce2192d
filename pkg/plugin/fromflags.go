package plugin

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

// FromFlags are --from and the probe flags of commands that add live checks
// from a client pod when asked (service, dns).
type FromFlags struct {
	From  string
	Probe *ProbeFlags

	ref      *target.Ref
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
	f.ref = nil
	if f.From != "" {
		ref, err := target.Parse(f.From)
		if err != nil {
			return fmt.Errorf("--from: %w", err)
		}
		f.ref = &ref
	}
	return nil
}
