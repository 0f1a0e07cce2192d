package pod

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/cni"
	"github.com/netdebug/kubectl-netdebug/pkg/cnidetect"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// conclude combines the live probes with the policy verdicts, the way an
// operator reads them:
//   - refused: the destination is reachable, nothing listens on the port
//     (its listening sockets, when read, say whether it listens on
//     loopback only, on other ports, or on the port after all);
//   - timed out, and policy denies: that policy, named;
//   - timed out, and policy allows: the CNI, the node or routing;
//   - connected although policy denies: the CNI is not enforcing policies.
//
// Without probes, the first failing check stands.
func conclude(base report.Verdict, src, dst *corev1.Pod, l *live, verdicts []policy.Verdict, cf *cni.Facts) report.Verdict {
	if base.Code == string(checks.PodEndpoints) {
		return base // a pod missing or without IP explains everything
	}
	for i, r := range l.tcp {
		if r == nil || i >= len(verdicts) {
			continue
		}
		v := verdicts[i]
		port := l.numbers[i]
		dest := fmt.Sprintf("pod %s/%s (%s) port %d", dst.Namespace, dst.Name, dst.Status.PodIP, port)
		switch {
		case r.Outcome == probe.Refused:
			return refused(src, dst, dest, port, l.listen)
		case (r.Outcome == probe.TimedOut || r.Outcome == probe.Unreachable) && v.Result == policy.Denied:
			return report.Verdict{Outcome: report.Problems, Code: string(checks.PodPolicy),
				Message: fmt.Sprintf("connection to %s %s because %s %s", dest, happened(r.Outcome), denier(v), v.Reason),
				Next:    []string{fmt.Sprintf("kubectl netdebug netpol %s/%s %s/%s --port %d", src.Namespace, src.Name, dst.Namespace, dst.Name, port)}}
		case r.Outcome == probe.TimedOut || r.Outcome == probe.Unreachable:
			same := src.Spec.NodeName == dst.Spec.NodeName
			where := "between nodes " + src.Spec.NodeName + " and " + dst.Spec.NodeName + " (overlay/routing, node firewall, cloud security groups)"
			if same {
				where = "on node " + src.Spec.NodeName + " (the CNI agent, the bridge, or a host firewall rule)"
			}
			return report.Verdict{Outcome: report.Problems, Code: string(checks.PodTCP),
				Message: fmt.Sprintf("connection to %s %s although NetworkPolicy allows it: packets are lost %s", dest, happened(r.Outcome), where),
				Next:    []string{"kubectl netdebug cni --node " + src.Spec.NodeName, fmt.Sprintf("kubectl netdebug capture %s/%s -f 'port %d' -w dst.pcap", dst.Namespace, dst.Name, port)}}
		case r.Outcome == probe.Connected && v.Result == policy.Denied:
			msg := fmt.Sprintf("connection to %s succeeds although %s denies it: the network plugin is not enforcing policies", dest, denier(v))
			if cf != nil && cf.Info.Enforced == cnidetect.Enforces {
				msg = fmt.Sprintf("connection to %s succeeds although %s denies it: %s should enforce it, so its agent on node %s is failing or the policy was added moments ago", dest, denier(v), cf.Info.Names(), dst.Spec.NodeName)
			}
			return report.Verdict{Outcome: report.Problems, Code: string(checks.PodPolicy), Message: msg, Next: []string{"kubectl netdebug cni --node " + dst.Spec.NodeName}}
		}
	}
	return base
}

// denier names the kind of policy that denies the flow: the layer of the
// denying side ("AdminNetworkPolicy", "CiliumNetworkPolicy"...), else
// NetworkPolicy.
func denier(v policy.Verdict) string {
	for _, sv := range []policy.SideVerdict{v.Egress, v.Ingress} {
		if sv.Result == policy.Denied && sv.DecidedBy != policy.LayerNone && sv.DecidedBy != policy.LayerDefault {
			return string(sv.DecidedBy)
		}
	}
	return "NetworkPolicy"
}

// happened words a failed connect for a sentence.
func happened(o probe.TCPOutcome) string {
	if o == probe.Unreachable {
		return "found no route"
	}
	return "timed out"
}

// refused words a refused connect from what the destination listens on,
// or, when that could not be read, the two usual causes and why it was not
// read.
func refused(src, dst *corev1.Pod, dest string, port int32, listen *probe.ListenResult) report.Verdict {
	v := report.Verdict{Outcome: report.Problems, Code: string(checks.PodTCP)}
	kind, why := probe.RefusalUnknown, ""
	if listen != nil {
		kind, why = listen.Refusal(dst.Status.PodIP, port)
	}
	switch kind {
	case probe.RefusalUnknown:
		v.Message = fmt.Sprintf("%s is reachable but refuses connections: nothing listens on port %d (or it listens on 127.0.0.1 only)", dest, port)
		if listen != nil && listen.Why != "" {
			v.Message += "; its listening sockets were not read: " + listen.Why
		}
		v.Next = []string{fmt.Sprintf("kubectl -n %s exec %s -- netstat -tlnp", dst.Namespace, dst.Name)}
	case probe.RefusalListening:
		v.Message = fmt.Sprintf("%s is reachable but refuses connections: %s", dest, why)
		v.Next = []string{fmt.Sprintf("kubectl netdebug netpol %s/%s %s/%s --port %d", src.Namespace, src.Name, dst.Namespace, dst.Name, port)}
	default:
		v.Message = fmt.Sprintf("%s is reachable but refuses connections: %s", dest, why)
	}
	return v
}
