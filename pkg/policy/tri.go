package policy

// tri is a three-valued truth: an admin rule may match, not match, or be
// impossible to evaluate from the snapshot.
type tri uint8

const (
	triNo tri = iota
	triYes
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triYes
	}
	return triNo
}

// and is Kleene conjunction: no wins over unknown.
func (a tri) and(b tri) tri {
	switch {
	case a == triNo || b == triNo:
		return triNo
	case a == triUnknown || b == triUnknown:
		return triUnknown
	default:
		return triYes
	}
}

// or is Kleene disjunction: yes wins over unknown.
func (a tri) or(b tri) tri {
	switch {
	case a == triYes || b == triYes:
		return triYes
	case a == triUnknown || b == triUnknown:
		return triUnknown
	default:
		return triNo
	}
}
