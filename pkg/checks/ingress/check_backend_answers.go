package ingress

import (
	"context"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/controllerpods"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// BackendProbe is the Data of ING016, one entry per backend probed.
type BackendProbe struct {
	Backend string          `json:"backend"`
	Pod     string          `json:"pod,omitempty"`
	Result  probe.TCPResult `json:"result"`
}

// checkBackendAnswers (ING016): endpoints that exist but do not answer are
// what a controller turns into 502 (refused, reset) or 504 (dropped). Only a
// connect from where the controller runs tells: a policy may admit the
// controller's namespace and nothing else, or the reverse.
func checkBackendAnswers(ctx context.Context, f *facts, a *analysis, open func(context.Context, *corev1.Pod) probe.Session) report.Check {
	code := checks.IngBackendAnswers
	if open == nil {
		return code.Skipped("live probes disabled (--probe=none): a 502 cannot be told from the API")
	}
	ctrl := f.controller.readyPods()
	if len(ctrl) == 0 {
		return code.Skipped("no ready controller pod in the cluster to probe from")
	}
	type target struct {
		b    *backend
		ip   string
		port int32
		pod  string
	}
	var targets []target
	var pods []*corev1.Pod // each target's pod, nil when not known
	for _, b := range a.backends {
		if b.state != backendOK {
			continue
		}
		if ip, port, pod, ok := service.ReadyTarget(b.endpoints, b.targets, b.svcPort); ok {
			targets = append(targets, target{b, ip, port, pod})
			pods = append(pods, service.PodNamed(b.pods, pod))
		}
	}
	if len(targets) == 0 {
		return code.Skipped("no backend with ready endpoints to probe")
	}
	sess := open(ctx, ctrl[0])
	if sess.Prober == nil {
		c := code.Skipped("%s", sess.How)
		c.Forbidden = sess.Forbidden
		return c
	}
	results := make([]BackendProbe, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			results[i] = BackendProbe{Backend: t.b.label(), Pod: t.pod, Result: sess.Prober.TCP(ctx, t.ip, t.port)}
		})
	}
	wg.Wait()
	// A refusal: what the backend pod listens on, read from inside it.
	var notes []string
	for i := range results {
		if results[i].Result.Outcome == probe.Refused && pods[i] != nil {
			bs := open(ctx, pods[i])
			lr := probe.ReadListening(ctx, bs)
			results[i].Result.Listening = &lr
			notes = append(notes, bs.Notes...)
		}
	}
	var bad []string
	c := code.New(report.Pass, "")
	for _, r := range results {
		c.Facts = append(c.Facts, controllerpods.BackendProbeFacts(r.Backend, r.Result)...)
		switch r.Result.Outcome {
		case probe.Refused:
			bad = append(bad, fmt.Sprintf("502: backend %s endpoint %s refuses connections from the controller (%s)", r.Backend, r.Result.Target, r.Result.RefusalReason()))
		case probe.TimedOut, probe.Unreachable:
			bad = append(bad, fmt.Sprintf("502/504: connections from the controller to backend %s endpoint %s are dropped (a NetworkPolicy admitting only some namespaces? routing?)", r.Backend, r.Result.Target))
		}
	}
	c.Facts = append(c.Facts, report.Fact{Name: "probed from", Value: sess.How})
	for _, n := range notes {
		c.Facts = append(c.Facts, report.Fact{Name: "note", Value: n})
	}
	c.Data = results
	switch {
	case len(bad) > 0:
		c.Status, c.Message = report.Fail, strings.Join(bad, "; ")
		c.Next = []string{fmt.Sprintf("kubectl netdebug pod %s/%s %s --port %d", ctrl[0].Namespace, ctrl[0].Name, f.namespace+"/"+targets[0].pod, targets[0].port)}
	default:
		c.Message = fmt.Sprintf("every probed backend answers TCP from controller pod %s", ctrl[0].Name)
	}
	return c
}
