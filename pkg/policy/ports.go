package policy

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"
)

// ContainerPort is one port a pod declares.
type ContainerPort struct {
	Container string
	Name      string
	Number    int32
	Protocol  corev1.Protocol
}

// PortsOf returns the ports a pod declares on its regular containers, in
// container order. An empty protocol is reported as TCP, its API default.
// Init and ephemeral containers are not included: named ports in policies
// are resolved on regular containers only.
func PortsOf(pod *corev1.Pod) []ContainerPort {
	var out []ContainerPort
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			out = append(out, ContainerPort{Container: c.Name, Name: p.Name, Number: p.ContainerPort, Protocol: protocolOrTCP(p.Protocol)})
		}
	}
	return out
}

func protocolOrTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

func validProtocol(p corev1.Protocol) bool {
	return p == corev1.ProtocolTCP || p == corev1.ProtocolUDP || p == corev1.ProtocolSCTP
}

// portMatcher is one entry of a rule's port list.
type portMatcher struct {
	// protocol is empty only for an AdminNetworkPolicy named port, which
	// takes the protocol of the container port it names.
	protocol corev1.Protocol
	// anyPort: the entry names only a protocol.
	anyPort bool
	// name is set for a named port; start/end for numbers (start == end
	// for a single port).
	name       string
	start, end int32
}

func (m *portMatcher) String() string {
	switch {
	case m.anyPort:
		return "all " + string(m.protocol) + " ports"
	case m.name != "" && m.protocol == "":
		return fmt.Sprintf("port named %q", m.name)
	case m.name != "":
		return fmt.Sprintf("%s port named %q", m.protocol, m.name)
	case m.start == m.end:
		return fmt.Sprintf("%s %d", m.protocol, m.start)
	default:
		return fmt.Sprintf("%s %d-%d", m.protocol, m.start, m.end)
	}
}

// matches reports whether the flow's protocol and port number fit this entry.
// Named ports are resolved on dst, the destination pod (nil for an IP).
func (m *portMatcher) matches(proto corev1.Protocol, port int32, dst *podInfo) bool {
	if m.protocol != "" && m.protocol != proto {
		return false
	}
	switch {
	case m.anyPort:
		return true
	case m.name != "":
		return dst != nil && dst.hasNamedPort(m.name, proto, port)
	default:
		return port >= m.start && port <= m.end
	}
}

// distance grades a port miss for ordering explanations: 0 matched, 1 same
// protocol but another number, 2 another protocol or an unresolvable name.
func (m *portMatcher) distance(proto corev1.Protocol, port int32, dst *podInfo) int {
	if m.matches(proto, port, dst) {
		return 0
	}
	if m.protocol != "" && m.protocol != proto {
		return 2
	}
	if m.name != "" && (dst == nil || !dst.declaresNamedPort(m.name, proto)) {
		return 2
	}
	return 1
}

// describeFor says what this entry allows in terms of the destination, e.g.
// "TCP 8080", "TCP port named http (8443 on pod ns/x)".
func (m *portMatcher) describeFor(dst *podInfo) string {
	if m.name == "" {
		return m.String()
	}
	if dst == nil {
		return m.String() + " (unresolvable: destination is not a pod)"
	}
	var strs []string
	for _, cp := range dst.namedPorts[m.name] {
		if m.protocol == "" || cp.Protocol == m.protocol {
			strs = append(strs, string(cp.Protocol)+" "+strconv.Itoa(int(cp.Number)))
		}
	}
	if len(strs) == 0 {
		return fmt.Sprintf("%s (pod %s declares no such port)", m.String(), dst.ref)
	}
	return fmt.Sprintf("%s (%s on pod %s)", m.String(), strings.Join(strs, ", "), dst.ref)
}

// compileNetpolPort validates and compiles a NetworkPolicy port entry the way
// the API server validates it.
func compileNetpolPort(p networkingv1.NetworkPolicyPort) (portMatcher, error) {
	m := portMatcher{protocol: corev1.ProtocolTCP}
	if p.Protocol != nil {
		if !validProtocol(*p.Protocol) {
			return m, fmt.Errorf("unsupported protocol %q", *p.Protocol)
		}
		m.protocol = *p.Protocol
	}
	if p.Port == nil {
		if p.EndPort != nil {
			return m, fmt.Errorf("endPort %d without port", *p.EndPort)
		}
		m.anyPort = true
		return m, nil
	}
	if p.Port.Type == intstr.String {
		if p.EndPort != nil {
			return m, fmt.Errorf("endPort %d with named port %q", *p.EndPort, p.Port.StrVal)
		}
		if p.Port.StrVal == "" {
			return m, fmt.Errorf("empty port name")
		}
		m.name = p.Port.StrVal
		return m, nil
	}
	m.start, m.end = p.Port.IntVal, p.Port.IntVal
	if p.EndPort != nil {
		m.end = *p.EndPort
	}
	if m.start < 1 || m.start > 65535 || m.end < m.start || m.end > 65535 {
		return m, fmt.Errorf("invalid port range %d-%d", m.start, m.end)
	}
	return m, nil
}

// compileAdminPort compiles an AdminNetworkPolicy port entry. ok is false for
// an entry with no known field, or more than one, which the caller treats as
// fail-closed.
func compileAdminPort(p anp.AdminNetworkPolicyPort) (m portMatcher, ok bool) {
	set := 0
	if p.PortNumber != nil {
		set++
		m = portMatcher{protocol: protocolOrTCP(p.PortNumber.Protocol), start: p.PortNumber.Port, end: p.PortNumber.Port}
	}
	if p.NamedPort != nil {
		set++
		m = portMatcher{name: *p.NamedPort}
	}
	if p.PortRange != nil {
		set++
		m = portMatcher{protocol: protocolOrTCP(p.PortRange.Protocol), start: p.PortRange.Start, end: p.PortRange.End}
	}
	if set != 1 || (m.name == "" && !validProtocol(m.protocol)) {
		return m, false
	}
	if m.name == "" && (m.start < 1 || m.end > 65535 || m.end < m.start) {
		return m, false
	}
	if p.NamedPort != nil && *p.NamedPort == "" {
		return m, false
	}
	return m, true
}
