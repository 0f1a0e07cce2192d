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
	// From, when set, adds live checks from that client pod.
	From *From
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
	if req.From != nil {
		rep.Add(liveChecks(ctx, client, f, *req.From)...)
		rep.Notes = append(rep.Notes, req.From.Session.Notes...)
	}
	rep.Finish()
	if req.From != nil && rep.Verdict.Outcome == report.Problems {
		rep.Verdict = liveVerdict(rep)
	}
	return rep, nil
}

// liveVerdict ranks live failures by what they prove: the backend path
// failing is the root cause of the VIP failing too; DNS failing alone is a
// DNS problem. Static failures stay first: they explain the live ones.
func liveVerdict(rep *report.Report) report.Verdict {
	first := rep.Verdict
	static := map[string]bool{"SVC001": true, "SVC002": true, "SVC003": true, "SVC004": true, "SVC005": true, "SVC006": true}
	if static[first.Code] {
		return first
	}
	for _, code := range []string{"SVC008", "SVC009", "SVC010", "SVC007"} {
		for _, c := range rep.Checks {
			if c.Code == code && c.Status == report.Fail {
				return report.Verdict{Outcome: report.Problems, Code: c.Code, Message: c.Message, Next: c.Next}
			}
		}
	}
	return first
}
