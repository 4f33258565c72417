#!/usr/bin/env bash
# The scale-out set-up on one machine: PostgreSQL, a Chroma server, two Streamlit replicas sharing them, and
# HAProxy in front (cookie affinity, WebSocket upgrade, health checks on /_stcore/health).
#
#   deploy/run-scaled.sh start              # start everything (idempotent), print the URL
#   deploy/run-scaled.sh stop               # stop everything this script started
#   deploy/run-scaled.sh status             # what runs, and each health check
#   deploy/run-scaled.sh stop-replica a     # stop one replica (the proxy sends its users to the other)
#   deploy/run-scaled.sh kill-replica a     # SIGKILL one replica, as a crash would (no clean shutdown)
#   deploy/run-scaled.sh start-replica a
#
# Everything lives under RM_SCALED_DIR (default data/scaled): pg/ (database cluster), chroma/ (index),
# home/ (RM_HOME shared by the replicas: hit logs, snapshots), secrets/, logs/, run/ (pid files).
# Ports: RM_SCALED_PROXY_PORT (8500), RM_SCALED_REPLICA_PORTS ("8501 8502"), RM_SCALED_CHROMA_PORT (8510),
# RM_SCALED_PG_PORT (8520). Everything listens on 127.0.0.1 only; the proxy is the one entry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PY:-$ROOT/.venv/bin/python}"
CHROMA="${CHROMA:-$(dirname "$PY")/chroma}"
DIR="$(realpath -m "${RM_SCALED_DIR:-$ROOT/data/scaled}")"
PROXY_PORT="${RM_SCALED_PROXY_PORT:-8500}"
read -r -a REPLICA_PORTS <<< "${RM_SCALED_REPLICA_PORTS:-8501 8502}"
REPLICAS=(a b)
CHROMA_PORT="${RM_SCALED_CHROMA_PORT:-8510}"
PG_PORT="${RM_SCALED_PG_PORT:-8520}"
PG_BIN="${RM_SCALED_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
SCALE="${SCALE:-small}"
RUN="$DIR/run"
LOGS="$DIR/logs"

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
export RM_HOME="$DIR/home"
export RM_DATABASE_URL="postgresql+psycopg://rm@127.0.0.1:$PG_PORT/rm"
export RM_CHROMA_HOST=127.0.0.1 RM_CHROMA_PORT="$CHROMA_PORT"

say() { echo "run-scaled: $*"; }
die() { echo "run-scaled: $*" >&2; exit 1; }

as_postgres() {  # initdb and pg_ctl refuse to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

alive() { [ -f "$RUN/$1.pid" ] && ! gone "$(cat "$RUN/$1.pid")"; }

wait_url() {  # wait_url URL EXPECTED-BODY-OR-EMPTY SECONDS NAME
  local deadline=$((SECONDS + $3)) body
  while true; do
    if body="$(curl -fsS --max-time 2 "$1" 2>/dev/null)" && { [ -z "$2" ] || [ "$body" = "$2" ]; }; then
      return 0
    fi
    [ $SECONDS -lt $deadline ] || die "$4 did not answer on $1 within $3 s (see $LOGS)"
    sleep 0.3
  done
}

secrets() {
  # One cookie secret (Streamlit's XSRF/auth cookies) and one share-link secret for every replica: a user
  # moved to another replica keeps a valid cookie and valid share links.
  mkdir -p "$DIR/secrets" && chmod 700 "$DIR/secrets"
  for name in cookie_secret link_secret; do
    [ -s "$DIR/secrets/$name" ] || "$PY" -c "import secrets; print(secrets.token_hex(32))" > "$DIR/secrets/$name"
  done
  chmod 600 "$DIR/secrets/"*
  export STREAMLIT_SERVER_COOKIE_SECRET="${STREAMLIT_SERVER_COOKIE_SECRET:-$(cat "$DIR/secrets/cookie_secret")}"
  export RM_LINK_SECRET="${RM_LINK_SECRET:-$(cat "$DIR/secrets/link_secret")}"
}

start_pg() {
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL binaries not found (apt-get install -y postgresql)"
  mkdir -p "$DIR/pg"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR/pg"
  if [ ! -f "$DIR/pg/data/PG_VERSION" ]; then
    as_postgres "$PG_BIN/initdb" -D "$DIR/pg/data" -A trust -U rm >"$LOGS/initdb.log" 2>&1
  fi
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/data" status >/dev/null 2>&1; then
    as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -w -l "$DIR/pg/log" \
      -o "-p $PG_PORT -k $DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start </dev/null >/dev/null 2>&1
  fi
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U rm -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='rm'" \
    | grep -q 1 || "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U rm rm
  say "PostgreSQL on 127.0.0.1:$PG_PORT"
}

start_chroma() {
  mkdir -p "$DIR/chroma"
  if ! alive chroma; then
    "$CHROMA" run --path "$DIR/chroma" --host 127.0.0.1 --port "$CHROMA_PORT" </dev/null >"$LOGS/chroma.log" 2>&1 &
    echo $! > "$RUN/chroma.pid"
  fi
  wait_url "http://127.0.0.1:$CHROMA_PORT/api/v2/heartbeat" "" 60 "Chroma"
  say "Chroma server on 127.0.0.1:$CHROMA_PORT"
}

prepare_state() {
  mkdir -p "$RM_HOME"
  "$PY" -m rm_core db upgrade >"$LOGS/setup.log" 2>&1 || die "db upgrade failed (see $LOGS/setup.log)"
  "$PY" -m rm_core demo seed --scale "$SCALE" --if-empty >>"$LOGS/setup.log" 2>&1 || die "demo seed failed (see $LOGS/setup.log)"
  "$PY" -m rm_core mo reindex --check >>"$LOGS/setup.log" 2>&1 || die "mo reindex failed (see $LOGS/setup.log)"
}

replica_port() { local i; for i in "${!REPLICAS[@]}"; do [ "${REPLICAS[$i]}" = "$1" ] && echo "${REPLICA_PORTS[$i]}"; done; return 0; }

start_replica() {
  local name="$1" port; port="$(replica_port "$1")"
  [ -n "$port" ] || die "no replica named '$name' (use ${REPLICAS[*]})"
  if ! alive "replica-$name"; then
    # exec: the recorded pid is the server's own, so stop and stop-replica end exactly that process.
    (cd "$ROOT" && exec "$PY" -m streamlit run app.py --server.port "$port" --server.address 127.0.0.1 \
       --server.headless true </dev/null >"$LOGS/replica-$name.log" 2>&1) &
    echo $! > "$RUN/replica-$name.pid"
  fi
  wait_url "http://127.0.0.1:$port/_stcore/health" "ok" 120 "replica $name"
  say "replica $name on 127.0.0.1:$port"
}

start_proxy() {
  command -v haproxy >/dev/null || die "haproxy not found (apt-get install -y haproxy)"
  local servers="" i
  for i in "${!REPLICAS[@]}"; do
    servers+="    server ${REPLICAS[$i]} 127.0.0.1:${REPLICA_PORTS[$i]} check cookie ${REPLICAS[$i]}"$'\n'
  done
  cat > "$DIR/haproxy.cfg" <<EOF
# Generated by deploy/run-scaled.sh
global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h          # Streamlit keeps one WebSocket per browser tab open
    option redispatch          # a user whose replica is down is sent to another one
    retries 2
frontend workbench
    bind 127.0.0.1:$PROXY_PORT
    default_backend replicas
backend replicas
    balance roundrobin
    cookie RM_REPLICA insert indirect nocache httponly
    option httpchk GET /_stcore/health
    http-check expect string ok
    default-server inter 1s fall 2 rise 2
    http-response set-header X-RM-Replica %[srv_name]
$servers
EOF
  haproxy -c -q -f "$DIR/haproxy.cfg" || die "haproxy refused $DIR/haproxy.cfg"
  if alive proxy; then
    haproxy -D -f "$DIR/haproxy.cfg" -p "$RUN/proxy.pid" -sf "$(cat "$RUN/proxy.pid")" </dev/null >>"$LOGS/proxy.log" 2>&1
  else
    haproxy -D -f "$DIR/haproxy.cfg" -p "$RUN/proxy.pid" </dev/null >>"$LOGS/proxy.log" 2>&1
  fi
  wait_url "http://127.0.0.1:$PROXY_PORT/_stcore/health" "ok" 30 "proxy"
  say "proxy on http://127.0.0.1:$PROXY_PORT (sticky cookie RM_REPLICA)"
}

stop_pid() {  # stop_pid NAME: TERM, then KILL after 15 s
  alive "$1" || { rm -f "$RUN/$1.pid"; return 0; }
  local pid; pid="$(cat "$RUN/$1.pid")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do gone "$pid" && break; sleep 0.1; done
  gone "$pid" || kill -9 "$pid" 2>/dev/null || true
  rm -f "$RUN/$1.pid"
  say "stopped $1"
}

gone() {  # gone PID: exited, or a zombie nobody has reaped yet (it serves nothing either way)
  ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

kill_replica() {  # a crash: SIGKILL, no shutdown hooks; returns once the process is gone
  local name="replica-$1" pid
  alive "$name" || die "replica $1 is not running"
  pid="$(cat "$RUN/$name.pid")"
  kill -9 "$pid"
  for _ in $(seq 1 100); do gone "$pid" && break; sleep 0.1; done
  gone "$pid" || die "replica $1 (pid $pid) survived SIGKILL"
  rm -f "$RUN/$name.pid"
  say "killed $name"
}

start() {
  mkdir -p "$RUN" "$LOGS"
  secrets
  start_pg
  start_chroma
  prepare_state
  local r; for r in "${REPLICAS[@]}"; do start_replica "$r"; done
  start_proxy
}

stop() {
  stop_pid proxy
  local r; for r in "${REPLICAS[@]}"; do stop_pid "replica-$r"; done
  stop_pid chroma
  if [ -f "$DIR/pg/data/PG_VERSION" ] && as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/data" status >/dev/null 2>&1; then
    as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null && say "stopped PostgreSQL"
  fi
}

status() {
  local r
  for r in "${REPLICAS[@]}"; do
    printf 'replica %s (port %s): %s\n' "$r" "$(replica_port "$r")" \
      "$(curl -fsS --max-time 2 "http://127.0.0.1:$(replica_port "$r")/_stcore/health" 2>/dev/null || echo down)"
  done
  printf 'proxy (port %s): %s\n' "$PROXY_PORT" \
    "$(curl -fsS --max-time 2 "http://127.0.0.1:$PROXY_PORT/_stcore/health" 2>/dev/null || echo down)"
  printf 'chroma (port %s): %s\n' "$CHROMA_PORT" \
    "$(curl -fsS --max-time 2 -o /dev/null -w ok "http://127.0.0.1:$CHROMA_PORT/api/v2/heartbeat" 2>/dev/null || echo down)"
  printf 'postgresql (port %s): %s\n' "$PG_PORT" \
    "$("$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && echo ok || echo down)"
  curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$PROXY_PORT/_stcore/health"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  stop-replica) [ -n "${2:-}" ] || die "name a replica (${REPLICAS[*]})"; stop_pid "replica-$2" ;;
  kill-replica) [ -n "${2:-}" ] || die "name a replica (${REPLICAS[*]})"; kill_replica "$2" ;;
  start-replica) [ -n "${2:-}" ] || die "name a replica (${REPLICAS[*]})"; mkdir -p "$RUN" "$LOGS"; secrets; start_replica "$2" ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac
