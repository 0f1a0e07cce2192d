// Package dns diagnoses cluster DNS the way the procedure does by hand: the
// kube-dns Service and its pods and endpoints, the CoreDNS configuration,
// node-local caches, errors in the DNS pods' logs and, from a pod, its
// resolv.conf, real lookups and whether policy lets it reach DNS.
package dns

import (
	"context"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Request says what to diagnose.
type Request struct {
	// Name is an optional name to resolve from a pod (a Service name,
	// name.namespace, or a full name).
	Name string
	// Namespace is where a short Name lives and where the probing pod is.
	Namespace string
	// Now is the clock for log windows; time.Now when nil.
	Now func() time.Time
	// LogLines bounds how much of each DNS pod's log is read.
	LogLines int64
}

// Result is the diagnosis plus what a pod-side diagnosis needs from it.
type Result struct {
	Report *report.Report
	// ServiceIP is the DNS Service's ClusterIP, "" when not found.
	ServiceIP string
	// ClusterDomain from the Corefile, "cluster.local" when unknown.
	ClusterDomain string
	// Facts gathered, for callers that add pod-side checks.
	Facts *Facts
}

// Diagnose runs the cluster-side checks. It returns an error only when the
// API server cannot be reached.
func Diagnose(ctx context.Context, client kubernetes.Interface, req Request) (*Result, error) {
	if req.Now == nil {
		req.Now = time.Now
	}
	if req.LogLines == 0 {
		req.LogLines = 300
	}
	f, err := Gather(ctx, client, req)
	if err != nil {
		return nil, err
	}
	rep := report.New("dns", report.Object{Kind: "Service", Namespace: "kube-system", Name: f.serviceName()})
	rep.Title = "Cluster DNS (service kube-system/" + f.serviceName() + ")"
	rep.Add(ClusterChecks(f)...)
	res := &Result{Report: rep, ClusterDomain: f.ClusterDomain(), Facts: f}
	if f.Service != nil {
		res.ServiceIP = f.Service.Spec.ClusterIP
	}
	return res, nil
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
