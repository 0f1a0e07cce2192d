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

// podSet is a three-valued set of pods: those surely in it (yes) and those
// that may be (maybe), as a selector the snapshot cannot settle leaves them.
type podSet struct {
	yes, maybe bitset
}

func newPodSet(n int) podSet { return podSet{newBitset(n), newBitset(n)} }

// add records pod i with its membership m.
func (s podSet) add(i int, m tri) {
	switch m {
	case triYes:
		s.yes.set(i)
	case triUnknown:
		s.maybe.set(i)
	}
}

// has is pod i's membership.
func (s podSet) has(i int) tri {
	switch {
	case s.yes.has(i):
		return triYes
	case s.maybe.has(i):
		return triUnknown
	}
	return triNo
}
