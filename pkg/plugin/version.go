package plugin

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/netdebug/kubectl-netdebug/internal/version"
	"github.com/netdebug/kubectl-netdebug/pkg/printers"
)

// NewCmdVersion is `kubectl netdebug version`.
func NewCmdVersion(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of kubectl netdebug, the commit it was built from, and its Go version and platform",
		Example: "  kubectl netdebug version\n  kubectl netdebug version -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := version.Info()
			var out []byte
			var err error
			switch printers.Format(g.Output) {
			case printers.JSON:
				out, err = json.MarshalIndent(info, "", "  ")
				out = append(out, '\n')
			case printers.YAML:
				out, err = yaml.Marshal(info)
			case printers.Human:
				commit := info.Commit
				if commit == "" {
					commit = "unknown"
				}
				out = fmt.Appendf(nil, "kubectl-netdebug %s (commit %s, %s, %s)\n", info.Version, commit, info.GoVersion, info.Platform)
			default:
				return fmt.Errorf("version prints text, -o json or -o yaml, not %q", g.Output)
			}
			if err != nil {
				return fmt.Errorf("encoding the version: %w", err)
			}
			_, err = g.Streams.Out.Write(out)
			return err
		},
	}
}
