// Package version holds the build's version, stamped by the Makefile with
// -ldflags "-X github.com/netdebug/kubectl-netdebug/internal/version.version=vX.Y.Z".
package version

import "runtime/debug"

// version is set at link time; it is the only variable set from outside.
var version = ""

// Get returns the stamped version, else the module version when installed
// with `go install ...@vX`, else "dev".
func Get() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
