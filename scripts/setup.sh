#!/usr/bin/env bash
# Installs the Debian packages coroute needs to build and test, when missing. Idempotent; run as root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  qt6-base-dev qt6-base-dev-tools libqt6sql6-sqlite qt6-httpserver-dev qt6-websockets-dev qt6-charts-dev
  qcoro-qt6-dev libsqlite3-dev sqlite3 libssl-dev libcurl4-openssl-dev libgl-dev
  libxkbcommon-dev fonts-dejavu-core
  libasan8 libubsan1 libtsan2   # GCC's sanitizer runtimes (scripts/sanitize.sh); g++ pulls them too
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}; run this script as root to install them" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
