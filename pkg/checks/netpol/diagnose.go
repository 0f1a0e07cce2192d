package netpol

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/manifest"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

// Request is one netpol question: the policies of a pod (one endpoint), a
// flow (two endpoints), or the matrix of a scope (Matrix).
type Request struct {
	// Endpoints are SRC and DST as ParseEndpoint read them.
	Endpoints []Endpoint
	// Matrix asks for the truth table between the pods of Scope.
	Matrix bool
	// Scope are the matrix's namespaces; nil means all of them.
	Scope []string
	// Namespace is the namespace of names given without one.
	Namespace string
	// Ports to judge (default: every port the destination declares), and
	// the protocol of the declared ports to keep ("" keeps all).
	Ports    []Port
	Protocol corev1.Protocol
	// WhatIf simulates these policies added to the cluster's.
	WhatIf *WhatIf
	// Manifests, when set, are the whole world (--local): the cluster is
	// not contacted. Files name them in messages.
	Manifests *manifest.Result
	Files     []string
	// Kustomize: Files is the kustomization directory built (-k).
	Kustomize bool
	// Lenient: with Manifests, policies the API server would reject only
	// warn (NP002) instead of failing the run.
	Lenient bool
	// MaxPods bounds the matrix.
	MaxPods int
}

// Diagnose answers the question: from the manifests offline, else from
// what the cluster has for it. It returns an error when the question cannot
// be asked (a workload without a ready pod, an oversized matrix) or the API
// server cannot be reached.
func Diagnose(ctx context.Context, c kube.Clients, req Request) (*report.Report, error) {
	if req.Matrix {
		w, err := req.matrixWorld(ctx, c)
		if err != nil {
			return nil, err
		}
		return Matrix(ctx, w, MatrixRequest{Namespaces: req.Scope, Ports: req.Ports, Protocol: req.Protocol, WhatIf: req.WhatIf, MaxPods: req.MaxPods})
	}
	args := make([]Arg, len(req.Endpoints))
	var scope GatherRequest
	for i, ep := range req.Endpoints {
		a, pod, err := ep.resolve(ctx, c, req.Namespace, req.Manifests != nil)
		if err != nil {
			return nil, err
		}
		args[i] = a
		switch {
		case pod != nil:
			scope.Known = append(scope.Known, *pod)
		case a.IsIP():
			scope.IPs = append(scope.IPs, a.IP)
		default:
			scope.Pods = append(scope.Pods, a.Pod)
		}
	}
	w, err := req.world(ctx, c, scope)
	if err != nil {
		return nil, err
	}
	switch len(args) {
	case 1:
		return Describe(w, args[0].Pod), nil
	case 2:
		return Flow(w, FlowRequest{Src: args[0], Dst: args[1], Ports: req.Ports, Protocol: req.Protocol, WhatIf: req.WhatIf, Describe: req.describeCommand()})
	}
	return nil, fmt.Errorf("netpol judges one pod or a flow between two endpoints, got %d", len(args))
}

// world is the manifests offline, else what the cluster has for the scope.
func (req Request) world(ctx context.Context, c kube.Clients, scope GatherRequest) (*World, error) {
	if req.Manifests != nil {
		w := FromManifests(req.Files, req.Manifests)
		w.Lenient = req.Lenient
		for _, ip := range scope.IPs {
			FindIPOwners(w, ip)
		}
		return w, nil
	}
	return Gather(ctx, c.Typed, c.Dynamic, scope)
}

// matrixWorld is the manifests offline, else every pod of the scope.
func (req Request) matrixWorld(ctx context.Context, c kube.Clients) (*World, error) {
	if req.Manifests != nil {
		w := FromManifests(req.Files, req.Manifests)
		w.Lenient = req.Lenient
		return w, nil
	}
	list := req.Scope
	if list == nil {
		list = []string{""}
	}
	return Gather(ctx, c.Typed, c.Dynamic, GatherRequest{ListPodsIn: list})
}

// describeCommand is how to describe a pod from the same policies, with %s
// for the pod.
func (req Request) describeCommand() string {
	if req.Manifests == nil {
		return "kubectl netdebug netpol %s"
	}
	flag := " -f "
	if req.Kustomize {
		flag = " -k "
	}
	return "kubectl netdebug netpol %s --local" + flag + strings.Join(req.Files, flag)
}

// Endpoint is a SRC or DST argument before it is resolved: a pod, a
// workload or an IP address.
type Endpoint struct {
	text string
	ip   netip.Addr
	ref  target.Ref
}

// IsIP reports whether the endpoint is an IP address.
func (e Endpoint) IsIP() bool { return e.ip.IsValid() }

// ParseEndpoint reads POD, NS/POD, KIND/NAME, NS/KIND/NAME or an IP.
func ParseEndpoint(s string) (Endpoint, error) {
	if ip, ok := ParseIP(s); ok {
		return Endpoint{text: s, ip: ip}, nil
	}
	ref, err := target.Parse(s)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%w (or an IPv4/IPv6 address)", err)
	}
	return Endpoint{text: s, ref: ref}, nil
}

// resolve turns an argument into an engine endpoint. A workload stands for
// one of its pods: against a cluster a ready one, as kubectl exec picks it;
// offline the pod the manifest loader names after the workload.
func (e Endpoint) resolve(ctx context.Context, c kube.Clients, ns string, local bool) (Arg, *corev1.Pod, error) {
	if e.IsIP() {
		return Arg{Text: e.text, IP: e.ip}, nil, nil
	}
	podNS := e.ref.Namespace
	if podNS == "" {
		podNS = ns
	}
	if e.ref.Kind == "pod" || local {
		return Arg{Text: e.text, Pod: policy.PodRef{Namespace: podNS, Name: e.ref.Name}}, nil, nil
	}
	pod, err := target.Resolve(ctx, c.Typed, e.ref, ns)
	if err != nil {
		return Arg{}, nil, fmt.Errorf("%s: %w", e.text, err)
	}
	return Arg{Text: e.text, Pod: policy.PodRef{Namespace: pod.Namespace, Name: pod.Name}}, pod, nil
}
