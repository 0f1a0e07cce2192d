# Sourced by the build scripts. A cold build of a Kubernetes component or
# of Traefik runs for many minutes without a line of output; heartbeat says
# it is alive and how long it has run.
#
#   heartbeat LABEL CMD...   run CMD; every NETDEBUG_HEARTBEAT seconds (60)
#                            print "  ... LABEL: still building (Ns)" to stderr

heartbeat() {
  local label=$1 start=$SECONDS every=${NETDEBUG_HEARTBEAT:-60} rc=0 ticker
  shift
  ( while sleep "$every"; do echo "  ... $label: still building ($((SECONDS - start))s)" >&2; done ) &
  ticker=$!
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null
  wait "$ticker" 2>/dev/null || true
  return "$rc"
}
