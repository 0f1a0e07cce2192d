// Package service diagnoses a Service the way the service-discovery procedure
// does by hand: does it exist, what kind is it, does its selector match pods,
// are they ready, do its target ports resolve on them, and do its
// EndpointSlices agree. It reads the API only and never changes anything.
package service

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/dns"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

// Request names the Service to diagnose.
type Request struct {
	Namespace string
	Name      string
	// Now is the clock used for ages in messages; time.Now when nil.
	Now func() time.Time
	// From, when set, adds live checks from that client pod (--from: a pod
	// or a workload), probing as Probe says.
	From  *target.Ref
	Probe probe.Settings
}

// Diagnose runs the procedure and returns its report. It returns an error
// only when the diagnosis cannot run at all (the API server cannot be
// reached); anything the API answers, including Forbidden, becomes a check.
func Diagnose(ctx context.Context, c kube.Clients, req Request) (*report.Report, error) {
	if req.Now == nil {
		req.Now = time.Now
	}
	var from *liveClient
	if req.From != nil {
		pod, sess, err := probe.OpenClient(ctx, c, *req.From, req.Namespace, req.Probe)
		if err != nil {
			return nil, err
		}
		from = &liveClient{Pod: pod, Session: sess, ClusterDomain: dns.Domain(ctx, c.Typed), Dynamic: c.Dynamic,
			Open: func(ctx context.Context, pod *corev1.Pod) probe.Session { return req.Probe.OpenIn(ctx, c, pod) }}
	}
	client := c.Typed
	f, err := gather(ctx, client, req)
	if err != nil {
		return nil, err
	}
	rep := report.New("service", report.Object{Kind: "Service", Namespace: req.Namespace, Name: req.Name})
	exists := checkExists(f)
	rep.Add(exists)
	if f.svc == nil {
		rep.Finish(checks.CouldNotRead(fmt.Sprintf("service %s/%s", req.Namespace, req.Name)))
		return rep, nil
	}
	rep.Add(
		checkType(f),
		checkSelector(f),
		checkPodsReady(f, req.Now()),
		checkTargetPorts(f),
		checkEndpoints(f),
	)
	if from != nil {
		live, notes := liveChecks(ctx, client, f, *from)
		rep.Add(live...)
		rep.Notes = append(rep.Notes, from.Session.Notes...)
		rep.Notes = append(rep.Notes, notes...)
	}
	if from == nil {
		rep.Finish(nil)
	} else {
		rep.Finish(liveVerdict)
	}
	return rep, nil
}

// liveVerdict ranks live failures by what they prove: the backend path
// failing is the root cause of the VIP failing too; DNS failing alone is a
// DNS problem. Static failures stay first: they explain the live ones.
func liveVerdict(list []report.Check, first report.Verdict) report.Verdict {
	if first.Outcome != report.Problems {
		return first
	}
	switch checks.Code(first.Code) {
	case checks.SvcExists, checks.SvcType, checks.SvcSelector, checks.SvcPodsReady, checks.SvcTargetPorts, checks.SvcEndpoints:
		return first
	}
	for _, code := range []checks.Code{checks.SvcPolicy, checks.SvcBackendTCP, checks.SvcClusterIP, checks.SvcDNSFromPod} {
		if c := report.Find(list, code); c != nil && c.Status == report.Fail {
			return report.Verdict{Outcome: report.Problems, Code: c.Code, Message: c.Message, Next: c.Next}
		}
	}
	return first
}
