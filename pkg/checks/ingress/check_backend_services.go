package ingress

import (
	"fmt"
	"sort"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/checks/service"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkBackendServices (ING008): every backend Service exists in the
// Ingress's namespace (a backend cannot name another namespace).
func checkBackendServices(f *facts, a *analysis) report.Check {
	code := checks.IngBackendServices
	names := serviceBackendNames(a)
	if len(names) == 0 {
		return code.Skipped("not applicable: the ingress has no service backends")
	}
	if f.servicesErr != nil {
		return code.FromError("listing the services of the namespace", f.servicesErr)
	}
	var facts []report.Fact
	var missing []*backend
	seen := map[string]bool{}
	for _, b := range a.backends {
		if b.resource != nil || seen[b.service] {
			continue
		}
		seen[b.service] = true
		if b.state == backendNoService {
			missing = append(missing, b)
			facts = append(facts, report.Fact{Name: "service " + b.service, Value: "does not exist"})
			continue
		}
		facts = append(facts, report.Fact{Name: "service " + b.service, Value: fmt.Sprintf("%s, ports %s", service.ServiceType(b.svc), service.DescribePorts(b.svc))})
	}
	if len(missing) == 0 {
		c := code.New(report.Pass, "every backend service exists: %s", strings.Join(names, ", "))
		c.Facts = facts
		for _, n := range names {
			c.Objects = append(c.Objects, report.Object{Kind: "Service", Namespace: f.namespace, Name: n})
		}
		return c
	}
	b := missing[0]
	msg := b.why
	existing := make([]string, 0, len(f.services))
	for n := range f.services {
		existing = append(existing, n)
	}
	sort.Strings(existing)
	next := []string{fmt.Sprintf("kubectl -n %s get services", f.namespace)}
	if similar := checks.SimilarNames(b.service, existing, 2); len(similar) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(similar, " or "))
		next = append([]string{fmt.Sprintf("kubectl -n %s edit ingress %s", f.namespace, f.name)}, next...)
	}
	c := code.New(report.Fail, "%s: %s", msg, symptom(a, b.routes, a.kind.missingServiceResponse()))
	if len(missing) > 1 {
		c.Message += fmt.Sprintf("; %d more backend service(s) are missing", len(missing)-1)
	}
	c.Facts = facts
	c.Next = next
	return c
}

// serviceBackendNames are the distinct backend Service names, in order.
func serviceBackendNames(a *analysis) []string {
	var out []string
	for _, b := range a.backends {
		if b.resource == nil && !contains(out, b.service) {
			out = append(out, b.service)
		}
	}
	return out
}

// symptom says what requests to routes get: the response, or, while no
// controller serves the Ingress, what they will get once one does.
func symptom(a *analysis, routes []*route, r response) string {
	if a.blocked != nil {
		return fmt.Sprintf("requests to %s would get %s once a controller serves the ingress", listRoutes(routes), r)
	}
	return fmt.Sprintf("requests to %s get %s", listRoutes(routes), r)
}
