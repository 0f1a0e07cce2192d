#!/usr/bin/env bash
# `make krew-test`: proves the release the way users get it. Builds the
# archives for a test version (hack/dist.sh into a temporary folder, so a
# release in dist/ is left alone), validates the rendered krew manifest,
# installs every platform's archive with krew, runs the plugin through
# kubectl's plugin discovery and completion, and checks that krew refuses an
# archive whose checksum does not match.
#
# Offline by construction: krew, validate-krew-manifest and kubectl are built
# from the Go module proxy (cached in $NETDEBUG_CACHE), archives are handed to
# krew with --archive or served from a loopback port, and when the machine
# allows it (root or user namespaces) the checks run in a network namespace
# that has only loopback, so a stray download fails instead of leaving.
#
#   KREW_TEST_VERSION  version to stamp (default v0.0.0-test)
#   KREW_TEST_NETNS    auto (default) | 0: no network namespace
#   KEEP=1             keep the temporary folder for inspection

# The check functions are called through check(), which shellcheck can't see.
# shellcheck disable=SC2317,SC2016
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
self=$root/hack/krew-test.sh # re-executed for the second phase
cd "$root"

STEP_TIMEOUT=${KREW_TEST_STEP_TIMEOUT:-120}    # one install or run; normally 1-3s
BUILD_TIMEOUT=${KREW_TEST_BUILD_TIMEOUT:-2400} # cold builds on 2 shared cores take minutes

# ---------------------------------------------------------------------------
# Checks. They run in the second phase (possibly inside the network namespace)
# with the environment exported by the first phase.
# ---------------------------------------------------------------------------

# t runs one command with the step time limit, so no step can hang the run.
t() { timeout --kill-after=10 "$STEP_TIMEOUT" "$@"; }
die() { echo "$*" >&2; exit 1; }

# krun <PATH> [VAR=value ...] <command ...>: t in a clean environment, our
# PATH only, a HOME and kubeconfig of its own (plugins need no cluster), no
# krew upgrade check: nothing from the developer's setup leaks in.
krun() {
  local path=$1; shift
  t env -i PATH="$path" HOME="$WORK/home" KUBECONFIG="$WORK/home/no-kubeconfig" \
    KREW_NO_UPGRADE_CHECK=1 TMPDIR="$WORK/tmp" "$@"
}

# binfmt prints <os>/<arch> read from an executable's header, to prove that
# each archive holds a binary for the platform its name and selector claim.
binfmt() {
  local f=$1 magic
  hexat() { od -An -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }
  magic=$(hexat "$f" 0 4)
  case $magic in
  7f454c46) case $(hexat "$f" 18 2) in 3e00) echo linux/amd64 ;; b700) echo linux/arm64 ;; *) echo linux/unknown ;; esac ;;
  cffaedfe) case $(hexat "$f" 4 4) in 07000001) echo darwin/amd64 ;; 0c000001) echo darwin/arm64 ;; *) echo darwin/unknown ;; esac ;;
  4d5a*)
    local pe le
    le=$(hexat "$f" 60 4) # e_lfanew, little endian
    pe=$((16#${le:6:2}${le:4:2}${le:2:2}${le:0:2}))
    case $(hexat "$f" "$pe" 6) in 504500006486) echo windows/amd64 ;; 5045000064aa) echo windows/arm64 ;; *) echo windows/unknown ;; esac ;;
  *) echo "unknown($magic)" ;;
  esac
}

check_checksums_file() {
  # checksums.txt is what users verify a manual download against.
  (cd "$DIST" && t sha256sum --strict -c checksums.txt)
  [ "$(wc -l <"$DIST/checksums.txt")" -eq "$(wc -w <<<"$PLATFORMS")" ] || die "checksums.txt does not list one archive per platform"
}

# archive_files <os>: what an archive holds, in tar order.
archive_files() {
  if [ "$1" = windows ]; then
    printf '%s\n' kubectl-netdebug.exe LICENSE
  else
    printf '%s\n' kubectl-netdebug LICENSE kubectl_complete-netdebug
  fi
}

check_archive_contents() { # <os> <arch>
  # Exactly the binary, LICENSE and, except on Windows, the sh completion
  # helper, at the top level: no POSIX script where no POSIX shell runs.
  local archive=$DIST/kubectl-netdebug_${VERSION}_$1_$2.tar.gz got want
  got=$(tar -tzf "$archive")
  want=$(archive_files "$1")
  echo "$got"
  [ "$got" = "$want" ] || die "$archive holds:
$got
want:
$want"
  if [ "$1" = windows ] && grep -E '\.sh$|kubectl_complete-' <<<"$got"; then die "a shell script in the Windows archive"; fi
  if [ "$1" != windows ]; then
    tar -xzOf "$archive" kubectl_complete-netdebug | head -n1 | grep -qx '#!/usr/bin/env sh' || die "kubectl_complete-netdebug is not the sh helper"
  fi
}

check_validate_skip_install() {
  # The release manifest as krew-index would receive it. Its full mode would
  # download from GitHub, hence -skip-install here; the next check runs the
  # full mode against a loopback copy.
  t "$KREWDIR/validate-krew-manifest" -manifest "$DIST/netdebug.yaml" -skip-install
}

check_validate_full_loopback() {
  # Same manifest, uris pointed at a loopback file server over dist: the
  # validator installs every platform with `kubectl krew install --manifest`
  # and checks that a LICENSE file was extracted, as krew-index CI does.
  "$KREWDIR/fileserver" -dir "$DIST" >"$WORK/fileserver.addr" 2>"$WORK/fileserver.log" &
  FILESERVER_PID=$!
  local addr=""
  for _ in $(seq 50); do
    addr=$(head -n1 "$WORK/fileserver.addr" 2>/dev/null || true)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || die "file server did not start: $(cat "$WORK/fileserver.log")"
  mkdir -p "$WORK/loopback"
  sed "s|https://github.com/netdebug/kubectl-netdebug/releases/download/$VERSION/|http://$addr/|" \
    "$DIST/netdebug.yaml" >"$WORK/loopback/netdebug.yaml"
  grep -q "uri: http://$addr/" "$WORK/loopback/netdebug.yaml" || die "could not point the uris at $addr"
  ! grep -q 'uri: https://' "$WORK/loopback/netdebug.yaml" || die "a uri was left pointing outside: $(grep 'uri: https' "$WORK/loopback/netdebug.yaml")"
  # validate-krew-manifest passes only PATH on to krew, so PATH carries
  # kubectl and kubectl-krew; TMPDIR is where it makes each KREW_ROOT.
  t env -i PATH="$KREWDIR:$KUBEDIR:/usr/bin:/bin" HOME="$WORK/home" TMPDIR="$WORK/tmp" \
    "$KREWDIR/validate-krew-manifest" -manifest "$WORK/loopback/netdebug.yaml"
}

check_install() { # <os> <arch>
  local os=$1 arch=$2 bin=kubectl-netdebug krewroot=$WORK/krew/$1_$2
  [ "$os" = windows ] && bin=kubectl-netdebug.exe
  local archive=$DIST/kubectl-netdebug_${VERSION}_${os}_$arch.tar.gz
  [ -f "$archive" ] || die "no archive $archive"
  krun "$KREWDIR:$KUBEDIR:/usr/bin:/bin" KREW_ROOT="$krewroot" KREW_OS="$os" KREW_ARCH="$arch" \
    kubectl krew install --manifest="$DIST/netdebug.yaml" --archive="$archive"
  local store=$krewroot/store/netdebug/$VERSION
  [ -f "$store/$bin" ] || die "krew did not install $store/$bin: $(ls -la "$store" 2>&1)"
  [ -f "$store/LICENSE" ] || die "LICENSE was not extracted into $store"
  local f
  while read -r f; do
    [ -f "$store/$f" ] || die "$f was not extracted into $store: $(ls -la "$store" 2>&1)"
  done < <(archive_files "$os")
  [ "$(find "$store" -type f | wc -l)" -eq "$(archive_files "$os" | wc -l)" ] || die "unexpected files in $store: $(ls -la "$store")"
  [ -e "$krewroot/bin/$bin" ] || die "krew did not link $krewroot/bin/$bin"
  [ -f "$krewroot/receipts/netdebug.yaml" ] || die "no krew receipt"
  local got
  got=$(binfmt "$store/$bin")
  [ "$got" = "$os/$arch" ] || die "$bin in the $os/$arch archive is built for $got"
  echo "installed $store/$bin ($got)"
}

# The host's install, reached the way users reach it: kubectl finds
# kubectl-netdebug in $KREW_ROOT/bin on PATH.
host_path() { echo "$WORK/krew/${HOST_OS}_$HOST_ARCH/bin:$KUBEDIR:/usr/bin:/bin"; }

check_kubectl_version() {
  local out
  out=$(krun "$(host_path)" kubectl netdebug version)
  echo "$out"
  [[ "$out" == "kubectl-netdebug $VERSION ("* ]] || die "want 'kubectl-netdebug $VERSION (commit ...)', got '$out'"
}

check_kubectl_help() {
  local out
  out=$(krun "$(host_path)" kubectl netdebug --help)
  echo "$out" | head -n 15
  grep -q 'kubectl netdebug \[command\]' <<<"$out" || die "help has no 'kubectl netdebug [command]' usage line"
  grep -q '^  version ' <<<"$out" || die "help does not list the version command"
}

check_plugin_list() {
  local out
  # kubectl plugin list exits non-zero on any warning (e.g. a shadowed plugin).
  out=$(krun "$(host_path)" kubectl plugin list 2>&1)
  echo "$out"
  grep -qx "$WORK/krew/${HOST_OS}_$HOST_ARCH/bin/kubectl-netdebug" <<<"$out" || die "kubectl plugin list does not show the krew-installed plugin"
}

# The completion helper as krew extracted it into its store, copied into
# krew's bin folder with the README's command (Shell completion): the
# KREW_ROOT glob must find it there.
completion_path() {
  local root=$WORK/krew/${HOST_OS}_$HOST_ARCH
  mkdir -p "$WORK/completion-bin"
  cp -a "$root/bin/." "$WORK/completion-bin/"
  KREW_ROOT=$root HOME=$WORK/home sh -c 'install -m 0755 "${KREW_ROOT:-$HOME/.krew}"/store/netdebug/v*/kubectl_complete-netdebug "$1/"' sh "$WORK/completion-bin" >&2
  echo "$WORK/completion-bin:$KUBEDIR:/usr/bin:/bin"
}

check_completion_helper() {
  local out
  out=$(krun "$(completion_path)" kubectl_complete-netdebug "")
  echo "$out"
  tail -n1 <<<"$out" | grep -qE '^:[0-9]+$' || die "last line is not cobra's :<directive>"
  grep -q '^version' <<<"$out" || die "the version command is not offered"
}

check_completion_via_kubectl() {
  # kubectl 1.26+ completes `kubectl netdebug <TAB>` by running the helper.
  # Without it on PATH kubectl offers nothing for the plugin, so "service"
  # appearing only with it proves the helper is what kubectl ran.
  local out
  out=$(krun "$(host_path)" kubectl __complete netdebug ser)
  echo "without the helper: $out"
  ! grep -q '^service' <<<"$out" || die "kubectl completed 'ser' without the helper: the check below would prove nothing"
  out=$(krun "$(completion_path)" kubectl __complete netdebug ser)
  echo "with the helper: $out"
  tail -n1 <<<"$out" | grep -qE '^:[0-9]+$' || die "last line is not cobra's :<directive>"
  grep -q '^service' <<<"$out" || die "kubectl did not complete 'ser' to service through the helper"
}

check_bad_checksum_refused() {
  # A manifest whose sha256 for this platform is wrong (still 64 hex, so it
  # passes validation) must make krew refuse the archive.
  local krewroot=$WORK/krew/bad-checksum archive sum bad out rc=0
  archive=$DIST/kubectl-netdebug_${VERSION}_${HOST_OS}_$HOST_ARCH.tar.gz
  sum=$(sha256sum "$archive" | cut -d' ' -f1)
  bad=$(printf %s "$sum" | tr 0-9a-f 1-9a-f0)
  mkdir -p "$WORK/bad"
  sed "s/\"$sum\"/\"$bad\"/" "$DIST/netdebug.yaml" >"$WORK/bad/netdebug.yaml"
  grep -q "\"$bad\"" "$WORK/bad/netdebug.yaml" || die "could not corrupt the checksum"
  t "$KREWDIR/validate-krew-manifest" -manifest "$WORK/bad/netdebug.yaml" -skip-install
  out=$(krun "$KREWDIR:$KUBEDIR:/usr/bin:/bin" KREW_ROOT="$krewroot" \
    kubectl krew install --manifest="$WORK/bad/netdebug.yaml" --archive="$archive" 2>&1) || rc=$?
  echo "$out"
  [ "$rc" -ne 0 ] || die "krew installed an archive whose checksum does not match the manifest"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then die "krew timed out instead of refusing"; fi
  grep -q 'checksum does not match' <<<"$out" || die "krew failed, but not on the checksum"
  [ ! -e "$krewroot/bin/kubectl-netdebug" ] || die "a failed install left $krewroot/bin/kubectl-netdebug"
  echo "refused as expected (exit $rc)"
}

passed=0 failed=0
# check <name> <function> [args]: runs one check in a subshell with errexit
# (so any failing command fails the check), logs its output, counts it.
check() {
  local name=$1 log rc
  shift
  log=$WORK/logs/$(printf %02d $((passed + failed + 1)))-${name//[^A-Za-z0-9_.-]/_}.log
  local start=$SECONDS
  set +e
  (set -e; "$@") >"$log" 2>&1
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    printf 'PASS %-40s %3ds\n' "$name" $((SECONDS - start))
  else
    failed=$((failed + 1))
    printf 'FAIL %-40s %3ds (exit %d), last lines of its log:\n' "$name" $((SECONDS - start)) "$rc"
    tail -n 20 "$log" | sed 's/^/     | /'
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "     (a command timed out after ${STEP_TIMEOUT}s)"; fi
  fi
}

run_checks() {
  FILESERVER_PID=""
  trap '[ -z "$FILESERVER_PID" ] || kill "$FILESERVER_PID" 2>/dev/null || true' EXIT
  mkdir -p "$WORK/logs" "$WORK/home" "$WORK/tmp" "$WORK/krew"
  check "checksums.txt" check_checksums_file
  check "validate-krew-manifest -skip-install" check_validate_skip_install
  check "validate-krew-manifest (loopback install)" check_validate_full_loopback
  local p
  for p in $PLATFORMS; do
    check "archive ${p/\//_}" check_archive_contents "${p%/*}" "${p#*/}"
  done
  for p in $PLATFORMS; do
    check "krew install ${p/\//_}" check_install "${p%/*}" "${p#*/}"
  done
  check "kubectl netdebug version" check_kubectl_version
  check "kubectl netdebug --help" check_kubectl_help
  check "kubectl plugin list" check_plugin_list
  check "kubectl_complete-netdebug \"\"" check_completion_helper
  check "kubectl __complete netdebug ser" check_completion_via_kubectl
  check "bad checksum is refused" check_bad_checksum_refused
  [ "$failed" -eq 0 ] || [ "${KEEP:-}" = 1 ] || echo "(KEEP=1 keeps the logs and KREW_ROOTs of a run for inspection)"
  echo "krew-test: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# Second phase entry point (re-executed, possibly inside the namespace).
if [ "${1:-}" = --checks ]; then
  run_checks
  exit
fi

# ---------------------------------------------------------------------------
# First phase: builds (they may need the Go module proxy), then the checks.
# ---------------------------------------------------------------------------
export VERSION=${KREW_TEST_VERSION:-v0.0.0-test}
export HOST_OS HOST_ARCH
HOST_OS=$(go env GOOS) HOST_ARCH=$(go env GOARCH)
# Every platform in the manifest, read from the template so a platform added
# there is tested without editing this script.
export PLATFORMS
PLATFORMS=$(awk '/^[[:space:]]*os:/ {os=$2} /^[[:space:]]*arch:/ {print os "/" $2}' plugins.yaml | tr '\n' ' ')

export WORK
WORK=$(mktemp -d "${TMPDIR:-/tmp}/netdebug-krew-test.XXXXXX")
cleanup() {
  if [ "${KEEP:-}" = 1 ]; then echo "krew-test: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

build_failed() {
  echo "krew-test: FAILED: $1 (see above)" >&2
  echo "krew-test: 0 passed, 1 failed"
  exit 1
}

t0=$SECONDS
s=$SECONDS
export KREWDIR KUBEDIR DIST=$WORK/dist
KREWDIR=$(timeout "$BUILD_TIMEOUT" hack/tools/krew/build.sh) || build_failed "building krew (hack/tools/krew/build.sh)"
echo "krew tools: $KREWDIR ($((SECONDS - s))s)"
s=$SECONDS
KUBEDIR=$(timeout "$BUILD_TIMEOUT" hack/build-kube.sh kubectl) || build_failed "building kubectl (hack/build-kube.sh kubectl)"
echo "kubectl: $KUBEDIR ($((SECONDS - s))s)"
s=$SECONDS
DIST_DIR=$DIST timeout "$BUILD_TIMEOUT" hack/dist.sh "$VERSION" || build_failed "hack/dist.sh $VERSION"
echo "dist: $((SECONDS - s))s"
echo "krew-test: builds took $((SECONDS - t0))s; checking $PLATFORMS(host ${HOST_OS}/${HOST_ARCH})"

# The host's archive must be among them: the run checks use it.
case " $PLATFORMS " in *" $HOST_OS/$HOST_ARCH "*) ;; *) build_failed "host platform $HOST_OS/$HOST_ARCH is not in plugins.yaml" ;; esac

s=$SECONDS
rc=0
if [ "${KREW_TEST_NETNS:-auto}" != 0 ] && unshare --net -- ip link set lo up 2>/dev/null; then
  echo "krew-test: checks run in a network namespace with loopback only"
  unshare --net -- bash -c 'ip link set lo up && exec "$0" --checks' "$self" || rc=$?
else
  echo "krew-test: no network namespace (KREW_TEST_NETNS=0 or unshare not permitted); checks still use no network"
  "$self" --checks || rc=$?
fi
echo "krew-test: checks took $((SECONDS - s))s, total $((SECONDS - t0))s"
exit "$rc"
