package plugin

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
)

// NetpolSourceFlags are the flags netpol SRC DST and netpol matrix share:
// the ports to check, and where the policies come from (the cluster, with
// --what-if additions, or manifests with --local).
type NetpolSourceFlags struct {
	Ports     []string
	Protocol  string
	Local     bool
	Lenient   bool
	WhatIf    bool
	Filenames []string
}

// AddFlags binds the flags.
func (f *NetpolSourceFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&f.Ports, "port", nil, "destination port to check: a number or a container port name, optionally /udp or /sctp (repeatable; default: every port the destination declares)")
	fs.StringVar(&f.Protocol, "protocol", "", "protocol of --port, or the only declared ports to check: TCP, UDP or SCTP (default TCP for --port, every protocol otherwise)")
	fs.BoolVar(&f.Local, "local", false, "judge the manifests given with -f only, without any cluster (no kubeconfig needed)")
	fs.BoolVar(&f.Lenient, "lenient", false, "with --local: a policy the API server would reject only warns (NP002) instead of failing the run")
	fs.BoolVar(&f.WhatIf, "what-if", false, "simulate adding the policies of -f to the cluster's (same namespace and name replaces) and show which flows change")
	fs.StringSliceVarP(&f.Filenames, "filename", "f", nil, "manifest file or directory (YAML or JSON, multi-document, Lists; - for stdin) for --local or --what-if (repeatable)")
}

// netpolSource is the validated flags.
type netpolSource struct {
	ports    []netpol.Port
	protocol corev1.Protocol
	local    bool
	lenient  bool
	whatIf   *netpol.WhatIf
	world    *manifest.Result
}

// Validate checks the flags and reads the manifests, before any request.
func (f *NetpolSourceFlags) validate(ns string, stdin io.Reader) (*netpolSource, error) {
	src := &netpolSource{local: f.Local, lenient: f.Lenient}
	switch {
	case f.Local && f.WhatIf:
		return nil, errors.New("--what-if simulates policies against a cluster; with --local, put the policies in the -f manifests (run twice to compare)")
	case (f.Local || f.WhatIf) && len(f.Filenames) == 0:
		return nil, errors.New("--local and --what-if read manifests: pass -f FILE or -f DIR")
	case f.Lenient && !f.Local:
		return nil, errors.New("--lenient is for --local: against a cluster, a rejected policy cannot exist")
	case !f.Local && !f.WhatIf && len(f.Filenames) > 0:
		return nil, errors.New("-f is for --local (judge manifests without a cluster) or --what-if (simulate them against the cluster): add one")
	}
	defaultProto := corev1.ProtocolTCP
	if f.Protocol != "" {
		p, err := netpol.ParseProtocol(f.Protocol)
		if err != nil {
			return nil, fmt.Errorf("--protocol: %w", err)
		}
		src.protocol, defaultProto = p, p
	}
	for _, s := range f.Ports {
		p, err := netpol.ParsePort(s, defaultProto)
		if err != nil {
			return nil, fmt.Errorf("--port: %w", err)
		}
		src.ports = append(src.ports, p)
	}
	if len(f.Filenames) > 0 {
		res, err := manifest.Load(f.Filenames, manifest.Options{DefaultNamespace: ns, Stdin: stdin})
		if err != nil {
			return nil, fmt.Errorf("reading manifests: %w", err)
		}
		if f.WhatIf {
			src.whatIf = netpol.NewWhatIf(f.Filenames, res)
		} else {
			src.world = res
		}
	}
	return src, nil
}

// request is the part of a netpol Request the flags give.
func (src *netpolSource) request(files []string) netpol.Request {
	req := netpol.Request{Ports: src.ports, Protocol: src.protocol, WhatIf: src.whatIf}
	if src.local {
		req.Manifests, req.Files, req.Lenient = src.world, files, src.lenient
	}
	return req
}

// completeNetpol reads the namespace of names without one: -n, else
// (against a cluster) the kubeconfig's, and builds the clients. Offline,
// the kubeconfig is never read.
func (g *GlobalOptions) completeNetpol(local bool, namespace *string, clients *kube.Clients) error {
	if !local {
		return g.completeCluster(namespace, clients)
	}
	*namespace = "default"
	if ns := g.ConfigFlags.Namespace; ns != nil && *ns != "" {
		*namespace = *ns
	}
	return nil
}
