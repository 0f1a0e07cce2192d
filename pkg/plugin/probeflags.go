package plugin

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/netdebug/kubectl-netdebug/pkg/probe"
)

// ProbeFlags are the flags of commands that probe from inside pods.
type ProbeFlags struct {
	Mode    string
	Image   string
	Timeout time.Duration
}

// NewProbeFlags returns the defaults: exec when the container has tools.
func NewProbeFlags() *ProbeFlags {
	return &ProbeFlags{Mode: string(probe.ModeAuto), Image: probe.DefaultImage, Timeout: 5 * time.Second}
}

// AddFlags binds --probe, --image and --probe-timeout.
func (p *ProbeFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&p.Mode, "probe", p.Mode, "How to probe from inside pods: auto (exec when the container has tools, else static checks only), exec, ephemeral (add a debug container sharing the pod's network), none")
	fs.StringVar(&p.Image, "image", p.Image, "Image of the ephemeral debug container (--probe=ephemeral); point it at your mirror when nodes cannot pull from Docker Hub")
	fs.DurationVar(&p.Timeout, "probe-timeout", p.Timeout, "Timeout of each probe")
}

// Settings validates the flags.
func (p *ProbeFlags) Settings() (probe.Settings, error) {
	mode, err := probe.ParseMode(p.Mode)
	if err != nil {
		return probe.Settings{}, err
	}
	if p.Timeout < time.Second || p.Timeout > 2*time.Minute {
		return probe.Settings{}, fmt.Errorf("invalid --probe-timeout %s: use 1s to 2m", p.Timeout)
	}
	if mode == probe.ModeEphemeral && p.Image == "" {
		return probe.Settings{}, fmt.Errorf("--probe=ephemeral needs --image")
	}
	return probe.Settings{Mode: mode, Image: p.Image, Timeout: p.Timeout}, nil
}

// NodeCheckFlags are --node-checks and --node-namespace: opt-in reads on
// the nodes through a short-lived privileged debug pod per node.
type NodeCheckFlags struct {
	Enabled   bool
	Namespace string
}

// AddFlags binds --node-checks and --node-namespace.
func (n *NodeCheckFlags) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&n.Enabled, "node-checks", false, "Read routes, MTUs and firewall counters on the pods' nodes, through a short-lived privileged debug pod per node (as kubectl debug node --profile=sysadmin; image: --image), deleted on exit")
	fs.StringVar(&n.Namespace, "node-namespace", "", "Namespace of the node debug pods (--node-checks); its Pod Security level must admit privileged pods; default: the namespace in effect (-n)")
}

// Settings are the node debug pods' settings in namespace ns unless
// --node-namespace says otherwise.
func (n *NodeCheckFlags) Settings(p probe.Settings, ns string) probe.NodeSettings {
	if n.Namespace != "" {
		ns = n.Namespace
	}
	return probe.NodeSettings{Image: p.Image, Namespace: ns, Timeout: p.Timeout}
}
