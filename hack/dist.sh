#!/usr/bin/env bash
# Release artifacts: `hack/dist.sh vX.Y.Z` (or `make dist VERSION=vX.Y.Z`).
# Cross-compiles the plugin, packs one krew archive per platform
# (kubectl-netdebug_<version>_<os>_<arch>.tar.gz: binary, LICENSE and, except
# on Windows, the completion helper at the top level), writes checksums.txt
# and renders plugins.yaml into netdebug.yaml with the real sha256 of each
# archive. The platforms are those of plugins.yaml, so the manifest and the
# release cannot list different ones.
# DIST_DIR (default dist/) lets `make krew-test` build into a temporary folder
# without overwriting a release sitting in dist/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

VERSION=${1:-${VERSION:-}}
# krew requires semver with a leading v; checked here so a bad tag fails
# before minutes of cross-compiling rather than at krew-index review.
semver='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'
if ! [[ $VERSION =~ $semver ]]; then
  echo "dist: VERSION must be semver with a leading v (e.g. v1.2.3 or v1.2.3-rc.1), got '${VERSION}'" >&2
  exit 2
fi

DIST_DIR=${DIST_DIR:-$root/dist}
# os/arch of each platform of the manifest, in its order (hack/krew-test.sh
# reads them the same way; hack/gendocs checks each entry's uri, sha256 and bin).
read -r -a PLATFORMS <<<"$(awk '/^[[:space:]]*os:/ {os=$2} /^[[:space:]]*arch:/ {print os "/" $2}' plugins.yaml | tr '\n' ' ')"
[ ${#PLATFORMS[@]} -gt 0 ] || { echo "dist: no platforms in plugins.yaml" >&2; exit 1; }
ldflags="-s -w -X github.com/netdebug/kubectl-netdebug/internal/version.version=$VERSION"
# Archive timestamps from the last commit, so the same commit and version give
# byte-identical archives and checksums on any machine and at any time.
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)

mkdir -p "$DIST_DIR"
# Two runs into one folder would delete each other's archives midway.
exec 9>"$DIST_DIR/.lock"
flock -n 9 || { echo "dist: another hack/dist.sh is writing $DIST_DIR" >&2; exit 1; }
trap 'rm -f "$DIST_DIR/.lock"' EXIT
# Remove only what this script makes: DIST_DIR may be a folder the caller owns.
rm -rf "$DIST_DIR"/kubectl-netdebug_*.tar.gz "$DIST_DIR"/checksums.txt "$DIST_DIR"/netdebug.yaml
for p in "${PLATFORMS[@]}"; do rm -rf "${DIST_DIR:?}/${p%/*}_${p#*/}"; done

start=$SECONDS
sizes=()
for p in "${PLATFORMS[@]}"; do
  os=${p%/*} arch=${p#*/}
  bin=kubectl-netdebug
  [ "$os" = windows ] && bin=kubectl-netdebug.exe
  stage=$DIST_DIR/${os}_$arch # kept: bench-startup and size reports read it
  mkdir -p "$stage"
  t=$SECONDS
  GOOS=$os GOARCH=$arch CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$stage/$bin" ./cmd/kubectl-netdebug
  install -m 0644 LICENSE "$stage/LICENSE"
  files=("$bin" LICENSE)
  # The helper is a POSIX sh script: of no use on Windows, where kubectl would
  # not even find it (it looks helpers up through PATHEXT).
  if [ "$os" != windows ]; then
    install -m 0755 hack/kubectl_complete-netdebug "$stage/kubectl_complete-netdebug"
    files+=(kubectl_complete-netdebug)
  fi
  archive=kubectl-netdebug_${VERSION}_${os}_$arch.tar.gz
  # Fixed file order, owner and mtime, and gzip -n (no name/time in the
  # header): the archive depends only on its contents. Default level: -9 costs
  # three times the CPU for 0.7% smaller archives.
  tar -C "$stage" --format=ustar --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
    -cf - "${files[@]}" | gzip -n >"$DIST_DIR/$archive"
  sizes+=("$(awk -v p="$os/$arch" -v b="$(stat -c %s "$stage/$bin")" -v a="$(stat -c %s "$DIST_DIR/$archive")" \
    -v s=$((SECONDS - t)) 'BEGIN { printf "%-14s %10d bytes %6.1f MiB  archive %5.1f MiB  built in %ds", p, b, b/1048576, a/1048576, s }')")
done

(cd "$DIST_DIR" && sha256sum kubectl-netdebug_"${VERSION}"_*.tar.gz >checksums.txt)

# Render the krew manifest: {{VERSION}} and one {{SHA256_<os>_<arch>}} per
# archive. Semver characters are safe in a sed replacement with | as delimiter.
sedargs=(-e "s|{{VERSION}}|$VERSION|g")
while read -r sum file; do
  osarch=${file#kubectl-netdebug_"${VERSION}"_}
  osarch=${osarch%.tar.gz}
  sedargs+=(-e "s|{{SHA256_${osarch}}}|$sum|g")
done <"$DIST_DIR/checksums.txt"
# The template's leading comment is about rendering; the published manifest
# starts at apiVersion.
sed "${sedargs[@]}" plugins.yaml | sed '1,/^apiVersion:/{/^#/d}' >"$DIST_DIR/netdebug.yaml"

# A placeholder left over means the template names a platform not built here;
# an archive missing from the manifest means a platform krew would never offer.
if grep -n '{{[A-Za-z0-9_]*}}' "$DIST_DIR/netdebug.yaml" >&2; then
  echo "dist: placeholders left in $DIST_DIR/netdebug.yaml (a placeholder naming no platform of plugins.yaml?)" >&2
  exit 1
fi
while read -r sum file; do
  if ! grep -q "/$file\$" "$DIST_DIR/netdebug.yaml" || ! grep -q "\"$sum\"" "$DIST_DIR/netdebug.yaml"; then
    echo "dist: $file (sha256 $sum) is not in $DIST_DIR/netdebug.yaml" >&2
    exit 1
  fi
done <"$DIST_DIR/checksums.txt"

echo "dist $VERSION in ${DIST_DIR#"$root"/} ($((SECONDS - start))s):"
printf '  %s\n' "${sizes[@]}"
