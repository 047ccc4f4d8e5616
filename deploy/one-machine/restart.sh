#!/usr/bin/env bash
# Restarts one process of the deployment deploy/one-machine/up.sh started (same STATE_DIR) and
# waits until it is ready again:
#
#   deploy/one-machine/restart.sh learning-1          # out of rotation, drained, started, back in
#   deploy/one-machine/restart.sh --kill learning-1   # SIGKILL: a crash, then a start
#   deploy/one-machine/restart.sh --rolling           # every process in turn, one at a time
#   deploy/one-machine/restart.sh --kill --down 5 postgres   # a crash, 5 s down, then a start
#
# The names are those in STATE_DIR/run/processes (identity-1, identity-2, learning-1, …,
# search-2), `nats` for the deployment's NATS server, and `postgres` and `redis` when up.sh
# started its own (OWN_SERVICES=1). `--down SECONDS` keeps the stopped one down that long.
#
# A planned restart loses no request: nginx is told to send the process nothing new (its
# upstream line marked `down`, then a graceful reload), the old nginx worker finishes what it
# had sent there, then SIGTERM lets the process finish its own requests and event handlers;
# once the new process is ready it goes back into rotation. The process's twin serves its
# group meanwhile.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
STATE_DIR="${STATE_DIR:-$repo/target/one-machine}"
run="$STATE_DIR/run"
source "$here/lib.sh"
[[ -f "$run/env.sh" && -f "$run/processes" ]] || fail "nothing runs from $STATE_DIR (up.sh first)"
source "$run/env.sh"

signal=TERM
down_for=0
while [[ "${1:-}" == --* && "$1" != --rolling ]]; do
  case "$1" in
    --kill) signal=KILL; shift ;;
    --down) down_for="${2:?--down takes a number of seconds}"; shift 2 ;;
    *) fail "unknown option $1" ;;
  esac
done

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
  case "$1" in
    nats)
      read -r server port <"$run/nats"
      stop_pid "$run/nats.pid" nats
      sleep "$down_for"
      start_nats "$server" "$port"
      say "nats: ready again"
      return
      ;;
    postgres)
      [[ -f "$run/postgres" ]] || fail "this deployment uses a PostgreSQL of its own only with OWN_SERVICES=1"
      read -r port <"$run/postgres"
      if [[ "$signal" == KILL ]]; then
        say "postgres: stopped at once (crash)"
        stop_postgres immediate
      else
        say "postgres: fast shutdown"
        stop_postgres fast
      fi
      sleep "$down_for"
      start_postgres "$port"
      say "postgres: ready again"
      return
      ;;
    redis)
      [[ -f "$run/redis" ]] || fail "this deployment uses a Redis of its own only with OWN_SERVICES=1"
      read -r port <"$run/redis"
      stop_pid "$run/redis.pid" redis
      sleep "$down_for"
      start_redis "$port"
      say "redis: ready again"
      return
      ;;
  esac
  read -r name port contexts < <(grep "^$1 " "$run/processes") || fail "no process named $1"
  if [[ "$signal" == TERM ]]; then
    say "$name: out of nginx's rotation"
    write_nginx_conf "$name"
    reload_nginx --settle
  fi
  stop_pid "$run/$name.pid" "$name"
  sleep "$down_for"
  start_process "$name" "$port" "$contexts"
  wait_ready "$name" "http://127.0.0.1:$port/readyz"
  if [[ "$signal" == TERM ]]; then
    write_nginx_conf
    reload_nginx
  fi
  say "$name: ready again"
}

if [[ "${1:-}" == --rolling ]]; then
  while read -r name _; do restart "$name"; done < <(cat "$run/processes")
else
  [[ -n "${1:-}" ]] || fail "name a process, or --rolling"
  restart "$1"
fi
