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
