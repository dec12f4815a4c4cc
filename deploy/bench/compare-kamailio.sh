#!/usr/bin/env bash
# The edge against Kamailio on this machine, in one run: the same SIPp carrier (INVITE, 180, 200, ACK, hold, BYE)
# and the same SIPp PBX, at rising call rates, one proxy after the other at each rate. Prints per step the calls/s
# achieved, the failure share, the proxy's CPU (per call and in % of one core) and the time the proxy adds to an
# INVITE (p50/p99, packet capture on lo), then the highest rate with < 0.1 % failures for each and the ratio.
#
#   deploy/bench/compare-kamailio.sh
#
# Everything binds 127.0.0.1 on free ports. The edge runs as deploy/local/start.sh runs it (PostgreSQL, Redis, the
# demo project, whose script sends its three numbers to the PBX); Kamailio runs deploy/bench/kamailio.cfg, which does
# the same job on a carrier INVITE (source check, number lookup in memory, x-roistat headers, record-route, stateful
# relay). Each step is deploy/sipp/run-profile.sh's "calls" profile, bounded in calls and time.
#
# Environment (defaults in brackets):
#   RATES          calls/s per step                         ["200 500 1000 2000 3000"]
#   STEP_SECS      seconds of call creation per step         [10]   (calls per step = rate x STEP_SECS)
#   HOLD_MS        ACK -> BYE                                [1000]
#   CAP_SECS       seconds captured per step, from 3 s in     [STEP_SECS - 4: the step but its first 3 s and last 1 s, so
#                  the latency percentiles cover several GC cycles instead of a 2 s slice that may or may not hold one]
#   STOP_FAIL_PCT  no higher step for a proxy failing more    [5]
#   OUT            run directory                             [/tmp/edge-vs-kamailio-<time>]
#   PROXIES        which proxies run (e.g. "edge" alone)     ["kamailio edge"]
#   LOADGEN_NICE   nice of SIPp and the capture              [0]   (10: the load generators yield the cores to the proxy
#                  and its stores, as they would from machines of their own; the same for both proxies)
#   GC_EVENTS      1: the edge logs each GC pause (deploy/bench/gc-events), and the summary says per step how
#                  many INVITEs slower than 2 ms were in the edge during one (deploy/bench/gc-overlap.py)  [0]
# Output: the table on stdout and in $OUT/summary.md, which adds the edge's allocation, GC and thread-pool work per
# step (deploy/bench/runtime.py) and the steal over the run; per step SIPp's files, the capture and the edge's /metrics before and after.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RATES=${RATES:-"200 500 1000 2000 3000"}
STEP_SECS=${STEP_SECS:-10}
HOLD_MS=${HOLD_MS:-1000}
CAP_SECS=${CAP_SECS:-$(( ${STEP_SECS} > 6 ? ${STEP_SECS} - 4 : 2 ))}
STOP_FAIL_PCT=${STOP_FAIL_PCT:-5}
OUT=${OUT:-/tmp/edge-vs-kamailio-$(date +%Y%m%d-%H%M%S)}
PROXIES=${PROXIES:-"kamailio edge"}
LOADGEN_NICE=${LOADGEN_NICE:-0}
GC_EVENTS=${GC_EVENTS:-0}
runs() { [[ " $PROXIES " == *" $1 "* ]]; }
for v in STEP_SECS HOLD_MS CAP_SECS LOADGEN_NICE GC_EVENTS; do [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a whole number" >&2; exit 2; }; done
[ "$STEP_SECS" -ge 5 ] && [ "$STEP_SECS" -le 60 ] || { echo "STEP_SECS must be 5..60" >&2; exit 2; }
[ "$LOADGEN_NICE" -le 19 ] || { echo "LOADGEN_NICE must be 0..19" >&2; exit 2; }
mkdir -p "$OUT"

missing=()
command -v kamailio >/dev/null || missing+=(kamailio)
command -v dumpcap >/dev/null || missing+=(wireshark-common)
command -v sipp >/dev/null || missing+=(sip-tester)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

log() { echo "[$(date +%T)] $*" >&2; }
free_port() {  # a port free for UDP and TCP on 127.0.0.1
  python3 -c 'import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); p = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass'
}
ticks() { local s=0 p f; for p in "$@"; do read -r -a f 2>/dev/null < "/proc/$p/stat" && s=$((s + f[13] + f[14])); done; echo $s; }
idle_ticks() { awk '/^cpu / { print $5 + $6 }' /proc/stat; }
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)

START_PID=""; EDGE_PID=""; KAM_PID=""
stop_pid() {  # TERM, then KILL after $2 seconds; only the given process
  local p=$1 i
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null || true
  for ((i = 0; i < ${2:-10} * 10; i++)); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
}
cleanup() {
  stop_pid "$KAM_PID" 5
  # The edge drains (Routing__DrainTimeoutSeconds below), then start.sh stops PostgreSQL and Redis on its way out.
  stop_pid "$EDGE_PID" 15
  for _ in $(seq 1 300); do [ -n "$START_PID" ] && kill -0 "$START_PID" 2>/dev/null || break; sleep 0.1; done
  stop_pid "$START_PID" 5
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the edge, as deploy/local/start.sh runs it ----
EDGE_PORT=$(free_port); HTTP_PORT=$(free_port); PBX_FREE=$(free_port); PG_PORT=$(free_port); REDIS_PORT=$(free_port)
log "starting the edge (deploy/local/start.sh: publish, PostgreSQL, Redis, demo project) -> $OUT/edge.out"
# Benchmark settings: one source sends every INVITE, so the per-source flood limit (2000/s by default) is lifted;
# a short drain so the run ends quickly. Everything else is the product's default.
GC_HOOK=()
if [ "$GC_EVENTS" = 1 ]; then
  dotnet build -c Release "$HERE/gc-events" -o "$OUT/gc-events" -nologo -v q >/dev/null || { echo "could not build deploy/bench/gc-events" >&2; exit 1; }
  mkdir -p "$OUT/gc-logs"
  GC_HOOK=(DOTNET_STARTUP_HOOKS="$OUT/gc-events/gc-events.dll" GC_EVENTS_DIR="$OUT/gc-logs")
fi
env "${GC_HOOK[@]}" \
EDGE_SIP_UDP=127.0.0.1:$EDGE_PORT EDGE_SIP_TCP=127.0.0.1:$EDGE_PORT EDGE_HTTP_URLS=http://127.0.0.1:$HTTP_PORT \
EDGE_PG_PORT=$PG_PORT EDGE_REDIS_PORT=$REDIS_PORT EDGE_DEMO_TARGET=sip:demo@127.0.0.1:$PBX_FREE \
Routing__InvitesPerSecondPerSource=1000000 Routing__DrainTimeoutSeconds=2 \
  "$ROOT/deploy/local/start.sh" > "$OUT/edge.out" 2>&1 &
START_PID=$!
for _ in $(seq 1 900); do   # publish takes a minute or two on a busy machine
  EDGE_PID=$(ss -Hulnp "sport = :$EDGE_PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
  [ -n "$EDGE_PID" ] && curl -fs "http://127.0.0.1:$HTTP_PORT/ready" >/dev/null 2>&1 && break
  kill -0 "$START_PID" 2>/dev/null || { echo "the edge did not start:" >&2; tail -n 30 "$OUT/edge.out" >&2; exit 1; }
  sleep 1
done
[ -n "$EDGE_PID" ] || { echo "the edge did not open udp 127.0.0.1:$EDGE_PORT in 15 minutes" >&2; exit 1; }
# The demo script's target and numbers (a project seeded by an earlier start.sh keeps its first target).
DEMO=$(grep -m1 'demo script' "$OUT/edge.out")
PBX=$(echo "$DEMO" | sed -n 's/.*sip:[^@]*@\([0-9.]*:[0-9]*\).*/\1/p')
NUMS=$(echo "$DEMO" | sed -n 's/.*numbers //p' | tr -d ',')
[ -n "$PBX" ] && [ -n "$NUMS" ] || { echo "cannot read the demo script from: $DEMO" >&2; exit 1; }
if ss -Hulnp "sport = :${PBX##*:}" | grep -q .; then echo "the demo target $PBX is in use; remove .local/demo.env's project or free it" >&2; exit 1; fi
# The edge's own work per call includes what it asks of Redis (attribution) and PostgreSQL (call records).
# PostgreSQL's backends come and go (autovacuum workers, connections): the postmaster's reaped children's CPU
# (cutime/cstime) plus the children alive now, so a backend that ends inside the window still counts.
store_pids() {
  local pg redis
  pg=$(ss -Htlnp "sport = :$PG_PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
  redis=$(ss -Htlnp "sport = :$REDIS_PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
  echo "$pg $redis"
}
store_ticks() {  # store_ticks POSTMASTER REDIS
  local f s=0
  read -r -a f 2>/dev/null < "/proc/$1/stat" && s=$((f[13] + f[14] + f[15] + f[16]))
  s=$((s + $(ticks $(ps -o pid= --ppid "$1" 2>/dev/null)) + $(ticks "$2")))
  echo $s
}
# Kamailio relays signalling only: the demo project stops recording, so the edge does not relay media either.
. "$ROOT/.local/demo.env"
curl -fs -X POST -H "Api-key: $api_key" -H 'Content-Type: application/json' -d '{"no_record": true}' \
  "http://127.0.0.1:$HTTP_PORT/api/v1/project/calltracking/settings?project=$project_id" >/dev/null \
  || { echo "could not switch the demo project to no_record" >&2; exit 1; }
log "edge pid $EDGE_PID on udp 127.0.0.1:$EDGE_PORT; PBX $PBX; numbers $NUMS"

# ---- Kamailio with the same numbers and target ----
KAM_PORT=$(free_port)
mkdir -p "$OUT/kamailio"
{
  echo "id(int,auto) key_name(string) key_type(int) value_type(int) key_value(string) expires(int)"
  i=0; for n in $NUMS; do i=$((i + 1)); echo "$i:$n:0:0:$((100000 + i))|direct|sip\\:demo@${PBX%:*}\\:${PBX##*:}:0"; done
} > "$OUT/kamailio/pool"
KAM_CTL="unix:$OUT/kamailio/ctl"
# Tuned as an operator who cares would run it: fast allocator (-x/-X fm), 4 MiB receive buffer, one worker per core.
kamailio -DD -E -f "$HERE/kamailio.cfg" -m 1024 -M 32 -x fm -X fm -P "$OUT/kamailio/kamailio.pid" \
  -A "LISTEN=udp:127.0.0.1:$KAM_PORT" -A "CHILDREN=$NCPU" -A "CTLSOCK=\"$KAM_CTL\"" -A "DBURL=\"text://$OUT/kamailio\"" \
  -A 'CARRIER="127.0.0.1"' > "$OUT/kamailio.log" 2>&1 &
KAM_PID=$!
for _ in $(seq 1 50); do kamcmd -s "$KAM_CTL" core.uptime >/dev/null 2>&1 && break; sleep 0.1; done
kamcmd -s "$KAM_CTL" core.uptime >/dev/null 2>&1 || { echo "kamailio did not start:" >&2; cat "$OUT/kamailio.log" >&2; exit 1; }
KAM_PIDS="$KAM_PID $(ps -o pid= --ppid "$KAM_PID" | tr '\n' ' ')"
log "kamailio $(kamailio -v | head -n 1 | awk "{print \$3}") pid $KAM_PID (processes $KAM_PIDS) on udp 127.0.0.1:$KAM_PORT"

# Every call of a step gets its own caller, so an INVITE in and the edge's INVITE out (another Call-ID) pair up.
MAX_RATE=$(echo "$RATES" | tr ' ' '\n' | sort -n | tail -n 1)
NUMBERS=$OUT/numbers.csv
python3 - "$NUMBERS" $((MAX_RATE * STEP_SECS + 1000)) $NUMS <<'EOF'
import sys
path, n, nums = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
with open(path, "w") as f:
    f.write("SEQUENTIAL\n")
    for i in range(n):
        f.write("%s;7916%07d;\n" % (nums[i % len(nums)], i))
EOF
{ echo "kernel $(uname -r), $NCPU cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"; { sipp -v 2>&1 || true; } | grep -m1 SIPp || true
  kamailio -v | head -n 1; dotnet --version; echo "rates [$RATES] step ${STEP_SECS}s hold ${HOLD_MS}ms capture ${CAP_SECS}s load generators at nice $LOADGEN_NICE"; } > "$OUT/env.txt"

# The hypervisor's share of the CPU (steal) over the run: on a shared host it can take a tenth of the cores, and then
# neither proxy's figures compare with another run's.
cpu_times() { awk '/^cpu /{ t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9 }' /proc/stat; }
read -r CPU_TOTAL0 CPU_STEAL0 < <(cpu_times)

# ---- one step: run-profile.sh "calls" at RATE through one proxy ----
SUMMARY=$OUT/steps.txt
: > "$SUMMARY"
step() {  # step NAME PORT RATE PIDS... ; appends "name rate planned ok fail% achieved cpu% us/call idle% n p50 p99 stores-us/call"
  local name=$1 port=$2 rate=$3; shift 3
  local dir=$OUT/$name-$rate calls=$((rate * STEP_SECS)) t1 i0 i1 cw0 cw1 s0=0 s1=0 stores="" cap rp line ok achieved lat
  mkdir -p "$dir"
  ( sleep 3; exec nice -n "$LOADGEN_NICE" dumpcap -q -i lo -f "udp port $port and udp[8:4] = 0x494e5649" -a duration:"$CAP_SECS" \
      -w "$dir/invites.pcapng" ) > "$dir/dumpcap.out" 2>&1 &
  cap=$!
  [ "$name" = edge ] && curl -fs "http://127.0.0.1:$HTTP_PORT/metrics" > "$dir/metrics-before.txt" || true
  RATE=$rate CALLS=$calls HOLD_MS=$HOLD_MS NUMBERS=$NUMBERS TARGET_LISTEN=$PBX LOCAL_IP=127.0.0.1 MAX_FAILED_PCT=100 \
    OUT=$dir/sipp nice -n "$LOADGEN_NICE" "$ROOT/deploy/sipp/run-profile.sh" calls "127.0.0.1:$port" > "$dir/run-profile.out" 2>&1 &
  rp=$!
  # the proxy's CPU and the machine's idle time over the creation window (from 1 s in)
  [ "$name" = edge ] && stores=$(store_pids)
  sleep 1; cw0=$(ticks "$@"); i0=$(idle_ticks); t1=$(date +%s%N); [ -n "$stores" ] && s0=$(store_ticks $stores)
  sleep $((STEP_SECS - 1)); cw1=$(ticks "$@"); i1=$(idle_ticks); [ -n "$stores" ] && s1=$(store_ticks $stores)
  local win_ns=$(( $(date +%s%N) - t1 ))
  wait "$rp" || true
  wait "$cap" 2>/dev/null || true
  [ "$name" = edge ] && curl -fs "http://127.0.0.1:$HTTP_PORT/metrics" > "$dir/metrics-after.txt" || true
  line=$(grep '^result ' "$dir/run-profile.out" || true)
  ok=$(echo "$line" | sed -n 's/.* succeeded=\([0-9]*\).*/\1/p'); ok=${ok:-0}
  # calls/s achieved: answered calls over the span of their answers (SIPp's rtt log), not SIPp's average over the run
  achieved=$(cat "$dir"/sipp/*_rtt.csv 2>/dev/null | awk -F';' '$3 == "answer" { n++; t = $1 + 0; if (min == "" || t < min) min = t; if (t > max) max = t }
    END { if (n > 1 && max > min) printf "%.0f", (n - 1) * 1000 / (max - min); else print 0 }')
  python3 "$HERE/invites.py" "$dir/invites.pcapng" > "$dir/invites.txt" 2>/dev/null || true
  lat=$(python3 "$HERE/latency.py" "$dir/invites.txt" "$port")
  awk -v n="$name" -v r="$rate" -v planned="$calls" -v ok="$ok" -v a="$achieved" -v cw="$((cw1 - cw0))" -v st="$((s1 - s0))" -v hasst="${stores:+1}" \
      -v i="$((i1 - i0))" -v w="$win_ns" -v hz="$HZ" -v ncpu="$NCPU" -v lat="$lat" 'BEGIN {
    secs = w / 1e9
    printf "%s %d %d %d %.3f %d %.0f %s %.0f %s %s\n", n, r, planned, ok, 100 * (planned - ok) / planned, a,
      100 * cw / hz / secs, (a > 0 ? sprintf("%.0f", 1e6 * cw / hz / secs / a) : "-"), 100 * i / hz / secs / ncpu, lat,
      (hasst && a > 0 ? sprintf("%.0f", 1e6 * st / hz / secs / a) : "-")
  }' | tee -a "$SUMMARY"
  drain "$name"
}

# A call the PBX gave up on (SIPp's UAS aborts a call on an INVITE retransmitted after its 200) leaves a BYE that the
# proxy retransmits for up to 32 s (timer F); the next step's PBX on the same port would count it as a call. So a
# step ends when the proxy has no request of its own left unanswered (bounded at 40 s).
drain() {
  local i n
  for ((i = 0; i < 80; i++)); do
    if [ "$1" = edge ]; then
      n=$(curl -fs "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^edge_sip_transactions_active\{kind="client_(non_)?invite"\}/ { s += $2 } END { print s + 0 }') || n=0
    else
      n=$(kamcmd -s "$KAM_CTL" tm.stats 2>/dev/null | awk '$1 == "current:" { print $2 }') || n=0
    fi
    [ "${n:-0}" -eq 0 ] && break
    sleep 0.5
  done
  [ "$i" -lt 80 ] || log "$1: $n transactions still open after 40 s"
  sleep 1
}

row() {  # one table row from a steps.txt line
  awk '{ printf "| %s | %d | %d | %d | %.3f | %d | %s | %s | %d | %s / %s (%s) |\n", $1, $2, $6, $3, $5, $7, $8, $13, $9, $11, $12, $10 }'
}
HEADER='| proxy | target calls/s | achieved calls/s | calls | failed % | proxy CPU, % of one core | proxy CPU µs per call | + Redis & PostgreSQL µs per call | machine idle % | INVITE in → out µs p50 / p99 (n) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---|'

log "warm-up: 200 calls/s for 10 s through each (not reported; the edge's JIT settles)"
for target in "kamailio $KAM_PORT" "edge $EDGE_PORT"; do
  set -- $target
  runs "$1" || continue
  RATE=200 CALLS=2000 HOLD_MS=$HOLD_MS NUMBERS=$NUMBERS TARGET_LISTEN=$PBX LOCAL_IP=127.0.0.1 MAX_FAILED_PCT=100 \
    OUT=$OUT/warmup-$1 "$ROOT/deploy/sipp/run-profile.sh" calls "127.0.0.1:$2" > "$OUT/warmup-$1.out" 2>&1 || true
  log "warm-up $1: $(grep '^calls ' "$OUT/warmup-$1.out" || echo 'no result')"
  drain "$1"
done

echo "$HEADER"
KAM_DONE=0; EDGE_DONE=0
runs kamailio || KAM_DONE=1
runs edge || EDGE_DONE=1
for R in $RATES; do
  [ "$KAM_DONE" = 1 ] || step kamailio "$KAM_PORT" "$R" $KAM_PIDS | row
  [ "$EDGE_DONE" = 1 ] || step edge "$EDGE_PORT" "$R" "$EDGE_PID" | row
  KAM_DONE=$(awk -v r="$R" -v m="$STOP_FAIL_PCT" -v d="$KAM_DONE" '$1 == "kamailio" && $2 == r && ($5 > m || $6 < 0.8 * r) { d = 1 } END { print d }' "$SUMMARY")
  EDGE_DONE=$(awk -v r="$R" -v m="$STOP_FAIL_PCT" -v d="$EDGE_DONE" '$1 == "edge" && $2 == r && ($5 > m || $6 < 0.8 * r) { d = 1 } END { print d }' "$SUMMARY")
  if [ "$KAM_DONE" = 1 ] && [ "$EDGE_DONE" = 1 ]; then break; fi
done

# The highest step with < 0.1 % failed calls that also reached 95 % of its target rate.
best() { awk -v n="$1" '$1 == n && $5 < 0.1 && $6 >= 0.95 * $2 && $6 > b { b = $6 } END { print b + 0 }' "$SUMMARY"; }
KAM_MAX=$(best kamailio); EDGE_MAX=$(best edge)
{
  echo "$HEADER"
  row < "$SUMMARY"
  echo
  echo "max calls/s with < 0.1 % failed (and >= 95 % of the step's target reached): edge $EDGE_MAX, kamailio $KAM_MAX;" \
    "edge/kamailio = $(awk -v e="$EDGE_MAX" -v k="$KAM_MAX" 'BEGIN { if (k > 0) printf "%.2f", e / k; else print "-" }')"
  if runs edge; then echo; echo "the edge's runtime per step (deploy/bench/runtime.py):"; echo; python3 "$HERE/runtime.py" "$OUT"; fi
  if runs edge && [ "$GC_EVENTS" = 1 ]; then
    echo; echo "INVITEs slower than 2 ms during the edge's GC pauses (deploy/bench/gc-overlap.py):"
    for dir in "$OUT"/edge-*; do
      [ -s "$dir/invites.txt" ] && [ -f "$OUT/gc-logs/gc-$EDGE_PID.log" ] || continue
      echo; echo "$(basename "$dir"):"; python3 "$HERE/gc-overlap.py" "$dir/invites.txt" "$EDGE_PORT" "$OUT/gc-logs/gc-$EDGE_PID.log" || true
    done
  fi
  echo
  read -r CPU_TOTAL1 CPU_STEAL1 < <(cpu_times)
  echo "steal (the hypervisor's share of the CPU) over the run: $(awk -v t=$((CPU_TOTAL1 - CPU_TOTAL0)) -v s=$((CPU_STEAL1 - CPU_STEAL0)) \
    'BEGIN { printf "%.1f %%", (t > 0 ? 100 * s / t : 0) }') (about 1 % on this host when it is quiet; runs with several times that do not compare with others)"
  echo "$(cat "$OUT/env.txt" | tr '\n' ';')"
  echo "files: $OUT"
} > "$OUT/summary.md"
tail -n 12 "$OUT/summary.md"
