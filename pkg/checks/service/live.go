package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/flowcheck"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/policyfetch"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// liveClient is the client pod of the live checks and how probes run in it.
type liveClient struct {
	Pod     *corev1.Pod
	Session probe.Session
	// ClusterDomain for the Service's DNS name; cluster.local when empty.
	ClusterDomain string
	// Dynamic reads AdminNetworkPolicies for the policy verdict; nil skips
	// them (only when their API is absent is that exact).
	Dynamic dynamic.Interface
	// Open prepares running commands in a backend pod, to read its
	// listening sockets after a refused connect; nil: never.
	Open func(context.Context, *corev1.Pod) probe.Session
}

// LiveResults are what the probes found (Data of SVC007, SVC009, SVC010).
type LiveResults struct {
	Lookup    *probe.DNSResult `json:"lookup,omitempty"`
	Backend   *probe.TCPResult `json:"backend,omitempty"`
	ClusterIP *probe.TCPResult `json:"clusterIP,omitempty"`
}

// liveTarget is the service port probed and its backend.
type liveTarget struct {
	port     corev1.ServicePort
	endpoint string // ready endpoint IP
	target   int32  // resolved targetPort on that endpoint's pod
	pod      string
}

// liveChecks probe the three paths a connection to a Service takes from a
// client pod, so the report can tell a DNS problem from a kube-proxy (VIP)
// problem from a backend problem. A refused backend has its listening
// sockets read; notes are what the user should know of that (an ephemeral
// container added to the backend pod).
func liveChecks(ctx context.Context, client kubernetes.Interface, f *facts, from liveClient) (out []report.Check, notes []string) {
	skipAll := func(format string, args ...any) ([]report.Check, []string) {
		out := []report.Check{checkPolicy(ctx, client, f, from)}
		for _, c := range []checks.Code{checks.SvcDNSFromPod, checks.SvcBackendTCP, checks.SvcClusterIP} {
			chk := c.Skipped(format, args...)
			chk.Forbidden = from.Session.Forbidden
			out = append(out, chk)
		}
		return out, nil
	}
	p := from.Session.Prober
	if p == nil {
		return skipAll("%s", from.Session.How)
	}
	if f.svc.Spec.Type == corev1.ServiceTypeExternalName {
		return skipAll("ExternalName service: nothing of the cluster's to probe")
	}
	domain := from.ClusterDomain
	if domain == "" {
		domain = "cluster.local"
	}
	tgt, why := pickLiveTarget(f)
	var res LiveResults
	var wg sync.WaitGroup
	name := fmt.Sprintf("%s.%s.svc.%s", f.name, f.namespace, domain)
	wg.Go(func() { r := p.Lookup(ctx, name, "", false); res.Lookup = &r })
	if tgt != nil {
		wg.Go(func() { r := p.TCP(ctx, tgt.endpoint, tgt.target); res.Backend = &r })
	}
	vip := f.svc.Spec.ClusterIP
	hasVIP := vip != "" && vip != corev1.ClusterIPNone && len(f.svc.Spec.Ports) > 0
	if hasVIP {
		wg.Go(func() { r := p.TCP(ctx, vip, f.svc.Spec.Ports[0].Port); res.ClusterIP = &r })
	}
	wg.Wait()
	if tgt != nil && res.Backend.Outcome == probe.Refused {
		notes = readListening(ctx, f, tgt, res.Backend, from)
	}

	out = []report.Check{checkLookup(f, res.Lookup, from), checkPolicy(ctx, client, f, from)}
	if tgt == nil {
		out = append(out, checks.SvcBackendTCP.Skipped("%s", why))
	} else {
		out = append(out, checkBackend(f, tgt, res.Backend, from))
		if c := checkListening(f, tgt, res.Backend); c != nil {
			out = append(out, *c)
		}
	}
	if hasVIP {
		out = append(out, checkClusterIP(f, res.ClusterIP, res.Backend, from))
	} else {
		out = append(out, checks.SvcClusterIP.Skipped("headless service: no virtual IP"))
	}
	return out, notes
}

// readListening reads the listening sockets of the backend pod that
// refused, through a session of its own, into r.Listening.
func readListening(ctx context.Context, f *facts, tgt *liveTarget, r *probe.TCPResult, from liveClient) []string {
	if tgt.pod == "" || from.Open == nil {
		return nil
	}
	for i := range f.pods {
		if f.pods[i].Name == tgt.pod {
			sess := from.Open(ctx, &f.pods[i])
			lr := probe.ReadListening(ctx, sess)
			r.Listening = &lr
			return sess.Notes
		}
	}
	return nil
}

// checkListening is a skipped SVC009 step when the refusing backend's
// sockets could not be read for lack of the exec permission; nil otherwise.
func checkListening(f *facts, tgt *liveTarget, r *probe.TCPResult) *report.Check {
	if r == nil || r.Listening == nil || r.Listening.Forbidden == nil {
		return nil
	}
	c := checks.SvcBackendTCP.Skipped("not allowed to %s, so the listening sockets of pod %s/%s were not read", r.Listening.Forbidden, f.namespace, tgt.pod)
	c.Subject = fmt.Sprintf("listening sockets of pod %s/%s", f.namespace, tgt.pod)
	c.Forbidden = r.Listening.Forbidden
	return &c
}

// pickLiveTarget chooses a ready endpoint of the first TCP service port and
// the targetPort it resolves to on that endpoint's pod.
func pickLiveTarget(f *facts) (*liveTarget, string) {
	var port *corev1.ServicePort
	for i := range f.svc.Spec.Ports {
		if protocol(f.svc.Spec.Ports[i].Protocol) == corev1.ProtocolTCP {
			port = &f.svc.Spec.Ports[i]
			break
		}
	}
	if port == nil {
		return nil, "no TCP port on the service (UDP cannot be told without an application answer)"
	}
	for _, e := range endpointsOf(f.slices) {
		if !e.Ready {
			continue
		}
		for i := range f.pods {
			pod := &f.pods[i]
			if pod.Name != e.Pod {
				continue
			}
			res := resolvePort(*port, []corev1.Pod{*pod})
			for n := range res.resolved {
				return &liveTarget{port: *port, endpoint: e.Address, target: n, pod: pod.Name}, ""
			}
		}
		if len(f.svc.Spec.Selector) == 0 {
			n := targetPort(*port)
			if n.IntValue() > 0 {
				return &liveTarget{port: *port, endpoint: e.Address, target: int32(n.IntValue())}, ""
			}
		}
	}
	return nil, "no ready endpoint to probe"
}

// checkLookup (SVC007): the name resolves to the ClusterIP (or, headless,
// to endpoint IPs).
func checkLookup(f *facts, r *probe.DNSResult, from liveClient) report.Check {
	code := checks.SvcDNSFromPod
	c := code.New(report.Pass, "")
	c.Facts = []report.Fact{{Name: "command", Value: r.Evidence.Command}, {Name: "where", Value: r.Evidence.Where}, {Name: "output", Value: oneLine(r.Evidence.Output)}}
	c.Data = r
	want := clusterIPs(f.svc)
	switch {
	case r.Evidence.Error != "" && r.RCode == "":
		c.Status, c.Message = report.Warn, "could not look the name up: "+r.Evidence.Error
	case !r.Resolved():
		c.Status = report.Fail
		c.Message = fmt.Sprintf("%s does not resolve from pod %s (%s)", r.Name, from.Pod.Name, orDash(r.RCode))
		c.Next = []string{fmt.Sprintf("kubectl netdebug dns %s -n %s --from %s/%s", f.name, f.namespace, from.Pod.Namespace, from.Pod.Name)}
	case f.svc.Spec.ClusterIP == corev1.ClusterIPNone:
		c.Message = fmt.Sprintf("%s resolves to %s (headless: endpoint IPs)", r.Name, strings.Join(r.Answers, ", "))
	case !slices.ContainsFunc(r.Answers, func(a string) bool { return slices.Contains(want, a) }):
		c.Status = report.Fail
		c.Message = fmt.Sprintf("%s resolves to %s, not the ClusterIP %s: a stale DNS cache or another DNS server answers", r.Name, strings.Join(r.Answers, ", "), strings.Join(want, ", "))
	default:
		c.Message = fmt.Sprintf("%s resolves to %s from pod %s", r.Name, strings.Join(r.Answers, ", "), from.Pod.Name)
	}
	return c
}

// maxPolicyBackends bounds the flows judged for a Service with many pods:
// backends of one Service share labels, so a few represent them.
const maxPolicyBackends = 5

// checkPolicy (SVC008): policy lets the client reach the ready backends on
// their target ports. Static: it needs no probe.
func checkPolicy(ctx context.Context, client kubernetes.Interface, f *facts, from liveClient) report.Check {
	code := checks.SvcPolicy
	if len(f.pods) == 0 {
		return code.Skipped("no backend pods to judge policy for")
	}
	var backends []corev1.Pod
	for _, p := range f.pods {
		if podstatus.Ready(&p) && len(backends) < maxPolicyBackends {
			backends = append(backends, p)
		}
	}
	if len(backends) == 0 {
		return code.Skipped("no ready backend pod")
	}
	snap, err := policyfetch.Fetch(ctx, client, from.Dynamic, policyfetch.Request{Known: append([]corev1.Pod{*from.Pod}, backends...)})
	if err != nil {
		return code.FromError("reading policies", err)
	}
	eng := policy.New(snap.Snapshot)
	var flows []policy.Flow
	for _, sp := range f.svc.Spec.Ports {
		for i := range backends {
			res := resolvePort(sp, backends[i:i+1])
			for n := range res.resolved {
				flows = append(flows, policy.Flow{
					Src: policy.PodEndpoint(from.Pod.Namespace, from.Pod.Name), Dst: policy.PodEndpoint(backends[i].Namespace, backends[i].Name),
					Protocol: protocol(sp.Protocol), Port: intstr.FromInt32(n),
				})
			}
		}
	}
	c, _ := flowcheck.Judge(code, eng, flows)
	return c
}

// checkBackend (SVC009): straight to one ready endpoint, bypassing kube-proxy.
func checkBackend(f *facts, tgt *liveTarget, r *probe.TCPResult, from liveClient) report.Check {
	code := checks.SvcBackendTCP
	c := tcpCheck(code, r)
	dest := fmt.Sprintf("endpoint %s:%d", tgt.endpoint, tgt.target)
	if tgt.pod != "" {
		dest += " (pod " + tgt.pod + ")"
	}
	switch r.Outcome {
	case probe.Connected:
		c.Message = fmt.Sprintf("pod %s connects to %s", from.Pod.Name, dest)
	case probe.Refused:
		c.Status = report.Fail
		kind, why := probe.RefusalUnknown, ""
		if r.Listening != nil {
			kind, why = r.Listening.Refusal(tgt.endpoint, tgt.target)
			c.Facts = append(c.Facts, r.Listening.Fact())
		}
		switch kind {
		case probe.RefusalUnknown:
			c.Message = fmt.Sprintf("%s refuses connections: nothing listens on port %d in the backend (wrong targetPort, or the app listens on 127.0.0.1 only)", dest, tgt.target)
			if r.Listening != nil && r.Listening.Why != "" {
				c.Message += "; its listening sockets were not read: " + r.Listening.Why
			}
			if tgt.pod != "" {
				c.Next = []string{fmt.Sprintf("kubectl -n %s exec %s -- netstat -tln", f.namespace, tgt.pod)}
			}
		case probe.RefusalNotListening:
			c.Message = fmt.Sprintf("%s refuses connections: %s", dest, why)
			if tp := targetPort(tgt.port); len(r.Listening.Listeners) > 0 {
				c.Message += fmt.Sprintf(" (is targetPort %s of service port %d right?)", tp.String(), tgt.port.Port)
			}
		default:
			c.Message = fmt.Sprintf("%s refuses connections: %s", dest, why)
		}
	case probe.TimedOut, probe.Unreachable:
		c.Status = report.Fail
		c.Message = fmt.Sprintf("connection from pod %s to %s %s: packets are dropped between the pods (NetworkPolicy, CNI, routing between the nodes, or a node firewall)", from.Pod.Name, dest, r.Outcome)
		// the pod procedure tells these apart; its node checks read the
		// routes and firewall counters of both nodes
		c.Next = []string{fmt.Sprintf("kubectl netdebug pod %s/%s %s/%s --port %d --node-checks", from.Pod.Namespace, from.Pod.Name, f.namespace, tgt.pod, tgt.target)}
	}
	return c
}

// checkClusterIP (SVC010): through the virtual IP. When the backend path
// works and this does not, kube-proxy (or its replacement) is at fault.
func checkClusterIP(f *facts, r *probe.TCPResult, backend *probe.TCPResult, from liveClient) report.Check {
	code := checks.SvcClusterIP
	c := tcpCheck(code, r)
	dest := fmt.Sprintf("ClusterIP %s:%d", f.svc.Spec.ClusterIP, f.svc.Spec.Ports[0].Port)
	backendOK := backend != nil && backend.Outcome == probe.Connected
	switch {
	case r.Outcome == probe.Connected:
		c.Message = fmt.Sprintf("pod %s connects to %s", from.Pod.Name, dest)
	case r.Outcome == probe.NotRun || r.Outcome == probe.Unknown:
	case backendOK:
		c.Status = report.Fail
		c.Message = fmt.Sprintf("%s %s although the backend answers directly: the service VIP is broken (kube-proxy rules missing or stale on the client's node)", dest, r.Outcome)
		c.Next = []string{"kubectl netdebug cni", "kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide"}
	case r.Outcome == probe.Refused && len(f.slices) > 0:
		c.Status = report.Fail
		c.Message = fmt.Sprintf("%s refused: kube-proxy rejects connections to a service without ready endpoints, or the backend refuses", dest)
	default:
		c.Status = report.Fail
		c.Message = fmt.Sprintf("%s %s from pod %s; the backend path fails too, so see the checks above", dest, r.Outcome, from.Pod.Name)
	}
	return c
}

func tcpCheck(code checks.Code, r *probe.TCPResult) report.Check {
	c := code.New(report.Pass, "")
	c.Facts = []report.Fact{{Name: "outcome", Value: string(r.Outcome)}, {Name: "command", Value: r.Evidence.Command}, {Name: "where", Value: r.Evidence.Where},
		{Name: "output", Value: oneLine(r.Evidence.Output)}, {Name: "time", Value: fmt.Sprintf("%dms", r.Evidence.DurationMS)}}
	c.Data = r
	switch r.Outcome {
	case probe.NotRun:
		c.Status, c.Message = report.Warn, "probe could not run: "+r.Evidence.Error
	case probe.Unknown:
		c.Status, c.Message = report.Warn, "probe output not understood: "+oneLine(r.Evidence.Output)
	}
	return c
}

func orDash(s string) string {
	if s == "" {
		return "no answer"
	}
	return s
}
