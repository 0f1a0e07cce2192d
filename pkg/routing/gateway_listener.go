package routing

import (
	"fmt"
	"sort"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// ListenerHostname is a listener's hostname, "" when it has none.
func ListenerHostname(l *gwv1.Listener) string {
	if l.Hostname == nil {
		return ""
	}
	return strings.ToLower(string(*l.Hostname))
}

// ListenerConflict is a pair of listeners that are not distinct, as
// GatewaySpec.Listeners defines it ("Distinct Listeners"): the controller
// must accept neither.
type ListenerConflict struct {
	A, B string // listener names, in spec order
	// Reason is HostnameConflict (same protocol, port and hostname) or
	// ProtocolConflict (protocols that cannot share a port).
	Reason  gwv1.ListenerConditionReason
	Message string
}

// hostnameProtocols are the protocols whose listeners may share a port and
// protocol when their hostnames differ.
func hostnameProtocol(p gwv1.ProtocolType) bool {
	return p == gwv1.HTTPProtocolType || p == gwv1.HTTPSProtocolType || p == gwv1.TLSProtocolType
}

// ListenerConflicts finds the listeners that are not distinct:
//
//   - listeners of one protocol on one port must differ in hostname (HTTP,
//     HTTPS, TLS) or may not share the port at all (TCP, UDP):
//     HostnameConflict;
//   - on one port, HTTP cannot be served beside HTTPS, TLS or TCP, and TCP
//     beside HTTP, HTTPS or TLS (the spec's TCP rule; HTTPS and TLS share
//     a port by SNI, and UDP uses another transport): ProtocolConflict.
func ListenerConflicts(listeners []gwv1.Listener) []ListenerConflict {
	var out []ListenerConflict
	for i := range listeners {
		for j := i + 1; j < len(listeners); j++ {
			a, b := &listeners[i], &listeners[j]
			if a.Port != b.Port {
				continue
			}
			switch {
			case a.Protocol == b.Protocol && (!hostnameProtocol(a.Protocol) || ListenerHostname(a) == ListenerHostname(b)):
				what := fmt.Sprintf("hostname %s", hostnameLabel(ListenerHostname(a)))
				if !hostnameProtocol(a.Protocol) {
					what = "no hostname to tell them apart"
				}
				out = append(out, ListenerConflict{A: string(a.Name), B: string(b.Name), Reason: gwv1.ListenerReasonHostnameConflict,
					Message: fmt.Sprintf("listeners %s and %s are both %s on port %d with %s", a.Name, b.Name, a.Protocol, a.Port, what)})
			case protocolsClash(a.Protocol, b.Protocol):
				out = append(out, ListenerConflict{A: string(a.Name), B: string(b.Name), Reason: gwv1.ListenerReasonProtocolConflict,
					Message: fmt.Sprintf("listeners %s (%s) and %s (%s) share port %d, which one data plane cannot serve with both protocols", a.Name, a.Protocol, b.Name, b.Protocol, a.Port)})
			}
		}
	}
	return out
}

func protocolsClash(a, b gwv1.ProtocolType) bool {
	if a == b || a == gwv1.UDPProtocolType || b == gwv1.UDPProtocolType {
		return false
	}
	if a == gwv1.HTTPProtocolType || b == gwv1.HTTPProtocolType || a == gwv1.TCPProtocolType || b == gwv1.TCPProtocolType {
		// HTTP beside HTTPS/TLS/TCP, TCP beside HTTPS/TLS; only core
		// protocols are judged.
		return isCore(a) && isCore(b)
	}
	return false
}

func isCore(p gwv1.ProtocolType) bool {
	switch p {
	case gwv1.HTTPProtocolType, gwv1.HTTPSProtocolType, gwv1.TLSProtocolType, gwv1.TCPProtocolType, gwv1.UDPProtocolType:
		return true
	}
	return false
}

func hostnameLabel(h string) string {
	if h == "" {
		return "(none)"
	}
	return h
}

// SelectListener picks the listener a request reaches among a Gateway's
// listeners of one protocol and port, by listener isolation
// (GatewaySpec.Listeners, "Listeners that are distinct only by Hostname"):
// an exact hostname first, then wildcards, the most specific first, then a
// listener without a hostname. It returns nil when no listener's hostname
// matches the host: the gateway answers 404. considered lists the listeners
// of that protocol and port, most specific first.
func SelectListener(listeners []gwv1.Listener, protocol gwv1.ProtocolType, port int32, host string) (chosen *gwv1.Listener, how HostMatch, considered []*gwv1.Listener) {
	for i := range listeners {
		l := &listeners[i]
		if l.Protocol == protocol && l.Port == port {
			considered = append(considered, l)
		}
	}
	sort.SliceStable(considered, func(i, j int) bool {
		return moreSpecificHostname(ListenerHostname(considered[i]), ListenerHostname(considered[j]))
	})
	for _, l := range considered {
		if m := MatchGatewayHost(ListenerHostname(l), host); m != HostNone {
			return l, m, considered
		}
	}
	return nil, HostNone, considered
}
