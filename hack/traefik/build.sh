#!/usr/bin/env bash
# Builds Traefik (the test cluster's Ingress and Gateway API controller) from
# the Go module proxy, once per version, into $NETDEBUG_CACHE/traefik-<version>/
# (default: .cache/ in the repository, which git ignores). Prints the binary's
# path on stdout.
#
#   hack/traefik/build.sh          build unless $NETDEBUG_CACHE/traefik-<version>/traefik exists
#   hack/traefik/build.sh tidy     re-run `go mod tidy` in hack/traefik (after a version bump)
#
# The version is the one hack/traefik/go.mod requires; go.mod and go.sum are
# committed, so a build needs no tidy: only `go build` (which downloads the
# modules it lacks from the proxy). A binary already in the cache is used as it
# is, without running go at all. No binary is ever downloaded.
#
# Measured on 2 cores (Go 1.26.8): module download (empty module cache) 202 s,
# build 970 s while other builds loaded the machine (the notes found ~7 min on
# a quieter one), tidy 163 s; a 178 MB static binary (stripped).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${NETDEBUG_CACHE:-$root/.cache}
version=$(awk '$1 == "require" && $2 == "github.com/traefik/traefik/v3" {print $3}' "$here/go.mod")
[ -n "$version" ] || { echo "traefik: no 'require github.com/traefik/traefik/v3 VERSION' line in $here/go.mod" >&2; exit 1; }
out=$cache/traefik-$version

if [ "${1:-}" = tidy ]; then
  (cd "$here" && go mod tidy)
  exit 0
fi

if [ ! -x "$out/traefik" ]; then
  mkdir -p "$out"
  echo "building traefik $version into $out (about 10 minutes on 2 cores, once per version)" >&2
  start=$SECONDS
  pkg=github.com/traefik/traefik/v3
  # shellcheck source=../lib/progress.sh
  . "$here/../lib/progress.sh"
  (cd "$here" && CGO_ENABLED=0 heartbeat traefik go build -mod=readonly -trimpath \
    -ldflags "-s -w -X $pkg/pkg/version.Version=$version -X $pkg/pkg/version.BuildDate=unknown" \
    -o "$out/traefik.tmp" "$pkg/cmd/traefik")
  mv "$out/traefik.tmp" "$out/traefik"
  echo "built traefik $version in $((SECONDS - start))s ($(du -m "$out/traefik" | cut -f1) MB)" >&2
fi
echo "$out/traefik"
