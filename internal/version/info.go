package version

import (
	"runtime"
	"runtime/debug"
)

// BuildInfo is what `version` prints.
type BuildInfo struct {
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, with
	// "-dirty" when the tree had changes; empty when unknown.
	Commit    string `json:"commit,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Info describes this binary.
func Info() BuildInfo {
	info := BuildInfo{Version: Get(), GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if info.Commit != "" && dirty {
			info.Commit += "-dirty"
		}
	}
	return info
}
