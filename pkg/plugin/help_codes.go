package plugin

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netdebug/kubectl-netdebug/pkg/checks"
)

// addCodeLists ends the long help of each procedure's command with the
// finding codes its report can hold, taken from the code catalog so that
// help and catalog cannot drift. Commands without a procedure of their own
// (capture, version, completion, the netpol subcommands) are left alone.
func addCodeLists(root *cobra.Command) {
	for _, cmd := range root.Commands() {
		p, ok := checks.ProcedureOf(cmd.Name())
		if !ok {
			continue
		}
		long := cmd.Long
		if long == "" {
			long = cmd.Short
		}
		cmd.Long = strings.TrimRight(long, "\n") + "\n\n" + codeList(p)
	}
}

// codeList is the "Finding codes:" section of a procedure: its own codes,
// then those it reports on behalf of other procedures, one per line, the
// titles aligned.
func codeList(p checks.Procedure) string {
	also := make([]checks.Info, 0, len(p.Also))
	for _, c := range p.Also {
		also = append(also, checks.Info{Code: c, Title: c.Title()})
	}
	width := 0
	for _, i := range append(append([]checks.Info{}, p.Codes...), also...) {
		width = max(width, len(i.Code))
	}
	var b strings.Builder
	lines := func(infos []checks.Info) {
		for _, i := range infos {
			fmt.Fprintf(&b, "\n  %-*s  %s", width, i.Code, i.Title)
		}
	}
	b.WriteString("Finding codes:")
	lines(p.Codes)
	if len(also) > 0 {
		b.WriteString("\n\nAlso in this report (see the owning command's help):")
		lines(also)
	}
	return b.String()
}
