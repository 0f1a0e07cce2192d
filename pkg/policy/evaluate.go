package policy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// endpoint is a flow endpoint resolved against the snapshot.
type endpoint struct {
	// pod is an index in Engine.pods, or -1 for an IP endpoint.
	pod int
	// ip is set for IP endpoints; it is invalid when unknown (a hostNetwork
	// pod without a known node IP, seen as its node).
	ip netip.Addr
}

func (e *Engine) endpointText(ep endpoint) string {
	if ep.pod >= 0 {
		return "pod " + e.pods[ep.pod].ref.String()
	}
	if ep.ip.IsValid() {
		return "IP " + ep.ip.String()
	}
	return "an IP that is not known"
}

// flowCtx is a normalized flow.
type flowCtx struct {
	src, dst endpoint
	proto    corev1.Protocol
	port     int32
	// explain asks for the explanations; the fast path (Decide, Matrix)
	// leaves it false and builds no text.
	explain bool
}

// outcome is the set of results a side may have: one bit means decided,
// both mean Undecided.
type outcome uint8

const (
	outAllow outcome = 1 << iota
	outDeny
)

func (o outcome) result() Result {
	switch o {
	case outAllow:
		return Allowed
	case outDeny:
		return Denied
	default:
		return Undecided
	}
}

func combine(egress, ingress Result) Result {
	switch {
	case egress == Denied || ingress == Denied:
		return Denied
	case egress == Allowed && ingress == Allowed:
		return Allowed
	default:
		return Undecided
	}
}

// Evaluate decides a flow and explains the decision.
func (e *Engine) Evaluate(f Flow) Verdict {
	v := Verdict{Flow: f}
	ctx, caveats, err := e.normalize(f, true)
	v.Caveats = caveats
	v.Port = ResolvedPort{Protocol: ctx.proto, Number: ctx.port}
	if f.Port.Type == intstr.String {
		v.Port.Name = f.Port.StrVal
	}
	if err != nil {
		v.Result = Undecided
		v.Reason = "undecided: " + err.Error()
		v.Egress = SideVerdict{Direction: Egress, Result: Undecided, Reason: err.Error()}
		v.Ingress = SideVerdict{Direction: Ingress, Result: Undecided, Reason: err.Error()}
		return v
	}
	v.Egress = e.sideVerdict(Egress, &ctx)
	v.Ingress = e.sideVerdict(Ingress, &ctx)
	v.Result = combine(v.Egress.Result, v.Ingress.Result)
	v.Allowed = v.Result == Allowed
	if ctx.src.pod < 0 && ctx.dst.pod < 0 {
		v.Caveats = append(v.Caveats, Caveat{CaveatNeitherEndpointPod, "neither endpoint is a pod of the snapshot: no cluster network policy applies"})
	}
	if alt, ok := e.hostNetworkAlternative(ctx); ok {
		v.IfHostNetworkIgnored = alt
		msg := "a hostNetwork pod is involved: NetworkPolicy behaviour for hostNetwork pods is implementation-defined; most network plugins ignore them in selectors and treat their traffic as their node's"
		if alt != v.Result {
			msg += fmt.Sprintf("; under that interpretation the result would be %s, not %s", alt, v.Result)
		} else {
			msg += "; the result is the same under that interpretation"
		}
		v.Caveats = append(v.Caveats, Caveat{CaveatHostNetwork, msg})
	}
	v.Reason = e.verdictReason(&v, &ctx)
	return v
}

// Decide returns only the result of a flow; it builds no explanation and is
// the fast path for matrices. It agrees with Evaluate(f).Result.
func (e *Engine) Decide(f Flow) Result {
	ctx, _, err := e.normalize(f, false)
	if err != nil {
		return Undecided
	}
	return e.decide(&ctx)
}

func (e *Engine) decide(ctx *flowCtx) Result {
	eg := e.sideOutcome(1, ctx, nil)
	if eg == outDeny {
		return Denied
	}
	return combine(eg.result(), e.sideOutcome(0, ctx, nil).result())
}

// normalize resolves the flow's endpoints, protocol and port.
func (e *Engine) normalize(f Flow, explain bool) (flowCtx, []Caveat, error) {
	ctx := flowCtx{proto: protocolOrTCP(f.Protocol), explain: explain}
	var caveats []Caveat
	if !validProtocol(ctx.proto) {
		return ctx, nil, fmt.Errorf("protocol %q: NetworkPolicy only defines TCP, UDP and SCTP", f.Protocol)
	}
	var err error
	if ctx.src, err = e.resolveEndpoint(f.Src, "source", &caveats, explain); err != nil {
		return ctx, caveats, err
	}
	if ctx.dst, err = e.resolveEndpoint(f.Dst, "destination", &caveats, explain); err != nil {
		return ctx, caveats, err
	}
	switch f.Port.Type {
	case intstr.Int:
		if f.Port.IntVal < 1 || f.Port.IntVal > 65535 {
			return ctx, caveats, fmt.Errorf("port %d is out of range 1-65535", f.Port.IntVal)
		}
		ctx.port = f.Port.IntVal
	case intstr.String:
		if n, convErr := strconv.Atoi(f.Port.StrVal); convErr == nil {
			return ctx, caveats, fmt.Errorf("port %q is a number given as a name; pass it as a number", strconv.Itoa(n))
		}
		if ctx.dst.pod < 0 {
			return ctx, caveats, fmt.Errorf("named port %q cannot be resolved: the destination is not a pod", f.Port.StrVal)
		}
		dst := &e.pods[ctx.dst.pod]
		var found []int32
		for _, cp := range dst.namedPorts[f.Port.StrVal] {
			if cp.Protocol == ctx.proto {
				found = append(found, cp.Number)
			}
		}
		switch {
		case len(found) == 0:
			return ctx, caveats, fmt.Errorf("pod %s declares no %s port named %q", dst.ref, ctx.proto, f.Port.StrVal)
		case len(found) > 1 && !allEqual(found):
			return ctx, caveats, fmt.Errorf("pod %s declares several %s ports named %q", dst.ref, ctx.proto, f.Port.StrVal)
		}
		ctx.port = found[0]
	}
	return ctx, caveats, nil
}

func allEqual(xs []int32) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return true
}

func (e *Engine) resolveEndpoint(ep Endpoint, role string, caveats *[]Caveat, explain bool) (endpoint, error) {
	if ep.IsPod() {
		i, ok := e.podByRef[ep.Pod]
		if !ok {
			return endpoint{pod: -1}, fmt.Errorf("%s pod %s is not in the snapshot", role, ep.Pod)
		}
		p := &e.pods[i]
		if explain && p.terminal {
			*caveats = append(*caveats, Caveat{CaveatNotRunning, fmt.Sprintf("%s pod %s has finished (phase %s): it sends and receives nothing", role, p.ref, p.pod.Status.Phase)})
		}
		if explain && e.namespaces[p.ns].implicit {
			*caveats = append(*caveats, Caveat{CaveatImplicitNamespace, fmt.Sprintf("namespace %s of %s pod %s is not in the snapshot: only its name label is known, namespaceSelectors may match differently in the cluster", p.ref.Namespace, role, p.ref)})
		}
		return endpoint{pod: i}, nil
	}
	if !ep.IP.IsValid() {
		return endpoint{pod: -1}, fmt.Errorf("%s has neither a pod nor an IP", role)
	}
	ip := ep.IP.Unmap()
	if i, ok := e.podByIP[ip]; ok {
		if i == ambiguousPod {
			return endpoint{pod: -1}, fmt.Errorf("%s IP %s belongs to several running pods in the snapshot", role, ip)
		}
		if explain {
			*caveats = append(*caveats, Caveat{CaveatIPIsPod, fmt.Sprintf("%s IP %s is the IP of pod %s: evaluated as that pod", role, ip, e.pods[i].ref)})
		}
		return endpoint{pod: i}, nil
	}
	if explain {
		msg := fmt.Sprintf("%s IP %s is not a pod of the snapshot: ", role, ip)
		if e.nodeIPs[ip] {
			msg += "it is a node IP (hostNetwork pods and the kubelet use it)"
		} else if role == "source" {
			msg += "traffic from outside the pod network may be source-NATed (LoadBalancer, NodePort) before NetworkPolicy sees it, and ipBlock is evaluated on the address the plugin sees"
		} else {
			msg += "if it is a Service IP, policies see the backend pod after DNAT: evaluate against the backend pod instead; whether egress to IPs that are rewritten is subject to ipBlock is implementation-defined"
		}
		*caveats = append(*caveats, Caveat{CaveatExternalIP, msg})
	}
	return endpoint{pod: -1, ip: ip}, nil
}

// hostNetworkAlternative re-decides the flow with every hostNetwork pod
// endpoint replaced by its node's IP, which is how most plugins see them.
func (e *Engine) hostNetworkAlternative(ctx flowCtx) (Result, bool) {
	changed := false
	for _, ep := range []*endpoint{&ctx.src, &ctx.dst} {
		if ep.pod < 0 || !e.pods[ep.pod].hostNetwork {
			continue
		}
		p := &e.pods[ep.pod]
		ip := p.hostIP
		if !ip.IsValid() && len(p.ips) > 0 {
			ip = p.ips[0]
		}
		*ep = endpoint{pod: -1, ip: ip}
		changed = true
	}
	if !changed {
		return "", false
	}
	ctx.explain = false
	return e.decide(&ctx), true
}

func (e *Engine) verdictReason(v *Verdict, ctx *flowCtx) string {
	src, dst := e.endpointText(ctx.src), e.endpointText(ctx.dst)
	port := fmt.Sprintf("%s %d", ctx.proto, ctx.port)
	switch v.Result {
	case Allowed:
		return fmt.Sprintf("allowed: %s -> %s on %s: egress: %s; ingress: %s", src, dst, port, v.Egress.Reason, v.Ingress.Reason)
	case Denied:
		var parts []string
		if v.Egress.Result == Denied {
			parts = append(parts, "egress of "+src+": "+v.Egress.Reason)
		}
		if v.Ingress.Result == Denied {
			parts = append(parts, "ingress of "+dst+": "+v.Ingress.Reason)
		}
		return fmt.Sprintf("denied: %s -> %s on %s: %s", src, dst, port, strings.Join(parts, "; "))
	default:
		var parts []string
		if v.Egress.Result == Undecided {
			parts = append(parts, "egress of "+src+": "+v.Egress.Reason)
		}
		if v.Ingress.Result == Undecided {
			parts = append(parts, "ingress of "+dst+": "+v.Ingress.Reason)
		}
		return fmt.Sprintf("undecided: %s -> %s on %s: %s", src, dst, port, strings.Join(parts, "; "))
	}
}
