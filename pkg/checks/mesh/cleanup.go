package mesh

import (
	"context"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Cleanup deletes the probe pods and node debug pods that killed runs left
// in namespace ns ("" for all namespaces): MESH006.
func Cleanup(ctx context.Context, c kube.Clients, ns string) (*report.Report, error) {
	code := checks.MeshCleanup
	scope, target := "all namespaces", report.Object{Kind: "Namespaces", Name: "all"}
	if ns != "" {
		scope, target = "namespace "+ns, report.Object{Kind: "Namespace", Name: ns}
	}
	rep := report.New("mesh cleanup", target)
	rep.Title = "Leftover netdebug probe pods, " + scope
	res, err := probe.Cleanup(ctx, c.Typed, ns)
	var deleted []string
	for _, r := range res {
		for _, name := range r.Deleted {
			deleted = append(deleted, r.Namespace+"/"+name)
		}
	}
	var chk report.Check
	switch {
	case err != nil && !kube.IsAPIAnswer(err):
		return nil, err
	case err != nil:
		chk = code.FromError("deleting leftover probe pods", err)
	case len(deleted) == 0:
		chk = code.New(report.Pass, "no leftover probe pod in %s", scope)
	default:
		chk = code.New(report.Pass, "deleted %d leftover probe pod(s): %s", len(deleted), strings.Join(deleted, ", "))
	}
	chk.Data = res
	rep.Add(chk)
	rep.Finish(nil)
	return rep, nil
}
