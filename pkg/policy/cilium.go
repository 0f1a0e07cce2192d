package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Cilium gives every pod an identity from its labels plus these (selectors
// may name a label with its source prefix, "k8s:" or "any:").
const (
	ciliumNamespaceLabel       = "io.kubernetes.pod.namespace"
	ciliumNamespaceLabelPrefix = "io.cilium.k8s.namespace.labels."
	ciliumServiceAccountLabel  = "io.cilium.k8s.policy.serviceaccount"
	ciliumClusterLabel         = "io.cilium.k8s.policy.cluster"
)

// ciliumRule is one compiled rule of a Cilium policy.
type ciliumRule struct {
	ref  PolicyRef
	spec int // index among the policy's rules
	// subject selects the endpoints the rule applies to; hostPolicy: a
	// nodeSelector rule, which applies to nodes (hostNetwork pods).
	subject    ciliumSelector
	hostPolicy bool
	allow      [2][]ciliumPeerRule
	deny       [2][]ciliumPeerRule
	// defaultDeny: per direction, selecting a pod puts it in default deny.
	defaultDeny [2]bool
	// selects holds the pods the subject selects or may select (a
	// selector on labels the snapshot does not know).
	selects podSet
}

// ciliumSelector is an endpoint selector with Cilium's keys: source
// prefixes removed, and for a namespaced policy the namespace it is scoped
// to (Cilium adds that requirement unless the selector names a namespace).
type ciliumSelector struct {
	sel selector
	// namespace is the implied namespace ("" for none).
	namespace string
	// unknown names what the selector reads that the snapshot cannot
	// tell (another source prefix, the cluster name).
	unknown string
	// nsLabels: the selector reads namespace labels.
	nsLabels bool
	// yes and maybe hold the pods it selects and may select (set by
	// linkCilium; ciliumSelects reads them).
	yes, maybe bitset
}

type ciliumPeerRule struct {
	index int
	// hasL3: some peer field is set; without one the rule selects every
	// peer when it has ports, and nothing when it has none (an empty rule
	// only turns default deny on).
	hasL3     bool
	endpoints []ciliumSelector
	entities  []string
	cidrs     []cidrSet
	nodes     []selector
	// undecidable lists the fields whose match the engine cannot judge
	// (FQDNs, services, cloud groups, requirements, CIDR groups,
	// authentication).
	undecidable []string
	// ports: nil means all ports; icmpOnly: the rule only has ICMP entries,
	// which no TCP/UDP/SCTP flow matches.
	ports    []ciliumPort
	icmpOnly bool
	errs     []string
}

type ciliumPort struct {
	portMatcher
	// l7 names the L7 filter (rules, serverNames, TLS, listener) that
	// decides requests on this port.
	l7 string
}

// compileCilium indexes the Cilium policies of the snapshot.
func (e *Engine) compileCilium(list []CiliumPolicy) {
	seen := map[PolicyRef]bool{}
	for i := range list {
		c := &list[i]
		ref := c.Ref()
		if seen[ref] {
			e.warn("DuplicateObject", ref, fmt.Sprintf("%s given twice: first one kept", ref))
			continue
		}
		seen[ref] = true
		for si := range c.Rules {
			r, err := compileCiliumRule(ref, si, &c.Rules[si])
			if err != nil {
				e.warn("InvalidPolicy", ref, fmt.Sprintf("%s rule %d ignored: %v", ref, si+1, err))
				continue
			}
			e.cilium = append(e.cilium, r)
		}
	}
}

func compileCiliumRule(ref PolicyRef, si int, r *CiliumRule) (ciliumRule, error) {
	out := ciliumRule{ref: ref, spec: si}
	switch {
	case r.EndpointSelector != nil && r.NodeSelector != nil, r.EndpointSelector == nil && r.NodeSelector == nil:
		return out, fmt.Errorf("the CRD wants exactly one of endpointSelector and nodeSelector")
	case r.NodeSelector != nil:
		out.hostPolicy = true
	default:
		out.subject = compileCiliumSelector(r.EndpointSelector, ref.Namespace)
		if out.subject.sel.err != nil {
			return out, out.subject.sel.err
		}
	}
	for d, sections := range [2][2][]CiliumPeerRule{{r.Ingress, r.IngressDeny}, {r.Egress, r.EgressDeny}} {
		for i := range sections[0] {
			out.allow[d] = append(out.allow[d], compileCiliumPeerRule(i, &sections[0][i], d, ref.Namespace))
		}
		for i := range sections[1] {
			out.deny[d] = append(out.deny[d], compileCiliumPeerRule(i, &sections[1][i], d, ref.Namespace))
		}
		out.defaultDeny[d] = len(sections[0])+len(sections[1]) > 0
	}
	if dd := r.EnableDefaultDeny; dd != nil {
		for d, v := range []*bool{dd.Ingress, dd.Egress} {
			if v != nil {
				out.defaultDeny[d] = *v
			}
		}
	}
	return out, nil
}

func compileCiliumSelector(ls *metav1.LabelSelector, namespace string) ciliumSelector {
	cs := ciliumSelector{}
	clean := &metav1.LabelSelector{}
	named := false
	key := func(k string) string {
		src, rest, ok := strings.Cut(k, ":")
		switch {
		case !ok:
			rest = k
		case src == "k8s" || src == "any":
		default:
			cs.unknown = fmt.Sprintf("label %q of source %q", rest, src)
		}
		switch {
		case rest == ciliumNamespaceLabel:
			named = true
		case rest == ciliumClusterLabel:
			cs.unknown = "the cluster name (" + ciliumClusterLabel + ")"
		case strings.HasPrefix(rest, ciliumNamespaceLabelPrefix):
			cs.nsLabels = true
		}
		return rest
	}
	for k, v := range ls.MatchLabels {
		if clean.MatchLabels == nil {
			clean.MatchLabels = map[string]string{}
		}
		clean.MatchLabels[key(k)] = v
	}
	for _, x := range ls.MatchExpressions {
		x.Key = key(x.Key)
		clean.MatchExpressions = append(clean.MatchExpressions, x)
	}
	if !named {
		cs.namespace = namespace
	}
	cs.sel = compileSelector(clean)
	return cs
}

func compileCiliumPeerRule(i int, r *CiliumPeerRule, d int, namespace string) ciliumPeerRule {
	out := ciliumPeerRule{index: i}
	endpoints, requires, cidr, cidrSet, entities, nodes := r.FromEndpoints, r.FromRequires, r.FromCIDR, r.FromCIDRSet, r.FromEntities, r.FromNodes
	opaque := map[string]bool{"fromGroups": present(r.FromGroups)}
	if d == 1 {
		endpoints, requires, cidr, cidrSet, entities, nodes = r.ToEndpoints, r.ToRequires, r.ToCIDR, r.ToCIDRSet, r.ToEntities, r.ToNodes
		opaque = map[string]bool{"toGroups": present(r.ToGroups), "toServices": present(r.ToServices), "toFQDNs": present(r.ToFQDNs)}
	}
	for name, set := range opaque {
		if set {
			out.hasL3 = true
			out.undecidable = append(out.undecidable, name)
		}
	}
	if len(requires) > 0 {
		out.undecidable = append(out.undecidable, []string{"fromRequires", "toRequires"}[d])
	}
	if present(r.Authentication) {
		out.undecidable = append(out.undecidable, "authentication")
	}
	for j := range endpoints {
		out.endpoints = append(out.endpoints, compileCiliumSelector(&endpoints[j], namespace))
	}
	out.entities = entities
	for _, c := range cidr {
		cs, err := parseCIDRSet(c, nil)
		if err != nil {
			out.errs = append(out.errs, err.Error())
			continue
		}
		out.cidrs = append(out.cidrs, cs)
	}
	for _, c := range cidrSet {
		if c.CIDR == "" {
			out.hasL3 = true
			out.undecidable = append(out.undecidable, "a CIDR group")
			continue
		}
		cs, err := parseCIDRSet(c.CIDR, c.Except)
		if err != nil {
			out.errs = append(out.errs, err.Error())
			continue
		}
		out.cidrs = append(out.cidrs, cs)
	}
	for j := range nodes {
		out.nodes = append(out.nodes, compileSelector(&nodes[j]))
	}
	out.hasL3 = out.hasL3 || len(endpoints)+len(entities)+len(cidr)+len(cidrSet)+len(nodes)+len(requires) > 0
	slices.Sort(out.undecidable)
	if len(r.ToPorts) == 0 {
		out.icmpOnly = present(r.ICMPs)
		return out
	}
	out.ports = []ciliumPort{}
	for _, pr := range r.ToPorts {
		l7 := ""
		for name, raw := range map[string][]byte{"L7 rules": pr.Rules, "serverNames": pr.ServerNames, "originatingTLS": pr.OriginatingTLS, "terminatingTLS": pr.TerminatingTLS, "listener": pr.Listener} {
			if present(raw) && string(raw) != "{}" {
				l7 = name
			}
		}
		if len(pr.Ports) == 0 {
			for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP} {
				out.ports = append(out.ports, ciliumPort{portMatcher{protocol: proto, anyPort: true}, l7})
			}
			continue
		}
		for _, p := range pr.Ports {
			ms, err := compileCiliumPort(p)
			if err != nil {
				out.errs = append(out.errs, err.Error())
				continue
			}
			for _, m := range ms {
				out.ports = append(out.ports, ciliumPort{m, l7})
			}
		}
	}
	return out
}

// present: an opaque field is set (JSON null is not).
func present(raw []byte) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// compileCiliumPort expands a port entry over the protocols it names.
func compileCiliumPort(p CiliumPort) ([]portMatcher, error) {
	var protos []corev1.Protocol
	switch strings.ToUpper(p.Protocol) {
	case "", "ANY":
		protos = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	case "TCP", "UDP", "SCTP":
		protos = []corev1.Protocol{corev1.Protocol(strings.ToUpper(p.Protocol))}
	default:
		return nil, fmt.Errorf("protocol %q is not judged (only TCP, UDP, SCTP and ANY)", p.Protocol)
	}
	var out []portMatcher
	for _, proto := range protos {
		m := portMatcher{protocol: proto}
		n, err := strconv.Atoi(p.Port)
		switch {
		case p.Port == "" || (err == nil && n == 0):
			m.anyPort = true
		case err != nil:
			m.name = p.Port
		case n < 1 || n > 65535 || (p.EndPort != 0 && (p.EndPort < int32(n) || p.EndPort > 65535)):
			return nil, fmt.Errorf("port %q (endPort %d) is out of range", p.Port, p.EndPort)
		default:
			m.start, m.end = int32(n), int32(n)
			if p.EndPort != 0 {
				m.end = p.EndPort
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// linkCilium records on each pod the Cilium rules that select or may select
// it, and builds the identity labels Cilium gives it.
func (e *Engine) linkCilium() {
	if len(e.cilium) == 0 {
		return
	}
	for pi := range e.pods {
		e.pods[pi].ciliumLabels = e.ciliumLabelsOf(&e.pods[pi])
	}
	for i := range e.cilium {
		r := &e.cilium[i]
		for _, rules := range [][]ciliumPeerRule{r.allow[0], r.allow[1], r.deny[0], r.deny[1]} {
			for j := range rules {
				for k := range rules[j].endpoints {
					e.indexCiliumSelector(&rules[j].endpoints[k])
				}
			}
		}
		r.selects = newPodSet(len(e.pods))
		for pi := range e.pods {
			p := &e.pods[pi]
			var m tri
			if r.hostPolicy {
				// Host policies apply to nodes, so to the traffic of
				// hostNetwork pods, whose node labels are not read.
				m = triOf(p.hostNetwork).and(triUnknown)
			} else {
				m = e.ciliumSelects(&r.subject, pi)
			}
			if m == triNo {
				continue
			}
			r.selects.add(pi, m)
			p.cilium = append(p.cilium, i)
		}
	}
}

// ciliumLabelsOf is the identity Cilium gives a pod: its labels, its
// namespace, the labels of its namespace and its service account.
func (e *Engine) ciliumLabelsOf(p *podInfo) map[string]string {
	l := make(map[string]string, len(p.labels)+4)
	for k, v := range p.labels {
		l[k] = v
	}
	l[ciliumNamespaceLabel] = p.ref.Namespace
	for k, v := range e.namespaces[p.ns].labels {
		l[ciliumNamespaceLabelPrefix+k] = v
	}
	sa := p.pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	l[ciliumServiceAccountLabel] = sa
	return l
}

// indexCiliumSelector computes once the pods a peer selector selects.
func (e *Engine) indexCiliumSelector(s *ciliumSelector) {
	yes, maybe := newBitset(len(e.pods)), newBitset(len(e.pods))
	for pi := range e.pods {
		switch e.matchCiliumSelector(s, pi) {
		case triYes:
			yes.set(pi)
		case triUnknown:
			maybe.set(pi)
		}
	}
	s.yes, s.maybe = yes, maybe
}

// ciliumSelects is whether an endpoint selector selects pod pi.
func (e *Engine) ciliumSelects(s *ciliumSelector, pi int) tri {
	switch {
	case s.yes == nil:
		return e.matchCiliumSelector(s, pi)
	case s.yes.has(pi):
		return triYes
	case s.maybe.has(pi):
		return triUnknown
	}
	return triNo
}

// matchCiliumSelector matches an endpoint selector against pod pi, which
// must be a Cilium endpoint: hostNetwork pods are not (they are the host).
func (e *Engine) matchCiliumSelector(s *ciliumSelector, pi int) tri {
	p := &e.pods[pi]
	switch {
	case p.hostNetwork:
		return triNo
	case s.namespace != "" && p.ref.Namespace != s.namespace:
		return triNo
	case !s.sel.matches(p.ciliumLabels):
		if s.unknown != "" || (s.nsLabels && p.nsLabelsUnknown) {
			return triUnknown
		}
		return triNo
	case s.unknown != "" || (s.nsLabels && p.nsLabelsUnknown):
		return triUnknown
	}
	return triYes
}

// nodeAddrOf is whether ip is an address of the node of pod p ("host" to
// Cilium), of another node ("remote-node"), or neither; known is false when
// the snapshot cannot tell (Nodes not read).
func (e *Engine) nodeKind(p *podInfo, ip netip.Addr) (host, remote, known bool) {
	if slices.Contains(p.hostIPs, ip) {
		return true, false, true
	}
	if n, ok := e.nodeByIP[ip]; ok {
		return e.nodes[n].name == p.pod.Spec.NodeName, e.nodes[n].name != p.pod.Spec.NodeName, true
	}
	return false, false, e.nodesKnown
}
