package netpol

import (
	"cmp"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/policy"
)

// naturalCompare orders strings as people read them: runs of digits by
// their value, so web-2 comes before web-10 (text order puts web-10
// first). Strings equal that way (web-01, web-1) fall back to text order.
func naturalCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			// Compare the values: without leading zeros, the longer
			// run is the larger number, else the digits decide.
			x := strings.TrimLeft(a[si:i], "0")
			y := strings.TrimLeft(b[sj:j], "0")
			if c := cmp.Or(cmp.Compare(len(x), len(y)), strings.Compare(x, y)); c != 0 {
				return c
			}
			continue
		}
		if a[i] != b[j] {
			return cmp.Compare(a[i], b[j])
		}
		i++
		j++
	}
	return cmp.Or(cmp.Compare(len(a)-i, len(b)-j), strings.Compare(a, b))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// naturalPods orders pods by namespace, then name, numbers by value.
func naturalPods(a, b policy.PodRef) int {
	return cmp.Or(naturalCompare(a.Namespace, b.Namespace), naturalCompare(a.Name, b.Name))
}
