package plugin

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

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
	Ports    []string
	Protocol string
	Local    bool
	Lenient  bool
	WhatIf   bool
	// Filenames are every -f, Kustomizations every -k; with --local, the
	// Changed ones are those given after --what-if (the manifests after
	// the change).
	Filenames             []string
	ChangedFilenames      []string
	Kustomizations        []string
	ChangedKustomizations []string
	Recursive             bool

	// portFlag tells --port '' (given, empty) from no --port.
	portFlag *pflag.Flag
}

// AddFlags binds the flags.
func (f *NetpolSourceFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&f.Ports, "port", nil, "Destination port to check: a number or a container port name, optionally /udp or /sctp (repeatable; default: every port the destination declares)")
	f.portFlag = fs.Lookup("port")
	fs.StringVar(&f.Protocol, "protocol", "", "Protocol of --port, or the only declared ports to check: TCP, UDP or SCTP (default TCP for --port, every protocol otherwise)")
	f.addManifestFlags(fs)
	fs.BoolVar(&f.WhatIf, "what-if", false, "Simulate adding the policies of -f to the cluster's (same namespace and name replaces) and show which flows change; with --local, compare the manifests of -f before --what-if with those of -f after it")
}

// addManifestFlags binds where the policies come from: --local, --lenient
// and -f.
func (f *NetpolSourceFlags) addManifestFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&f.Local, "local", false, "Judge the manifests given with -f only, without any cluster (no kubeconfig needed)")
	fs.BoolVar(&f.Lenient, "lenient", false, "With --local: a policy the API server would reject only warns (NP002) instead of failing the run")
	fs.VarP(&orderedPaths{f, &f.Filenames, &f.ChangedFilenames}, "filename", "f", "Manifest file or directory (YAML or JSON, multi-document, Lists; - for stdin) for --local or --what-if (repeatable)")
	fs.VarP(&orderedPaths{f, &f.Kustomizations, &f.ChangedKustomizations}, "kustomize", "k", "Kustomization directory to build (as kubectl apply -k; remote bases are refused), instead of -f")
	fs.BoolVarP(&f.Recursive, "recursive", "R", false, "Read the subdirectories of -f directories too")
}

// orderedPaths is -f or -k. It records the paths given after --what-if
// apart, which is how --local --what-if tells the base manifests from the
// changed ones: pflag sets flags in the order they are given.
type orderedPaths struct {
	f            *NetpolSourceFlags
	all, changed *[]string
}

func (v *orderedPaths) Set(s string) error {
	paths, err := csv.NewReader(strings.NewReader(s)).Read()
	if err != nil {
		return fmt.Errorf("reading %q: %w", s, err)
	}
	*v.all = append(*v.all, paths...)
	if v.f.WhatIf {
		*v.changed = append(*v.changed, paths...)
	}
	return nil
}

func (v *orderedPaths) Type() string { return "strings" }

func (v *orderedPaths) String() string { return "[" + strings.Join(*v.all, ",") + "]" }

// manifestSet is one side of the manifests: files and directories, or one
// kustomization.
type manifestSet struct {
	files     []string
	kustomize string
}

func (m manifestSet) empty() bool { return len(m.files) == 0 && m.kustomize == "" }

// names are the paths, for messages.
func (m manifestSet) names() []string {
	if m.kustomize != "" {
		return []string{m.kustomize}
	}
	return m.files
}

// set builds one side from the paths of -f and -k, refusing both at once
// (as kubectl does) and more than one kustomization.
func set(files, kustomizations []string, side string) (manifestSet, error) {
	switch {
	case len(kustomizations) > 1:
		return manifestSet{}, fmt.Errorf("-k builds one kustomization%s: give one directory (it may list others as resources)", side)
	case len(kustomizations) == 1 && len(files) > 0:
		return manifestSet{}, fmt.Errorf("give -f or -k%s, not both", side)
	case len(kustomizations) == 1:
		return manifestSet{kustomize: kustomizations[0]}, nil
	}
	return manifestSet{files: files}, nil
}

// netpolSource is the validated flags.
type netpolSource struct {
	ports    []netpol.Port
	protocol corev1.Protocol
	local    bool
	lenient  bool
	whatIf   *netpol.WhatIf
	// world and base are the manifests judged (--local).
	world *manifest.Result
	base  manifestSet
}

// Validate checks the flags and reads the manifests, before any request.
func (f *NetpolSourceFlags) validate(ns string, stdin io.Reader) (*netpolSource, error) {
	src := &netpolSource{local: f.Local, lenient: f.Lenient}
	base, err := set(f.Filenames[:len(f.Filenames)-len(f.ChangedFilenames)], f.Kustomizations[:len(f.Kustomizations)-len(f.ChangedKustomizations)], "")
	if err != nil {
		return nil, err
	}
	changed, err := set(f.ChangedFilenames, f.ChangedKustomizations, " after --what-if")
	if err != nil {
		return nil, err
	}
	if !f.Local || !f.WhatIf {
		// One set: every path, wherever --what-if stands.
		if base, err = set(f.Filenames, f.Kustomizations, ""); err != nil {
			return nil, err
		}
	}
	given := len(f.Filenames) > 0 || len(f.Kustomizations) > 0
	switch {
	case f.Local && f.WhatIf && (base.empty() || changed.empty()):
		return nil, errors.New("--local --what-if compares two sets of manifests: give the base with -f before --what-if and the changed ones with -f after it (-f base/ --what-if -f changed/)")
	case (f.Local || f.WhatIf) && !given:
		return nil, errors.New("--local and --what-if read manifests: pass -f FILE, -f DIR or -k DIR")
	case f.Lenient && !f.Local:
		return nil, errors.New("--lenient is for --local: against a cluster, a rejected policy cannot exist")
	case !f.Local && !f.WhatIf && given:
		return nil, errors.New("-f and -k are for --local (judge manifests without a cluster) or --what-if (simulate them against the cluster): add one")
	case f.Recursive && len(f.Filenames) == 0:
		return nil, errors.New("-R reads the subdirectories of -f directories: give -f DIR")
	}
	defaultProto := corev1.ProtocolTCP
	if f.Protocol != "" {
		p, err := netpol.ParseProtocol(f.Protocol)
		if err != nil {
			return nil, fmt.Errorf("--protocol: %w", err)
		}
		src.protocol, defaultProto = p, p
	}
	emptyPort := errors.New("--port is empty: give a number or a container port name (80, http, 53/udp), or leave it out to check every declared port")
	if f.portFlag != nil && f.portFlag.Changed && len(f.Ports) == 0 {
		return nil, emptyPort
	}
	for _, s := range f.Ports {
		if strings.TrimSpace(s) == "" {
			return nil, emptyPort
		}
		p, err := netpol.ParsePort(s, defaultProto)
		if err != nil {
			return nil, fmt.Errorf("--port: %w", err)
		}
		if f.Protocol != "" && p.Protocol != src.protocol {
			// "53/udp --protocol TCP": which one was meant?
			return nil, fmt.Errorf("--port %s names protocol %s but --protocol is %s: give one", s, p.Protocol, src.protocol)
		}
		src.ports = append(src.ports, p)
	}
	load := func(m manifestSet) (*manifest.Result, error) {
		opts := manifest.Options{DefaultNamespace: ns, Stdin: stdin, Recursive: f.Recursive}
		var res *manifest.Result
		var err error
		if m.kustomize != "" {
			res, err = manifest.LoadKustomization(m.kustomize, opts)
		} else {
			res, err = manifest.Load(m.files, opts)
		}
		if err != nil {
			return nil, fmt.Errorf("reading manifests: %w", err)
		}
		return res, nil
	}
	switch {
	case f.Local:
		src.base = base
		if src.world, err = load(base); err != nil {
			return nil, err
		}
		if f.WhatIf {
			res, err := load(changed)
			if err != nil {
				return nil, err
			}
			src.whatIf = netpol.NewOfflineWhatIf(changed.names(), res, f.Lenient)
		}
	case f.WhatIf:
		res, err := load(base)
		if err != nil {
			return nil, err
		}
		src.whatIf = netpol.NewWhatIf(base.names(), res)
	}
	return src, nil
}

// request is the part of a netpol Request the flags give.
func (src *netpolSource) request() netpol.Request {
	req := netpol.Request{Ports: src.ports, Protocol: src.protocol, WhatIf: src.whatIf}
	if src.local {
		req.Manifests, req.Files, req.Kustomize, req.Lenient = src.world, src.base.names(), src.base.kustomize != "", src.lenient
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
