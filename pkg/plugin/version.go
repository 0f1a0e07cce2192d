package plugin

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/netdebug/kubectl-netdebug/internal/version"
	"github.com/netdebug/kubectl-netdebug/pkg/printers"
)

// versionInfo is what `version` prints: the build's version, commit and
// date, and Go version and platform.
type versionInfo struct {
	Version string `json:"version"`
	// Commit is the VCS revision, "-dirty" when the tree had changes;
	// empty when unknown.
	Commit string `json:"commit,omitempty"`
	// BuildDate is the time of that commit (vcs.time, RFC 3339, UTC): a
	// build of the same tree has the same date. Empty when unknown.
	BuildDate string `json:"buildDate,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// buildDate is the vcs.time of the build info, in UTC, or "".
func buildDate(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.time" {
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				return t.UTC().Format(time.RFC3339)
			}
			return s.Value
		}
	}
	return ""
}

func currentVersion() versionInfo {
	info := version.Info()
	return versionInfo{Version: info.Version, Commit: info.Commit, BuildDate: buildDate(debug.ReadBuildInfo()),
		GoVersion: info.GoVersion, Platform: info.Platform}
}

// text is the human line: kubectl-netdebug v1.2.0 (commit 0a1b2c3, built
// 2026-11-27T12:00:00Z, go1.26.8, linux/amd64).
func (v versionInfo) text() string {
	commit, date := v.Commit, "built "+v.BuildDate
	if commit == "" {
		commit = "unknown"
	}
	if v.BuildDate == "" {
		date = "build date unknown"
	}
	return fmt.Sprintf("kubectl-netdebug %s (commit %s, %s, %s, %s)\n", v.Version, commit, date, v.GoVersion, v.Platform)
}

// NewCmdVersion is `kubectl netdebug version`.
func NewCmdVersion(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of kubectl netdebug, the commit it was built from and its date, and its Go version and platform",
		Example: "  kubectl netdebug version\n  kubectl netdebug version -o json\n  kubectl netdebug version -o jsonpath='{.version}'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := currentVersion()
			format, tmpl, err := printers.ParseOutput(g.Output)
			if err != nil {
				return err
			}
			switch format {
			case printers.Human:
				_, err = fmt.Fprint(g.Streams.Out, info.text())
				return err
			case printers.JUnit:
				return fmt.Errorf("version prints text, -o json, -o yaml, -o jsonpath=TEMPLATE or -o go-template=TEMPLATE, not %q", g.Output)
			}
			if err := printers.PrintValue(g.Streams.Out, info, format, printers.Options{Template: tmpl}); err != nil {
				return fmt.Errorf("printing the version: %w", err)
			}
			return nil
		},
	}
}
