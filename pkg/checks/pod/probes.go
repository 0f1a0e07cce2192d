package pod

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// live is what the probes saw.
type live struct {
	src, dst probe.Session
	ping     *probe.PingResult
	// tcp by checked port index; nil when not probed.
	tcp     []*probe.TCPResult
	numbers []int32 // resolved port numbers, 0 when a name does not resolve
	srcNet  *probe.NetworkResult
	dstNet  *probe.NetworkResult
	// listen: the destination's listening sockets, read when a connect
	// was refused; nil otherwise.
	listen *probe.ListenResult
	// The pods' interface MTUs, and the packet-size probe (nil when it
	// did not run).
	srcLinks, dstLinks *probe.Links
	srcMTU, dstMTU     int
	pathMTU            *probe.PathMTUResult
}

// podMTU is the smaller of the two pods' MTUs; 0 when unknown.
func (l *live) podMTU() int {
	if l.srcMTU > 0 && (l.dstMTU == 0 || l.srcMTU < l.dstMTU) {
		return l.srcMTU
	}
	return l.dstMTU
}

// failed says whether the probes found the destination unreachable: no
// ping reply and no TCP connect (a refusal is an answer).
func (l *live) failed() bool {
	if l.ping != nil && l.ping.Reachable() {
		return false
	}
	answered, probed := false, l.ping != nil && l.ping.Ran
	for _, r := range l.tcp {
		if r == nil {
			continue
		}
		probed = true
		answered = answered || r.Outcome == probe.Connected || r.Outcome == probe.Refused
	}
	return probed && !answered
}

// maxProbes bounds the probes running at once: each is an exec stream
// through the API server and the kubelet.
const maxProbes = 6

// runProbes pings and connects from the source, and reads both pods' own
// addresses, concurrently within maxProbes (each probe is bounded by its
// timeout).
func runProbes(ctx context.Context, src probe.Session, dst *corev1.Pod, ports []Port, dstSess probe.Session) *live {
	l := &live{src: src, dst: dstSess, tcp: make([]*probe.TCPResult, len(ports)), numbers: make([]int32, len(ports))}
	for i, p := range ports {
		l.numbers[i] = resolve(p, dst)
	}
	wg := probe.NewGroup(maxProbes)
	if p := src.Prober; p != nil {
		wg.Go(func() { r := p.Ping(ctx, dst.Status.PodIP); l.ping = &r })
		for i, port := range ports {
			if port.Protocol != corev1.ProtocolTCP || l.numbers[i] == 0 {
				continue
			}
			wg.Go(func() { r := p.TCP(ctx, dst.Status.PodIP, l.numbers[i]); l.tcp[i] = &r })
		}
		wg.Go(func() { r := p.Network(ctx); l.srcNet = &r })
		wg.Go(func() { r := p.Links(ctx); l.srcLinks = &r })
	}
	if p := dstSess.Prober; p != nil {
		wg.Go(func() { r := p.Network(ctx); l.dstNet = &r })
		wg.Go(func() { r := p.Links(ctx); l.dstLinks = &r })
	}
	wg.Wait()
	l.readListening(ctx)
	return l
}

// readListening reads the destination's listening sockets when a connect
// was refused, to tell a loopback-only bind from a wrong port from a
// refusal that is not the application's, and attaches them to each refused
// result.
func (l *live) readListening(ctx context.Context) {
	for _, r := range l.tcp {
		if r == nil || r.Outcome != probe.Refused {
			continue
		}
		if l.listen == nil {
			lr := probe.ReadListening(ctx, l.dst)
			l.listen = &lr
		}
		r.Listening = l.listen
	}
}

// checkListening is a skipped POD005 step when the destination's sockets
// could not be read for lack of the exec permission; nil otherwise.
func checkListening(dst *corev1.Pod, l *live) *report.Check {
	if l.listen == nil || l.listen.Forbidden == nil {
		return nil
	}
	c := checks.PodTCP.Skipped("not allowed to %s, so the listening sockets of pod %s/%s were not read", l.listen.Forbidden, dst.Namespace, dst.Name)
	c.Subject = fmt.Sprintf("listening sockets of pod %s/%s", dst.Namespace, dst.Name)
	c.Forbidden = l.listen.Forbidden
	return &c
}

// resolve turns a named port into the destination's number for it.
func resolve(p Port, dst *corev1.Pod) int32 {
	if p.Port.Type == intstr.Int {
		return p.Port.IntVal
	}
	for _, cp := range policy.PortsOf(dst) {
		if cp.Name == p.Port.StrVal && cp.Protocol == p.Protocol {
			return cp.Number
		}
	}
	return 0
}

// checkIPs (POD002): the IPs each pod sees on its own interfaces are the
// API's. A mismatch means the CNI gave the pod another address than it
// reported, and traffic to the API's IP goes elsewhere.
func checkIPs(src, dst *corev1.Pod, l *live) report.Check {
	code := checks.PodIPs
	var facts []report.Fact
	var bad []string
	seen := 0
	for _, side := range []struct {
		pod *corev1.Pod
		net *probe.NetworkResult
	}{{src, l.srcNet}, {dst, l.dstNet}} {
		if side.net == nil {
			continue
		}
		inside := side.net.IPs()
		if len(inside) == 0 {
			facts = append(facts, report.Fact{Name: side.pod.Name, Value: "could not read its addresses: " + firstError(side.net.Evidence)})
			continue
		}
		seen++
		facts = append(facts, report.Fact{Name: side.pod.Name, Value: fmt.Sprintf("API %s, inside %s", side.pod.Status.PodIP, strings.Join(inside, ", "))})
		if side.pod.Spec.HostNetwork {
			continue // the node's addresses
		}
		for _, ip := range side.pod.Status.PodIPs {
			if !slices.Contains(inside, ip.IP) {
				bad = append(bad, fmt.Sprintf("pod %s has API IP %s but not on its interfaces (%s)", side.pod.Name, ip.IP, strings.Join(inside, ", ")))
			}
		}
	}
	var c report.Check
	switch {
	case len(bad) > 0:
		c = code.New(report.Fail, "%s: the CNI's view and the API disagree", strings.Join(bad, "; "))
	case seen == 0:
		c = code.Skipped("%s", orHow(l.src.How, l.dst.How))
		c.Forbidden = firstForbidden(l.src, l.dst)
	default:
		c = code.New(report.Pass, "the pods' interfaces carry the IPs the API reports")
	}
	c.Facts = facts
	return c
}

// checkPing (POD004): ICMP from the source to the destination's IP.
func checkPing(dst *corev1.Pod, l *live) report.Check {
	code := checks.PodPing
	if l.ping == nil {
		c := code.Skipped("%s", l.src.How)
		c.Forbidden = l.src.Forbidden
		return c
	}
	r := l.ping
	c := code.New(report.Pass, "")
	c.Facts = evidenceFacts(r.Evidence)
	c.Data = r
	switch {
	case r.Evidence.Error != "" && !r.Ran:
		c.Status, c.Message = report.Skip, "ping not run: "+r.Evidence.Error
	case !r.Ran:
		c.Status, c.Message = report.Warn, "ping output not understood (no permission for ICMP in this container?): "+oneLine(r.Evidence.Output)
	case r.Received == 0:
		c.Status, c.Message = report.Warn, fmt.Sprintf("no reply to %d ping(s) to %s (ICMP may be dropped by policy or not allowed; TCP tells more)", r.Sent, dst.Status.PodIP)
	default:
		c.Message = fmt.Sprintf("%d/%d ping replies from %s, avg %.2f ms", r.Received, r.Sent, dst.Status.PodIP, r.AvgRTTMS)
	}
	return c
}

// checkTCP (POD005): a TCP connect to each port.
func checkTCP(dst *corev1.Pod, l *live, ports []Port) report.Check {
	code := checks.PodTCP
	if l.src.Prober == nil {
		c := code.Skipped("%s", l.src.How)
		c.Forbidden = l.src.Forbidden
		return c
	}
	var facts []report.Fact
	var failed, ok, ran []string
	var data []*probe.TCPResult
	for i, p := range ports {
		label := fmt.Sprintf("%s/%s", p.Port.String(), p.Protocol)
		r := l.tcp[i]
		switch {
		case p.Protocol != corev1.ProtocolTCP:
			facts = append(facts, report.Fact{Name: label, Value: "not probed: only TCP can be told without an application answer"})
			continue
		case l.numbers[i] == 0:
			facts = append(facts, report.Fact{Name: label, Value: "not probed: the destination declares no such named port"})
			continue
		case r == nil:
			continue
		}
		data = append(data, r)
		v := fmt.Sprintf("%s in %dms: %s", r.Outcome, r.Evidence.DurationMS, r.Evidence.Command)
		if out := oneLine(r.Evidence.Output); out != "" {
			v += " -> " + out
		}
		facts = append(facts, report.Fact{Name: fmt.Sprintf("%s:%d", dst.Status.PodIP, l.numbers[i]), Value: v})
		ran = append(ran, label)
		if r.Outcome == probe.Connected {
			ok = append(ok, fmt.Sprint(l.numbers[i]))
		} else {
			failed = append(failed, fmt.Sprintf("%d %s", l.numbers[i], r.Outcome))
		}
	}
	var c report.Check
	switch {
	case len(ran) == 0:
		c = code.Skipped("no TCP port to probe")
	case len(failed) > 0:
		c = code.New(report.Fail, "TCP from %s to %s: %s", l.src.Prober.Runner.Where(), dst.Status.PodIP, strings.Join(failed, ", "))
	default:
		c = code.New(report.Pass, "TCP connects to %s on port(s) %s", dst.Status.PodIP, strings.Join(ok, ", "))
	}
	if l.listen != nil {
		facts = append(facts, l.listen.Fact())
	}
	c.Facts = facts
	c.Data = data
	return c
}

func evidenceFacts(e probe.Evidence) []report.Fact {
	f := []report.Fact{{Name: "command", Value: e.Command}, {Name: "where", Value: e.Where}}
	if e.Output != "" {
		f = append(f, report.Fact{Name: "output", Value: oneLine(e.Output)})
	}
	if e.Error != "" {
		f = append(f, report.Fact{Name: "error", Value: e.Error})
	}
	return f
}

func firstError(ev []probe.Evidence) string {
	for _, e := range ev {
		if e.Error != "" {
			return e.Error
		}
	}
	return "no address found"
}

func firstForbidden(ss ...probe.Session) *report.Permission {
	for _, s := range ss {
		if s.Forbidden != nil {
			return s.Forbidden
		}
	}
	return nil
}

func orHow(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}
