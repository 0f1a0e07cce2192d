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
// message with the first warning.
func Settled(message string) report.Decide {
	return func(list []report.Check, def report.Verdict) report.Verdict {
		if def.Outcome != report.OK {
			return def
		}
		v := report.Verdict{Outcome: report.OK, Message: message}
		var warns []report.Check
		for _, c := range list {
			if c.Status == report.Warn {
				warns = append(warns, c)
			}
		}
		if len(warns) > 0 {
			v.Message += "; warning: " + warns[0].Message
			if len(warns) > 1 {
				v.Message += fmt.Sprintf(" (and %d more warnings)", len(warns)-1)
			}
			v.Code, v.Next = warns[0].Code, warns[0].Next
		}
		return v
	}
}
