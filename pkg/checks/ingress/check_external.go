package ingress

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/external"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkExternal (ING017, only with --external): one request from this
// machine to the ingress's address, compared with what ING015 predicts
// and ING016 probed inside. The request is --host/--path when given, else
// the first route of the ingress.
func checkExternal(ctx context.Context, f *facts, a *analysis, req Request, list []report.Check) report.Check {
	code := checks.IngExternal
	s := *req.External
	routes := report.Find(list, checks.IngRoutes)
	data, _ := routes.Data.(Routes)

	host, path := req.Host, req.Path
	pred := external.Prediction{Response: "unknown", From: "ING015"}
	backend := ""
	switch {
	case data.Request != nil:
		pred = external.Prediction{Response: data.Request.Response, Code: data.Request.Code, From: "ING015 for " + data.Request.URL}
		if data.Request.HTTPS != "" {
			pred.Response = data.Request.HTTPS
		}
		backend = data.Request.Backend
		if len(data.Request.Depends) > 0 {
			// The controller decides among several answers: compare with
			// the first, and say so.
			pred.From += " (not certain: " + strings.Join(data.Request.Depends, "; ") + ")"
		}
	case len(data.Routes) > 0:
		rt := data.Routes[0]
		host, path = external.ProbeHost(rt.Host), rt.Path
		pred = external.Prediction{Response: rt.Response, Code: rt.Code, From: "ING015 for " + hostLabel(rt.Host) + rt.Path}
		if rt.HTTPS != "" {
			pred.Response = rt.HTTPS
		}
		backend = rt.Backend
	}
	if pred.Response == "ok" {
		if why := unanswered(report.Find(list, checks.IngBackendAnswers), backend); why != "" {
			pred = external.Prediction{Response: "502", Code: string(checks.IngBackendAnswers), From: "ING016: " + why}
		}
	}

	scheme, port, address := "http", "", s.Address
	if s.URL != "" {
		var uhost string
		var err error
		scheme, uhost, port, path, err = external.SplitURL(s.URL)
		if err != nil {
			return code.New(report.Error, "%s", err)
		}
		if host == "" {
			host = uhost
		} else if uhost != host && address == "" {
			address = uhost
			if port != "" {
				address += ":" + port
			}
		}
	} else {
		if has, _ := tlsFor(a, host); has {
			scheme = "https"
		}
		if address == "" {
			addrs := ingressAddresses(f.ing.Status.LoadBalancer.Ingress)
			if len(addrs) == 0 {
				c := code.Skipped("the ingress publishes no address to send the request to: give --address IP[:PORT] or --url")
				c.Next = []string{fmt.Sprintf("kubectl -n %s describe ingress %s", f.namespace, f.name)}
				return c
			}
			address = addrs[0]
		}
	}
	if host == "" {
		host = address
		if h, _, err := net.SplitHostPort(address); err == nil {
			host = h
		}
	}
	return external.Run(ctx, code, s, external.BuildURL(scheme, host, port, path), address, pred)
}

// unanswered is why ING016 found that the request's backend does not
// answer the controller (refused or dropped), "" when it answers or was
// not probed: another backend of the ingress failing does not make this
// request a 502.
func unanswered(ans *report.Check, backend string) string {
	if ans == nil || backend == "" {
		return ""
	}
	probes, _ := ans.Data.([]BackendProbe)
	for _, p := range probes {
		if p.Backend != backend {
			continue
		}
		switch p.Result.Outcome {
		case probe.Refused:
			return fmt.Sprintf("backend %s endpoint %s refuses connections from the controller", p.Backend, p.Result.Target)
		case probe.TimedOut, probe.Unreachable:
			return fmt.Sprintf("connections from the controller to backend %s endpoint %s are dropped", p.Backend, p.Result.Target)
		}
	}
	return ""
}
