#!/usr/bin/env bash
# Installs the Debian packages csihar needs when they are missing (no-op otherwise).
# Usage: scripts/install-deps.sh [extra-package ...]
set -euo pipefail
packages=(libpcap-dev libopenblas-dev libmosquitto-dev pkg-config "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing missing packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
