// Package dns diagnoses cluster DNS the way the procedure does by hand: the
// kube-dns Service and its pods and endpoints, the CoreDNS configuration,
// node-local caches, errors in the DNS pods' logs and, from a pod, its
// resolv.conf, real lookups and whether policy lets it reach DNS.
package dns

import (
	"context"
	"fmt"
	"time"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/target"
)

// Request says what to diagnose.
type Request struct {
	// Name is an optional name to resolve from a pod (a Service name,
	// name.namespace, or a full name).
	Name string
	// Namespace is where a short Name lives and where the probing pod is.
	Namespace string
	// From, when set, adds the pod-side checks from that pod (--from: a pod
	// or a workload), probing as Probe says.
	From  *target.Ref
	Probe probe.Settings
	// Now is the clock for log windows; time.Now when nil.
	Now func() time.Time
	// LogLines bounds how much of each DNS pod's log is read.
	LogLines int64
}

// Diagnose runs the cluster-side checks and, with a pod to probe from, the
// pod-side ones. It returns an error only when the API server cannot be
// reached or the --from pod does not exist.
func Diagnose(ctx context.Context, c kube.Clients, req Request) (*report.Report, error) {
	if req.Now == nil {
		req.Now = time.Now
	}
	if req.LogLines == 0 {
		req.LogLines = 300
	}
	var from *client
	if req.From != nil {
		pod, sess, err := probe.OpenClient(ctx, c, *req.From, req.Namespace, req.Probe)
		if err != nil {
			return nil, err
		}
		from = &client{Pod: pod, Session: sess}
	}
	f, err := Gather(ctx, c.Typed, req)
	if err != nil {
		return nil, err
	}
	rep := report.New("dns", report.Object{Kind: "Service", Namespace: "kube-system", Name: f.serviceName()})
	rep.Title = "Cluster DNS (service kube-system/" + f.serviceName() + ")"
	rep.Add(ClusterChecks(f)...)
	if from == nil {
		rep.Add(withoutPod(req.Name)...)
		rep.Finish(nil)
		return rep, nil
	}
	rep.Target = report.Object{Kind: "Pod", Namespace: from.Pod.Namespace, Name: from.Pod.Name}
	rep.Title = fmt.Sprintf("Cluster DNS from pod %s/%s", from.Pod.Namespace, from.Pod.Name)
	rep.Add(podChecks(ctx, f, *from, req.Name)...)
	rep.Add(policyCheck(ctx, c.Typed, c.Dynamic, f, from.Pod))
	rep.Notes = append(rep.Notes, from.Session.Notes...)
	rep.Finish(verdict)
	return rep, nil
}

// ClusterChecks are the checks that need no pod.
func ClusterChecks(f *Facts) []report.Check {
	return []report.Check{
		checkService(f),
		checkPods(f),
		checkEndpoints(f),
		checkCorefile(f),
		checkNodeLocal(f),
		checkLogs(f),
	}
}
