package policy

import (
	"fmt"
	"net/netip"
	"strings"
)

// cidrSet is an ipBlock: a CIDR minus its except CIDRs.
type cidrSet struct {
	cidr   netip.Prefix
	except []netip.Prefix
}

func parseCIDRSet(cidr string, except []string) (cidrSet, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return cidrSet{}, fmt.Errorf("invalid ipBlock cidr %q: %w", cidr, err)
	}
	cs := cidrSet{cidr: p.Masked()}
	for _, e := range except {
		ep, err := netip.ParsePrefix(e)
		if err != nil {
			return cidrSet{}, fmt.Errorf("invalid ipBlock except %q: %w", e, err)
		}
		// As the API server: an except outside the CIDR, of the other
		// family, or equal to it is rejected, not ignored.
		if !strictlyInside(ep, p) {
			return cidrSet{}, fmt.Errorf("ipBlock except %q is not a strict subset of cidr %q", e, cidr)
		}
		cs.except = append(cs.except, ep.Masked())
	}
	return cs, nil
}

// contains reports whether ip is in the CIDR and in none of the excepts. The
// second result is the except that excluded it, if any.
func (c *cidrSet) contains(ip netip.Addr) (bool, netip.Prefix) {
	ip = ip.Unmap()
	if !ip.IsValid() || !c.cidr.Contains(ip) {
		return false, netip.Prefix{}
	}
	for _, e := range c.except {
		if e.Contains(ip) {
			return false, e
		}
	}
	return true, netip.Prefix{}
}

func (c *cidrSet) String() string {
	if len(c.except) == 0 {
		return c.cidr.String()
	}
	ex := make([]string, len(c.except))
	for i, e := range c.except {
		ex[i] = e.String()
	}
	return c.cidr.String() + " except " + strings.Join(ex, ",")
}

// containsUnknown is whether an address not known yet (a pod without IP), of
// family fam, is in the block: no when the block is of the other family, yes
// when it is the whole family with no except, unknown otherwise.
func (c *cidrSet) containsUnknown(fam uint8) tri {
	switch {
	case familyOf(c.cidr.Addr()) != fam:
		return triNo
	case c.cidr.Bits() == 0 && len(c.except) == 0:
		return triYes
	default:
		return triUnknown
	}
}
