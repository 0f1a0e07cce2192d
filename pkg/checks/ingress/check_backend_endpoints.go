package ingress

import (
	"fmt"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// BackendEndpoints is the Data of ING010, one entry per service backend
// whose port exists.
type BackendEndpoints struct {
	Service string `json:"service"`
	Port    string `json:"port"`
	Ready   int    `json:"ready"`
	Total   int    `json:"total"`
}

// checkBackendEndpoints (ING010): the controller sends traffic to the
// endpoints of the backend Service's port, read from its EndpointSlices
// (never the deprecated Endpoints). None ready: the controller answers 503.
func checkBackendEndpoints(f *facts, a *analysis) report.Check {
	code := checks.IngBackendEndpoints
	if f.slicesErr != nil {
		return code.FromError("listing the backends' EndpointSlices", f.slicesErr)
	}
	var facts []report.Fact
	var data []BackendEndpoints
	var empty []*backend
	for _, b := range a.backends {
		switch b.state {
		case backendExternalName:
			facts = append(facts, report.Fact{Name: b.label(), Value: fmt.Sprintf("ExternalName service: no endpoints; the controller proxies to %s", b.svc.Spec.ExternalName)})
			continue
		case backendOK, backendNoEndpoints:
		default:
			continue
		}
		d := BackendEndpoints{Service: b.service, Port: portString(b.port), Ready: b.ready, Total: len(b.endpoints)}
		data = append(data, d)
		facts = append(facts, report.Fact{Name: b.label(), Value: fmt.Sprintf("%d ready of %d endpoint(s)", d.Ready, d.Total)})
		if b.state == backendNoEndpoints {
			empty = append(empty, b)
		}
	}
	if len(data) == 0 && len(facts) == 0 {
		return code.Skipped("no backend service with an existing port to read endpoints for")
	}
	var c report.Check
	if len(empty) > 0 {
		b := empty[0]
		c = code.New(report.Fail, "%s: %s", b.why, symptom(a, b.routes, a.kind.noEndpointsResponse()))
		if len(empty) > 1 {
			c.Message += fmt.Sprintf("; %d more backend(s) have no ready endpoints", len(empty)-1)
		}
		c.Next = []string{fmt.Sprintf("kubectl netdebug service %s -n %s", b.service, f.namespace)}
	} else {
		c = code.New(report.Pass, "every backend has ready endpoints")
	}
	c.Facts = facts
	for _, b := range a.backends {
		for _, s := range f.slices[b.service] {
			obj := report.Object{Kind: "EndpointSlice", Namespace: s.Namespace, Name: s.Name}
			if !containsObject(c.Objects, obj) {
				c.Objects = append(c.Objects, obj)
			}
		}
	}
	if data != nil {
		c.Data = data
	}
	return c
}

func containsObject(list []report.Object, o report.Object) bool {
	for _, x := range list {
		if x == o {
			return true
		}
	}
	return false
}
