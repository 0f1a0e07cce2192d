package route

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/controllerpods"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/flowcheck"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/podstatus"
	"github.com/netdebug/kubectl-netdebug/pkg/policy"
	"github.com/netdebug/kubectl-netdebug/pkg/policyfetch"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// BackendProbe is the Data of RT011, one entry per backend probed.
type BackendProbe struct {
	Backend string          `json:"backend"`
	Pod     string          `json:"pod,omitempty"`
	Result  probe.TCPResult `json:"result"`
}

// live is what was found from the data plane of one parent: its pods, the
// probes to the winning rule's backends, and the policy verdict.
type live struct {
	dp     gateway.DataPlane
	read   bool
	from   *corev1.Pod
	skip   string // why no probe ran
	denied *report.Permission
	how    string
	probes []BackendProbe
	policy *report.Check
	notes  []string
}

// maxPolicyBackends bounds the backend pods judged: pods of one Service
// share labels, so a few represent them.
const maxPolicyBackends = 5

// gatherLive finds the parent's data plane and, when the request lands on
// a rule with ready backends, probes them from a ready data-plane pod and
// judges NetworkPolicy between them.
func gatherLive(ctx context.Context, c kube.Clients, p *parent, req Request) *live {
	l := &live{}
	if p.pg.gw == nil || p.winner == nil || p.blocked != "" {
		return l
	}
	l.dp = gateway.FindDataPlane(ctx, c.Typed, p.pg.gw, p.pg.class, 0)
	l.read = true
	ready := l.dp.ReadyDataPlane()
	if len(ready) > 0 {
		l.from = ready[0]
	}
	type target struct {
		b    *backend
		ip   string
		port int32
		pod  string
	}
	var targets []target
	var targetPods []*corev1.Pod // each target's pod, nil when not known
	var backendPods []corev1.Pod
	for _, rb := range p.winner.refs {
		b := rb.b
		if b.state != backendOK || rb.weight <= 0 {
			continue
		}
		if ip, port, pod, ok := service.ReadyTarget(b.endpoints, b.targets, b.svcPort); ok {
			targets = append(targets, target{b, ip, port, pod})
			targetPods = append(targetPods, service.PodNamed(b.pods, pod))
		}
		for _, pod := range b.pods {
			if podstatus.Ready(&pod) && len(backendPods) < maxPolicyBackends {
				backendPods = append(backendPods, pod)
			}
		}
	}
	var wg sync.WaitGroup
	if l.from != nil && len(backendPods) > 0 {
		wg.Go(func() { l.policy = judgePolicy(ctx, c, l.from, p.winner, backendPods) })
	}
	switch {
	case !req.Probe.Enabled():
		l.skip = "live probes disabled (--probe=none): a 502 or 504 cannot be told from the API"
	case l.from == nil:
		l.skip = "no ready data-plane pod of the gateway to probe from"
	case len(targets) == 0:
		l.skip = "no backend of the winning rule with a ready endpoint to probe"
	default:
		sess := req.Probe.OpenIn(ctx, c, l.from)
		l.notes = append(l.notes, sess.Notes...)
		if sess.Prober == nil {
			l.skip, l.denied = sess.How, sess.Forbidden
			break
		}
		l.how = sess.How
		l.probes = make([]BackendProbe, len(targets))
		for i, t := range targets {
			wg.Go(func() {
				l.probes[i] = BackendProbe{Backend: t.b.label(), Pod: t.pod, Result: sess.Prober.TCP(ctx, t.ip, t.port)}
			})
		}
	}
	wg.Wait()
	// A refusal: what the backend pod listens on, read from inside it.
	for i := range l.probes {
		if l.probes[i].Result.Outcome == probe.Refused && targetPods[i] != nil {
			bs := req.Probe.OpenIn(ctx, c, targetPods[i])
			lr := probe.ReadListening(ctx, bs)
			l.probes[i].Result.Listening = &lr
			l.notes = append(l.notes, bs.Notes...)
		}
	}
	return l
}

// judgePolicy is RT012: NetworkPolicy from the data-plane pod to the
// backend pods on their resolved target ports.
func judgePolicy(ctx context.Context, c kube.Clients, from *corev1.Pod, w *winner, backendPods []corev1.Pod) *report.Check {
	code := checks.RtPolicy
	snap, err := policyfetch.Fetch(ctx, c.Typed, c.Dynamic, policyfetch.Request{Known: append([]corev1.Pod{*from}, backendPods...)})
	if err != nil {
		chk := code.FromError("reading policies", err)
		return &chk
	}
	eng := policy.New(snap.Snapshot)
	var flows []policy.Flow
	for _, rb := range w.refs {
		b := rb.b
		if b.state != backendOK || b.svcPort == nil {
			continue
		}
		for i := range backendPods {
			bp := &backendPods[i]
			if bp.Namespace != b.namespace || !podSelected(b, bp) {
				continue
			}
			if b.targets == nil {
				continue
			}
			for n, pods := range b.targets.Resolved {
				if contains(pods, bp.Name) {
					flows = append(flows, policy.Flow{
						Src: policy.PodEndpoint(from.Namespace, from.Name), Dst: policy.PodEndpoint(bp.Namespace, bp.Name),
						Protocol: controllerpods.ProtocolOf(b.svcPort.Protocol), Port: intstr.FromInt32(n),
					})
				}
			}
		}
	}
	chk, _ := flowcheck.Judge(code, eng, flows)
	return &chk
}

func podSelected(b *backend, p *corev1.Pod) bool {
	return slices.ContainsFunc(b.pods, func(q corev1.Pod) bool { return q.Name == p.Name })
}

// noBackend says why a parent has no backend to work on (to judge policy
// for, to probe), or "".
func noBackend(p *parent, to string) string {
	switch {
	case p.pg.gw == nil:
		return fmt.Sprintf("gateway %s could not be read", p.key)
	case p.blocked != "":
		return "nothing serves the request: " + p.blocked
	case p.winner == nil:
		return "no rule takes the request, so no backend to " + to
	}
	return ""
}

// checkPolicy (RT012): NetworkPolicy lets the data plane reach the
// backends of the winning rule.
func checkPolicy(f *facts, a *analysis, p *parent, l *live) report.Check {
	code := checks.RtPolicy
	switch why := noBackend(p, "judge policy for"); {
	case why != "":
		return code.Skipped("%s", why)
	case l.dp.Outside != "":
		return code.Skipped("the data plane runs outside the cluster (%s): NetworkPolicy does not apply to it as to a pod", l.dp.Outside)
	case l.from == nil:
		return code.Skipped("no ready data-plane pod of the gateway found, so no source to judge policy from")
	case l.policy == nil:
		return code.Skipped("no ready backend pod of the winning rule")
	}
	c := *l.policy
	if c.Status == report.Pass {
		c.Message = fmt.Sprintf("from data-plane pod %s/%s: %s", l.from.Namespace, l.from.Name, c.Message)
	}
	return c
}

// checkBackendAnswers (RT011): endpoints that exist but refuse or drop the
// data plane's connections are the 502s and 504s the API cannot show.
func checkBackendAnswers(f *facts, a *analysis, p *parent, l *live) report.Check {
	code := checks.RtBackendProbe
	switch why := noBackend(p, "probe"); {
	case why != "":
		return code.Skipped("%s", why)
	case l.dp.Outside != "":
		return code.Skipped("the data plane runs outside the cluster (%s): nothing to probe from", l.dp.Outside)
	case l.skip != "":
		c := code.Skipped("%s", l.skip)
		c.Forbidden = l.denied
		return c
	}
	c := code.New(report.Pass, "")
	var bad []string
	for _, r := range l.probes {
		c.Facts = append(c.Facts, controllerpods.BackendProbeFacts(r.Backend, r.Result)...)
		switch r.Result.Outcome {
		case probe.Refused:
			bad = append(bad, fmt.Sprintf("502: backend %s endpoint %s refuses connections from the data plane (%s)", r.Backend, r.Result.Target, r.Result.RefusalReason()))
		case probe.TimedOut, probe.Unreachable:
			bad = append(bad, fmt.Sprintf("504: connections from the data plane to backend %s endpoint %s are dropped (a NetworkPolicy? routing?)", r.Backend, r.Result.Target))
		}
	}
	c.Facts = append(c.Facts, report.Fact{Name: "probed from", Value: l.how})
	c.Data = l.probes
	if len(bad) > 0 {
		c.Status, c.Message = report.Fail, strings.Join(bad, "; ")
		first := l.probes[0]
		ns, _, _ := strings.Cut(first.Backend, "/")
		c.Next = []string{fmt.Sprintf("kubectl netdebug pod %s/%s %s/%s --port %s", l.from.Namespace, l.from.Name, ns, first.Pod, portOf(first.Result.Target))}
	} else {
		c.Message = fmt.Sprintf("every probed backend answers TCP from data-plane pod %s/%s", l.from.Namespace, l.from.Name)
	}
	return c
}

func portOf(target string) string {
	if i := strings.LastIndex(target, ":"); i >= 0 {
		return target[i+1:]
	}
	return target
}
