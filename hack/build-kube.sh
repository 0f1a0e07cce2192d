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

missing=()
for c in "${components[@]}"; do
  [ -x "$out/$c" ] || missing+=("$c")
done
[ ${#missing[@]} -eq 0 ] || echo "building ${#missing[@]} component(s) once per version: ${missing[*]} (cold, on 2 idle cores, kube-apiserver and kube-controller-manager take about 12 minutes each; a busy machine takes longer)" >&2
i=0
for c in "${missing[@]}"; do
  i=$((i + 1))
  echo "[$i/${#missing[@]}] building $c ($KUBE_VERSION / etcd $ETCD_VERSION) into $out" >&2
  start=$SECONDS
  if [ "$c" = etcd ]; then
    (cd "$root/hack/tools/etcd" && CGO_ENABLED=0 heartbeat "$c" go build -trimpath -ldflags "-s -w" -o "$out/$c.tmp" .)
  else
    [ -d "$root/hack/tools/kube/$c" ] || { echo "unknown component $c" >&2; exit 2; }
    (cd "$root/hack/tools/kube" && CGO_ENABLED=0 heartbeat "$c" go build -trimpath -ldflags "$ldflags" -o "$out/$c.tmp" "./$c")
  fi
  mv "$out/$c.tmp" "$out/$c"
  echo "[$i/${#missing[@]}] built $c in $((SECONDS - start))s" >&2
done
echo "$out"
