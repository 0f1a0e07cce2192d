#!/usr/bin/env bash
# make e2e: bring the test cluster up (unless it is up), run the e2e suite
# against it, and bring it down again unless KEEP=1.
#
#   KEEP=1          leave the cluster running afterwards
#   E2E_RUN=REGEX   only the tests matching REGEX (go test -run)
#   E2E_TIMEOUT     go test -timeout [20m]
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cluster=$root/hack/cluster/cluster.sh
keep=${KEEP:-0}

down() { [ "$keep" = 1 ] && { echo "e2e: KEEP=1: the cluster stays up (make cluster-down)" >&2; return; }; "$cluster" down; }

start=$SECONDS
if ! "$cluster" up; then
  echo "e2e: cluster-up failed" >&2
  down
  exit 1
fi
up_secs=$((SECONDS - start))

start=$SECONDS
args=(-tags e2e -count=1 -timeout "${E2E_TIMEOUT:-20m}" -v)
[ -n "${E2E_RUN:-}" ] && args+=(-run "$E2E_RUN")
(cd "$root" && KUBECONFIG=$("$cluster" kubeconfig) go test "${args[@]}" ./test/e2e/...)
rc=$?
echo "e2e: cluster-up ${up_secs}s, suite $((SECONDS - start))s, exit $rc" >&2
down
exit $rc
