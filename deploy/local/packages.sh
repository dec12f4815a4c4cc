#!/usr/bin/env bash
# Installs the Debian packages the edge and its tests use, when any is missing. Sourced by start.sh and test.sh.
edge_install_packages() {
  local wanted=(postgresql redis-server libmp3lame0 lame sip-tester prometheus chromium sox libsox-fmt-mp3 python3-yaml systemd curl ca-certificates)
  local missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian postgresql package starts a cluster on 5432; the edge runs its own on loopback, so leave that one alone.
}

edge_require_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "the .NET 10 SDK is required (dotnet on PATH): see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
    exit 1
  fi
}
