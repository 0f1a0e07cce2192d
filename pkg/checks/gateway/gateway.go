// Package gateway diagnoses a Gateway API Gateway the way its
// troubleshooting goes by hand: is its GatewayClass accepted by a
// controller, do the controller's and the data plane's pods run and what
// do their logs say, is the Gateway accepted and programmed, which address
// and Service are in front of it, are its listeners distinct, resolved and
// programmed, are their TLS certificates usable, which routes may attach
// to each listener, and, when a listener has none attached, which routes
// try and why they cannot; and which ListenerSets add listeners to it
// (GEP-1713): admitted or not by its allowedListeners, accepted and
// programmed, their listeners in its merged list (conflicts included) and
// the routes attached through them. It reads the API only and never
// changes anything. Package route diagnoses the routes themselves.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/external"
	"github.com/netdebug/kubectl-netdebug/pkg/gatewayapi"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// DefaultLogTimeout bounds the reading of the controller's logs.
const DefaultLogTimeout = 5 * time.Second

// Request names the Gateway to diagnose.
type Request struct {
	Namespace string
	Name      string
	// Now is the clock for certificate expiry and ages; time.Now when nil.
	Now func() time.Time
	// LogTimeout bounds each log read; DefaultLogTimeout when 0.
	LogTimeout time.Duration
	// External, when set (--external), sends one request from this
	// machine to the gateway's address, for Host and Path (GW013).
	External   *external.Settings
	Host, Path string
	// RouteAnswer, when set, says what the route that takes the --external
	// request gives it: its backends' endpoints and weights, and a probe
	// from the data plane (the route procedure's RT010). Without it a
	// route that matches is predicted to reach its backend, so a 503 from
	// outside reads as the controller's fault although the backend has no
	// endpoint. The route procedure imports this package, so the caller
	// passes it in.
	RouteAnswer RouteAnswerFunc
}

// RouteQuestion asks what one route's backends give a request that the
// route takes through the gateway.
type RouteQuestion struct {
	Namespace, Name               string
	GatewayNamespace, GatewayName string
	Host, Path                    string
}

// RouteAnswerFunc answers a RouteQuestion with a prediction to compare
// the answer from outside with.
type RouteAnswerFunc func(context.Context, RouteQuestion) (external.Prediction, error)

// ErrNotServed is returned when the cluster does not serve the Gateway
// API: there is nothing to diagnose.
var ErrNotServed = errors.New("the cluster does not serve the Gateway API (gateway.networking.k8s.io): no Gateway, GatewayClass or route can exist; install the Gateway API CRDs with an implementation")

// Diagnose runs the procedure and returns its report. It returns an error
// only when the diagnosis cannot run at all: the API server cannot be
// reached, or it does not serve the Gateway API (ErrNotServed).
func Diagnose(ctx context.Context, c kube.Clients, req Request) (*report.Report, error) {
	if req.Now == nil {
		req.Now = time.Now
	}
	if req.LogTimeout == 0 {
		req.LogTimeout = DefaultLogTimeout
	}
	api, err := gatewayapi.Discover(ctx, c.Typed)
	if err != nil {
		return nil, err
	}
	if !api.Served() {
		return nil, ErrNotServed
	}
	f, err := gather(ctx, c, gatewayapi.Reader{API: api, Dynamic: c.Dynamic}, req)
	if err != nil {
		return nil, err
	}
	rep := report.New("gateway", report.Object{Kind: "Gateway", Namespace: req.Namespace, Name: req.Name})
	rep.Add(checkExists(f))
	if f.gw == nil {
		rep.Finish(checks.CouldNotRead(fmt.Sprintf("gateway %s/%s", req.Namespace, req.Name)))
		return rep, nil
	}
	a := analyze(f)
	rep.Add(
		checkClass(f),
		checkController(f, a),
		checkControllerLogs(f),
		checkStatus(f),
		checkAddresses(f),
		checkConflicts(f, a),
		checkListeners(f),
		checkTLSRefs(f, a),
		checkTLSCertificates(f, a),
		checkAllowedRoutes(f, a),
		checkAttachedRoutes(f, a),
	)
	if c, ok := checkListenerSets(f, a); ok {
		rep.Add(c)
	}
	if req.External != nil {
		c := checkExternal(ctx, f, a, req, rep.Checks)
		rep.Add(c)
		if d, ok := c.Data.(external.Data); ok {
			rep.Notes = append(rep.Notes, fmt.Sprintf("--external: traffic was sent from this machine: GET %s to %s", d.URL, d.Address))
		}
	}
	rep.Finish(func(list []report.Check, def report.Verdict) report.Verdict { return verdict(list, def, f, a) })
	return rep, nil
}

// verdict: the first failure is the root cause, in procedure order; a
// clean report says what is served.
func verdict(list []report.Check, v report.Verdict, f *facts, a *analysis) report.Verdict {
	if v.Outcome != report.OK || v.Code != "" {
		return v
	}
	attached := 0
	for _, rs := range a.listenerRoutes {
		attached += len(rs)
	}
	v.Message = fmt.Sprintf("No problem found: gateway %s/%s serves %d listener(s) with %d route attachment(s)", f.namespace, f.name, len(f.gw.Spec.Listeners), attached)
	if n := len(a.merged) - len(f.gw.Spec.Listeners); n > 0 {
		lsAttached := 0
		for _, byListener := range a.setRoutes {
			for _, rs := range byListener {
				lsAttached += len(rs)
			}
		}
		v.Message += fmt.Sprintf(", and %d listener(s) of %d ListenerSet(s) with %d route attachment(s)", n, len(AttachedSets(f.listenerSets)), lsAttached)
	}
	n := 0
	for _, c := range list {
		if c.Status == report.Skip && c.Forbidden != nil {
			n++
		}
	}
	if n > 0 {
		v.Message += fmt.Sprintf("; %d step(s) skipped for lack of permissions", n)
	}
	v.Next = []string{fmt.Sprintf("kubectl netdebug route ROUTE -n NS --gateway %s/%s --host HOST --path PATH", f.namespace, f.name)}
	for _, l := range f.gw.Spec.Listeners {
		// The first HTTPRoute or GRPCRoute: the matching of TLSRoutes and
		// TCPRoutes is not modelled.
		if i := slices.IndexFunc(a.listenerRoutes[string(l.Name)], func(r *Route) bool { return !r.Stream() }); i >= 0 {
			r := a.listenerRoutes[string(l.Name)][i]
			v.Next = []string{fmt.Sprintf("kubectl netdebug route %s/%s -n %s --gateway %s/%s --host HOST --path PATH",
				strings.ToLower(r.Kind), r.Name, r.Namespace, f.namespace, f.name)}
			break
		}
	}
	return v
}
