#!/usr/bin/env bash
# Installs Debian's redis-server for the tests of class rooms shared through Redis when it is missing (the tests
# start their own server on a free port and stop it by its PID; nothing runs as a service). Needs root or sudo.
set -euo pipefail
if command -v redis-server >/dev/null; then exit 0; fi
bash "$(dirname "$0")/apt-install.sh" redis-server "the class-room tests"
command -v redis-server >/dev/null
