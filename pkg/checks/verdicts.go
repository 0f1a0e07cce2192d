package checks

import (
	"fmt"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// CouldNotRead is the verdict of a diagnosis that stopped at its first check
// because its target could not be read (forbidden, or an API error):
// nothing else can be judged, so the run is incomplete. A target that does
// not exist is a failure and stays the verdict.
func CouldNotRead(what string) report.Decide {
	return func(cs []report.Check, def report.Verdict) report.Verdict {
		if def.Outcome == report.Problems || len(cs) == 0 {
			return def
		}
		first := cs[0]
		return report.Verdict{Outcome: report.Incomplete, Code: first.Code, Message: fmt.Sprintf("Could not read %s: %s", what, first.Message), Next: first.Next}
	}
}

// CouldNot is the verdict of a report that could not answer: a failure
// found on the way stays the verdict, else the first skip or error says why.
func CouldNot(what string) report.Decide {
	return func(list []report.Check, def report.Verdict) report.Verdict {
		if def.Outcome == report.Problems {
			return def
		}
		for _, c := range list {
			if c.Status == report.Skip || c.Status == report.Error {
				return report.Verdict{Outcome: report.Incomplete, Code: c.Code, Message: fmt.Sprintf("Could not %s: %s", what, c.Message), Next: c.Next}
			}
		}
		return report.Verdict{Outcome: report.Incomplete, Message: "Could not " + what}
	}
}

// Settled is the verdict of a report that answered: the first failure, else
// message with the first warning it does not already say (a message taken
// from a warning is not repeated).
func Settled(message string) report.Decide {
	return func(list []report.Check, def report.Verdict) report.Verdict {
		if def.Outcome != report.OK {
			return def
		}
		v := report.Verdict{Outcome: report.OK}
		var first *report.Check
		v.Message, first = report.WithWarnings(message, list)
		if first != nil {
			v.Code, v.Next = first.Code, first.Next
		}
		return v
	}
}
