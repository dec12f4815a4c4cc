#!/usr/bin/env bash
# Media relay sweep: the edge's RTP relay, and Debian's rtpengine (userspace) when it is installed, under the same
# load in the same run. The load is rtpload, the C generator that measured rtpengine for this project
# (../shared/peers/rtpengine/rtpload.c): N calls, two G.711 streams each at 50 packets/s (172-byte RTP), one-way
# latency from kernel receive timestamps, loss, jitter, CPU of the relay process. The edge's relay runs behind a
# small control shim speaking rtpload's subset of the ng protocol (tests/Edge.Benchmarks/Media/NgRelayShim.cs); with
# RECORD=1 every call is captured to disk as a recorded call is.
#
#   deploy/bench/media-relay.sh
#
# Environment (defaults in brackets):
#   NS         calls per step                         ["100 200 400 600 800 1000"]
#   DUR / WARM seconds per step / warm-up excluded     [12 / 2]
#   RECORD     1: capture every call (edge) / pcap recording (rtpengine)  [1]
#   PEERS      which relays to run                    ["edge rtpengine"]
#   RTPLOAD_SRC  the generator's source               [../shared/peers/rtpengine/rtpload.c beside the project]
# Binds 127.0.0.1 only: control UDP 22222, relay ports 20000-29899, generator ports 29900-29999.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NS:-"100 200 400 600 800 1000"}
DUR=${DUR:-12}
WARM=${WARM:-2}
RECORD=${RECORD:-1}
PEERS=${PEERS:-"edge rtpengine"}
RTPLOAD_SRC=${RTPLOAD_SRC:-"$ROOT/../shared/peers/rtpengine/rtpload.c"}
RUN=$(mktemp -d /tmp/edge-media-bench-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

[ -r "$RTPLOAD_SRC" ] || { echo "rtpload source not found at $RTPLOAD_SRC (set RTPLOAD_SRC)" >&2; exit 2; }
gcc -O2 -o "$RUN/rtpload" "$RTPLOAD_SRC"
dotnet build -c Release "$ROOT/tests/Edge.Benchmarks" -v q >/dev/null
SHIM="$ROOT/tests/Edge.Benchmarks/bin/Release/net10.0/Calltracking.Edge.Benchmarks.dll"
REC_FLAG=""; [ "$RECORD" = 1 ] && REC_FLAG="--record"

start_relay() { # $1 peer, $2 step dir; prints the pid
  case "$1" in
    edge)
      local captures=""; [ "$RECORD" = 1 ] && captures="$2/captures"
      dotnet "$SHIM" relay-ng 22222 20000-29899 $captures >"$2/relay.log" 2>&1 &
      echo $! ;;
    rtpengine)
      local rec=""; [ "$RECORD" = 1 ] && rec="--recording-dir=$2/rec --recording-method=pcap" && mkdir -p "$2/rec"
      timeout 240 rtpengine --config-file=none --table=-1 --interface=127.0.0.1 --listen-ng=127.0.0.1:22222 \
        --listen-cli=127.0.0.1:22223 --port-min=20000 --port-max=29899 --delete-delay=0 --foreground --log-stderr \
        --log-level=4 $rec >"$2/relay.log" 2>&1 &
      local wrapper=$!
      sleep 1
      pgrep -P "$wrapper" -x rtpengine || echo "$wrapper" ;; # the daemon itself, for its CPU
  esac
}

for PEER in $PEERS; do
  if [ "$PEER" = rtpengine ] && ! command -v rtpengine >/dev/null; then
    echo "rtpengine not installed (apt-get install rtpengine-daemon): skipped" >&2
    continue
  fi
  for N in $NS; do
    STEP="$RUN/$PEER-$N"; mkdir -p "$STEP"
    PID=$(start_relay "$PEER" "$STEP")
    sleep 2
    "$RUN/rtpload" -n "$N" -d "$DUR" -w "$WARM" --ng 127.0.0.1:22222 --pid "$PID" --relay-range 20000-29899 \
      $REC_FLAG --tag "$PEER" 2>"$STEP/rtpload.err" | head -1 >"$STEP/result.json" || true
    kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true
    [ -s "$STEP/result.json" ] || { echo "$PEER at $N calls produced no result: see $STEP" >&2; continue; }
    cat "$STEP/result.json" >>"$RUN/results.jsonl"
    rm -rf "$STEP/captures" "$STEP/rec"
  done
done

python3 - "$RUN/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"{'relay':10} {'calls':>6} {'pkt/s':>8} {'loss %':>8} {'p50 us':>8} {'p99 us':>8} {'jitter us':>10} {'relay CPU %':>12} {'us/pkt':>7} {'gen late ms':>12} valid")
for r in rows:
    if "error" in r:
        print(f"{r['tag']:10} {r['n']:>6} error: {r['error']}"); continue
    valid = "yes" if r["max_send_late_ms"] <= 20 else "no: generator late"
    print(f"{r['tag']:10} {r['n']:>6} {r['relay_pps']:>8.0f} {r['loss_pct']:>8.3f} {r['lat_p50_us']:>8} {r['lat_p99_us']:>8} "
          f"{r['jitter_mean_us']:>10.0f} {r['rtpengine_cpu_pct']:>12.1f} {r['rtpengine_us_per_pkt']:>7.1f} {r['max_send_late_ms']:>12} {valid}")
for tag in sorted({r["tag"] for r in rows}):
    ok = [r["n"] for r in rows if r["tag"] == tag and "error" not in r and r["loss_pct"] < 0.1 and r["lat_p99_us"] < 1000 and r["max_send_late_ms"] <= 20]
    print(f"{tag}: largest N with < 0.1 % loss and one-way p99 < 1 ms: {max(ok) if ok else 'none'}")
    ok = [r["n"] for r in rows if r["tag"] == tag and "error" not in r and r["loss_pct"] < 0.1 and r["jitter_mean_us"] < 1000 and r["max_send_late_ms"] <= 20]
    print(f"{tag}: largest N with < 0.1 % loss and RFC 3550 jitter < 1 ms: {max(ok) if ok else 'none'}")
PY
echo "raw results: $RUN/results.jsonl"
