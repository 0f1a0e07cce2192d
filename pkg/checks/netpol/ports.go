package netpol

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// Port is one destination port to check: a number, or a container port name
// resolved on the destination pod.
type Port struct {
	Port     intstr.IntOrString
	Protocol corev1.Protocol
	// Name is the container port name when the port was taken from the
	// destination's declared ports.
	Name string
}

func (p Port) String() string {
	if p.Port.Type == intstr.String {
		return fmt.Sprintf("%s port %q", p.Protocol, p.Port.StrVal)
	}
	return portLabel(p.Protocol, p.Port.IntVal, p.Name)
}

// ParseProtocol reads TCP, UDP or SCTP in any case.
func ParseProtocol(s string) (corev1.Protocol, error) {
	switch p := corev1.Protocol(strings.ToUpper(s)); p {
	case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		return p, nil
	}
	return "", fmt.Errorf("invalid protocol %q: use TCP, UDP or SCTP", s)
}

// ParsePort reads PORT or PORT/PROTOCOL: 80, 53/udp, http, metrics/TCP. A
// port without a protocol takes proto.
func ParsePort(s string, proto corev1.Protocol) (Port, error) {
	num, protoText, hasProto := strings.Cut(s, "/")
	p := Port{Protocol: proto}
	if hasProto {
		var err error
		if p.Protocol, err = ParseProtocol(protoText); err != nil {
			return Port{}, fmt.Errorf("port %q: %w", s, err)
		}
	}
	if n, err := strconv.Atoi(num); err == nil {
		if n < 1 || n > 65535 {
			return Port{}, fmt.Errorf("invalid port %q: out of range 1-65535", s)
		}
		p.Port = intstr.FromInt32(int32(n))
		return p, nil
	}
	if errs := validation.IsValidPortName(num); len(errs) > 0 {
		return Port{}, fmt.Errorf("invalid port %q: a number 1-65535 or a container port name (%s)", s, strings.Join(errs, "; "))
	}
	p.Port = intstr.FromString(num)
	return p, nil
}

// declaredPortsToCheck lists the distinct ports a pod declares, in container
// order, optionally only those of one protocol.
func declaredPortsToCheck(pod *corev1.Pod, proto corev1.Protocol) []Port {
	var out []Port
	for _, cp := range policy.PortsOf(pod) {
		if proto != "" && cp.Protocol != proto {
			continue
		}
		p := Port{Port: intstr.FromInt32(cp.Number), Protocol: cp.Protocol, Name: cp.Name}
		if slices.ContainsFunc(out, func(q Port) bool { return q.Protocol == p.Protocol && q.Port == p.Port }) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// portsToCheck is --port, else every port the destination pod declares.
func portsToCheck(w *World, req FlowRequest) ([]Port, error) {
	if len(req.Ports) > 0 {
		return req.Ports, nil
	}
	if req.Dst.IsIP() {
		return nil, fmt.Errorf("the destination %s is an IP address, which declares no ports: pass --port (e.g. --port 443 or --port 53/udp)", req.Dst.IP)
	}
	pod := w.Engine.Pod(req.Dst.Pod)
	ports := declaredPortsToCheck(pod, req.Protocol)
	if len(ports) == 0 {
		what := "no container port"
		if req.Protocol != "" {
			what = "no " + string(req.Protocol) + " container port"
		}
		return nil, fmt.Errorf("pod %s declares %s, so there is nothing to check by default: pass --port (e.g. --port 8080)", req.Dst.Pod, what)
	}
	return ports, nil
}
