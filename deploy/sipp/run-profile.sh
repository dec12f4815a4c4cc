#!/usr/bin/env bash
# Runs a named, bounded SIPp load profile against a Calltracking Edge and prints calls/s, failures and
# response-time percentiles, with a progress line while it runs.
#
#   deploy/sipp/run-profile.sh <profile> <edge-address[:port]>
#
# Profiles (scenario, target, rate, calls, hold):
#   smoke           carrier-call.xml      target-uas.xml          5/s      20 calls   0.5 s hold
#   calls           carrier-call.xml      target-uas.xml        100/s    6000 calls   2 s hold
#   calls-rtp       carrier-call-rtp.xml  target-uas.xml         10/s     300 calls   8 s hold (G.711 A-law; root)
#   cancel-storm    carrier-cancel.xml    target-uas-cancel.xml 200/s    6000 calls   0.2 s ringing, then CANCEL
#   register-churn  registration-churn.xml  (the edge's registrar) 50/s 3000 accounts   1 s registered
#   options         options-ping.xml        (the edge answers)   200/s    6000 pings
#
# For call profiles the script also starts the target PBX (SIPp UAS) at TARGET_LISTEN; the edge must route
# the numbers of NUMBERS to it (a script whose redirect is sip:<number>@TARGET_LISTEN, or a sip_trunk account).
#
# Environment (defaults in brackets):
#   NUMBERS        -inf file for calls, lines "pool number;caller;"  [deploy/sipp/numbers.example.csv]
#   ACCOUNTS       -inf file for register-churn, lines "user;password;domain;"  [deploy/sipp/accounts.example.csv]
#   TARGET_LISTEN  ip:port the target UAS listens on               [127.0.0.1:5070]
#   NO_TARGET=1    do not start the target UAS (a real PBX answers)
#   STANDIN=1      answer register-churn / options with the stand-ins in standins/ at <edge-address>
#                  (checks the kit itself without an edge)
#   LOCAL_IP       address SIPp binds                              [first address of the route to the edge]
#   TRANSPORT      u1 (UDP) or t1 (TCP)                            [u1]
#   RATE, CALLS, HOLD_MS   override the profile (bounded: RATE <= 20000/s, CALLS <= 200000)
#   MAX_FAILED_PCT exit 1 when more calls than this fail          [0.1]
#   OUT            directory for SIPp's files                      [/tmp/edge-sipp-<profile>-<time>]
# Exit status: 0 when the failure share is within MAX_FAILED_PCT, 1 when not, 2 on bad usage.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -eq 2 ] || usage
PROFILE=$1
EDGE=$2
case "$EDGE" in *:*) ;; *) EDGE="$EDGE:5060" ;; esac
EDGE_HOST=${EDGE%:*}

TARGET_SCENARIO=""
case "$PROFILE" in
  smoke)          SCENARIO=carrier-call.xml;       TARGET_SCENARIO=target-uas.xml;        P_RATE=5;   P_CALLS=20;   P_HOLD=500 ;;
  calls)          SCENARIO=carrier-call.xml;       TARGET_SCENARIO=target-uas.xml;        P_RATE=100; P_CALLS=6000; P_HOLD=2000 ;;
  calls-rtp)      SCENARIO=carrier-call-rtp.xml;   TARGET_SCENARIO=target-uas.xml;        P_RATE=10;  P_CALLS=300;  P_HOLD=8000 ;;
  cancel-storm)   SCENARIO=carrier-cancel.xml;     TARGET_SCENARIO=target-uas-cancel.xml; P_RATE=200; P_CALLS=6000; P_HOLD=200 ;;
  register-churn) SCENARIO=registration-churn.xml; P_RATE=50;  P_CALLS=3000; P_HOLD=1000 ;;
  options)        SCENARIO=options-ping.xml;       P_RATE=200; P_CALLS=6000; P_HOLD=0 ;;
  *) echo "unknown profile '$PROFILE'" >&2; usage ;;
esac
RATE=${RATE:-$P_RATE}
CALLS=${CALLS:-$P_CALLS}
HOLD_MS=${HOLD_MS:-$P_HOLD}
MAX_FAILED_PCT=${MAX_FAILED_PCT:-0.1}
TRANSPORT=${TRANSPORT:-u1}
for v in RATE CALLS HOLD_MS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a whole number, not '${!v}'" >&2; exit 2; }
done
[ "$RATE" -ge 1 ] && [ "$RATE" -le 20000 ] || { echo "RATE must be 1..20000 calls/s" >&2; exit 2; }
[ "$CALLS" -ge 1 ] && [ "$CALLS" -le 200000 ] || { echo "CALLS must be 1..200000" >&2; exit 2; }
case "$TRANSPORT" in u1|t1) ;; *) echo "TRANSPORT must be u1 or t1" >&2; exit 2 ;; esac
command -v sipp >/dev/null || { echo "sipp not found: apt-get install -y sip-tester" >&2; exit 2; }

if [ "$PROFILE" = register-churn ]; then INF=${ACCOUNTS:-$HERE/accounts.example.csv}; else INF=${NUMBERS:-$HERE/numbers.example.csv}; fi
[ -r "$INF" ] || { echo "cannot read $INF" >&2; exit 2; }
LOCAL_IP=${LOCAL_IP:-$(ip -o route get "$EDGE_HOST" 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')}
LOCAL_IP=${LOCAL_IP:-127.0.0.1}
OUT=${OUT:-/tmp/edge-sipp-$PROFILE-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
SCENARIO_FILE="$HERE/$SCENARIO"

if [ "$PROFILE" = calls-rtp ]; then
  PCAP=$(dpkg -L sip-tester 2>/dev/null | grep '/g711a\.pcap$' | head -n 1 || true)
  [ -n "$PCAP" ] && [ -r "$PCAP" ] || { echo "g711a.pcap not found (dpkg -L sip-tester); install sip-tester" >&2; exit 2; }
  [ "$(id -u)" -eq 0 ] || echo "warning: RTP playback from pcap needs root or CAP_NET_RAW" >&2
  # SIPp loads the pcap when it reads the scenario, so the path is written into a copy.
  sed "s|/usr/share/sip-tester/g711a.pcap|$PCAP|" "$SCENARIO_FILE" > "$OUT/$SCENARIO"
  SCENARIO_FILE="$OUT/$SCENARIO"
fi

# Free UDP/TCP port on this host (never a fixed port: other runs and tests share the machine).
free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Hard bound on the whole run: creation time + hold + time to drain retransmissions.
BOUND=$(( CALLS / RATE + HOLD_MS / 1000 + 40 ))
COMMON=(-t "$TRANSPORT" -nostdin -timeout "${BOUND}s" -timeout_error -max_recv_loops 1000 -buff_size 4194304)

STANDIN_SCENARIO=""
if [ "${STANDIN:-0}" = 1 ]; then
  case "$PROFILE" in
    register-churn) STANDIN_SCENARIO=$HERE/standins/registrar.xml ;;
    options)        STANDIN_SCENARIO=$HERE/standins/options.xml ;;
    *) echo "STANDIN=1 applies to register-churn and options; call profiles use their target UAS at <edge-address>" >&2; exit 2 ;;
  esac
  ( cd "$OUT" && exec sipp -sf "$STANDIN_SCENARIO" -i "$EDGE_HOST" -p "${EDGE##*:}" -mp "$(free_port)" -cp "$(free_port)" \
      -m "$CALLS" "${COMMON[@]}" -trace_err -error_file standin_err.log > standin.out 2>&1 ) &
  PIDS+=($!)
fi

if [ -n "$TARGET_SCENARIO" ] && [ "${NO_TARGET:-0}" != 1 ]; then
  TARGET_LISTEN=${TARGET_LISTEN:-127.0.0.1:5070}
  ( cd "$OUT" && exec sipp -sf "$HERE/$TARGET_SCENARIO" -i "${TARGET_LISTEN%:*}" -p "${TARGET_LISTEN##*:}" \
      -mp "$(free_port)" -cp "$(free_port)" -m "$CALLS" "${COMMON[@]}" -trace_err -error_file target_err.log > target.out 2>&1 ) &
  PIDS+=($!)
fi
sleep 0.5

STARTED=$(date +%s%N)
( cd "$OUT" && exec sipp "$EDGE" -sf "$SCENARIO_FILE" -inf "$INF" -i "$LOCAL_IP" -mp "$(free_port)" -cp "$(free_port)" \
    -r "$RATE" -rp 1000 -m "$CALLS" -d "$HOLD_MS" "${COMMON[@]}" -recv_timeout 10000 \
    -trace_stat -fd 1 -stf stat.csv -trace_rtt -rtt_freq 1 -trace_err -error_file caller_err.log > caller.out 2>&1 ) &
CALLER=$!
PIDS+=("$CALLER")

# Column of a header in SIPp's stat CSV.
col() { head -n 1 "$OUT/stat.csv" | tr ';' '\n' | grep -nx "$1" | cut -d: -f1; }
stat_value() { local c; c=$(col "$1"); [ -n "$c" ] && tail -n 1 "$OUT/stat.csv" | cut -d';' -f"$c" || echo 0; }

LAST_PRINT=0
while kill -0 "$CALLER" 2>/dev/null; do
  sleep 1
  [ -s "$OUT/stat.csv" ] && [ "$(wc -l < "$OUT/stat.csv")" -ge 2 ] || continue
  NOW=$(date +%s%N)
  ELAPSED=$(( (NOW - STARTED) / 1000000000 ))
  LINE=$(printf '[%4ds] %s: created %s/%s  ok %s  failed %s  in progress %s' "$ELAPSED" "$PROFILE" \
    "$(stat_value TotalCallCreated)" "$CALLS" "$(stat_value 'SuccessfulCall(C)')" "$(stat_value 'FailedCall(C)')" "$(stat_value CurrentCall)")
  if [ -t 2 ]; then printf '\r%s   ' "$LINE" >&2
  elif [ $(( ELAPSED - LAST_PRINT )) -ge 5 ]; then echo "$LINE" >&2; LAST_PRINT=$ELAPSED; fi
done
set +e
wait "$CALLER"
CALLER_RC=$?
set -e
FINISHED=$(date +%s%N)
[ -t 2 ] && echo >&2

[ -s "$OUT/stat.csv" ] || { echo "SIPp wrote no statistics; see $OUT/caller.out:" >&2; tail -n 20 "$OUT/caller.out" >&2; exit 1; }
CREATED=$(stat_value TotalCallCreated)
OK=$(stat_value 'SuccessfulCall(C)')
FAILED=$(stat_value 'FailedCall(C)')
SECONDS_RUN=$(awk -v a="$STARTED" -v b="$FINISHED" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')

echo "profile        $PROFILE ($SCENARIO, ${RATE}/s target, $CALLS calls, hold ${HOLD_MS} ms, transport $TRANSPORT)"
echo "edge           $EDGE   (SIPp from $LOCAL_IP; files in $OUT)"
awk -v c="$CREATED" -v ok="$OK" -v f="$FAILED" -v s="$SECONDS_RUN" -v r="$(stat_value 'CallRate(C)')" 'BEGIN {
  printf "calls          %d created, %d succeeded, %d failed (%.3f%%) in %.1f s\n", c, ok, f, (c > 0 ? 100 * f / c : 0), s
  printf "rate           %.1f calls/s created (SIPp average), %.1f calls/s completed over the run\n", r, (s > 0 ? ok / s : 0)
}'
FAILURES=""
for k in FailedCannotSendMessage FailedMaxUDPRetrans FailedTcpConnect FailedTcpClosed FailedUnexpectedMessage FailedCallRejected \
         FailedRegexpDoesntMatch FailedRegexpHdrNotFound FailedOutboundCongestion FailedTimeoutOnRecv FailedTimeoutOnSend; do
  v=$(stat_value "$k(C)")
  [ "${v:-0}" != 0 ] && FAILURES="$FAILURES ${k#Failed}=$v"
done
echo "failures      ${FAILURES:- none}"
echo "retransmits    $(stat_value 'Retransmissions(C)')   unexpected/dead messages $(stat_value 'OutOfCallMsgs(C)')/$(stat_value 'DeadCallMsgs(C)')"
RTT=$(ls "$OUT"/*_rtt.csv 2>/dev/null | head -n 1 || true)
if [ -n "$RTT" ] && [ -s "$RTT" ]; then
  echo "response time  (ms; SIPp's clock ticks in ~4 ms here, use packet capture for microseconds)"
  tail -n +2 "$RTT" | awk -F';' 'NF >= 3 { print $3, $2 }' | sort -k1,1 -k2,2g | awk '
    function at(p,   i) { i = int(n * p + 0.5); if (i < 1) i = 1; return v[i] }
    function flush() {
      if (n == 0) return
      printf "  %-12s n=%-7d p50 %8.1f  p90 %8.1f  p99 %8.1f  max %8.1f\n", name, n, at(0.50), at(0.90), at(0.99), v[n]
    }
    $1 != name { flush(); name = $1; n = 0 }
    { v[++n] = $2 }
    END { flush() }'
fi
[ "$CALLER_RC" -eq 0 ] || echo "SIPp exit status $CALLER_RC (see $OUT/caller.out, $OUT/caller_err.log)"
# One line for scripts (sweep.sh) to read.
echo "result profile=$PROFILE rate=$RATE created=$CREATED succeeded=$OK failed=$FAILED seconds=$SECONDS_RUN achieved=$(stat_value 'CallRate(C)')"
awk -v c="$CREATED" -v f="$FAILED" -v m="$MAX_FAILED_PCT" 'BEGIN { exit !(c > 0 && 100 * f / c <= m) }'
