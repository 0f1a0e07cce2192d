#!/usr/bin/env bash
# make demo: show netdebug on a real cluster with live probes when this
# machine can run one (Linux, root, Debian's apt for containerd), else on a
# local API server alone. KEEP=1 leaves the cluster (or API server) running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
plugin=$root/bin/kubectl-netdebug

why_not_live() {
  [ "$(uname -s)" = Linux ] || { echo "not Linux"; return; }
  [ "$(id -u)" = 0 ] || { echo "not root (the test cluster runs containerd and the kubelet as root)"; return; }
  command -v apt-get >/dev/null || { echo "no apt-get to install containerd, runc and CNI plugins"; return; }
  [ -z "${NETDEBUG_DEMO_API_ONLY:-}" ] || { echo "NETDEBUG_DEMO_API_ONLY is set"; return; }
}

api_only() {
  echo "demo: API-only mode ($1): a local kube-apiserver and etcd, no kubelet, so no live probes." >&2
  exec go run ./hack/demo --plugin "$plugin" ${KEEP:+--keep}
}

reason=$(why_not_live)
[ -z "$reason" ] || api_only "$reason"

# The demo's faults need no ingress controller: without Traefik the first
# run skips its build (about 11 minutes on 2 cores). NETDEBUG_TRAEFIK=1
# keeps it.
export NETDEBUG_TRAEFIK=${NETDEBUG_TRAEFIK:-0}
echo "demo: starting the real single-node test cluster (the first run builds Kubernetes from source: about 30 minutes on 2 cores, longer on a busy machine; progress below)..." >&2
if ! hack/cluster/cluster.sh up >&2; then
  hack/cluster/cluster.sh down >/dev/null 2>&1 || true
  api_only "the test cluster did not come up; see its logs under /var/lib/netdebug-cluster/logs"
fi
export KUBECONFIG=$(hack/cluster/cluster.sh kubeconfig)
kubectl=$(hack/build-kube.sh kubectl)/kubectl
cleanup() {
  if [ -n "${KEEP:-}" ]; then
    echo "demo: cluster kept. export KUBECONFIG=$KUBECONFIG; make cluster-down when done." >&2
  else
    "$kubectl" delete namespace demo-shop --wait=false >/dev/null 2>&1 || true
    hack/cluster/cluster.sh down >&2
  fi
}
trap cleanup EXIT

"$kubectl" apply -f hack/demo/live.yaml >/dev/null
"$kubectl" -n demo-shop rollout status deployment/web --timeout=120s >/dev/null
"$kubectl" -n demo-shop wait --for=condition=Ready pod/api pod/db --timeout=120s >/dev/null
sleep 3 # let the policy enforcer program db-from-api

run() {
  echo
  echo "\$ kubectl netdebug $*"
  "$plugin" "$@" || echo "(exit code $?)"
}
web=$("$kubectl" -n demo-shop get pods -l app=web-frontend -o jsonpath='{.items[0].metadata.name}')
run service web -n demo-shop
run pod "$web" api -n demo-shop
run pod "$web" db -n demo-shop
run dns web --from "$web" -n demo-shop
