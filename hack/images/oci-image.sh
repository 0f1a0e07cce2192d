#!/usr/bin/env bash
# Packs a root filesystem folder into a one-layer OCI image layout tarball
# that `ctr -n k8s.io images import` accepts (no registry involved).
#
#   hack/images/oci-image.sh ROOTFS NAME:TAG OUT.tar ENTRYPOINT_JSON [CMD_JSON]
#
# e.g. oci-image.sh rootfs netdebug.local/tools:dev tools.tar '[]' '["/bin/sleep","infinity"]'
# The layer is reproducible (sorted names, mtime 0, uid/gid 0, gzip -n).
set -euo pipefail

rootfs=$1 name=$2 out=$3 entrypoint=$4 cmd=${5:-null}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/blobs/sha256"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
blob() { # move file into blobs/, print its digest
  local d; d=$(sha "$1"); mv "$1" "$tmp/blobs/sha256/$d"; echo "$d"
}

tar -C "$rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
  --xattrs-exclude='*' -cf "$tmp/layer.tar" .
diffid=$(sha "$tmp/layer.tar")
gzip -n -1 "$tmp/layer.tar"
layer_size=$(size "$tmp/layer.tar.gz")
layer=$(blob "$tmp/layer.tar.gz")

cat > "$tmp/config.json" <<EOF
{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Entrypoint":$entrypoint,"Cmd":$cmd,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:$diffid"]},"history":[{"created_by":"hack/images/oci-image.sh","comment":"netdebug local image"}]}
EOF
config_size=$(size "$tmp/config.json")
config=$(blob "$tmp/config.json")

cat > "$tmp/manifest.json" <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$config","size":$config_size},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$layer","size":$layer_size}]}
EOF
manifest_size=$(size "$tmp/manifest.json")
manifest=$(blob "$tmp/manifest.json")

cat > "$tmp/index.json" <<EOF
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$manifest","size":$manifest_size,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"$name","org.opencontainers.image.ref.name":"${name##*:}"}}]}
EOF
echo '{"imageLayoutVersion":"1.0.0"}' > "$tmp/oci-layout"

tar -C "$tmp" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
  -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"
