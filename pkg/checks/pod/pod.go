// Package pod answers "why can't pod A reach pod B": both pods' state,
// the IPs they see inside, the nodes and CNI agents under them, the policy
// verdict with the deciding rules, and live ping and TCP probes from A, then
// one verdict that combines what the probes saw with what policy says.
package pod

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/cni"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/policyfetch"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

// Port is one destination port to check.
type Port struct {
	Port     intstr.IntOrString
	Protocol corev1.Protocol
}

// ParsePort reads P or P/PROTO: 80, 53/udp, http/TCP.
func ParsePort(s string) (Port, error) {
	num, proto, _ := strings.Cut(s, "/")
	p := Port{Protocol: corev1.ProtocolTCP}
	switch strings.ToUpper(proto) {
	case "", "TCP":
	case "UDP":
		p.Protocol = corev1.ProtocolUDP
	case "SCTP":
		p.Protocol = corev1.ProtocolSCTP
	default:
		return Port{}, fmt.Errorf("invalid protocol %q in port %q: use TCP, UDP or SCTP", proto, s)
	}
	if n, err := strconv.Atoi(num); err == nil {
		if n < 1 || n > 65535 {
			return Port{}, fmt.Errorf("invalid port %q: out of range 1-65535", s)
		}
		p.Port = intstr.FromInt32(int32(n))
		return p, nil
	}
	// A name must be one a container port can have (IANA_SVC_NAME), as
	// netpol --port requires: anything else could never resolve.
	if num == "" || len(validation.IsValidPortName(num)) > 0 {
		return Port{}, fmt.Errorf("invalid port %q: a number 1-65535 or a container port name", s)
	}
	p.Port = intstr.FromString(num)
	return p, nil
}

// Request names the two pods and what to check.
type Request struct {
	Src, Dst  target.Ref
	Namespace string // default namespace of the references
	Ports     []Port // default: the ports the destination declares
	// Probe says how to probe from the pods; the zero value: no probes.
	Probe probe.Settings
	// NodeChecks runs a debug pod on each pod's node (Node says how) to
	// read routes, MTUs and firewall counters around the probes.
	NodeChecks bool
	Node       probe.NodeSettings
	Now        func() time.Time
}

// Diagnose runs the procedure. It returns an error only when it cannot run
// at all (API server unreachable).
func Diagnose(ctx context.Context, c kube.Clients, req Request) (*report.Report, error) {
	client, dyn := c.Typed, c.Dynamic
	if req.Now == nil {
		req.Now = time.Now
	}
	rep := report.New("pod", report.Object{Kind: "Pod", Namespace: orNS(req.Dst.Namespace, req.Namespace), Name: req.Dst.Name})
	rep.Title = fmt.Sprintf("Pod %s -> pod %s", req.Src, req.Dst)

	// 1. The two pods.
	var src, dst *corev1.Pod
	var srcErr, dstErr error
	var wg sync.WaitGroup
	wg.Go(func() { src, srcErr = target.Resolve(ctx, client, req.Src, req.Namespace) })
	wg.Go(func() { dst, dstErr = target.Resolve(ctx, client, req.Dst, req.Namespace) })
	wg.Wait()
	for _, err := range []error{srcErr, dstErr} {
		var noPod *target.NoPodError
		if err != nil && !kube.IsAPIAnswer(err) && !errors.As(err, &noPod) {
			return nil, err
		}
	}
	pods := checkPods(req, src, srcErr, dst, dstErr)
	rep.Add(pods)
	if src == nil || dst == nil {
		rep.Finish(func(_ []report.Check, def report.Verdict) report.Verdict {
			if pods.Status != report.Fail {
				def.Outcome = report.Incomplete // a pod could not be read
			}
			return def
		})
		return rep, nil
	}
	rep.Title = fmt.Sprintf("Pod %s/%s -> pod %s/%s", src.Namespace, src.Name, dst.Namespace, dst.Name)
	ports, err := portsToCheck(req.Ports, dst)
	if err != nil {
		return nil, err
	}

	// 2. Everything else, concurrently: probes, nodes and CNI, policy.
	var srcSess, dstSess probe.Session
	var cniFacts *cni.Facts
	var cniErr error
	var snap *policyfetch.Result
	var snapErr error
	var np *nodeProbe
	wg.Go(func() { np = openNodes(ctx, c, req, src, dst) })
	wg.Go(func() { srcSess = req.Probe.OpenIn(ctx, c, src) })
	wg.Go(func() { dstSess = req.Probe.OpenIn(ctx, c, dst) })
	wg.Go(func() {
		cniFacts, cniErr = cni.Gather(ctx, client, cni.Request{Nodes: nodes(src, dst), Now: req.Now, MaxLogPods: 2})
	})
	wg.Go(func() {
		snap, snapErr = policyfetch.Fetch(ctx, client, dyn, policyfetch.Request{Known: []corev1.Pod{*src, *dst}})
	})
	wg.Wait()
	defer np.close() // also when interrupted; the normal path closed them already
	if cniErr != nil {
		return nil, cniErr
	}

	// The node checks read the firewall counters before and after every
	// packet the probes send, so that a rule that counted in between is
	// one that saw them.
	np.readBefore(ctx)
	live := runProbes(ctx, srcSess, dst, ports, dstSess)
	live.probePathMTU(ctx, src, dst)
	np.readAfter(ctx, probeFlows(src, dst, live))
	closeNotes := np.close()
	ips := checkIPs(src, dst, live)
	rep.Add(ips)
	rep.Add(cni.CheckNodes(cniFacts), cni.CheckAgents(cniFacts), cni.CheckAgentLogs(cniFacts))
	enforcement := cni.CheckEnforcement(cniFacts)
	var verdicts []policy.Verdict
	var pol report.Check
	if snapErr != nil {
		pol = checks.PodPolicy.FromError("reading policies", snapErr)
	} else {
		pol, verdicts = judge(snap, src, dst, ports)
	}
	rep.Add(enforcement, pol)
	rep.Add(checkPing(dst, live), checkTCP(dst, live, ports))
	if c := checkListening(dst, live); c != nil {
		rep.Add(*c)
	}
	rep.Add(checkPathMTU(src, dst, live))
	found := np.findings(src, dst, cniFacts.Nodes, live.podMTU(), live.failed())
	rep.Add(checkNodes(np, found))
	rep.Notes = append(rep.Notes, srcSess.Notes...)
	rep.Notes = append(rep.Notes, dstSess.Notes...)
	rep.Notes = append(rep.Notes, closeNotes...)
	rep.Finish(func(_ []report.Check, def report.Verdict) report.Verdict {
		return conclude(def, src, dst, live, verdicts, cniFacts, np, found)
	})
	return rep, nil
}

func orNS(ns, def string) string {
	if ns != "" {
		return ns
	}
	return def
}

func nodes(pods ...*corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		if p.Spec.NodeName != "" {
			out = append(out, p.Spec.NodeName)
		}
	}
	return out
}

// portsToCheck defaults to what the destination declares; a named port
// must be one it declares, or there is no port to ask about.
func portsToCheck(ports []Port, dst *corev1.Pod) ([]Port, error) {
	for _, p := range ports {
		if p.Port.Type == intstr.String && resolve(p, dst) == 0 {
			var declared []string
			for _, cp := range policy.PortsOf(dst) {
				if cp.Name != "" {
					declared = append(declared, fmt.Sprintf("%s (%d/%s)", cp.Name, cp.Number, cp.Protocol))
				}
			}
			list := "none"
			if len(declared) > 0 {
				list = strings.Join(declared, ", ")
			}
			return nil, fmt.Errorf("pod %s/%s declares no %s port named %q (named ports: %s): give a number with --port", dst.Namespace, dst.Name, p.Protocol, p.Port.StrVal, list)
		}
	}
	if len(ports) > 0 {
		return ports, nil
	}
	for _, cp := range policy.PortsOf(dst) {
		proto := cp.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		ports = append(ports, Port{Port: intstr.FromInt32(cp.Number), Protocol: proto})
	}
	if len(ports) == 0 {
		return nil, fmt.Errorf("pod %s/%s declares no container ports: say which with --port", dst.Namespace, dst.Name)
	}
	return ports, nil
}

// judge asks the engine about each port.
func judge(snap *policyfetch.Result, src, dst *corev1.Pod, ports []Port) (report.Check, []policy.Verdict) {
	if len(snap.Missing) > 0 {
		return checks.PodPolicy.New(report.Error, "pod %s vanished while reading policies", snap.Missing[0]), nil
	}
	eng := policy.New(snap.Snapshot)
	var flows []policy.Flow
	for _, p := range ports {
		flows = append(flows, policy.Flow{
			Src: policy.PodEndpoint(src.Namespace, src.Name), Dst: policy.PodEndpoint(dst.Namespace, dst.Name),
			Protocol: p.Protocol, Port: p.Port,
		})
	}
	return judgeFlows(eng, flows)
}
