//go:build tools

// Package tools records Traefik's command as this module's dependency: the
// build tag keeps it out of every build, `go mod tidy` still follows it.
// hack/traefik/build.sh builds github.com/traefik/traefik/v3/cmd/traefik.
package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
