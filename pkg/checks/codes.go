// Package checks holds what every diagnostic procedure shares: the table of
// stable finding codes and the helpers that turn API answers into checks.
// The procedures themselves live in sub-packages, one per procedure, one
// check per file.
package checks

import (
	"fmt"
	"sync"

	"github.com/netdebug/kubectl-netdebug/pkg/report"
)

// Code is a stable finding code. Codes never change meaning once released:
// users grep for them, silence them and build alerts on them.
type Code string

// Info describes a code for the catalog printed in docs and help.
type Info struct {
	Code        Code   `json:"code"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

// Procedure is one diagnostic procedure and the codes of its report. Each
// procedure keeps its codes in a codes_<procedure>.go file of its own.
type Procedure struct {
	// Name is the procedure's command: kubectl netdebug <Name>.
	Name string
	// Codes are the procedure's own codes, in the order its report lists
	// them.
	Codes []Info
	// Also are codes of other procedures that this procedure's report holds
	// too (the pod procedure checks the CNI agents of its two nodes, for
	// example); they are described under the procedure that owns them.
	Also []Code
}

// Procedures lists the procedures, in catalog order. Each call builds the
// list afresh: callers may keep or change what they get.
func Procedures() []Procedure {
	return []Procedure{
		serviceProcedure(),
		ingressProcedure(),
		gatewayProcedure(),
		routeProcedure(),
		dnsProcedure(),
		cniProcedure(),
		netpolProcedure(),
		podProcedure(),
		meshProcedure(),
		scanProcedure(),
	}
}

// ProcedureOf returns the procedure run by the command name, if there is one.
func ProcedureOf(name string) (Procedure, bool) {
	for _, p := range Procedures() {
		if p.Name == name {
			return p, true
		}
	}
	return Procedure{}, false
}

// Catalog lists every code once, under the procedure that owns it, in
// procedure order.
func Catalog() []Info {
	var all []Info
	for _, p := range Procedures() {
		all = append(all, p.Codes...)
	}
	return all
}

// titles indexes the catalog once: Title is called for every check made,
// thousands of times in a cluster scan. The map is never written after it
// is built.
var titles = sync.OnceValue(func() map[Code]string {
	m := map[Code]string{}
	for _, i := range Catalog() {
		m[i.Code] = i.Title
	}
	return m
})

// Title is the short title of a code, or the code itself when unknown.
func (c Code) Title() string {
	if t, ok := titles()[c]; ok {
		return t
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
