package cni

import (
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// CheckPlugin (CNI001): which network plugin runs, from its DaemonSets.
func CheckPlugin(f *Facts) report.Check {
	code := checks.CNIPlugin
	if f.InfoErr != nil {
		return code.FromError("listing DaemonSets", f.InfoErr)
	}
	if len(f.Info.Agents) == 0 {
		c := code.New(report.Warn, "no known CNI agent among the DaemonSets: the network plugin is unknown (it may run outside Kubernetes)")
		for _, e := range f.Info.Evidence {
			c.Facts = append(c.Facts, report.Fact{Name: "looked at", Value: e})
		}
		return c
	}
	var names []string
	c := code.New(report.Pass, "")
	for _, a := range f.Info.Agents {
		names = append(names, a.Plugin)
		v := a.Namespace + "/" + a.DaemonSet
		if a.Note != "" {
			v += " (" + a.Note + ")"
		}
		c.Facts = append(c.Facts, report.Fact{Name: a.Plugin, Value: v})
		c.Objects = append(c.Objects, report.Object{Kind: "DaemonSet", Namespace: a.Namespace, Name: a.DaemonSet})
	}
	c.Message = "network plugin: " + strings.Join(names, " + ")
	c.Data = f.Info
	return c
}
