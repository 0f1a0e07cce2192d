// Package ingress diagnoses an Ingress the way the ingress troubleshooting
// procedure does by hand, for any controller: which class and controller
// serve it, are the controller's pods ready and what do their logs say, is
// an address published, does every rule's backend Service exist with the
// named port and ready endpoints, are the TLS secrets and certificates
// usable, does another Ingress claim the same host and path, and so what a
// request to each route gets (404, 503, a certificate error). It reads the
// API only and never changes anything.
package ingress

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/external"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/tlscert"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// DefaultLogTimeout bounds the reading of the controller's logs: the API
// server fetches them from the kubelet, which may be unreachable.
const DefaultLogTimeout = 5 * time.Second

// ExpiryWarning is how close to its end a certificate gets a warning.
const ExpiryWarning = tlscert.ExpiryWarning

// Request names the Ingress to diagnose and, optionally, one request to
// route through it.
type Request struct {
	Namespace string
	Name      string
	// Host and Path describe one request (--host, --path): the procedure
	// then says which rule it lands on and what it gets. A Path without a
	// Host is a request whose Host header matches no rule host (by IP).
	Host string
	Path string
	// Now is the clock for certificate expiry and ages; time.Now when nil.
	Now func() time.Time
	// LogTimeout bounds the reading of controller logs; DefaultLogTimeout
	// when 0.
	LogTimeout time.Duration
	// Probe says how to probe from a controller pod (ING016); the zero
	// value disables the probes.
	Probe probe.Settings
	// External, when set (--external), sends the request from this
	// machine to the ingress's address and compares the answer (ING017).
	External *external.Settings
}

// routed reports whether one request is to be diagnosed.
func (r Request) routed() bool { return r.Host != "" || r.Path != "" }

// Diagnose runs the procedure and returns its report. It returns an error
// only when the diagnosis cannot run at all (the API server cannot be
// reached); anything the API answers, including Forbidden, becomes a check.
func Diagnose(ctx context.Context, c kube.Clients, req Request) (*report.Report, error) {
	client := c.Typed
	if req.Now == nil {
		req.Now = time.Now
	}
	if req.LogTimeout == 0 {
		req.LogTimeout = DefaultLogTimeout
	}
	if req.routed() {
		host, path, err := NormalizeRequest(req.Host, req.Path)
		if err != nil {
			return nil, err
		}
		req.Host, req.Path = host, path
	}
	var claims routeClaims
	var wg sync.WaitGroup
	if req.Host != "" {
		wg.Go(func() { claims = readRouteClaims(ctx, c, req.Host) })
	}
	f, err := gather(ctx, client, req)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if claims.err != nil && !kube.IsAPIAnswer(claims.err) {
		return nil, claims.err
	}
	f.routeClaims = claims
	rep := report.New("ingress", report.Object{Kind: "Ingress", Namespace: req.Namespace, Name: req.Name})
	if req.routed() {
		host := req.Host
		if host == "" {
			host = "<address>"
		}
		rep.Title += fmt.Sprintf(", request %s%s", host, req.Path)
	}
	exists := checkExists(f)
	rep.Add(exists)
	if f.ing == nil {
		rep.Finish(checks.CouldNotRead(fmt.Sprintf("ingress %s/%s", req.Namespace, req.Name)))
		return rep, nil
	}
	a := analyze(f, req)
	rep.Add(
		checkClass(f, a),
		checkController(f, a, req.Now()),
		checkControllerLogs(f, a),
		checkControllerService(f, a),
		checkAddress(f, a),
		checkRules(f, a),
		checkBackendServices(f, a),
		checkBackendPorts(f, a),
		checkBackendEndpoints(f, a),
		checkBackendTargets(f, a),
		checkTLSSecrets(f, a),
		checkTLSCertificates(f, a, req.Now()),
		checkConflicts(f, a),
		checkBackendAnswers(ctx, f, a, opener(c, req.Probe)),
		checkRoutes(f, a, req),
	)
	if req.External != nil {
		c := checkExternal(ctx, f, a, req, rep.Checks)
		rep.Add(c)
		if d, ok := c.Data.(external.Data); ok {
			rep.Notes = append(rep.Notes, fmt.Sprintf("--external: traffic was sent from this machine: GET %s to %s", d.URL, d.Address))
		}
	}
	rep.Finish(func(list []report.Check, def report.Verdict) report.Verdict { return verdict(list, def, req) })
	return rep, nil
}

// opener opens probes in controller pods, or is nil when probes are off.
func opener(c kube.Clients, s probe.Settings) func(context.Context, *corev1.Pod) probe.Session {
	if !s.Enabled() {
		return nil
	}
	return func(ctx context.Context, pod *corev1.Pod) probe.Session { return s.OpenIn(ctx, c, pod) }
}
