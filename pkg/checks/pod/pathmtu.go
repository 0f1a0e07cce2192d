package pod

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// probePathMTU fills packets to the smaller of the two pods' interface MTUs
// once a small ping has passed: only then does a lost large one say
// something about size.
func (l *live) probePathMTU(ctx context.Context, src, dst *corev1.Pod) {
	if l.src.Prober == nil || l.ping == nil || !l.ping.Reachable() {
		return
	}
	l.srcMTU = podMTU(src, l.srcNet, l.srcLinks)
	l.dstMTU = podMTU(dst, l.dstNet, l.dstLinks)
	mtu := l.srcMTU
	if l.dstMTU > 0 && (mtu == 0 || l.dstMTU < mtu) {
		mtu = l.dstMTU
	}
	if mtu == 0 {
		return
	}
	r := l.src.Prober.PathMTU(ctx, dst.Status.PodIP, mtu)
	l.pathMTU = &r
}

// podMTU is the MTU of the interface that carries the pod's IP (eth0 when
// the addresses were not read); 0 when unknown.
func podMTU(pod *corev1.Pod, n *probe.NetworkResult, links *probe.Links) int {
	if links == nil {
		return 0
	}
	iface := "eth0"
	if n != nil {
		if i := n.InterfaceOf(pod.Status.PodIP); i != "" {
			iface = i
		}
	}
	return links.MTUs[iface]
}

// checkPathMTU (POD006): packets of the full MTU reach the destination
// where small ones do.
func checkPathMTU(src, dst *corev1.Pod, l *live) report.Check {
	code := checks.PodPathMTU
	var facts []report.Fact
	for _, side := range []struct {
		pod *corev1.Pod
		mtu int
	}{{src, l.srcMTU}, {dst, l.dstMTU}} {
		if side.mtu > 0 {
			facts = append(facts, report.Fact{Name: "MTU of pod " + side.pod.Name, Value: fmt.Sprint(side.mtu)})
		}
	}
	r := l.pathMTU
	var c report.Check
	switch {
	case l.src.Prober == nil:
		c = code.Skipped("%s", l.src.How)
		c.Forbidden = l.src.Forbidden
	case l.ping == nil || !l.ping.Reachable():
		c = code.Skipped("no ping reached %s, so packet sizes cannot be told apart", dst.Status.PodIP)
	case r == nil:
		c = code.Skipped("the pods' interface MTUs could not be read (no ip tool)")
	case !r.Ran:
		c = code.Skipped("the size probe did not run: %s", orWhy(r.Evidence.Error, oneLine(r.Evidence.Output)))
	case r.Full:
		c = code.New(report.Pass, "packets of %d bytes (the MTU) reach %s", r.MTU, dst.Status.PodIP)
	case r.Blackhole():
		c = code.New(report.Fail, "small packets reach %s but packets of more than %d bytes are lost (MTU %d): an MTU mismatch on the path%s", dst.Status.PodIP, r.Largest, r.MTU, betweenNodes(src, dst))
	default:
		c = code.New(report.Warn, "packets of more than %d bytes do not pass to %s, and a hop says so (MTU %d): path MTU discovery works, so TCP adapts, but the pods' MTU %d is above the path's%s", r.Largest, dst.Status.PodIP, r.Reported, r.MTU, betweenNodes(src, dst))
	}
	if r != nil {
		var sizes []string
		for _, p := range r.Pings {
			mark := "lost"
			if p.Passed {
				mark = "passed"
			}
			sizes = append(sizes, fmt.Sprintf("%d %s", p.Payload+28, mark))
		}
		if len(sizes) > 0 {
			facts = append(facts, report.Fact{Name: "pings (bytes)", Value: strings.Join(sizes, ", ")})
		}
		if r.Evidence.Command != "" {
			facts = append(facts, report.Fact{Name: "command", Value: r.Evidence.Command})
		}
		c.Data = r
	}
	c.Facts = facts
	return c
}

func betweenNodes(src, dst *corev1.Pod) string {
	if src.Spec.NodeName == dst.Spec.NodeName {
		return " on node " + src.Spec.NodeName
	}
	return fmt.Sprintf(" between nodes %s and %s", src.Spec.NodeName, dst.Spec.NodeName)
}

func orWhy(a, b string) string {
	if a != "" {
		return a
	}
	if b != "" {
		return b
	}
	return "no output"
}
