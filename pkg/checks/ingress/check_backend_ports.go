package ingress

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkBackendPorts (ING009): every backend names a port of its Service, by
// number (the Service's port, not the container's) or by name.
func checkBackendPorts(f *facts, a *analysis) report.Check {
	code := checks.IngBackendPorts
	var facts []report.Fact
	var missing []*backend
	checked := 0
	for _, b := range a.backends {
		if b.svc == nil {
			continue
		}
		checked++
		if b.state == backendNoPort {
			missing = append(missing, b)
			facts = append(facts, report.Fact{Name: b.label(), Value: "no such port"})
			continue
		}
		sp := b.svcPort
		tp := sp.TargetPort
		if tp.Type == intstr.Int && tp.IntVal == 0 {
			tp = intstr.FromInt32(sp.Port)
		}
		facts = append(facts, report.Fact{Name: b.label(), Value: fmt.Sprintf("port %s %d/%s -> targetPort %s", orDash(sp.Name), sp.Port, protocolOf(sp.Protocol), tp.String())})
	}
	if checked == 0 {
		return code.Skipped("no existing backend service to look up ports on")
	}
	if len(missing) == 0 {
		c := code.New(report.Pass, "every backend port is a port of its service")
		c.Facts = facts
		return c
	}
	b := missing[0]
	c := code.New(report.Fail, "%s: %s", b.why, symptom(a, b.routes, a.kind.missingServiceResponse()))
	if fix := portFix(b); fix != "" {
		c.Next = []string{fmt.Sprintf("kubectl -n %s edit ingress %s", f.namespace, f.name)}
		facts = append(facts, report.Fact{Name: "fix", Value: fix})
	}
	c.Next = append(c.Next, fmt.Sprintf("kubectl -n %s get service %s -o wide", f.namespace, b.service))
	if len(missing) > 1 {
		c.Message += fmt.Sprintf("; %d more backend port(s) are missing", len(missing)-1)
	}
	c.Facts = facts
	return c
}

// portFix suggests the port the backend probably meant: the service port
// whose targetPort is the number given (a container port named instead of
// the service port), a port whose name looks alike, or the only port.
func portFix(b *backend) string {
	ports := b.svc.Spec.Ports
	want := portString(b.port)
	for _, p := range ports {
		if b.port.Number != 0 && p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal == b.port.Number {
			return fmt.Sprintf("port %d is the container port: use the service port %s", b.port.Number, servicePortRef(p.Name, p.Port))
		}
		if b.port.Name != "" && p.Name != "" && strings.EqualFold(p.Name, b.port.Name) {
			return fmt.Sprintf("port name %s -> %s", want, p.Name)
		}
	}
	if b.port.Name != "" {
		var names []string
		for _, p := range ports {
			if p.Name != "" {
				names = append(names, p.Name)
			}
		}
		if sim := checks.SimilarNames(b.port.Name, names, 1); len(sim) > 0 {
			return fmt.Sprintf("port name %s -> %s", want, sim[0])
		}
	}
	if len(ports) == 1 {
		return fmt.Sprintf("port %s -> %s", want, servicePortRef(ports[0].Name, ports[0].Port))
	}
	return ""
}

func servicePortRef(name string, number int32) string {
	if name != "" {
		return fmt.Sprintf("%d (name %s)", number, name)
	}
	return fmt.Sprint(number)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
