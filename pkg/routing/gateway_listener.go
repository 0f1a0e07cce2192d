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
// GatewaySpec.Listeners defines it ("Distinct Listeners"). Within one
// resource (the Gateway, or one ListenerSet) the controller must accept
// neither; between resources of a Gateway's merged list (its own
// listeners, then its ListenerSets', GEP-1713) the first by precedence is
// accepted and only the second is Conflicted (Precedence).
type ListenerConflict struct {
	A, B string // listener names, in merged-list order
	// SetA and SetB are the namespace/name of the ListenerSet each
	// listener comes from, "" for the Gateway's own.
	SetA, SetB string
	// Reason is HostnameConflict (same protocol, port and hostname) or
	// ProtocolConflict (protocols that cannot share a port).
	Reason  gwv1.ListenerConditionReason
	Message string
	// Precedence: A and B come from different resources; A takes
	// precedence and B alone is Conflicted.
	Precedence bool
}

// MergedListener is one listener of a Gateway's merged list: its own, or
// one a ListenerSet contributes.
type MergedListener struct {
	// ListenerSet is the namespace/name of the ListenerSet that
	// contributes the listener, "" for the Gateway's own.
	ListenerSet string
	gwv1.Listener
}

// Label is the listener as reports name it: "https", or "web (listenerset
// team/extra)".
func (m *MergedListener) Label() string { return ListenerLabel(m.ListenerSet, string(m.Name)) }

// ListenerLabel names a listener of a Gateway's merged list: its name, and
// the ListenerSet it comes from, if any.
func ListenerLabel(set, name string) string {
	if set == "" {
		return name
	}
	return name + " (listenerset " + set + ")"
}

// hostnameProtocols are the protocols whose listeners may share a port and
// protocol when their hostnames differ.
func hostnameProtocol(p gwv1.ProtocolType) bool {
	return p == gwv1.HTTPProtocolType || p == gwv1.HTTPSProtocolType || p == gwv1.TLSProtocolType
}

// ListenerConflicts finds the listeners of one Gateway that are not
// distinct:
//
//   - listeners of one protocol on one port must differ in hostname (HTTP,
//     HTTPS, TLS) or may not share the port at all (TCP, UDP):
//     HostnameConflict;
//   - on one port, HTTP cannot be served beside HTTPS, TLS or TCP, and TCP
//     beside HTTP, HTTPS or TLS (the spec's TCP rule; HTTPS and TLS share
//     a port by SNI, and UDP uses another transport): ProtocolConflict.
func ListenerConflicts(listeners []gwv1.Listener) []ListenerConflict {
	merged := make([]MergedListener, len(listeners))
	for i := range listeners {
		merged[i] = MergedListener{Listener: listeners[i]}
	}
	return MergedListenerConflicts(merged)
}

// MergedListenerConflicts finds the listeners of a Gateway's merged list
// (MergeListeners) that are not distinct, by the rules of
// ListenerConflicts: the validation of the merged list is that of a single
// Gateway whose listener names need not be unique (GEP-1713). A conflict
// between two resources keeps the first listener by precedence.
func MergedListenerConflicts(listeners []MergedListener) []ListenerConflict {
	var out []ListenerConflict
	for i := range listeners {
		for j := i + 1; j < len(listeners); j++ {
			a, b := &listeners[i], &listeners[j]
			if a.Port != b.Port {
				continue
			}
			cf := ListenerConflict{A: string(a.Name), B: string(b.Name), SetA: a.ListenerSet, SetB: b.ListenerSet, Precedence: a.ListenerSet != b.ListenerSet}
			switch {
			case a.Protocol == b.Protocol && (!hostnameProtocol(a.Protocol) || ListenerHostname(&a.Listener) == ListenerHostname(&b.Listener)):
				what := fmt.Sprintf("hostname %s", hostnameLabel(ListenerHostname(&a.Listener)))
				if !hostnameProtocol(a.Protocol) {
					what = "no hostname to tell them apart"
				}
				cf.Reason = gwv1.ListenerReasonHostnameConflict
				cf.Message = fmt.Sprintf("listeners %s and %s are both %s on port %d with %s", a.Label(), b.Label(), a.Protocol, a.Port, what)
			case protocolsClash(a.Protocol, b.Protocol):
				cf.Reason = gwv1.ListenerReasonProtocolConflict
				cf.Message = fmt.Sprintf("listeners %s (%s) and %s (%s) share port %d, which one data plane cannot serve with both protocols", a.Label(), a.Protocol, b.Label(), b.Protocol, a.Port)
			default:
				continue
			}
			out = append(out, cf)
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
