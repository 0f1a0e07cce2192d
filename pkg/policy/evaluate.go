package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// endpoint is a flow endpoint resolved against the snapshot.
type endpoint struct {
	// pod is an index in Engine.pods, or -1 for an IP endpoint.
	pod int
	// ip is the address the flow names: an IP endpoint's, or that of a pod
	// named by one of its IPs. It is invalid for a pod named by name, and
	// for an IP endpoint whose address is unknown (a hostNetwork pod seen as
	// its node when the node's address of the flow's family is not known).
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
	// fam is the address family being judged (famV4 or famV6); famDep
	// records that a match depended on it, so that a flow that may use
	// either family is judged in the other one too.
	fam    uint8
	famDep bool
	// peerExact[d] says that the peers' pod bitsets settle every match
	// against the other endpoint of side d (the source for ingress, 0;
	// the destination for egress, 1): a pod with one IP whose namespace
	// labels are known. Set by setBits.
	peerExact [2]bool
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

// prepareEvaluation records what evaluation needs beyond the indexes:
// which namespaces have unknown labels, and each pod's address families
// and node addresses.
func (e *Engine) prepareEvaluation(s Snapshot) {
	for i := range e.namespaces {
		ns := &e.namespaces[i]
		ns.labelsUnknown = ns.implicit && !e.namespacesComplete
	}
	for i := range e.pods {
		p := &e.pods[i]
		p.fams = familiesOf(p.ips)
		if p.hostIP.IsValid() {
			p.hostIPs = append(p.hostIPs, p.hostIP)
		}
		for _, h := range p.pod.Status.HostIPs {
			if ip, err := netip.ParseAddr(h.IP); err == nil && !slices.Contains(p.hostIPs, ip.Unmap()) {
				p.hostIPs = append(p.hostIPs, ip.Unmap())
				e.nodeIPs[ip.Unmap()] = true
			}
		}
		p.nsLabelsUnknown = e.namespaces[p.ns].labelsUnknown
		bits := p.fams
		if p.hostNetwork {
			bits |= podHostNetwork
		}
		if len(p.ips) != 1 || p.nsLabelsUnknown {
			// The peer bitsets do not settle every match: several
			// IPs or none, or unknown namespace labels.
			bits |= podSlowPeer
		}
		e.podBits = append(e.podBits, bits)
	}
}

// Bits of Engine.podBits besides the families.
const (
	podHostNetwork uint8 = 4 << iota
	podSlowPeer
)

// nodeAddr is the address of a pod's node in family fam, as a plugin that
// treats hostNetwork traffic as the node's sees it; invalid when unknown.
func (p *podInfo) nodeAddr(fam uint8) netip.Addr {
	for _, ip := range p.hostIPs {
		if familyOf(ip) == fam {
			return ip
		}
	}
	if p.hostNetwork {
		// A hostNetwork pod's IPs are its node's.
		for _, ip := range p.ips {
			if familyOf(ip) == fam {
				return ip
			}
		}
	}
	return netip.Addr{}
}

// famVerdict is the verdict of a flow in one address family (or, after
// mergeFamilies, in both).
type famVerdict struct {
	egress, ingress SideVerdict
	// primary is the result under the API text's reading of hostNetwork
	// pods, alt (when hasAlt) the result when they are taken as their
	// node; result is Undecided when the two differ.
	primary, alt, result Result
	hasAlt               bool
	// detail is the reason after "result: src -> dst on port: ".
	detail  string
	caveats []Caveat
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
	ctx.setBits(e.endpointBits(ctx.src), e.endpointBits(ctx.dst))
	fams := e.flowFamilies(&ctx)
	ctx.fam, ctx.famDep = famV4, false
	if fams == famV6 {
		ctx.fam = famV6
	}
	fv := e.evaluateFamily(&ctx)
	if fams == famBoth && ctx.famDep {
		ctx.fam = famV6
		fv = e.mergeFamilies(&ctx, fv, e.evaluateFamily(&ctx))
	}
	v.Egress, v.Ingress, v.Result = fv.egress, fv.ingress, fv.result
	v.Allowed = v.Result == Allowed
	v.Caveats = append(v.Caveats, fv.caveats...)
	if ctx.src.pod < 0 && ctx.dst.pod < 0 {
		v.Caveats = append(v.Caveats, Caveat{CaveatNeitherEndpointPod, "neither endpoint is a pod of the snapshot: no cluster network policy applies"})
	}
	if fv.hasAlt {
		v.IfHostNetworkIgnored = fv.alt
		msg := "a hostNetwork pod is involved: NetworkPolicy behaviour for hostNetwork pods is implementation-defined; most network plugins ignore them in selectors and treat their traffic as their node's"
		switch {
		case fv.alt == fv.primary:
			msg += "; the result is the same under that interpretation"
		case fv.primary == Undecided:
			msg += fmt.Sprintf("; under that interpretation the result would be %s", fv.alt)
		default:
			msg += fmt.Sprintf("; under that interpretation the result would be %s, under the API text %s: undecided until you know which your plugin does", fv.alt, fv.primary)
		}
		v.Caveats = append(v.Caveats, Caveat{CaveatHostNetwork, msg})
	}
	v.Reason = fmt.Sprintf("%s: %s -> %s on %s %d: %s", strings.ToLower(string(v.Result)), e.endpointText(ctx.src), e.endpointText(ctx.dst), ctx.proto, ctx.port, fv.detail)
	return v
}

// evaluateFamily explains the flow in the family ctx.fam.
func (e *Engine) evaluateFamily(ctx *flowCtx) famVerdict {
	var fv famVerdict
	fv.egress = e.sideVerdict(Egress, ctx)
	fv.ingress = e.sideVerdict(Ingress, ctx)
	fv.primary = combine(fv.egress.Result, fv.ingress.Result)
	fv.result = fv.primary
	fv.detail = e.sidesDetail(fv.primary, &fv.egress, &fv.ingress, ctx)
	alt, hasAlt := e.hostNetworkCtx(ctx)
	if !hasAlt {
		return fv
	}
	fv.hasAlt, fv.alt = true, e.decideSides(&alt)
	if fv.primary != Undecided && fv.alt != fv.primary {
		fv.result = Undecided
		e.markHostNetworkSide(&fv.egress, 1, &alt)
		e.markHostNetworkSide(&fv.ingress, 0, &alt)
		fv.detail = fmt.Sprintf("a hostNetwork pod is involved and implementations disagree on such pods: under the NetworkPolicy API text (hostNetwork pods are selected and isolated like other pods) the result is %s (%s); under the reading most network plugins implement (a hostNetwork pod's traffic is its node's) it is %s",
			fv.primary, fv.detail, fv.alt)
	}
	return fv
}

// mergeFamilies joins the verdicts of a flow that may use IPv4 (a) or IPv6
// (b): the same result in both is the result, otherwise it is Undecided and
// each side that differs is merged.
func (e *Engine) mergeFamilies(ctx *flowCtx, a, b famVerdict) famVerdict {
	why := e.whyBothFamilies(ctx)
	m := a
	if a.hasAlt && b.alt != a.alt {
		m.alt = Undecided
	}
	if b.primary != a.primary {
		m.primary = Undecided
	}
	if a.result == b.result {
		if a.detail != b.detail {
			m.detail = fmt.Sprintf("over IPv4: %s; over IPv6: %s", a.detail, b.detail)
		}
		if a.egress.Result == b.egress.Result && a.ingress.Result == b.ingress.Result {
			m.egress = mergeSides(a.egress, b.egress)
			m.ingress = mergeSides(a.ingress, b.ingress)
		}
		m.caveats = append(m.caveats, Caveat{CaveatDualStack, fmt.Sprintf("%s, and ipBlocks and networks match addresses per family: the result is %s over both", why, a.result)})
		return m
	}
	m.result = Undecided
	m.egress = mergeSides(a.egress, b.egress)
	m.ingress = mergeSides(a.ingress, b.ingress)
	m.detail = fmt.Sprintf("the result depends on the address family of the connection (%s): over IPv4 it is %s (%s); over IPv6 it is %s (%s)",
		why, a.result, a.detail, b.result, b.detail)
	m.caveats = append(m.caveats, Caveat{CaveatDualStack, fmt.Sprintf("%s: the result is %s over IPv4 and %s over IPv6", why, a.result, b.result)})
	return m
}

// mergeSides joins one side's verdicts over IPv4 (a) and IPv6 (b). Allowed
// in both, AllowedBy keeps the rules that allow in both (any one suffices),
// or when no rule does, every rule with the family it allows in. Other
// lists (misses, admin matches) are IPv4's.
func mergeSides(a, b SideVerdict) SideVerdict {
	if a.Result == b.Result && a.Reason == b.Reason {
		return a
	}
	m := a
	if a.Result != b.Result {
		m.Result, m.DecidedBy = Undecided, LayerNone
	}
	m.Reason = fmt.Sprintf("over IPv4: %s; over IPv6: %s", a.Reason, b.Reason)
	for _, c := range b.Caveats {
		m.Caveats = appendOnce(m.Caveats, c)
	}
	if a.Result == Allowed && b.Result == Allowed {
		m.AllowedBy = nil
		for _, x := range a.AllowedBy {
			if slices.ContainsFunc(b.AllowedBy, func(y RuleMatch) bool { return y.Policy == x.Policy && y.Rule == x.Rule }) {
				m.AllowedBy = append(m.AllowedBy, x)
			}
		}
		if len(m.AllowedBy) == 0 {
			for _, x := range a.AllowedBy {
				x.Reason = "over IPv4: " + x.Reason
				m.AllowedBy = append(m.AllowedBy, x)
			}
			for _, y := range b.AllowedBy {
				y.Reason = "over IPv6: " + y.Reason
				m.AllowedBy = append(m.AllowedBy, y)
			}
		}
	}
	return m
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

// decide judges the flow in each family it may use: a flow that may use
// IPv4 or IPv6 is judged in IPv6 too only when the IPv4 answer depended on
// the family, and is Undecided when the two differ.
func (e *Engine) decide(ctx *flowCtx) Result {
	return e.decideBits(ctx, e.endpointBits(ctx.src), e.endpointBits(ctx.dst))
}

// setBits records on ctx what the endpoints' bits (endpointBits) say.
func (ctx *flowCtx) setBits(sb, db uint8) {
	ctx.peerExact[0] = ctx.src.pod >= 0 && sb&podSlowPeer == 0
	ctx.peerExact[1] = ctx.dst.pod >= 0 && db&podSlowPeer == 0
}

// decideBits is decide given the endpoints' bits, which the matrix computes
// once per pod.
func (e *Engine) decideBits(ctx *flowCtx, sb, db uint8) Result {
	ctx.setBits(sb, db)
	hostNetwork := (sb|db)&podHostNetwork != 0
	switch fams := sb & db & famBoth; fams {
	case famV4, famV6:
		// The common case, spelled out: one family.
		ctx.fam = fams
		r := e.decideSides(ctx)
		if r == Undecided || !hostNetwork {
			return r
		}
		if alt, ok := e.hostNetworkAlternative(ctx); ok && alt != r {
			return Undecided
		}
		return r
	case 0:
		return Undecided
	default:
		ctx.fam, ctx.famDep = famV4, false
		r := e.decideFamily(ctx, hostNetwork)
		if r == Undecided || !ctx.famDep {
			return r
		}
		ctx.fam = famV6
		if e.decideFamily(ctx, hostNetwork) != r {
			return Undecided
		}
		return r
	}
}

// decideFamily judges the flow in ctx.fam, under both readings of
// hostNetwork pods when one is an endpoint; it is Undecided when they
// differ.
func (e *Engine) decideFamily(ctx *flowCtx, hostNetwork bool) Result {
	r := e.decideSides(ctx)
	if r == Undecided || !hostNetwork {
		return r
	}
	if alt, ok := e.hostNetworkAlternative(ctx); ok && alt != r {
		return Undecided
	}
	return r
}

func (e *Engine) decideSides(ctx *flowCtx) Result {
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
	if e.flowFamilies(&ctx) == 0 {
		return ctx, caveats, e.noCommonFamily(&ctx)
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
			msg := fmt.Sprintf("namespace %s of %s pod %s is not in the snapshot: only its name label is known, namespaceSelectors may match differently in the cluster", p.ref.Namespace, role, p.ref)
			if p.nsLabelsUnknown {
				msg = fmt.Sprintf("namespace %s of %s pod %s is not declared: only its label %s=%s is known, so a namespaceSelector on any other label cannot be decided for the pod", p.ref.Namespace, role, p.ref, metadataNameLabel, p.ref.Namespace)
			}
			*caveats = append(*caveats, Caveat{CaveatImplicitNamespace, msg})
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
		return endpoint{pod: i, ip: ip}, nil
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

// hostNetworkAlternative re-decides the flow in ctx.fam with every
// hostNetwork pod endpoint replaced by its node's address, which is how most
// plugins see them.
func (e *Engine) hostNetworkAlternative(ctx *flowCtx) (Result, bool) {
	alt, ok := e.hostNetworkCtx(ctx)
	if !ok {
		return "", false
	}
	return e.decideSides(&alt), true
}

// hostNetworkCtx is the flow with every hostNetwork pod endpoint replaced
// by its node's address of the family ctx.fam; false when no endpoint is a
// hostNetwork pod.
func (e *Engine) hostNetworkCtx(ctx *flowCtx) (flowCtx, bool) {
	src, dst := ctx.src, ctx.dst
	srcHost := src.pod >= 0 && e.podBits[src.pod]&podHostNetwork != 0
	dstHost := dst.pod >= 0 && e.podBits[dst.pod]&podHostNetwork != 0
	if !srcHost && !dstHost {
		return flowCtx{}, false
	}
	alt := *ctx
	alt.explain = false
	if srcHost {
		alt.src = endpoint{pod: -1, ip: e.pods[src.pod].nodeAddr(ctx.fam)}
		alt.peerExact[0] = false
	}
	if dstHost {
		alt.dst = endpoint{pod: -1, ip: e.pods[dst.pod].nodeAddr(ctx.fam)}
		alt.peerExact[1] = false
	}
	// The node address taken depends on the family.
	ctx.famDep = true
	return alt, true
}

// markHostNetworkSide makes a side that the two readings of hostNetwork
// pods decide differently Undecided, its reason giving both.
func (e *Engine) markHostNetworkSide(sv *SideVerdict, d int, alt *flowCtx) {
	other := e.sideOutcome(d, alt, nil).result()
	if other == sv.Result {
		return
	}
	sv.Reason = fmt.Sprintf("%s under the NetworkPolicy API text (%s); %s if the network plugin treats hostNetwork pods as their node, as most do",
		strings.ToLower(string(sv.Result)), sv.Reason, strings.ToLower(string(other)))
	sv.Result, sv.DecidedBy = Undecided, LayerNone
}

// sidesDetail explains a result from its sides: the part of a reason after
// "result: src -> dst on port: ".
func (e *Engine) sidesDetail(r Result, eg, in *SideVerdict, ctx *flowCtx) string {
	src, dst := e.endpointText(ctx.src), e.endpointText(ctx.dst)
	switch r {
	case Allowed:
		return fmt.Sprintf("egress: %s; ingress: %s", eg.Reason, in.Reason)
	case Denied:
		var parts []string
		if eg.Result == Denied {
			parts = append(parts, "egress of "+src+": "+eg.Reason)
		}
		if in.Result == Denied {
			parts = append(parts, "ingress of "+dst+": "+in.Reason)
		}
		return strings.Join(parts, "; ")
	default:
		var parts []string
		if eg.Result == Undecided {
			parts = append(parts, "egress of "+src+": "+eg.Reason)
		}
		if in.Result == Undecided {
			parts = append(parts, "ingress of "+dst+": "+in.Reason)
		}
		return strings.Join(parts, "; ")
	}
}
