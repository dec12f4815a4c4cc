#!/usr/bin/env bash
# Runs every test of the solution against real PostgreSQL, Redis, SIPp, libmp3lame, promtool and Chromium
# (the test fixtures start private servers on free loopback ports). Ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/packages.sh
edge_install_packages || { echo "package installation failed" >&2; exit 1; }
edge_require_dotnet
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mkdir -p artifacts
log=artifacts/test.log
dotnet build Calltracking.Edge.sln -c Release -nologo -v q 2>&1 | tail -n 20
build_rc=${PIPESTATUS[0]}
if [ "$build_rc" -ne 0 ]; then
  echo "0 passed, 1 failed"
  exit "$build_rc"
fi

dotnet test Calltracking.Edge.sln -c Release --no-build --blame-hang-timeout 10m \
  --results-directory artifacts/test-results 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
awk '/^(Passed|Failed)!/{gsub(/,/,"");for(i=1;i<=NF;i++){if($i=="Failed:")f+=$(i+1);if($i=="Passed:")p+=$(i+1)}}
     END{printf "%d passed, %d failed\n",p,f}' "$log"
exit "$rc"
