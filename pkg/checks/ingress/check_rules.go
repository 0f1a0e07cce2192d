package ingress

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
	"github.com/netdebug/kubectl-netdebug/pkg/routing"
)

// Rule is the Data of ING007, one entry per rule path and one for the
// default backend.
type Rule struct {
	Host     string `json:"host,omitempty"`
	Path     string `json:"path,omitempty"`
	PathType string `json:"pathType,omitempty"`
	Default  bool   `json:"default,omitempty"`
	Backend  string `json:"backend"`
}

// implementationSpecific is the caveat of ImplementationSpecific paths, as
// the controller's routing model (routing.RouteIngressFor) takes them.
func implementationSpecific(model routing.IngressController) string {
	switch model {
	case routing.IngressNginx:
		// ingress-nginx internal/ingress/controller/template/template.go
		// buildLocation: a plain nginx prefix location.
		return "pathType ImplementationSpecific: ingress-nginx makes it a plain nginx prefix location, matched character by character (/api matches /apis); with use-regex on it is a regular expression, which netdebug does not model"
	case routing.IngressTraefik:
		// Traefik pkg/provider/kubernetes/ingress/kubernetes.go loadRouter.
		return "pathType ImplementationSpecific: Traefik matches it with PathPrefix, character by character (/api matches /apis), or with the matcher of the router.pathmatcher annotation"
	}
	return "pathType ImplementationSpecific: matching is up to the controller (ingress-nginx: a regular expression when use-regex is on, else a prefix); netdebug takes it as Prefix"
}

// checkRules (ING007): what the Ingress routes. An Ingress with neither
// rules nor a default backend routes nothing.
func checkRules(f *facts, a *analysis) report.Check {
	code := checks.IngRules
	var facts []report.Fact
	var data []Rule
	hosts := map[string]bool{}
	implSpecific := false
	for _, r := range f.ing.Spec.Rules {
		hosts[r.Host] = true
		if r.HTTP == nil || len(r.HTTP.Paths) == 0 {
			facts = append(facts, report.Fact{Name: "rule " + hostLabel(r.Host), Value: "no paths: requests get the default backend"})
		}
	}
	for _, rt := range a.routes {
		d := Rule{Host: rt.host, Default: rt.isDefault, Backend: backendLabel(rt.backend)}
		name := "default backend"
		if !rt.isDefault {
			d.Path, d.PathType = rt.path.Path, string(routing.IngressPathType(rt.path))
			name = hostLabel(rt.host) + " " + describePath(rt.path)
			if routing.IngressPathType(rt.path) == networkingv1.PathTypeImplementationSpecific {
				implSpecific = true
			}
		}
		data = append(data, d)
		v := d.Backend
		if rt.backend != nil && rt.backend.resource != nil {
			v += " (served by the controller itself; not checked)"
		}
		facts = append(facts, report.Fact{Name: name, Value: v})
	}
	if f.ing.Spec.DefaultBackend == nil {
		facts = append(facts, report.Fact{Name: "default backend", Value: "none: requests no rule matches get the controller's default backend (404)"})
	}
	if implSpecific {
		facts = append(facts, report.Fact{Name: "caveat", Value: implementationSpecific(a.kind.routingModel())})
	}
	var c report.Check
	paths := len(a.routes)
	if f.ing.Spec.DefaultBackend != nil {
		paths--
	}
	switch {
	case len(a.routes) == 0:
		c = code.New(report.Fail, "the ingress has no rule paths and no default backend: it routes nothing, so every request for it gets 404")
		c.Next = []string{fmt.Sprintf("kubectl -n %s edit ingress %s", f.namespace, f.name)}
	case paths == 0:
		c = code.New(report.Pass, "no rule paths: every request goes to the default backend %s", backendLabel(a.routes[len(a.routes)-1].backend))
	default:
		c = code.New(report.Pass, "%d path(s) over %d host(s)", paths, len(hosts))
		if f.ing.Spec.DefaultBackend != nil {
			c.Message += ", and a default backend"
		}
	}
	c.Facts = facts
	c.Data = data
	return c
}

func backendLabel(b *backend) string {
	if b == nil {
		return "none"
	}
	return b.label()
}
