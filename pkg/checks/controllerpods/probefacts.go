package controllerpods

import (
	"fmt"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// BackendProbeFacts is the evidence of one TCP probe from a controller or
// data-plane pod to a backend endpoint (ING016, RT011): outcome, time,
// command and output, and, after a refusal, the endpoint's listening
// sockets when they were read.
func BackendProbeFacts(backend string, r probe.TCPResult) []report.Fact {
	v := fmt.Sprintf("%s in %dms: %s", r.Outcome, r.Evidence.DurationMS, r.Evidence.Command)
	if out := strings.TrimSpace(r.Evidence.Output); out != "" {
		v += " -> " + OneLine(out)
	}
	facts := []report.Fact{{Name: backend + " " + r.Target, Value: v}}
	if r.Outcome == probe.Refused && r.Listening != nil {
		f := r.Listening.Fact()
		f.Name = backend + " " + f.Name
		facts = append(facts, f)
	}
	return facts
}
