package policy

// bitset is a set of pod indices. Peers and policies store the pods they
// select as bitsets so that a flow check is one bit test.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int) { b[i>>6] |= 1 << (uint(i) & 63) }

func (b bitset) has(i int) bool {
	return i >= 0 && i>>6 < len(b) && b[i>>6]&(1<<(uint(i)&63)) != 0
}

func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}
