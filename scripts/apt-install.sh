#!/usr/bin/env bash
# Installs one Debian package: scripts/apt-install.sh <package> <what it is for>. Needs root or sudo; otherwise says
# what to run. Used by ensure-chromium.sh and ensure-redis.sh.
set -euo pipefail
package=$1 purpose=$2
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
if [ "$SUDO" = none ]; then
  echo "$package is missing: run 'apt-get install -y $package' as root for $purpose." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq "$package" >/dev/null
