package dns

import (
	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkNodeLocal (DNS005): with NodeLocal DNSCache, pods talk to a cache on
// their own node (169.254.20.10 by default) first; a node without a ready
// cache pod fails lookups on that node only.
func checkNodeLocal(f *Facts) report.Check {
	code := checks.DNSNodeLocal
	if f.NodeLocalErr != nil {
		return code.FromError("looking for a node-local DNS cache", f.NodeLocalErr)
	}
	ds := f.NodeLocal
	if ds == nil {
		return code.Skipped("no node-local DNS cache (daemonset node-local-dns) in kube-system")
	}
	st := ds.Status
	c := code.New(report.Pass, "node-local DNS cache ready on %d of %d node(s)", st.NumberReady, st.DesiredNumberScheduled)
	if st.NumberReady < st.DesiredNumberScheduled {
		c.Status = report.Warn
		c.Message = "node-local DNS cache not ready on every node: lookups from pods on the others may fail"
		c.Next = []string{"kubectl -n kube-system get pods -o wide -l k8s-app=node-local-dns"}
	}
	c.Objects = []report.Object{{Kind: "DaemonSet", Namespace: ds.Namespace, Name: ds.Name}}
	return c
}
