package plugin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/mesh"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
)

const meshExample = `  # Every pair of nodes (up to 9 nodes; beyond, 8 peers per node), from namespace netdebug
  kubectl netdebug mesh -n netdebug

  # Only the GPU nodes, every pair, tainted ones included
  kubectl netdebug mesh -n netdebug --selector node-role/gpu --full --tolerate-taints

  # Node to node, from the nodes' own network namespaces
  kubectl netdebug mesh -n netdebug --host-network

  # Delete probe pods a killed run left
  kubectl netdebug mesh cleanup -A`

// MeshOptions are `kubectl netdebug mesh`.
type MeshOptions struct {
	*GlobalOptions
	Probe        *ProbeFlags
	Selector     string
	Nodes        []string
	Peers        int
	Full         bool
	HostNetwork  bool
	Tolerate     bool
	Privileged   bool
	SkipMTU      bool
	SkipDNS      bool
	TCPPort      int32
	Concurrency  int
	StartTimeout time.Duration
	namespace    string
	clients      kube.Clients
	req          mesh.Request
}

// NewCmdMesh is `kubectl netdebug mesh`.
func NewCmdMesh(g *GlobalOptions) *cobra.Command {
	o := &MeshOptions{GlobalOptions: g, Probe: NewProbeFlags(), Peers: mesh.DefaultPeers, Concurrency: 8, StartTimeout: 2 * time.Minute}
	cmd := &cobra.Command{
		Use:   "mesh [--selector S | --node N...] [--full | --peers K] [--host-network]",
		Short: "Probe the network between every node pair, with short-lived probe pods the cluster runs",
		Long: `Start one short-lived probe pod per selected node (pinned with nodeName, in
the namespace in effect), then from each probe the pods of its peers: ICMP
echo, a TCP connect (to port 7, where nothing listens: the refusal comes from
the peer pod's own stack and proves the path as well as a connect), and, once
small pings pass, pings that fill the pods' MTU, bisected when they are lost.
Each pod also looks up kubernetes.default. The result is a node x node matrix
and the nodes cut off, the pairs that fail, the pairs with an MTU mismatch
and the nodes where DNS fails.

Up to 9 nodes every pair is probed. Beyond, each node probes 8 peers (--peers)
spread evenly around the nodes sorted by name, and is probed by as many, so
the probes and API requests per node stay constant: --full probes every pair.
The pods run with the restricted Pod Security profile unless --privileged or
--host-network (node to node) asks otherwise; ping under the restricted
profile needs the node to allow unprivileged ICMP. They are labelled
netdebug.io/mesh=<run>, deleted on exit (Ctrl-C and failures included) with
one request, and end by themselves after their activeDeadlineSeconds if the
plugin is killed: mesh cleanup deletes what is left.`,
		Example: meshExample,
		Args:    cobra.NoArgs,
		RunE:    g.runE(o),
	}
	f := cmd.Flags()
	f.StringVarP(&o.Selector, "selector", "l", "", "Only the nodes with these labels (a label selector)")
	f.StringSliceVar(&o.Nodes, "node", nil, "Only these nodes; repeatable")
	f.IntVar(&o.Peers, "peers", o.Peers, "Peers each node probes when not --full (1-100)")
	f.BoolVar(&o.Full, "full", false, "Probe every pair: n*(n-1) pairs")
	f.BoolVar(&o.HostNetwork, "host-network", false, "Probe from the nodes' own network namespaces (hostNetwork pods): node to node")
	f.BoolVar(&o.Tolerate, "tolerate-taints", false, "Run probe pods on tainted nodes too (every taint tolerated)")
	f.BoolVar(&o.Privileged, "privileged", false, "Run the probe pods with the image's user and the runtime's default capabilities (ping needs NET_RAW), not the restricted profile")
	f.BoolVar(&o.SkipMTU, "skip-mtu", false, "Leave out the path MTU probes")
	f.BoolVar(&o.SkipDNS, "skip-dns", false, "Leave out the DNS lookups")
	f.Int32Var(&o.TCPPort, "tcp-port", mesh.DefaultTCPPort, "Port of the TCP probes; nothing needs to listen (a refusal proves the path); another port tells a firewall that drops it")
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "Probes and API calls in flight at once (1-64)")
	f.DurationVar(&o.StartTimeout, "start-timeout", o.StartTimeout, "How long to wait for the probe pods to run")
	o.Probe.AddFlags(f)
	cmd.AddCommand(NewCmdMeshCleanup(g))
	return cmd
}

// Complete resolves the namespace and the clients.
func (o *MeshOptions) Complete([]string) error {
	return o.completeCluster(&o.namespace, &o.clients)
}

// Validate checks the flags before any request.
func (o *MeshOptions) Validate() error {
	switch {
	case o.Selector != "" && len(o.Nodes) > 0:
		return errors.New("give --selector or --node, not both")
	case o.Peers < 1 || o.Peers > 100:
		return fmt.Errorf("invalid --peers %d: use 1 to 100", o.Peers)
	case o.Concurrency < 1 || o.Concurrency > 64:
		return fmt.Errorf("invalid --concurrency %d: use 1 to 64", o.Concurrency)
	case o.TCPPort < 1 || o.TCPPort > 65535:
		return fmt.Errorf("invalid --tcp-port %d: use 1 to 65535", o.TCPPort)
	case o.StartTimeout < time.Second:
		return fmt.Errorf("invalid --start-timeout %s: at least 1s", o.StartTimeout)
	}
	settings, err := o.Probe.Settings()
	if err != nil {
		return err
	}
	if settings.Image == "" {
		return errors.New("--image is required: the probe pods' image")
	}
	profile := probe.Restricted
	if o.Privileged || o.HostNetwork {
		profile = probe.General
	}
	o.req = mesh.Request{
		Selector: o.Selector, Nodes: o.Nodes, Peers: o.Peers, Full: o.Full, SkipMTU: o.SkipMTU, SkipDNS: o.SkipDNS, TCPPort: o.TCPPort,
		Fleet: probe.FleetSettings{
			Namespace: o.namespace, Image: settings.Image, HostNetwork: o.HostNetwork, Tolerate: o.Tolerate,
			Profile: profile, StartTimeout: o.StartTimeout, Timeout: settings.Timeout, Concurrency: o.Concurrency,
			// long enough for the run, short enough not to linger
			Lifetime: o.StartTimeout + 10*time.Minute,
		},
	}
	return nil
}

// Run probes and prints; progress goes to a terminal's stderr only.
func (o *MeshOptions) Run(ctx context.Context) error {
	req := o.req
	if f, ok := o.Streams.ErrOut.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		req.Progress = func(done, total int) { fmt.Fprintf(o.Streams.ErrOut, "\rprobes: %d/%d", done, total) }
		defer fmt.Fprintln(o.Streams.ErrOut)
	}
	rep, err := mesh.Diagnose(ctx, o.clients, req)
	if err != nil {
		return err
	}
	return o.Print(rep)
}

// MeshCleanupOptions are `kubectl netdebug mesh cleanup`.
type MeshCleanupOptions struct {
	*GlobalOptions
	AllNamespaces bool
	namespace     string
	clients       kube.Clients
}

// NewCmdMeshCleanup is `kubectl netdebug mesh cleanup`.
func NewCmdMeshCleanup(g *GlobalOptions) *cobra.Command {
	o := &MeshCleanupOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "cleanup [-n NS | -A]",
		Short: "Delete the probe pods and node debug pods that killed runs left",
		Long: `Delete the pods labelled netdebug.io/mesh (mesh's probe pods) and
netdebug.io/node-debug (the node debug pods of --node-checks): leftovers of a
run whose process was killed before it could delete them.`,
		Example: `  kubectl netdebug mesh cleanup -A`,
		Args:    cobra.NoArgs,
		RunE:    g.runE(o),
	}
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Every namespace")
	return cmd
}

// Complete resolves the namespace and the clients.
func (o *MeshCleanupOptions) Complete([]string) error {
	return o.completeScope(o.AllNamespaces, &o.namespace, &o.clients)
}

// Validate has nothing to check beyond the shared flags.
func (o *MeshCleanupOptions) Validate() error { return nil }

// Run deletes the leftovers and prints what it did.
func (o *MeshCleanupOptions) Run(ctx context.Context) error {
	rep, err := mesh.Cleanup(ctx, o.clients, o.namespace)
	if err != nil {
		return err
	}
	return o.Print(rep)
}
