package checks

import (
	"fmt"
	"strings"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Missing describes an object that was not found, and what the user may
// have meant instead.
type Missing struct {
	Kind      string // lower case, as typed on the command line: "service"
	Plural    string // "services"
	Namespace string
	Name      string
	// NamespaceMissing: the namespace itself does not exist.
	NamespaceMissing bool
	// Elsewhere: other namespaces holding an object of that exact name.
	Elsewhere []string
	// Similar: names in the namespace that look like a typo of Name.
	Similar []string
}

// NotFound is the failing check for a missing object, most helpful
// explanation first: a wrong namespace, then a typo.
func (c Code) NotFound(m Missing) report.Check {
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
