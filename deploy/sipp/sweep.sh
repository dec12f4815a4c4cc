#!/usr/bin/env bash
# Rate sweep: runs one profile of run-profile.sh at increasing call rates and prints, per step, the
# calls/s achieved, the failure share and — when EDGE_PID names the edge process on this host — the
# edge's CPU per call. Stops after the first step whose failures exceed STOP_FAIL_PCT.
#
#   deploy/sipp/sweep.sh <profile> <edge-address[:port]>
#
# Environment (defaults in brackets):
#   RATES          calls/s per step                        ["50 100 200 400 800"]
#   STEP_SECS      seconds of call creation per step       [20]  (calls per step = rate x STEP_SECS)
#   STOP_FAIL_PCT  stop after a step failing more than this [1]
#   EDGE_PID       the edge's process id, for CPU per call  [none]
#   and everything run-profile.sh reads (TARGET_LISTEN, NUMBERS, HOLD_MS, TRANSPORT, ...).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
PROFILE=$1
EDGE=$2
RATES=${RATES:-"50 100 200 400 800"}
STEP_SECS=${STEP_SECS:-20}
STOP_FAIL_PCT=${STOP_FAIL_PCT:-1}
[[ $STEP_SECS =~ ^[0-9]+$ ]] && [ "$STEP_SECS" -ge 1 ] && [ "$STEP_SECS" -le 300 ] || { echo "STEP_SECS must be 1..300" >&2; exit 2; }
if [ -n "${EDGE_PID:-}" ] && [ ! -r "/proc/$EDGE_PID/stat" ]; then echo "EDGE_PID $EDGE_PID is not a running process" >&2; exit 2; fi
TICKS=$(getconf CLK_TCK)
cpu_ticks() { [ -n "${EDGE_PID:-}" ] && awk '{ print $14 + $15 }' "/proc/$EDGE_PID/stat" || echo 0; }

# calls/s: the creation rate SIPp achieved (its average); a step that cannot keep the target rate shows it here.
printf '%-10s %10s %10s %10s %10s %14s\n' "target" "created" "failed" "fail %" "calls/s" "edge CPU/call"
for RATE in $RATES; do
  [[ $RATE =~ ^[0-9]+$ ]] || { echo "rate '$RATE' is not a whole number" >&2; exit 2; }
  BEFORE=$(cpu_ticks)
  LINE=$(RATE=$RATE CALLS=$(( RATE * STEP_SECS )) MAX_FAILED_PCT=100 "$HERE/run-profile.sh" "$PROFILE" "$EDGE" 2>/dev/null | grep '^result ' || true)
  AFTER=$(cpu_ticks)
  [ -n "$LINE" ] || { echo "step at $RATE/s produced no result (run run-profile.sh $PROFILE $EDGE with RATE=$RATE to see why)" >&2; exit 1; }
  eval "$(echo "$LINE" | sed 's/^result //; s/\([a-z]*\)=\([^ ]*\)/R_\1=\2;/g')"
  awk -v r="$RATE" -v c="$R_created" -v f="$R_failed" -v ok="$R_succeeded" -v a="$R_achieved" -v t=$(( AFTER - BEFORE )) -v hz="$TICKS" -v pid="${EDGE_PID:-}" 'BEGIN {
    cpu = (pid == "" || ok == 0) ? "-" : sprintf("%.0f us", 1e6 * t / hz / ok)
    printf "%-10s %10d %10d %10.3f %10.1f %14s\n", r "/s", c, f, (c > 0 ? 100 * f / c : 100), a, cpu
  }'
  if awk -v c="$R_created" -v f="$R_failed" -v m="$STOP_FAIL_PCT" 'BEGIN { exit !(c == 0 || 100 * f / c > m) }'; then
    echo "stopped: more than $STOP_FAIL_PCT% failed at $RATE/s"
    break
  fi
done
