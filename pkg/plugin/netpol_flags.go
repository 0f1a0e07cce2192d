package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/netdebug/kubectl-netdebug/pkg/checks/netpol"
	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/printers"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

// NetpolSourceFlags are the flags netpol SRC DST and netpol matrix share:
// the ports to check, and where the policies come from (the cluster, with
// --what-if additions, or manifests with --local).
type NetpolSourceFlags struct {
	Ports     []string
	Protocol  string
	Local     bool
	WhatIf    bool
	Filenames []string
}

// AddFlags binds the flags.
func (f *NetpolSourceFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&f.Ports, "port", nil, "destination port to check: a number or a container port name, optionally /udp or /sctp (repeatable; default: every port the destination declares)")
	fs.StringVar(&f.Protocol, "protocol", "", "protocol of --port, or the only declared ports to check: TCP, UDP or SCTP (default TCP for --port, every protocol otherwise)")
	fs.BoolVar(&f.Local, "local", false, "judge the manifests given with -f only, without any cluster (no kubeconfig needed)")
	fs.BoolVar(&f.WhatIf, "what-if", false, "simulate adding the policies of -f to the cluster's (same namespace and name replaces) and show which flows change")
	fs.StringSliceVarP(&f.Filenames, "filename", "f", nil, "manifest file or directory (YAML or JSON, multi-document, Lists; - for stdin) for --local or --what-if (repeatable)")
}

// netpolSource is the validated flags.
type netpolSource struct {
	ports    []netpol.Port
	protocol corev1.Protocol
	local    bool
	whatIf   *netpol.WhatIf
	world    *manifest.Result
}

// Validate checks the flags and reads the manifests, before any request.
func (f *NetpolSourceFlags) validate(ns string, stdin io.Reader) (*netpolSource, error) {
	src := &netpolSource{local: f.Local}
	switch {
	case f.Local && f.WhatIf:
		return nil, errors.New("--what-if simulates policies against a cluster; with --local, put the policies in the -f manifests (run twice to compare)")
	case (f.Local || f.WhatIf) && len(f.Filenames) == 0:
		return nil, errors.New("--local and --what-if read manifests: pass -f FILE or -f DIR")
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

// netpolNamespace is the namespace of names without one: -n, else (against a
// cluster) the kubeconfig's. Offline, the kubeconfig is never read.
func (g *GlobalOptions) netpolNamespace(local bool) (string, error) {
	if local {
		if ns := g.ConfigFlags.Namespace; ns != nil && *ns != "" {
			return *ns, nil
		}
		return "default", nil
	}
	return g.Namespace()
}

// netpolClients builds the clients for a cluster run.
func (g *GlobalOptions) netpolClients(client *kubernetes.Interface, dyn *dynamic.Interface) error {
	var err error
	if *client == nil {
		if *client, err = g.Clientset(); err != nil {
			return err
		}
	}
	if *dyn == nil {
		if *dyn, err = g.DynamicClient(); err != nil {
			return err
		}
	}
	return nil
}

// endpointArg is a SRC or DST argument before it is resolved.
type endpointArg struct {
	text string
	ip   netip.Addr
	ref  target.Ref
}

// parseEndpoint reads POD, NS/POD, KIND/NAME, NS/KIND/NAME or an IP.
func parseEndpoint(s string) (endpointArg, error) {
	if ip, ok := netpol.ParseIP(s); ok {
		return endpointArg{text: s, ip: ip}, nil
	}
	ref, err := target.Parse(s)
	if err != nil {
		return endpointArg{}, fmt.Errorf("%w (or an IPv4/IPv6 address)", err)
	}
	return endpointArg{text: s, ref: ref}, nil
}

// resolve turns an argument into an engine endpoint. A workload stands for
// one of its pods: against a cluster a ready one, as kubectl exec picks it;
// offline the pod the manifest loader names after the workload.
func (a endpointArg) resolve(ctx context.Context, client kubernetes.Interface, ns string, local bool) (netpol.Arg, *corev1.Pod, error) {
	if a.ip.IsValid() {
		return netpol.Arg{Text: a.text, IP: a.ip}, nil, nil
	}
	podNS := a.ref.Namespace
	if podNS == "" {
		podNS = ns
	}
	if a.ref.Kind == "pod" || local {
		return netpol.Arg{Text: a.text, Pod: policy.PodRef{Namespace: podNS, Name: a.ref.Name}}, nil, nil
	}
	pod, err := target.Resolve(ctx, client, a.ref, ns)
	if err != nil {
		return netpol.Arg{}, nil, fmt.Errorf("%s: %w", a.text, err)
	}
	return netpol.Arg{Text: a.text, Pod: policy.PodRef{Namespace: pod.Namespace, Name: pod.Name}}, pod, nil
}

// printNetpol renders a netpol result: the report, then for the human
// format the section the report model has no place for (rules, matrix).
func (g *GlobalOptions) printNetpol(res *netpol.Result) error {
	format, err := printers.ParseFormat(g.Output)
	if err != nil {
		return err
	}
	opts := printers.Options{Color: format == printers.Human && g.colorOn(g.Streams.Out), Verbose: klog.V(1).Enabled()}
	if err := printers.Print(g.Streams.Out, res.Report, format, opts); err != nil {
		return fmt.Errorf("printing the report: %w", err)
	}
	if format == printers.Human && res.Details != "" {
		if _, err := fmt.Fprint(g.Streams.Out, "\n"+res.Details); err != nil {
			return fmt.Errorf("printing the report: %w", err)
		}
	}
	if code := res.Report.Verdict.Outcome.ExitCode(); code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}
