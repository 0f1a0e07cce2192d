package route

import (
	"context"
	"fmt"
	"strconv"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/external"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/gateway"
	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// GatewayAnswers answers the gateway procedure's --external question of
// what a route gives a request (gateway.Request.RouteAnswer): this
// procedure run for that route and that gateway, its RT010 as the
// prediction. Probes from the data plane follow s (off when zero).
func GatewayAnswers(c kube.Clients, s probe.Settings) gateway.RouteAnswerFunc {
	return func(ctx context.Context, q gateway.RouteQuestion) (external.Prediction, error) {
		rep, err := Diagnose(ctx, c, Request{Kind: HTTPRoute, Namespace: q.Namespace, Name: q.Name,
			GatewayNamespace: q.GatewayNamespace, GatewayName: q.GatewayName, Host: q.Host, Path: q.Path, Probe: s})
		if err != nil {
			return external.Prediction{}, err
		}
		return answerPrediction(report.Find(rep.Checks, checks.RtAnswer))
	}
}

// answerPrediction turns RT010 into a prediction: "ok" for a request
// forwarded to a backend, the status otherwise, "no answer" when nothing
// answers.
func answerPrediction(c *report.Check) (external.Prediction, error) {
	if c == nil {
		return external.Prediction{}, fmt.Errorf("no %s in the route's report", checks.RtAnswer)
	}
	ans, ok := c.Data.(Answer)
	if !ok {
		return external.Prediction{}, fmt.Errorf("%s: %s", checks.RtAnswer, c.Message)
	}
	code := ans.Code
	if code == "" {
		code = string(checks.RtAnswer)
	}
	p := external.Prediction{Code: code, From: fmt.Sprintf("%s: %s", checks.RtAnswer, c.Message), Next: c.Next}
	switch {
	case ans.Status == 0:
		p.Response = "no answer"
	case ans.Status == 200:
		p.Response = "ok"
	default:
		p.Response = strconv.Itoa(ans.Status)
	}
	return p, nil
}
