#!/usr/bin/env bash
# Restarts one process of the deployment deploy/one-machine/up.sh started (same STATE_DIR) and
# waits until it is ready again:
#
#   deploy/one-machine/restart.sh learning-1          # SIGTERM: it drains, then starts again
#   deploy/one-machine/restart.sh --kill learning-1   # SIGKILL: a crash, then a start
#   deploy/one-machine/restart.sh --rolling           # every process in turn, one at a time
#
# The names are those in STATE_DIR/run/processes (identity, learning-1, learning-2,
# notifications, web), and `nats` for the deployment's NATS server.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
STATE_DIR="${STATE_DIR:-$repo/target/one-machine}"
run="$STATE_DIR/run"
source "$here/lib.sh"
[[ -f "$run/env.sh" && -f "$run/processes" ]] || fail "nothing runs from $STATE_DIR (up.sh first)"
source "$run/env.sh"

signal=TERM
if [[ "${1:-}" == --kill ]]; then signal=KILL; shift; fi

# Stops the process whose pid is in `pid_file` with the chosen signal, waiting for it to go.
stop_pid() { # pid-file label
  local pid
  pid="$(cat "$1")"
  say "$2: SIG$signal"
  kill "-$signal" "$pid" 2>/dev/null || true
  # A draining process finishes within http.shutdown_grace_secs; then it is stopped anyway.
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

restart() { # name
  local name port contexts server
  if [[ "$1" == nats ]]; then
    read -r server port <"$run/nats"
    stop_pid "$run/nats.pid" nats
    start_nats "$server" "$port"
    say "nats: ready again"
    return
  fi
  read -r name port contexts < <(grep "^$1 " "$run/processes") || fail "no process named $1"
  stop_pid "$run/$name.pid" "$name"
  start_process "$name" "$port" "$contexts"
  wait_ready "$name" "http://127.0.0.1:$port/readyz"
  say "$name: ready again"
}

if [[ "${1:-}" == --rolling ]]; then
  while read -r name _; do restart "$name"; done < <(cat "$run/processes")
else
  [[ -n "${1:-}" ]] || fail "name a process, or --rolling"
  restart "$1"
fi
