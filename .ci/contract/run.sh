#!/usr/bin/env bash
# Contract test: fuzz a freshly started Campus Hub server from its own OpenAPI document with
# Schemathesis and fail on any 5xx, undocumented status, undocumented content type, response
# that does not match its schema, or schema-valid request that the server refuses.
#
#   .ci/contract/run.sh [BINARY] [extra `st run` options…]
#
# BINARY defaults to target/debug/campus. Extra options go to every `st run`, e.g. `-n 100`,
# `--seed 7`, `--phases coverage,fuzzing`, `--continue-on-failure` (report every distinct
# failure, not the first per operation), `-c all`.
#
# The server gets a free port on 127.0.0.1, a fresh data directory and no configuration file;
# the script creates the school `hill-valley` (admin ada@example.org) and a super admin, signs
# them in, runs schemathesis in three parts (school routes as the school admin, platform
# routes as the super admin, web-session routes with the session cookie and CSRF header), and
# stops the server. Reports: $CONTRACT_REPORT_DIR/{school,platform,web}/.
#
# Environment:
#   CONTRACT_VENV          venv holding schemathesis (default: $TMPDIR/campus-contract-venv);
#                          created and filled on first use
#   SCHEMATHESIS_VERSION   pinned release to install (default below)
#   CONTRACT_REPORT_DIR    where the JUnit/NDJSON/JSON reports go
#                          (default: target/contract-report)
#   CONTRACT_TIMEOUT       seconds before the run is stopped (default 780, under the
#                          15-minute life of the access tokens the run uses)
#   CONTRACT_CREDENTIAL_RPM  http.credential_requests_per_minute of the server under test
#                          (default 100000, so that 429s do not come and go with timing)
#   CONTRACT_KEEP_DATA=1   keep the server's data directory and log
#
# Exits 0 when every check passed, non-zero otherwise (schemathesis' own exit code, or 124
# when the time ran out, or 2 when the server could not be set up).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

binary="${1:-$repo/target/debug/campus}"
if [[ $# -gt 0 ]]; then shift; fi
if [[ ! -x "$binary" ]]; then
    echo "contract: no executable campus binary at $binary" >&2
    exit 2
fi
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
venv="${CONTRACT_VENV:-${TMPDIR:-/tmp}/campus-contract-venv}"
report_dir="${CONTRACT_REPORT_DIR:-$repo/target/contract-report}"
run_timeout="${CONTRACT_TIMEOUT:-780}"
credential_rpm="${CONTRACT_CREDENTIAL_RPM:-100000}"
mkdir -p "$report_dir"
report_dir="$(cd "$report_dir" && pwd)"

# --- schemathesis ---------------------------------------------------------------------------
if [[ "$("$venv/bin/st" --version 2>/dev/null || true)" != *"version $SCHEMATHESIS_VERSION"* ]]; then
    echo "contract: installing schemathesis $SCHEMATHESIS_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION"
fi
py="$venv/bin/python"
echo "contract: $("$venv/bin/st" --version)"

# --- server ---------------------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/campus-contract.XXXXXX")"
data="$work/data"
log="$work/server.log"
server_pid=""

cleanup() {
    local status=$?
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ "${CONTRACT_KEEP_DATA:-0}" == "1" || $status -ne 0 ]]; then
        echo "contract: server data and log kept in $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"

# A clean environment for the server: no campus.toml (it runs in $work), no CAMPUS_* from the
# caller's shell, only what this test sets.
server_env=(env -u CAMPUS_CONFIG)
while IFS= read -r name; do
    server_env+=(-u "$name")
done < <(compgen -e | grep '^CAMPUS_' || true)
server_env+=(
    "CAMPUS_HTTP__CREDENTIAL_REQUESTS_PER_MINUTE=$credential_rpm"
    "CAMPUS_LOG__FORMAT=json"
)

(cd "$work" && exec "${server_env[@]}" "$binary" serve --listen "127.0.0.1:$port" --data-dir "$data") \
    >"$log" 2>&1 &
server_pid=$!

"$py" - "$base" "$server_pid" <<'PY' || { echo "contract: server did not start; log:" >&2; tail -n 40 "$log" >&2; exit 2; }
import os, sys, time, urllib.request
base, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("server exited")
    try:
        with urllib.request.urlopen(base + "/api/openapi.json", timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.25)
sys.exit("timed out")
PY
echo "contract: server $binary listening on $base (data in $data)"

# --- accounts and credentials ---------------------------------------------------------------
password="correct horse battery staple"
printf '%s\n' "$password" | (cd "$work" && "${server_env[@]}" "$binary" admin create-user \
    --role super_admin --email root@example.org --name Root --data-dir "$data") >/dev/null

creds="$work/credentials.env"
"$py" - "$base" "$password" >"$creds" <<'PY' || { echo "contract: could not sign in" >&2; exit 2; }
import http.cookies, json, shlex, sys, urllib.request
base, password = sys.argv[1], sys.argv[2]

def post(path, body):
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response), response.headers

school, _ = post("/api/v1/schools", {
    "slug": "hill-valley", "name": "Hill Valley High", "admin_email": "ada@example.org",
    "admin_password": password, "admin_name": "Ada"})
root, _ = post("/api/v1/auth/login", {
    "school": "platform", "email": "root@example.org", "password": password})
web, headers = post("/api/v1/auth/session", {
    "school": "hill-valley", "email": "ada@example.org", "password": password})
jar = http.cookies.SimpleCookie()
for value in headers.get_all("Set-Cookie") or []:
    jar.load(value)
cookie = "; ".join(f"{name}={jar[name].value}" for name in ("campus_refresh", "campus_csrf"))
for name, value in {
    "CAMPUS_CONTRACT_TOKEN": school["tokens"]["access_token"],
    "CAMPUS_CONTRACT_SUPER_TOKEN": root["access_token"],
    "CAMPUS_CONTRACT_WEB_COOKIE": cookie,
    "CAMPUS_CONTRACT_WEB_CSRF": web["csrf_token"],
}.items():
    print(f"export {name}={shlex.quote(value)}")
PY
# shellcheck disable=SC1090
source "$creds"

# --- schemathesis runs ----------------------------------------------------------------------
# Three parts, because each needs other credentials and schemathesis 4.32.5 cannot safely vary
# a header per operation within one run (see schemathesis.toml):
#   school    every school route, as the school's admin (bearer token)
#   platform  the platform routes, as a super admin (bearer token)
#   web       the cookie-session routes, with the refresh cookie and the CSRF header
platform_ops=(list_schools list_consumers list_parked replay_all replay_one)
web_ops=(close_session refresh_session)

filters() { # filters include|exclude OPERATION_ID…
    local kind=$1
    shift
    for id in "$@"; do printf -- '--%s-operation-id\n%s\n' "$kind" "$id"; done
}
mapfile -t school_filters < <(filters exclude "${platform_ops[@]}" "${web_ops[@]}")
mapfile -t platform_filters < <(filters include "${platform_ops[@]}")
mapfile -t web_filters < <(filters include "${web_ops[@]}")

deadline=$(( $(date +%s) + run_timeout ))
overall=0
started=$(date +%s)

run_part() { # run_part NAME TOKEN ST_ARGS…
    local name=$1 token=$2
    shift 2
    local left=$(( deadline - $(date +%s) ))
    if (( left < 10 )); then
        echo "contract: no time left for part $name (CONTRACT_TIMEOUT=${run_timeout}s)" >&2
        overall=124
        return
    fi
    local dir="$report_dir/$name"
    mkdir -p "$dir"
    rm -f "$dir/report.json"
    echo
    echo "contract: ===== part $name ====="
    local status=0 attempt
    for attempt in 1 2 3; do
        status=0
        left=$(( deadline - $(date +%s) ))
        # From $work: Hypothesis writes ./.hypothesis wherever it runs.
        (cd "$work" && CAMPUS_CONTRACT_TOKEN="$token" SCHEMATHESIS_HOOKS="$here/hooks.py" exec timeout --signal=INT --kill-after=30 "$left" \
            "$venv/bin/st" --config-file "$here/schemathesis.toml" run "$base/api/openapi.json" \
            --no-color --report-dir "$dir" --report-json-path "$dir/report.json" "$@") \
            > >(tee "$dir/output.txt") 2>&1 || status=$?
        # Hypothesis sometimes trips over CPython's parser while describing one of its own
        # filters ("AST constructor recursion depth mismatch"): an error inside the tool, not
        # an answer of ours (seen twice in a row in one run). Such a run, with no failure of
        # ours, is run again, up to twice.
        if (( status != 0 && status != 124 && attempt < 3 )) \
            && grep -q "AST constructor recursion depth mismatch" "$dir/output.txt" \
            && "$py" -c 'import json, sys; sys.exit(1 if json.load(open(sys.argv[1])).get("failures") else 0)' "$dir/report.json"; then
            echo "contract: part $name: Hypothesis's own parser error; running the part again"
            continue
        fi
        break
    done
    if (( status == 124 )); then
        echo "contract: part $name stopped: CONTRACT_TIMEOUT (${run_timeout}s) ran out" >&2
    fi
    echo "contract: part $name: schemathesis exited $status"
    if (( status != 0 && overall == 0 )); then overall=$status; fi
}

mkdir -p "$report_dir"
run_part school "$CAMPUS_CONTRACT_TOKEN" "${school_filters[@]}" "$@"
run_part platform "$CAMPUS_CONTRACT_SUPER_TOKEN" "${platform_filters[@]}" "$@"
run_part web "$CAMPUS_CONTRACT_TOKEN" "${web_filters[@]}" \
    -H "Cookie: $CAMPUS_CONTRACT_WEB_COOKIE" -H "X-CSRF-Token: $CAMPUS_CONTRACT_WEB_CSRF" "$@"
elapsed=$(( $(date +%s) - started ))

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "contract: the server died during the run; log:" >&2
    tail -n 40 "$log" >&2
    if (( overall == 0 )); then overall=1; fi
fi

# One closing line in the plain `N passed, N failed` form: operations, plus a stateful run
# that failed on its own.
"$py" - "$report_dir" school platform web <<'PY' || true
import json, os, sys
passed = failed = 0
for part in sys.argv[2:]:
    path = os.path.join(sys.argv[1], part, "report.json")
    if not os.path.exists(path):
        continue
    report = json.load(open(path))
    failing = {op for f in report.get("failures", []) for op in f.get("operations", [])}
    # Failures of the stateful phase are listed under "Stateful tests", not an operation.
    failing_operations = {op for op in failing if " /" in op}
    operations = report.get("operations", {})
    failed += len(failing) + operations.get("errored", 0)
    passed += max(operations.get("tested", 0) - len(failing_operations), 0)
print(f"contract: {passed} passed, {failed} failed")
PY
echo "contract: finished in ${elapsed}s with status $overall; reports in $report_dir/{school,platform,web}"
exit "$overall"
