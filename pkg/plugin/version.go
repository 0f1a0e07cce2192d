package plugin

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netdebug/kubectl-netdebug/internal/version"
)

// NewCmdVersion prints the plugin's version; it needs no cluster.
func NewCmdVersion(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of kubectl netdebug",
		Example: "  kubectl netdebug version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(g.Streams.Out, "kubectl-netdebug %s\n", version.Get())
			return err
		},
	}
}
