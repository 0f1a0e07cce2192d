#!/usr/bin/env bash
# Builds the test cluster's images as OCI layout tarballs (no registry), once
# per input version, into $NETDEBUG_CACHE/images/ and prints that folder.
#
#   netdebug.local/pause:dev                    sandbox image (hack/images/pause)
#   netdebug.local/tools:dev                    busybox-static applets + tcpdump
#   netdebug.local/coredns:v1.14.6              CoreDNS from the Go module proxy
#   netdebug.local/kube-network-policies:v0.8.0 NetworkPolicy enforcer (/bin/netpol)
#   netdebug.local/traefik:<version>            Traefik (hack/traefik/build.sh) + busybox applets,
#                                               like the official Alpine-based image; skipped
#                                               with NETDEBUG_TRAEFIK=0
#
# Needs Debian's busybox-static and tcpdump installed (hack/cluster/cluster.sh
# installs them). Import with: ctr -n k8s.io images import FILE.tar
set -euo pipefail

COREDNS_VERSION=v1.14.6
KNP_VERSION=v0.8.0
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${NETDEBUG_CACHE:-$root/.cache}
out=$cache/images
mkdir -p "$out"
oci=$root/hack/images/oci-image.sh
export CGO_ENABLED=0

# fresh NAME KEY: true when $out/NAME.tar is missing or was built from other inputs.
fresh() { [ -s "$out/$1.tar" ] && [ "$(cat "$out/$1.key" 2>/dev/null)" = "$2" ]; }
done_() { echo "$2" > "$out/$1.key"; echo "image $1 ready ($(du -h "$out/$1.tar" | cut -f1))" >&2; }

# go_bin DIR NAME PKG@VERSION: go install once into DIR, renamed to NAME.
go_bin() {
  local dir=$1 name=$2 pkg=$3
  if [ ! -x "$dir/$name" ]; then
    echo "building $pkg" >&2
    local start=$SECONDS
    mkdir -p "$dir/.gobin"
    GOBIN="$dir/.gobin" go install -trimpath -ldflags "-s -w" "$pkg"
    mv "$dir/.gobin/$(basename "${pkg%@*}")" "$dir/$name"
    rmdir "$dir/.gobin"
    echo "built $name in $((SECONDS - start))s" >&2
  fi
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# --- pause -------------------------------------------------------------------
key="pause $(cat "$root/hack/images/pause/main.go" "$oci" | sha256sum | cut -c1-16) $(go env GOVERSION)"
if ! fresh pause "$key"; then
  r=$scratch/pause; mkdir -p "$r"
  (cd "$root/hack/images/pause" && go build -trimpath -ldflags "-s -w" -o "$r/pause" .)
  "$oci" "$r" netdebug.local/pause:dev "$out/pause.tar" '["/pause"]'
  done_ pause "$key"
fi

# --- tools: busybox-static applets + tcpdump with its shared libraries --------
ver() { dpkg-query -W -f='${Version}' "$1"; }
key="tools $(ver busybox-static) $(ver tcpdump) $(ver libpcap0.8) $(ver libc6) $(cat "$0" "$oci" | sha256sum | cut -c1-16)"
if ! fresh tools "$key"; then
  r=$scratch/tools
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,www,var/run}
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/busybox"
  # one symlink per applet at the path busybox itself names (bin/sh, usr/bin/wget ...)
  /bin/busybox --list-full | while read -r p; do
    [ "$(basename "$p")" = busybox ] && continue
    mkdir -p "$r/$(dirname "$p")"
    ln -sf /bin/busybox "$r/$p"
  done
  # tcpdump is dynamically linked: copy it with the libraries ldd names
  cp /usr/bin/tcpdump "$r/usr/bin/tcpdump"
  ldd /usr/bin/tcpdump | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$r/$(dirname "$lib")"
    cp -L "$lib" "$r/$lib"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\ntcpdump:x:101:101:tcpdump:/nonexistent:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$r/etc/passwd"
  printf 'root:x:0:\ntcpdump:x:101:\nnogroup:x:65534:\n' > "$r/etc/group"
  cp /etc/services /etc/protocols "$r/etc/" 2>/dev/null || true
  echo 'netdebug tools image' > "$r/www/index.html"
  "$oci" "$r" netdebug.local/tools:dev "$out/tools.tar" 'null' '["/bin/sleep","infinity"]'
  done_ tools "$key"
fi

# --- CoreDNS --------------------------------------------------------------------
bin=$cache/coredns-$COREDNS_VERSION
go_bin "$bin" coredns "github.com/coredns/coredns@$COREDNS_VERSION"
key="coredns $COREDNS_VERSION $(sha256sum "$oci" | cut -c1-16)"
if ! fresh coredns "$key"; then
  r=$scratch/coredns; mkdir -p "$r/etc/coredns" "$r/tmp"
  cp "$bin/coredns" "$r/coredns"
  "$oci" "$r" "netdebug.local/coredns:$COREDNS_VERSION" "$out/coredns.tar" '["/coredns"]'
  done_ coredns "$key"
fi

# --- kube-network-policies (the module's main package is named cmd) ----------
# Built from a patched copy of the module (KNP_PATCH names the patch level).
# Its DNS cache for AdminNetworkPolicy FQDN rules programs an nftables table
# this kernel cannot load (no nft queue expression: see hack/cluster); it
# then closes its nfqueue socket, and the error callback, which returns 0
# ("keep reading"), spins on EBADF forever: a core's worth of CPU per node,
# most of it logging "Could not receive message". The patch makes the
# callback return 1 (stop) for that error, as go-nfqueue documents.
KNP_PATCH=p1
bin=$cache/kube-network-policies-$KNP_VERSION-$KNP_PATCH
if [ ! -x "$bin/netpol" ]; then
  echo "building sigs.k8s.io/kube-network-policies/cmd@$KNP_VERSION ($KNP_PATCH)" >&2
  start=$SECONDS
  src=$(cd / && go mod download -json "sigs.k8s.io/kube-network-policies@$KNP_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { echo "kube-network-policies $KNP_VERSION: not in the Go module cache" >&2; exit 1; }
  cp -r "$src" "$scratch/knp-src" && chmod -R u+w "$scratch/knp-src"
  agent=$scratch/knp-src/pkg/networkpolicy/dnsagent.go
  sed -i '/"Could not receive message"/{n;s/return 0/return 1/}' "$agent"
  grep -A1 '"Could not receive message"' "$agent" | grep -q 'return 1' || { echo "kube-network-policies: the $KNP_PATCH patch no longer applies to $KNP_VERSION" >&2; exit 1; }
  mkdir -p "$bin"
  (cd "$scratch/knp-src" && go build -trimpath -ldflags "-s -w" -o "$bin/netpol.tmp" ./cmd)
  mv "$bin/netpol.tmp" "$bin/netpol"
  echo "built netpol in $((SECONDS - start))s" >&2
fi
key="kube-network-policies $KNP_VERSION $KNP_PATCH $(sha256sum "$oci" | cut -c1-16)"
if ! fresh kube-network-policies "$key"; then
  r=$scratch/knp; mkdir -p "$r/bin" "$r/tmp"
  cp "$bin/netpol" "$r/bin/netpol"
  "$oci" "$r" "netdebug.local/kube-network-policies:$KNP_VERSION" "$out/kube-network-policies.tar" '["/bin/netpol"]'
  done_ kube-network-policies "$key"
fi

# --- Traefik: the binary at the official image's path, and busybox as the
# official (Alpine) image has a shell, wget and nc: exec probes work in it ---
if [ "${NETDEBUG_TRAEFIK:-1}" != 0 ]; then
  # the version hack/traefik/go.mod requires (hack/traefik/build.sh reads it the same way)
  version=$(awk '$1 == "require" && $2 == "github.com/traefik/traefik/v3" {print $3}' "$root/hack/traefik/go.mod")
  key="traefik $version $(ver busybox-static) $(cat "$0" "$oci" | sha256sum | cut -c1-16)"
  if ! fresh traefik "$key"; then
    traefik=$("$root/hack/traefik/build.sh")
    start=$SECONDS
    r=$scratch/traefik
    mkdir -p "$r"/{bin,usr/local/bin,etc,tmp}
    chmod 1777 "$r/tmp"
    cp /bin/busybox "$r/bin/busybox"
    /bin/busybox --list-full | while read -r p; do
      [ "$(basename "$p")" = busybox ] && continue
      mkdir -p "$r/$(dirname "$p")"
      ln -sf /bin/busybox "$r/$p"
    done
    cp "$traefik" "$r/usr/local/bin/traefik"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$r/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
    "$oci" "$r" "netdebug.local/traefik:$version" "$out/traefik.tar" '["/usr/local/bin/traefik"]'
    done_ traefik "$key"
    echo "image traefik packed in $((SECONDS - start))s" >&2
  fi
fi

echo "$out"
