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
//   - connected although policy denies: the CNI is not enforcing policies;
//   - small packets pass and large ones are lost: the MTU on the path.
//
// With --node-checks, a timeout that policy allows is put on what the nodes
// showed: a firewall rule that counted the probes' packets, or a missing
// route. Without probes, the first failing check stands.
func conclude(base report.Verdict, src, dst *corev1.Pod, l *live, verdicts []policy.Verdict, cf *cni.Facts, np *nodeProbe, found []nodeFinding) report.Verdict {
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
			if v, ok := nodeCause(fmt.Sprintf("connection to %s %s although NetworkPolicy allows it", dest, happened(r.Outcome)), found); ok {
				return v
			}
			same := src.Spec.NodeName == dst.Spec.NodeName
			where := "between nodes " + src.Spec.NodeName + " and " + dst.Spec.NodeName + " (overlay/routing, node firewall, cloud security groups)"
			if same {
				where = "on node " + src.Spec.NodeName + " (the CNI agent, the bridge, or a host firewall rule)"
			}
			next := []string{"kubectl netdebug cni --node " + src.Spec.NodeName, fmt.Sprintf("kubectl netdebug capture %s/%s -f 'port %d' -w dst.pcap", dst.Namespace, dst.Name, port)}
			if np.how != "" {
				next = append([]string{fmt.Sprintf("kubectl netdebug pod %s/%s %s/%s --port %d --node-checks", src.Namespace, src.Name, dst.Namespace, dst.Name, port)}, next...)
			}
			return report.Verdict{Outcome: report.Problems, Code: string(checks.PodTCP),
				Message: fmt.Sprintf("connection to %s %s although NetworkPolicy allows it: packets are lost %s", dest, happened(r.Outcome), where),
				Next:    next}
		case r.Outcome == probe.Connected && v.Result == policy.Denied:
			msg := fmt.Sprintf("connection to %s succeeds although %s denies it: the network plugin is not enforcing policies", dest, denier(v))
			if cf != nil && cf.Info.Enforced == cnidetect.Enforces {
				msg = fmt.Sprintf("connection to %s succeeds although %s denies it: %s should enforce it, so its agent on node %s is failing or the policy was added moments ago", dest, denier(v), cf.Info.Names(), dst.Spec.NodeName)
			}
			return report.Verdict{Outcome: report.Problems, Code: string(checks.PodPolicy), Message: msg, Next: []string{"kubectl netdebug cni --node " + dst.Spec.NodeName}}
		}
	}
	if l.failed() {
		if v, ok := nodeCause(fmt.Sprintf("pod %s/%s (%s) does not answer", dst.Namespace, dst.Name, dst.Status.PodIP), found); ok {
			return v
		}
	}
	if r := l.pathMTU; r != nil && r.Blackhole() {
		msg := fmt.Sprintf("small packets reach pod %s/%s (%s) but packets of more than about %d bytes are lost (the pods' MTU is %d)%s: connections open, then stall on large transfers", dst.Namespace, dst.Name, dst.Status.PodIP, r.Largest, r.MTU, betweenNodes(src, dst))
		for _, f := range found {
			if f.lowMTU != "" {
				msg += "; " + f.lowMTU
			}
		}
		return report.Verdict{Outcome: report.Problems, Code: string(checks.PodPathMTU), Message: msg,
			Next: []string{"compare the MTU of the nodes' interfaces and of the overlay with the pods' (ip link) and lower the CNI's MTU below the smallest"}}
	}
	return base
}

// nodeCause words the first cause the node checks found for lost packets:
// a missing route first (a firewall that then drops the misrouted packets
// only follows from it), then a drop rule that counted them. ok is false
// when they found none (or did not run).
func nodeCause(what string, found []nodeFinding) (report.Verdict, bool) {
	v := report.Verdict{Outcome: report.Problems, Code: string(checks.PodNodes)}
	for _, f := range found {
		if f.noRoute {
			v.Message = fmt.Sprintf("%s: %s", what, f.route)
			v.Next = []string{"kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDRS:.spec.podCIDRs,IP:.status.addresses[0].address", "kubectl netdebug cni --node " + f.node}
			return v, true
		}
	}
	for _, f := range found {
		for _, r := range f.firewall {
			v.Message = fmt.Sprintf("%s: %s on node %s counted %d packet(s) while the probes ran, and can match them", what, describeRule(r), f.node, r.Packets)
			v.Next = []string{fmt.Sprintf("remove or narrow the rule on node %s (kubectl debug node/%s --profile=sysadmin -it --image=<tools image> -- chroot /host %s)", f.node, f.node, listCommand(r))}
			return v, true
		}
		for _, r := range f.policy {
			v.Message = fmt.Sprintf("%s: the network plugin's policy rule %s on node %s counted %d packet(s) while the probes ran, and can match them, although the policies netdebug read allow the flow (a policy kind it does not read, or the plugin's state is stale)", what, describeRule(r), f.node, r.Packets)
			v.Next = []string{"kubectl netdebug cni --node " + f.node}
			return v, true
		}
	}
	return v, false
}

// listCommand is the command that lists the rule's table on the node.
func listCommand(r probe.FirewallRule) string {
	if r.Source == "nft" {
		return "nft list table " + r.Table
	}
	return "iptables-save -c -t " + r.Table
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
