# The two commands of the README. Each creates .venv if missing and installs what it needs (quickly when done).
SHELL := /bin/bash
.PHONY: run test bench
PY := .venv/bin/python

run:
	@bash scripts/setup.sh app
	$(PY) app.py

test:
	@bash scripts/setup.sh dev
	@bash scripts/ensure-chromium.sh || { if [ -n "$$CI" ]; then echo "CI needs Chromium for the browser tests" >&2; exit 1; else echo "Chromium missing: browser tests will be skipped" >&2; fi; }
	@bash scripts/ensure-redis.sh || { if [ -n "$$CI" ]; then echo "CI needs redis-server for the class-room tests" >&2; exit 1; else echo "redis-server missing: its tests will be skipped" >&2; fi; }
	$(PY) -m pytest

bench:
	@bash scripts/setup.sh dev
	$(PY) -m pip install -q -r requirements-bench.txt
	@for b in bench/bench_*.py; do m=$${b%.py}; echo "== $$m"; $(PY) -m $${m//\//.} || exit 1; done
