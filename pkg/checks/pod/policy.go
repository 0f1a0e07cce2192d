package pod

import (
	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/flowcheck"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// judgeFlows (POD003): the engine's verdict on each checked port.
func judgeFlows(eng *policy.Engine, flows []policy.Flow) (report.Check, []policy.Verdict) {
	return flowcheck.Judge(checks.PodPolicy, eng, flows)
}
