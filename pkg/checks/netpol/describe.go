package netpol

import (
	"fmt"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/cni"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Command names, as the report's command field.
const (
	CommandNetpol   = "netpol"
	CommandMatrix   = "netpol matrix"
	CommandAllowAll = "netpol allow-all"
	CommandCleanup  = "netpol cleanup"
)

// newReport starts a netpol report. Against a cluster the first check is
// CNI004: when the network plugin does not enforce NetworkPolicy, every
// verdict below is theory, and that is the first thing to know.
func newReport(w *World, command string, target report.Object, title string) *report.Report {
	rep := report.New(command, target)
	rep.Title = title
	if w.Cluster && (w.CNIErr != nil || w.CNI.Enforced != "") {
		count := len(w.Snapshot.NetworkPolicies) + len(w.Snapshot.AdminNetworkPolicies)
		if w.ReadErr != nil {
			count = -1
		}
		rep.Add(cni.EnforcementCheck(w.CNI, w.CNIErr, count))
	}
	if !w.Cluster {
		rep.Notes = append(rep.Notes, "offline: judged from the manifests only; the cluster was not contacted and the network plugin's enforcement is unknown")
	}
	return rep
}

// Describe answers `netpol POD`: the policies selecting the pod, whether it
// is isolated for ingress and egress, and their rules in words.
func Describe(w *World, pod policy.PodRef) *report.Report {
	rep := newReport(w, CommandNetpol, podObject(pod), "NetworkPolicy of pod "+pod.String())
	ep := checkEndpoints(w, []string{""}, []Arg{{Pod: pod}})
	rep.Add(ep, checkPolicies(w))
	if w.ReadErr != nil || ep.Status == report.Error {
		rep.Finish(checks.CouldNot("describe the policies of pod " + pod.String()))
		return rep
	}
	d, err := w.Engine.Describe(pod)
	if err != nil { // checkEndpoints found the pod: cannot happen
		rep.Finish(checks.CouldNot(err.Error()))
		return rep
	}
	rep.Add(checkIsolation(d.Ingress), checkIsolation(d.Egress))
	if w.AllPods {
		scope := map[policy.PolicyRef]bool{}
		for _, sd := range []policy.SideDescription{d.Ingress, d.Egress} {
			for _, ps := range append(sd.Policies, sd.Admin...) {
				scope[ps.Policy] = true
			}
		}
		rep.Add(checkFindings(w.Engine, scope))
	}
	rep.Finish(checks.Settled(fmt.Sprintf("pod %s is %s and %s", pod, isolationWords(d.Ingress), isolationWords(d.Egress))))
	rep.Sections = append(rep.Sections, report.TextSection("", describeText(d)))
	return rep
}

// isolationWords is "isolated for ingress by 2 NetworkPolicies" or "not
// isolated for egress", with the admin policies that apply.
func isolationWords(sd policy.SideDescription) string {
	dir := "ingress"
	if sd.Direction == policy.Egress {
		dir = "egress"
	}
	s := "not isolated for " + dir
	if sd.Isolated {
		s = fmt.Sprintf("isolated for %s by %d NetworkPolicy(ies)", dir, len(sd.Policies))
	}
	if n := len(sd.Admin); n > 0 {
		s += fmt.Sprintf(" (and %d admin policy(ies) evaluated first)", n)
	}
	return s
}
