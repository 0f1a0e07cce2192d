package dns

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// checkCorefile (DNS004): the CoreDNS configuration serves the cluster
// domain, forwards the rest somewhere, and detects forwarding loops (a
// forward to a node resolver that points back at CoreDNS crashes it).
func checkCorefile(f *Facts) report.Check {
	code := checks.DNSCorefile
	if f.CorefileErr != nil {
		if apierrors.IsNotFound(f.CorefileErr) {
			return code.Skipped("no coredns ConfigMap in kube-system (not CoreDNS, or configured elsewhere)")
		}
		return code.FromError("reading the coredns ConfigMap", f.CorefileErr)
	}
	blocks := ParseCorefile(f.Corefile)
	domain := ClusterDomain(blocks)
	c := code.New(report.Pass, "")
	c.Objects = []report.Object{{Kind: "ConfigMap", Namespace: system, Name: "coredns"}}
	var warns []string
	var forwards []string
	loop := false
	for _, b := range blocks {
		zones := strings.Join(b.Zones, " ")
		if p, ok := b.Has("forward"); ok {
			forwards = append(forwards, fmt.Sprintf("%s -> %s", zones, strings.Join(p.Args[min(1, len(p.Args)):], " ")))
		}
		if _, ok := b.Has("loop"); ok {
			loop = true
		}
	}
	c.Facts = append(c.Facts, report.Fact{Name: "server blocks", Value: fmt.Sprint(len(blocks))})
	if domain != "" {
		c.Facts = append(c.Facts, report.Fact{Name: "cluster domain", Value: domain})
	}
	for _, fw := range forwards {
		c.Facts = append(c.Facts, report.Fact{Name: "forward", Value: fw})
	}
	switch {
	case len(blocks) == 0:
		c.Status = report.Fail
		c.Message = "the Corefile has no server block CoreDNS can read"
		return c
	case domain == "":
		c.Status = report.Fail
		c.Message = "no server block enables the kubernetes plugin: service names do not resolve"
		return c
	}
	if len(forwards) == 0 {
		warns = append(warns, "no forward plugin: names outside "+domain+" do not resolve")
	}
	if !loop && len(forwards) > 0 {
		warns = append(warns, "no loop plugin: a forwarding loop would go unnoticed")
	}
	if len(warns) > 0 {
		c.Status = report.Warn
		c.Message = "Corefile serves " + domain + ", but " + strings.Join(warns, "; ")
		return c
	}
	c.Message = fmt.Sprintf("Corefile serves %s and forwards the rest (%s)", domain, strings.Join(forwards, "; "))
	return c
}
