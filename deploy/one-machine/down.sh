#!/usr/bin/env bash
# Stops what deploy/one-machine/up.sh started (same STATE_DIR): nginx, the campus processes
# (SIGTERM: each drains its requests and event handlers), then NATS. The data stays: the
# database, the NATS store and the data directory; `rm -rf $STATE_DIR` and dropping DATABASE
# remove it.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
STATE_DIR="${STATE_DIR:-$repo/target/one-machine}"
run="$STATE_DIR/run"
[[ -d "$run" ]] || exit 0

stop() { # pid-file
  [[ -f "$1" ]] || return 0
  local pid
  pid="$(cat "$1")"
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

stop "$run/nginx.pid"
for pid_file in "$run"/*.pid; do
  [[ "$pid_file" == "$run/nats.pid" || "$pid_file" == "$run/redis.pid" ]] && continue
  stop "$pid_file" &
done
wait
stop "$run/nats.pid"
# The PostgreSQL and Redis of its own (OWN_SERVICES=1), after every process that used them.
stop "$run/redis.pid"
if [[ -f "$run/postgres" ]]; then
  source "$here/lib.sh"
  stop_postgres fast
fi
rm -f "$run/processes"
