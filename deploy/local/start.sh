#!/usr/bin/env bash
# Starts Calltracking Edge on this machine with everything it needs: PostgreSQL and Redis on loopback with their
# data under .local/ in the project folder, schema migrations, a demo project, then the edge in the foreground.
# Ctrl-C stops the edge, PostgreSQL and Redis. Ports can be changed with the variables below.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
. deploy/local/packages.sh
edge_install_packages
edge_require_dotnet

PG_PORT=${EDGE_PG_PORT:-15432}
REDIS_PORT=${EDGE_REDIS_PORT:-16379}
HTTP_URLS=${EDGE_HTTP_URLS:-http://127.0.0.1:8080}
SIP_UDP=${EDGE_SIP_UDP:-127.0.0.1:5060}
SIP_TCP=${EDGE_SIP_TCP:-127.0.0.1:5060}
STATE="$ROOT/.local"
mkdir -p "$STATE/redis" "$STATE/recordings" "$STATE/captures" "$STATE/spool"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
PGDATA_DIR="$STATE/pg/data"
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$STATE/pg" && chown postgres:postgres "$STATE/pg"
  if ! runuser -u postgres -- test -w "$STATE/pg"; then
    # The project folder is not reachable by the postgres user (e.g. under /root): keep the cluster beside it.
    PGDATA_DIR="/var/lib/calltracking-edge-dev/$(echo "$ROOT" | md5sum | cut -c1-12)/data"
    mkdir -p "$(dirname "$PGDATA_DIR")" && chown postgres:postgres "$(dirname "$PGDATA_DIR")"
    echo "note: $STATE is not writable by the postgres user; PostgreSQL data goes to $PGDATA_DIR" >&2
  fi
else
  mkdir -p "$STATE/pg"
fi
PGSOCK="$(dirname "$PGDATA_DIR")"

if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
  as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 >"$STATE/initdb.log"
fi
if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGSOCK/pg.log" -w -t 60 \
    -o "-p $PG_PORT -k $PGSOCK -c listen_addresses=127.0.0.1" start >/dev/null
fi
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='edge'" | grep -q 1 \
  || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE edge"

if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STATE/redis" --appendonly yes --daemonize yes \
    --pidfile "$STATE/redis/redis.pid" --logfile "$STATE/redis/redis.log"
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
fi

stop_services() {
  [ -f "$STATE/redis/redis.pid" ] && kill "$(cat "$STATE/redis/redis.pid")" 2>/dev/null || true
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
}
trap stop_services EXIT

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# An 8 MiB young-generation budget for the edge, as deploy/systemd and deploy/compose set it (short GC pauses on the SIP path).
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x800000}
dotnet publish src/Edge.Host/Edge.Host.csproj -c Release -o "$STATE/edge" -nologo -v q
EDGE="$STATE/edge/Calltracking.Edge"

export Postgres__ConnectionString="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=edge"
export Redis__Configuration="127.0.0.1:$REDIS_PORT"
export Http__Urls="$HTTP_URLS"
export Sip__UdpListen="$SIP_UDP" Sip__TcpListen="$SIP_TCP"
export Recording__Directory="$STATE/recordings" Recording__CaptureDirectory="$STATE/captures"
export Recording__LinkSecret="${EDGE_LINK_SECRET:-$(cat "$STATE/link.secret" 2>/dev/null || (head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | tee "$STATE/link.secret"))}"
export CallHistory__PublicBaseUrl="${EDGE_PUBLIC_URL:-${HTTP_URLS%%;*}}"
export CallHistory__SpoolDirectory="$STATE/spool"
# Calls from this machine count as a carrier; point EDGE_DEMO_TARGET at your softphone or a SIPp UAS.
export Routing__Carriers__0__Cidr="${EDGE_CARRIER_CIDR:-127.0.0.1/32}"
export Http__AdminKey="${EDGE_ADMIN_KEY:-$(cat "$STATE/admin.key" 2>/dev/null || (head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' | tee "$STATE/admin.key"))}"

"$EDGE" migrate
if [ ! -f "$STATE/demo.env" ]; then
  "$EDGE" project create --name "Demo" | tee "$STATE/demo.env.tmp" >/dev/null
  mv "$STATE/demo.env.tmp" "$STATE/demo.env"
fi
. "$STATE/demo.env"
DEMO_SCRIPT=$("$EDGE" demo seed --project "$project_id" --target "${EDGE_DEMO_TARGET:-sip:demo@127.0.0.1:5070}")

cat <<INFO

Calltracking Edge (demo)
  HTTP API      ${HTTP_URLS}/api/v1/...?project=${project_id}   header Api-key: ${api_key}
  health        ${HTTP_URLS}/health  ${HTTP_URLS}/ready  ${HTTP_URLS}/metrics
  status page   ${HTTP_URLS}/status  (admin key in $STATE/admin.key)
  SIP           udp:${SIP_UDP} tcp:${SIP_TCP}
  PostgreSQL    127.0.0.1:${PG_PORT} (data ${PGDATA_DIR})   Redis 127.0.0.1:${REDIS_PORT}
  demo project  ${project_id}   API key ${api_key}
  demo script   ${DEMO_SCRIPT}
  try it        sipp -sn uac -s 74990000101 ${SIP_UDP}    (calls a demo number; the edge forwards it to the demo target)

INFO
"$EDGE"
