package plugin

import (
	"context"

	"github.com/spf13/cobra"
)

// options is kubectl's Options pattern, which every command follows:
// Complete fills what the flags and arguments leave out (the namespace, the
// clients), Validate rejects bad input before any request, and Run builds
// the procedure's Request, calls its Diagnose and prints the report.
type options interface {
	Complete(args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// runE runs a command's options: Complete, then the shared flags' and the
// command's Validate, then Run under the API-stall watcher, so that every
// command ends with a clear error once the API server stops answering.
func (g *GlobalOptions) runE(o options) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.Complete(args); err != nil {
			return err
		}
		if err := g.Validate(); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return g.runWatched(cmd.Context(), o.Run)
	}
}
