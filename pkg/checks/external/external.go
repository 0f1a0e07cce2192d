// Package external is the external path shared by the ingress and gateway
// procedures (--external): one request sent from the user's machine to the
// load balancer's address, compared with the answer predicted or probed
// from inside the cluster, to split the fault between the load balancer or
// firewall, the controller, and what is behind it.
package external

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/probe"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Settings are the flags of --external; nil in a Request means off.
type Settings struct {
	// Address (IP[:PORT]) pins the connection, Host and SNI stay the
	// request's host; URL replaces the whole target. Both empty: the
	// object's published address.
	Address string
	URL     string
	// Timeout bounds the connect and the whole request each.
	Timeout time.Duration
	// Probe sends the request; probe.External when nil (tests).
	Probe func(context.Context, probe.ExternalTarget) probe.ExternalResult
}

// Verdict is where the comparison puts the fault.
type Verdict string

// The verdicts of the split.
const (
	// Agrees: the answer from outside is the one predicted inside.
	Agrees Verdict = "agrees"
	// LoadBalancer: no answer from outside while the inside answers.
	LoadBalancer Verdict = "load-balancer-or-firewall"
	// Controller: an answer that differs from the prediction.
	Controller Verdict = "controller"
	// Backend: the same failure inside and outside (5xx).
	Backend Verdict = "backend"
	// Routing: the 404 predicted, no rule or route serves the request.
	Routing Verdict = "routing"
	// Unknown: nothing was predicted to compare with.
	Unknown Verdict = "unknown"
)

// Prediction is what the inside says the request gets.
type Prediction struct {
	// Response: "ok" (a backend answers), an HTTP status ("404", "503",
	// "502", "500"), "no answer" (nothing serves the address), "unknown".
	Response string
	// Code is the check that explains the prediction.
	Code string
	// From says where the prediction comes from, for the message.
	From string
	// Next is what to run when the answer is not the one wanted: the
	// commands of the check that explains the prediction.
	Next []string
}

// Data is the Data of the external checks (ING017, GW013).
type Data struct {
	URL         string             `json:"url"`
	Address     string             `json:"address"`
	SNI         string             `json:"sni,omitempty"`
	Status      int                `json:"status,omitempty"`
	Outcome     string             `json:"outcome"`
	Error       string             `json:"error,omitempty"`
	TLSVerified *bool              `json:"tlsVerified,omitempty"`
	VerifyError string             `json:"verifyError,omitempty"`
	Certificate *probe.Certificate `json:"certificate,omitempty"`
	DurationMS  int64              `json:"durationMs"`
	Predicted   string             `json:"predicted"`
	Verdict     Verdict            `json:"verdict"`
}

// BuildURL is the URL of the request: scheme, host and path, with the
// port of --url kept.
func BuildURL(scheme, host, port, path string) string {
	if path == "" {
		path = "/"
	}
	h := host
	if port != "" {
		h += ":" + port
	}
	return (&url.URL{Scheme: scheme, Host: h, Path: path}).String()
}

// SplitURL reads --url: its scheme, host, port and path.
func SplitURL(raw string) (scheme, host, port, path string, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", "", "", "", fmt.Errorf("invalid --url %q: want http://HOST[:PORT]/PATH or https://...", raw)
	}
	return u.Scheme, u.Hostname(), u.Port(), u.EscapedPath(), nil
}

// ProbeHost is a host a request can carry for a rule host: a wildcard
// gets a label.
func ProbeHost(h string) string {
	if strings.HasPrefix(h, "*.") {
		return "netdebug-probe" + h[1:]
	}
	return h
}

// Run sends the request (url with Host and SNI its host, to address when
// set) and returns the check of code comparing it with p.
func Run(ctx context.Context, code checks.Code, s Settings, url, address string, p Prediction) report.Check {
	send := s.Probe
	if send == nil {
		send = probe.External
	}
	r := send(ctx, probe.ExternalTarget{URL: url, Address: address, Timeout: s.Timeout})
	return Compare(code, r, p)
}

// Compare splits the fault between the load balancer or firewall, the
// controller, and what is behind it, from what came back from outside (r)
// and what the inside predicts (p).
func Compare(code checks.Code, r probe.ExternalResult, p Prediction) report.Check {
	d := Data{URL: r.URL, Address: r.Address, SNI: r.SNI, Status: r.Status, Outcome: string(r.Outcome), Error: r.Error,
		TLSVerified: r.TLSVerified, VerifyError: r.VerifyError, Certificate: r.Certificate, DurationMS: r.DurationMS, Predicted: p.Response}
	got := string(r.Outcome)
	if r.Outcome == probe.ExternalAnswered {
		got = strconv.Itoa(r.Status)
	} else if r.Error != "" {
		got += " (" + r.Error + ")"
	}
	sent := fmt.Sprintf("GET %s sent from this machine to %s", r.URL, r.Address)
	var c report.Check
	pred := p.Response
	if len(pred) >= 3 {
		if _, err := strconv.Atoi(pred[:3]); err == nil {
			pred = pred[:3] // "503 (...)"
		}
	}
	switch {
	case pred == "" || pred == "unknown":
		d.Verdict = Unknown
		c = code.New(report.Warn, "from outside: %s; nothing predicted inside to compare with", got)
	case r.Outcome != probe.ExternalAnswered && pred == "no answer":
		d.Verdict = Controller
		c = code.New(report.Fail, "no answer from outside either (%s), as predicted inside: %s", got, p.From)
	case r.Outcome == probe.ExternalTLS:
		d.Verdict = LoadBalancer
		c = code.New(report.Fail, "the TLS handshake fails from outside (%s) while the inside predicts %s: a load balancer or proxy in front that does not pass TLS to the controller, or a port that is not the HTTPS one", r.Error, describe(pred))
	case r.Outcome != probe.ExternalAnswered:
		d.Verdict = LoadBalancer
		c = code.New(report.Fail, "no answer from outside (%s) while the inside predicts %s: the load balancer or a firewall between this machine and the cluster drops or refuses the traffic", got, describe(pred))
	case pred == "no answer":
		d.Verdict = Controller
		c = code.New(report.Fail, "answers %d from outside although nothing serves the request inside (%s): the address reaches another controller or proxy", r.Status, p.From)
	case pred == "ok" || strings.HasPrefix(pred, "served by"):
		switch {
		case r.Status == 502 || r.Status == 504:
			d.Verdict = Controller
			c = code.New(report.Fail, "answers %d from outside although the backend has ready endpoints: the controller cannot reach them (a NetworkPolicy, a port nothing listens on) or times out", r.Status)
		case r.Status == 404 || r.Status >= 500:
			d.Verdict = Controller
			c = code.New(report.Fail, "answers %d from outside although the route is predicted to reach its backend: the controller (or another one at this address) does not serve the rule, or the backend itself answers %d", r.Status, r.Status)
		default:
			d.Verdict = Agrees
			c = code.New(report.Pass, "answers %d from outside, as predicted inside", r.Status)
		}
	case pred == strconv.Itoa(r.Status) && r.Status < 400:
		// A redirect predicted and answered.
		d.Verdict = Agrees
		c = code.New(report.Pass, "answers %d from outside, as predicted inside", r.Status)
	case pred == "404" && r.Status == 404:
		d.Verdict = Routing
		c = code.New(report.Fail, "answers 404 from outside, as predicted inside: the load balancer and controller pass the request, and no rule or route takes it (%s)", p.From)
	case pred == strconv.Itoa(r.Status):
		d.Verdict = Backend
		c = code.New(report.Fail, "answers %d from outside, the same failure predicted inside: the load balancer and controller pass the request; the cause is behind them (%s)", r.Status, p.From)
	case r.Status < 400:
		d.Verdict = Controller
		c = code.New(report.Fail, "answers %d from outside although %s is predicted inside: the address reaches another controller or proxy, or the prediction misses how this controller serves the request", r.Status, pred)
	default:
		d.Verdict = Controller
		c = code.New(report.Fail, "answers %d from outside, where %s is predicted inside: the controller answers otherwise than its configuration says", r.Status, pred)
	}
	if p.Code != "" && d.Verdict != Agrees {
		c.Message += fmt.Sprintf(" [prediction: %s]", p.Code)
	}
	if d.Verdict == Backend || d.Verdict == Routing {
		c.Next = p.Next
	}
	c.Facts = append(c.Facts,
		report.Fact{Name: "sent", Value: sent},
		report.Fact{Name: "answer", Value: fmt.Sprintf("%s in %dms", got, r.DurationMS)},
		report.Fact{Name: "predicted inside", Value: describe(pred) + " (" + p.From + ")"},
		report.Fact{Name: "fault", Value: string(d.Verdict)})
	if r.SNI != "" {
		c.Facts = append(c.Facts, report.Fact{Name: "sni", Value: r.SNI})
	}
	if cert := r.Certificate; cert != nil {
		c.Facts = append(c.Facts, report.Fact{Name: "certificate", Value: fmt.Sprintf("subject %s, issuer %s, SANs %s, expires %s",
			cert.Subject, cert.Issuer, strings.Join(append(append([]string{}, cert.DNSNames...), cert.IPs...), ","), cert.NotAfter.Format(time.RFC3339))})
	}
	if r.TLSVerified != nil && !*r.TLSVerified {
		c.Facts = append(c.Facts, report.Fact{Name: "certificate verification", Value: "fails: " + r.VerifyError})
		if c.Status == report.Pass {
			c.Status = report.Warn
			c.Message += fmt.Sprintf("; but the served certificate does not verify for %s (%s)", r.SNI, r.VerifyError)
		}
	}
	c.Data = d
	return c
}

func describe(pred string) string {
	switch pred {
	case "ok":
		return "an answer from the backend"
	case "no answer", "unknown":
		return pred
	}
	if _, err := strconv.Atoi(pred); err == nil {
		return "HTTP " + pred
	}
	return pred
}
