#!/usr/bin/env bash
# The acquire script of two versions side by side on one throwaway Redis (127.0.0.1, a free port):
#   deploy/bench/acquire-ab.sh OLD_REV [NEW_REV]      (NEW_REV defaults to the working tree)
# A 1,000-number pool leased to 1,000 visits, then (1) renewals of one visit from redis-benchmark (50 connections,
# 200,000 calls), alternating the two versions three times, and (2) 300 new visits on the exhausted pool (shared
# hand-outs) through each version, with Redis's own time per call (INFO commandstats). Bounded: ~1.3 M calls in all.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OLD=${1:?usage: $0 OLD_REV [NEW_REV]}
NEW=${2:-}
WORK=$(mktemp -d)
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
FILE=src/Edge.NumberPool/Leases/LeaseScripts.cs
git -C "$ROOT" show "$OLD:$FILE" > "$WORK/old.cs"
if [ -n "$NEW" ]; then git -C "$ROOT" show "$NEW:$FILE" > "$WORK/new.cs"; else cp "$ROOT/$FILE" "$WORK/new.cs"; fi
for v in old new; do
  python3 - "$WORK/$v.cs" > "$WORK/$v.lua" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
def raw(after):
    i = s.index(after); j = s.index('"""', i) + 3; return s[j:s.index('"""', j)]
lua = raw('string Reap = $$') + raw('string Acquire = Reap + $$')
lua = re.sub(r'\{\{(HolderDepth|HistoryDepth) ([+-]) (\d+)\}\}', lambda m: str(64 + int(m.group(3)) * (1 if m.group(2) == '+' else -1)), lua)
assert '{{' not in lua
print(lua)
PY
done
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes > /dev/null
for _ in $(seq 1 50); do redis-cli -p "$PORT" ping > /dev/null 2>&1 && break; sleep 0.1; done
R() { redis-cli -p "$PORT" "$@"; }
SO=$(R SCRIPT LOAD "$(cat "$WORK/old.lua")"); SN=$(R SCRIPT LOAD "$(cat "$WORK/new.lua")")
P='ct:{p1}:'; NOW=$(( $(date +%s) * 1000 ))
{ echo "SADD ${P}pool:1 __init__"; for i in $(seq 1 1000); do n=7495$(printf %07d "$i"); echo "SADD ${P}pool:1 $n"; echo "ZADD ${P}free:1 0 $n"; done; } | R > /dev/null
for v in $(seq 1 1000); do echo "EVALSHA $SO 1 $P 1 v$v $NOW 600000 86400000 share 86400000 0"; done | R > /dev/null
echo "renewals of one visit, requests/s (redis-benchmark, 50 connections):"
for round in 1 2 3; do
  for s in "old $SO" "new $SN"; do
    set -- $s
    rps=$(redis-benchmark -p "$PORT" -c 50 -n 200000 -q EVALSHA "$2" 1 "$P" 1 v1 "$NOW" 600000 86400000 share 86400000 0 | tr '\r' '\n' | grep 'requests per second' | tail -n 1 | sed 's/.*: \([0-9.]*\) requests per second.*/\1/')
    echo "  round $round $1: $rps"
  done
done
echo "shared hand-outs on the exhausted pool, Redis time per call:"
for s in "old $SO" "new $SN"; do
  set -- $s
  R CONFIG RESETSTAT > /dev/null
  for v in $(seq 1 300); do echo "EVALSHA $2 1 $P 1 x$1$v $NOW 600000 86400000 share 86400000 0"; done | R > /dev/null
  echo "  $1: $(R INFO commandstats | tr -d '\r' | grep '^cmdstat_evalsha' | sed 's/.*usec_per_call=\([0-9.]*\).*/\1/') µs"
done
