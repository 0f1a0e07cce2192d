// Package checks holds what every diagnostic procedure shares: the table of
// stable finding codes and the helpers that turn API answers into checks.
// The procedures themselves live in sub-packages, one per procedure, one
// check per file.
package checks

import (
	"fmt"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Code is a stable finding code. Codes never change meaning once released:
// users grep for them, silence them and build alerts on them.
type Code string

// Service procedure.
const (
	SvcExists      Code = "SVC001"
	SvcType        Code = "SVC002"
	SvcSelector    Code = "SVC003"
	SvcPodsReady   Code = "SVC004"
	SvcTargetPorts Code = "SVC005"
	SvcEndpoints   Code = "SVC006"
)

// Info describes a code for the catalog printed in docs and help.
type Info struct {
	Code        Code   `json:"code"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

// Catalog lists every code, in procedure order.
func Catalog() []Info {
	return []Info{
		{SvcExists, "Service exists", "The Service is in the namespace; if not, near-miss names and namespaces holding that name."},
		{SvcType, "Service type", "Type-specific facts: ExternalName, headless, selector-less, NodePort, LoadBalancer address."},
		{SvcSelector, "Selector matches pods", "The Service's selector matches pods; if none, pods whose labels differ by one key or value."},
		{SvcPodsReady, "Selected pods ready", "Each selected pod's phase, readiness, restarts and the readiness probe's last failure."},
		{SvcTargetPorts, "Target ports resolve", "Every port's targetPort (number or name, with protocol) resolves on every selected pod."},
		{SvcEndpoints, "EndpointSlices agree", "The Service's EndpointSlices hold ready endpoints that agree with the ready pods."},
	}
}

// Title is the short title of a code, or the code itself when unknown.
func (c Code) Title() string {
	for _, i := range Catalog() {
		if i.Code == c {
			return i.Title
		}
	}
	return string(c)
}

// New builds a check with the code's title and a formatted message.
func (c Code) New(status report.Status, format string, args ...any) report.Check {
	return report.Check{Code: string(c), Title: c.Title(), Status: status, Message: fmt.Sprintf(format, args...)}
}

// Skipped is a check that did not apply; why says so in one line.
func (c Code) Skipped(why string, args ...any) report.Check {
	return c.New(report.Skip, why, args...)
}
