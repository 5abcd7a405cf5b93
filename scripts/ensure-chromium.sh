#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing (Playwright's own browser download
# cannot work without internet). Needs root or sudo; otherwise says what to run.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
bash "$(dirname "$0")/apt-install.sh" chromium "the browser tests"
test -x /usr/bin/chromium
