// Package service diagnoses a Service the way the service-discovery procedure
// does by hand: does it exist, what kind is it, does its selector match pods,
// are they ready, do its target ports resolve on them, and do its
// EndpointSlices agree. It reads the API only and never changes anything.
package service

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Request names the Service to diagnose.
type Request struct {
	Namespace string
	Name      string
	// Now is the clock used for ages in messages; time.Now when nil.
	Now func() time.Time
}

// Diagnose runs the procedure and returns its report. It returns an error
// only when the diagnosis cannot run at all (the API server cannot be
// reached); anything the API answers, including Forbidden, becomes a check.
func Diagnose(ctx context.Context, client kubernetes.Interface, req Request) (*report.Report, error) {
	if req.Now == nil {
		req.Now = time.Now
	}
	f, err := gather(ctx, client, req)
	if err != nil {
		return nil, err
	}
	rep := report.New("service", report.Object{Kind: "Service", Namespace: req.Namespace, Name: req.Name})
	exists := checkExists(f)
	rep.Add(exists)
	if f.svc == nil {
		rep.Finish()
		if exists.Status != report.Fail {
			// The Service could not be read (forbidden or an API error):
			// nothing else can be judged.
			rep.Verdict = report.Verdict{Outcome: report.Incomplete, Code: exists.Code,
				Message: fmt.Sprintf("Could not read service %s/%s: %s", req.Namespace, req.Name, exists.Message), Next: exists.Next}
		}
		return rep, nil
	}
	rep.Add(
		checkType(f),
		checkSelector(f),
		checkPodsReady(f, req.Now()),
		checkTargetPorts(f),
		checkEndpoints(f),
	)
	rep.Finish()
	return rep, nil
}
