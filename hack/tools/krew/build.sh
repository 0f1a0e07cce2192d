#!/usr/bin/env bash
# Builds krew (installed as kubectl-krew, the name kubectl's plugin discovery
# looks for), validate-krew-manifest and a loopback file server (fileserver/)
# from this tool module, once per krew version, into
# $NETDEBUG_CACHE/krew-<version>/ (default: .cache/ in the repository).
# Prints the folder on stdout; progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# The cache folder is named after the version go.mod pins, so bumping the pin
# builds afresh instead of reusing a stale binary.
KREW_VERSION=$(sed -n 's/^[[:space:]]*sigs\.k8s\.io\/krew \(v[^ ]*\).*/\1/p' "$here/go.mod")
[ -n "$KREW_VERSION" ] || { echo "build.sh: no sigs.k8s.io/krew pin in $here/go.mod" >&2; exit 2; }
cache=${NETDEBUG_CACHE:-$root/.cache}
out=$cache/krew-$KREW_VERSION
mkdir -p "$out"

# gitTag is deliberately not stamped: an unstamped krew counts as a
# development build and never runs its upgrade check, which would otherwise
# call GitHub on 40% of runs (validate-krew-manifest clears the environment,
# so KREW_NO_UPGRADE_CHECK alone would not reach the krew it starts).
build() { # <package> <output name>
  [ -x "$out/$2" ] && return 0
  echo "building $2 (krew $KREW_VERSION) into $out" >&2
  local start=$SECONDS
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/$2.tmp" "$1")
  mv "$out/$2.tmp" "$out/$2"
  echo "built $2 in $((SECONDS - start))s" >&2
}
build sigs.k8s.io/krew/cmd/krew kubectl-krew
build sigs.k8s.io/krew/cmd/validate-krew-manifest validate-krew-manifest
build ./fileserver fileserver
echo "$out"
