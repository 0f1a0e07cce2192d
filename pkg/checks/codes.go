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

// Catalog lists every code, in procedure order. Each procedure keeps its
// codes in a codes_<procedure>.go file of its own.
func Catalog() []Info {
	var all []Info
	for _, part := range [][]Info{
		serviceCodes(),
		ingressCodes(),
		dnsCodes(),
		cniCodes(),
		netpolCodes(),
		podCodes(),
		scanCodes(),
	} {
		all = append(all, part...)
	}
	return all
}

// titles indexes the catalog once: Title is called for every check made,
// thousands of times in a cluster scan.
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
