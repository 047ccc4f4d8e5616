# Shared by up.sh and restart.sh (sourced, with STATE_DIR and CAMPUS_BIN set).

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'one-machine: %s\n' "$*" >&2; exit 1; }

# Waits up to a minute for `url` to answer 200.
wait_ready() { # name url
  for _ in $(seq 1 120); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$2" || true)" == 200 ]]; then return 0; fi
    sleep 0.5
  done
  fail "$1 did not become ready at $2 (see $STATE_DIR/logs)"
}

# Starts one campus process in the background, its log appended to logs/<name>.log and its pid
# in run/<name>.pid. `contexts` is a comma-separated list, or `all`.
start_process() { # name port contexts
  local args=(serve --listen "127.0.0.1:$2")
  [[ "$3" != all ]] && args+=(--contexts "$3")
  # Each process that runs search keeps its own index (rebuilt from the database when new).
  CAMPUS_SEARCH__INDEX_DIR="$STATE_DIR/search-index/$1" \
    nohup "$CAMPUS_BIN" "${args[@]}" >>"$STATE_DIR/logs/$1.log" 2>&1 &
  echo $! >"$STATE_DIR/run/$1.pid"
}

# Starts the deployment's NATS server from STATE_DIR/nats/nats-server.conf and waits until
# JetStream answers on the monitoring port (the client port + 4000).
start_nats() { # server port
  nohup "$1" -c "$STATE_DIR/nats/nats-server.conf" >>"$STATE_DIR/logs/nats.log" 2>&1 &
  echo $! >"$STATE_DIR/run/nats.pid"
  wait_ready NATS "http://127.0.0.1:$(($2 + 4000))/healthz?js-enabled-only=true"
}

# --- PostgreSQL and Redis of the deployment's own (up.sh with OWN_SERVICES=1) ---------------

# PostgreSQL's server programs: on the PATH, else Debian's newest under /usr/lib/postgresql.
postgres_bin() {
  if command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
  else
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
  fi
}

# PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user.
as_postgres() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts the deployment's PostgreSQL on 127.0.0.1:`port` (TCP only, trust authentication: it
# listens on loopback for this machine's processes alone), its cluster made on first start.
# 300 connections: ten processes whose pools may together hold 224 (see up.sh).
start_postgres() { # port
  local bin dir="$STATE_DIR/postgres"
  bin="$(postgres_bin)"
  [[ -x "$bin/pg_ctl" ]] || fail "PostgreSQL's server programs are not installed (apt-get install postgresql)"
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    mkdir -p "$dir"
    [[ "$(id -u)" == 0 ]] && chown postgres "$dir"
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 ||
      fail "initdb failed: $(tail -n 5 "$dir/initdb.log")"
    ln -sf "$dir/server.log" "$STATE_DIR/logs/postgres.log"
  fi
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$1 -c unix_socket_directories='' -c max_connections=300" start >/dev/null ||
    fail "PostgreSQL did not start (see $dir/server.log)"
}

# Stops it: `fast` rolls back open transactions and checkpoints; `immediate` is a crash (the
# next start replays the write-ahead log).
stop_postgres() { # fast|immediate
  as_postgres "$(postgres_bin)/pg_ctl" -D "$STATE_DIR/postgres/data" -m "$1" -w stop >/dev/null 2>&1 || true
}

# Starts the deployment's Redis on 127.0.0.1:`port`, keeping nothing on disk (it holds rate-limit
# counters and presence, which are rebuilt as they are used).
start_redis() { # port
  command -v redis-server >/dev/null 2>&1 || fail "redis-server is not installed (apt-get install redis-server)"
  mkdir -p "$STATE_DIR/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$1" --save "" --appendonly no \
    --dir "$STATE_DIR/redis" --pidfile "$STATE_DIR/run/redis.pid" \
    --logfile "$STATE_DIR/logs/redis.log"
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "Redis did not start (see $STATE_DIR/logs/redis.log)"
}

# --- nginx ----------------------------------------------------------------------------------
# run/nginx holds the nginx binary and its port; run/processes one line per campus process
# (name port contexts). A process's group is its name without the -<n> suffix.

# One upstream block for the processes whose names start with `prefix`; the process named
# `down` (if any) is marked down, so nginx sends it nothing new while it restarts.
nginx_upstream() { # group prefix down
  local name port
  echo "    upstream $1 {"
  while read -r name port _; do
    [[ "$name" == "$2"* ]] || continue
    if [[ "$name" == "$3" ]]; then
      echo "        server 127.0.0.1:$port down;"
    else
      # Never counted out: on this machine a process that is down refuses the connection at
      # once, and nginx sends the request to its twin in well under a millisecond. Counting
      # failures would keep a process out for fail_timeout after it is back, and a crash of its
      # twin in that time would leave the group with no live process (a 502 for everything).
      echo "        server 127.0.0.1:$port max_fails=0;"
    fi
  done <"$STATE_DIR/run/processes"
  echo "        keepalive 16;"
  echo "    }"
}

# Writes STATE_DIR/nginx/nginx.conf: deploy/nginx/campus.conf's rules, one upstream per group,
# with the process named `down` (optional) out of rotation.
write_nginx_conf() { # [down]
  local down="${1:-}" nginx_port
  read -r _ nginx_port <"$STATE_DIR/run/nginx"
  {
    cat <<CONF
# Written by deploy/one-machine/ (up.sh, restart.sh) from deploy/nginx/campus.conf's rules, with
# one upstream per group of contexts.
worker_processes 1;
pid $STATE_DIR/run/nginx.pid;
error_log $STATE_DIR/logs/nginx-error.log warn;
# A reload (restart.sh takes a process out of rotation with one) lets the old worker finish
# its requests; WebSockets it still holds are closed after this long, and their clients resume.
worker_shutdown_timeout 15s;
events { worker_connections 4096; }
http {
    access_log $STATE_DIR/logs/nginx-access.log;
    client_body_temp_path $STATE_DIR/nginx/temp/body;
    proxy_temp_path $STATE_DIR/nginx/temp/proxy;
    fastcgi_temp_path $STATE_DIR/nginx/temp/fastcgi;
    uwsgi_temp_path $STATE_DIR/nginx/temp/uwsgi;
    scgi_temp_path $STATE_DIR/nginx/temp/scgi;
CONF
    nginx_upstream campus_identity identity "$down"
    nginx_upstream campus_learning learning "$down"
    nginx_upstream campus_notifications notifications "$down"
    nginx_upstream campus_search search "$down"
    nginx_upstream campus_web web "$down"
    cat <<'CONF'
    map $http_x_request_id $campus_request_id { default $http_x_request_id; "" $request_id; }
    map $http_upgrade $campus_connection { default upgrade; "" ""; }
    server {
CONF
    echo "        listen 127.0.0.1:$nginx_port;"
    cat <<'CONF'
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
        # A process that went away without warning (a crash): safe requests, and any request
        # it never received, are tried on the group's next one. Not a 503: campus answers it
        # when a dependency every process shares is down (the database), so the next process
        # would answer the same, and nginx would count both out and answer 502 instead.
        proxy_next_upstream error timeout http_502;

        location = /api/v1/ws { proxy_pass http://campus_notifications; proxy_read_timeout 300s; proxy_send_timeout 300s; }
        location /api/v1/auth { proxy_pass http://campus_identity; }
        location /.well-known/ { proxy_pass http://campus_identity; }
        location ~ ^/api/v1/(notifications|calendar|unsubscribe)(/|$) { proxy_pass http://campus_notifications; }
        location ~ ^/api/v1/search(/|$) { proxy_pass http://campus_search; }
        location ~ ^/api/v1/(courses|modules|lessons|assignments|submissions|question-banks|quizzes|attempts)(/|$) { proxy_pass http://campus_learning; }
        location / { proxy_pass http://campus_web; }
    }
}
CONF
  } >"$STATE_DIR/nginx/nginx.conf.new"
  mv "$STATE_DIR/nginx/nginx.conf.new" "$STATE_DIR/nginx/nginx.conf"
}

nginx_cmd() { # nginx arguments...
  local nginx
  read -r nginx _ <"$STATE_DIR/run/nginx"
  "$nginx" -p "$STATE_DIR/nginx" -c "$STATE_DIR/nginx/nginx.conf" "$@"
}

# Applies nginx.conf without dropping a request: the master starts a worker on the new
# configuration and lets the old one finish what it was doing. With `--settle`, waits until the
# old worker has gone (or, when it still holds WebSockets, 3 s: by then it has finished every
# ordinary request), so nothing is still on its way under the old configuration.
reload_nginx() { # [--settle]
  local master old pid
  nginx_cmd -t -q 2>"$STATE_DIR/logs/nginx-test.log" ||
    fail "nginx refused its configuration: $(cat "$STATE_DIR/logs/nginx-test.log")"
  master="$(cat "$STATE_DIR/run/nginx.pid")"
  old="$(pgrep -P "$master" | tr '\n' ' ')"
  nginx_cmd -s reload
  [[ "${1:-}" == --settle ]] || return 0
  for _ in $(seq 1 30); do
    local alive=""
    for pid in $old; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ -z "$alive" ]] && return 0
    sleep 0.1
  done
}
