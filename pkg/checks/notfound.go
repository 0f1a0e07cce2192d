package checks

import (
	"fmt"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/kube"
	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// NotFound is the failing check for a missing object, most helpful
// explanation first: a wrong namespace, then a typo.
func (c Code) NotFound(m kube.Missing) report.Check {
	var chk report.Check
	switch {
	case m.NamespaceMissing:
		chk = c.New(report.Fail, "namespace %s does not exist", m.Namespace)
		chk.Next = []string{"kubectl get namespaces"}
	case len(m.Elsewhere) > 0:
		chk = c.New(report.Fail, "%s %s is not in namespace %s but exists in namespace %s", m.Kind, m.Name, m.Namespace, ListSome(m.Elsewhere, 3))
		chk.Next = []string{fmt.Sprintf("kubectl netdebug %s %s -n %s", m.Kind, m.Name, m.Elsewhere[0])}
		if len(m.Elsewhere) > 3 {
			chk.Facts = append(chk.Facts, report.Fact{Name: "same name in namespaces", Value: strings.Join(m.Elsewhere, ", ")})
		}
	case len(m.Similar) > 0:
		chk = c.New(report.Fail, "%s %s not found in namespace %s; did you mean %s?", m.Kind, m.Name, m.Namespace, strings.Join(m.Similar, " or "))
		chk.Next = []string{fmt.Sprintf("kubectl netdebug %s %s -n %s", m.Kind, m.Similar[0], m.Namespace)}
	default:
		chk = c.New(report.Fail, "%s %s not found in namespace %s", m.Kind, m.Name, m.Namespace)
		chk.Next = []string{fmt.Sprintf("kubectl get %s -n %s", m.Plural, m.Namespace)}
	}
	return chk
}

// ListSome joins up to max items and counts the rest.
func ListSome(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}
