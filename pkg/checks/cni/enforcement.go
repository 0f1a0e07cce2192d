package cni

import (
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/cnidetect"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// CheckEnforcement (CNI004): NetworkPolicies only drop packets when the
// network plugin enforces them. Policies on a plugin that ignores them is a
// failure: they give a false sense of isolation. When a plugin is recognised
// the check also names the policy APIs it enforces (fact policyAPIs, and
// the message when it passes), so AdminNetworkPolicies or
// CiliumNetworkPolicies without an enforcer show.
func CheckEnforcement(f *Facts) report.Check {
	return EnforcementCheck(f.Info, f.InfoErr, f.PolicyCount)
}

// EnforcementCheck is CheckEnforcement for callers that detected the CNI
// themselves (the netpol and pod procedures).
func EnforcementCheck(info cnidetect.Info, infoErr error, policies int) report.Check {
	code := checks.CNIEnforcement
	if infoErr != nil {
		return code.FromError("finding the network plugin", infoErr)
	}
	count := "NetworkPolicies exist"
	if policies == 0 {
		count = "no NetworkPolicy exists yet"
	}
	var c report.Check
	switch info.Enforced {
	case cnidetect.Enforces:
		c = code.New(report.Pass, "%s (%s)%s", info.Describe(), count, enforcedAPIs(info))
	case cnidetect.NoEnforce:
		if policies == 0 {
			c = code.New(report.Warn, "%s; none exists yet, but any you add will have no effect", info.Describe())
		} else {
			c = code.New(report.Fail, "%s, yet NetworkPolicies exist: they have NO effect, and every policy verdict is theory", info.Describe())
		}
		c.Next = []string{"install a policy enforcer (Calico, Cilium, kube-network-policies...) or do not rely on these policies"}
	default:
		c = code.New(report.Warn, "%s: policy verdicts assume enforcement (%s)", info.Describe(), count)
	}
	c.Facts = []report.Fact{{Name: "enforced", Value: string(info.Enforced)}, {Name: "policies", Value: policyCount(policies)}}
	if len(info.Agents) > 0 {
		c.Facts = append(c.Facts, report.Fact{Name: "policyAPIs", Value: policyAPIs(info)})
	}
	return c
}

// policyAPIs names the policy APIs the recognised plugins enforce: which of
// AdminNetworkPolicy, CiliumNetworkPolicy... objects have an enforcer.
func policyAPIs(info cnidetect.Info) string {
	if len(info.PolicyAPIs) == 0 {
		return "none"
	}
	return strings.Join(info.PolicyAPIs, ", ")
}

// enforcedAPIs is the message's tail naming them, when a plugin was
// recognised.
func enforcedAPIs(info cnidetect.Info) string {
	if len(info.Agents) == 0 {
		return ""
	}
	return "; policy APIs enforced: " + policyAPIs(info)
}

func policyCount(n int) string {
	switch {
	case n < 0:
		return "unknown (not allowed to list networkpolicies)"
	case n == 0:
		return "none"
	}
	return "some exist"
}
