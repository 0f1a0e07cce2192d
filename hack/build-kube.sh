#!/usr/bin/env bash
# Builds Kubernetes components (and etcd, kubectl) from the Go module proxy,
# once per version, into $NETDEBUG_CACHE/kube-<version>/ (default: .cache/ in
# the repository, which git ignores). Prints the folder on stdout.
#
#   hack/build-kube.sh [component ...]     default: kube-apiserver etcd
#
# Components: kube-apiserver kube-controller-manager kube-scheduler kubelet
# kube-proxy kubectl etcd. A binary already in the folder is not rebuilt; the
# Go build cache makes a rebuild after `git clean` a matter of linking.
set -euo pipefail

KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.6.16
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${NETDEBUG_CACHE:-$root/.cache}
out=$cache/kube-$KUBE_VERSION-etcd-$ETCD_VERSION
mkdir -p "$out"

components=("$@")
[ ${#components[@]} -gt 0 ] || components=(kube-apiserver etcd)

ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"

# shellcheck source=lib/progress.sh
. "$root/hack/lib/progress.sh"

missing=() kube_missing=()
for c in "${components[@]}"; do
  [ -x "$out/$c" ] && continue
  missing+=("$c")
  [ "$c" = etcd ] || kube_missing+=("$c")
done
[ ${#missing[@]} -eq 0 ] || echo "building once per version: ${missing[*]} (cold, on 2 idle cores: kube-apiserver alone about 8 minutes, all of them in one binary about 12 minutes; a busy machine takes longer)" >&2

# build LABEL DIR PKG OUT LDFLAGS: go build with a heartbeat, timed.
build() {
  local start=$SECONDS
  echo "[$step/$steps] building $1 ($KUBE_VERSION / etcd $ETCD_VERSION) into $out" >&2
  (cd "$2" && CGO_ENABLED=0 heartbeat "$1" go build -trimpath -ldflags "$5" -o "$4.tmp" "$3")
  mv "$4.tmp" "$4"
  echo "[$step/$steps] built $1 in $((SECONDS - start))s" >&2
}

# Two or more Kubernetes components are built as one multi-call binary
# (hack/tools/kube/kube): the packages they share are compiled and linked
# once, not once per component. A single one (kube-apiserver for envtest,
# kubectl for the krew test) is built on its own, which is smaller.
step=0 steps=0
[[ " ${missing[*]} " == *" etcd "* ]] && steps=$((steps + 1))
[ ${#kube_missing[@]} -eq 0 ] || steps=$((steps + 1))
if [[ " ${missing[*]} " == *" etcd "* ]]; then
  step=$((step + 1))
  build etcd "$root/hack/tools/etcd" . "$out/etcd" "-s -w"
fi
if [ ${#kube_missing[@]} -eq 1 ]; then
  c=${kube_missing[0]}
  [ -d "$root/hack/tools/kube/$c" ] || { echo "unknown component $c" >&2; exit 2; }
  step=$((step + 1))
  build "$c" "$root/hack/tools/kube" "./$c" "$out/$c" "$ldflags"
elif [ ${#kube_missing[@]} -gt 1 ]; then
  for c in "${kube_missing[@]}"; do
    [ -d "$root/hack/tools/kube/$c" ] || { echo "unknown component $c" >&2; exit 2; }
  done
  step=$((step + 1))
  [ -x "$out/kube" ] || build "kube (${kube_missing[*]} in one binary)" "$root/hack/tools/kube" ./kube "$out/kube" "$ldflags"
  for c in "${kube_missing[@]}"; do ln -f "$out/kube" "$out/$c"; done
fi
echo "$out"
