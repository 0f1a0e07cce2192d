#!/usr/bin/env bash
# `make bench-startup`: how long the linux/amd64 plugin takes to start, for
# `--help` and `version` (neither touches a cluster, so this is pure start-up:
# runtime init, package init of client-go and friends, cobra), and the size
# of every platform's binary in dist/. Uses dist/ from `make dist`; without
# one it builds a throwaway dist first (VERSION v0.0.0-bench).
#
#   RUNS=50 (default)    runs per command
# hyperfine is used when installed (Debian: apt-get install hyperfine), else a
# bash loop timed with date +%s%N, which includes bash's fork/exec overhead.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
RUNS=${RUNS:-50}
DIST_DIR=${DIST_DIR:-$root/dist}
bin=$DIST_DIR/linux_amd64/kubectl-netdebug

if [ ! -x "$bin" ]; then
  echo "bench-startup: no $bin, building dist (v0.0.0-bench)" >&2
  DIST_DIR=$DIST_DIR hack/dist.sh v0.0.0-bench >&2
fi
# Only a linux/amd64 host can run the linux/amd64 binary; elsewhere we would
# be timing an emulator or an error.
[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || { echo "bench-startup: needs a linux/amd64 host" >&2; exit 2; }

# No kubeconfig and an empty HOME: version and --help must not read one, and
# a developer's config must not change the numbers.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME=$home KUBECONFIG=$home/none

echo "start-up of $bin ($("$bin" version)), $RUNS runs each, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v hyperfine >/dev/null; then
  hyperfine --style basic -N --warmup 3 --runs "$RUNS" "$bin --help" "$bin version"
else
  # Per-run wall time in microseconds, then min / median / mean / max.
  for args in --help version; do
    "$bin" "$args" >/dev/null # warm the page cache
    times=()
    for _ in $(seq "$RUNS"); do
      s=$(date +%s%N)
      "$bin" "$args" >/dev/null
      e=$(date +%s%N)
      times+=("$(((e - s) / 1000))")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v name="kubectl-netdebug $args" '
      { t[NR] = $1; sum += $1 }
      END { printf "%-28s min %6.1f ms  median %6.1f ms  mean %6.1f ms  max %6.1f ms  (bash loop, n=%d)\n",
              name, t[1]/1000, t[int((NR+1)/2)]/1000, sum/NR/1000, t[NR]/1000, NR }'
  done
fi

# Where start-up goes: Go package init per package, from the runtime's own
# trace (one run of `version`), heaviest first.
echo "package init (GODEBUG=inittrace=1, one run of version):"
GODEBUG=inittrace=1 "$bin" version 2>&1 >/dev/null | awk '
  $1 == "init" { ms[$2] = $5; total += $5; n++ }
  END {
    printf "  %.1f ms in %d packages; heaviest:\n", total, n
    cmd = "sort -rn | head -n 5"
    for (p in ms) printf "%.2f %s\n", ms[p], p | cmd
    close(cmd)
  }' | sed 's/^\([0-9]\)/    \1/'

echo "binary sizes in ${DIST_DIR#"$root"/}:"
for d in "$DIST_DIR"/*_*/; do
  [ -d "$d" ] || continue
  osarch=$(basename "$d")
  f=$d/kubectl-netdebug
  [ -f "$f" ] || f=$d/kubectl-netdebug.exe
  [ -f "$f" ] || continue
  asize=0
  for a in "$DIST_DIR"/kubectl-netdebug_*_"$osarch".tar.gz; do if [ -f "$a" ]; then asize=$(stat -c %s "$a"); fi; done
  awk -v p="${osarch/_//}" -v b="$(stat -c %s "$f")" -v a="$asize" \
    'BEGIN { printf "  %-14s %10d bytes %6.1f MiB  archive %5.1f MiB\n", p, b, b/1048576, a/1048576 }'
done
