package policy

import (
	"fmt"
	"net/netip"
	"strings"
)

// Address families, as a bit set: a flow is judged in one family at a time,
// because ipBlock and networks peers match addresses and a pod has one
// address per family.
const (
	famV4   uint8 = 1
	famV6   uint8 = 2
	famBoth       = famV4 | famV6
)

func familyOf(ip netip.Addr) uint8 {
	if ip.Unmap().Is4() {
		return famV4
	}
	return famV6
}

func familyName(f uint8) string {
	switch f {
	case famV4:
		return "IPv4"
	case famV6:
		return "IPv6"
	default:
		return "IPv4 or IPv6"
	}
}

func familiesOf(ips []netip.Addr) uint8 {
	var f uint8
	for _, ip := range ips {
		f |= familyOf(ip)
	}
	return f
}

// endpointFamilies is the set of families an endpoint may use: an IP's own
// family (also for a pod named by one of its IPs), a pod's address families,
// or both when its address is not known yet.
func (e *Engine) endpointFamilies(ep endpoint) uint8 {
	return e.endpointBits(ep) & famBoth
}

// endpointBits is endpointFamilies plus, for a pod, its other podBits.
func (e *Engine) endpointBits(ep endpoint) uint8 {
	var b uint8
	if ep.pod >= 0 {
		b = e.podBits[ep.pod]
	}
	if ep.ip.IsValid() {
		return b&^famBoth | familyOf(ep.ip)
	}
	if b&famBoth == 0 {
		b |= famBoth
	}
	return b
}

// flowFamilies is the set of families in which the flow may happen: those
// both endpoints have.
func (e *Engine) flowFamilies(ctx *flowCtx) uint8 {
	return e.endpointFamilies(ctx.src) & e.endpointFamilies(ctx.dst)
}

// noCommonFamily explains a flow whose endpoints share no address family.
func (e *Engine) noCommonFamily(ctx *flowCtx) error {
	text := func(ep endpoint) string {
		return fmt.Sprintf("%s is %s only", e.endpointText(ep), familyName(e.endpointFamilies(ep)))
	}
	return fmt.Errorf("the endpoints share no address family (%s, %s): they cannot connect directly, and NetworkPolicy judges addresses per family", text(ctx.src), text(ctx.dst))
}

// whyBothFamilies says why a flow may use either family.
func (e *Engine) whyBothFamilies(ctx *flowCtx) string {
	var unknown []string
	for _, ep := range []endpoint{ctx.src, ctx.dst} {
		if ep.pod >= 0 && !ep.ip.IsValid() && e.pods[ep.pod].fams == 0 {
			unknown = append(unknown, "pod "+e.pods[ep.pod].ref.String())
		}
	}
	if len(unknown) == 0 {
		return "both pods have IPv4 and IPv6 addresses"
	}
	verb := " has"
	if len(unknown) > 1 {
		verb = " have"
	}
	return strings.Join(unknown, " and ") + verb + " no IP yet, so the connection may use IPv4 or IPv6"
}

// addrsTri evaluates in over the addresses of the flow's family that the
// other endpoint of a side has: yes if every one is in, no if none is,
// unknown if they disagree. When the address is not known (a pod without
// IP, or a hostNetwork pod's node without a known IP), unknownAddr decides.
// It records on ctx whether the answer depended on the family.
func (e *Engine) addrsTri(peer endpoint, ctx *flowCtx, in func(netip.Addr) bool, unknownAddr func(fam uint8) tri) tri {
	if peer.ip.IsValid() {
		return triOf(in(peer.ip))
	}
	ctx.famDep = true
	if peer.pod < 0 {
		return unknownAddr(ctx.fam)
	}
	q := &e.pods[peer.pod]
	if q.fams == 0 {
		return unknownAddr(ctx.fam)
	}
	seen, hits := 0, 0
	for _, ip := range q.ips {
		if familyOf(ip) != ctx.fam {
			continue
		}
		seen++
		if in(ip) {
			hits++
		}
	}
	switch {
	case hits == 0:
		return triNo
	case hits == seen:
		return triYes
	default:
		return triUnknown
	}
}

// addrsText lists the addresses of the flow's family of an endpoint.
func (e *Engine) addrsText(peer endpoint, fam uint8) []string {
	if peer.ip.IsValid() {
		return []string{peer.ip.String()}
	}
	if peer.pod < 0 {
		return nil
	}
	var out []string
	for _, ip := range e.pods[peer.pod].ips {
		if familyOf(ip) == fam {
			out = append(out, ip.String())
		}
	}
	return out
}
