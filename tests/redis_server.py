"""A real redis-server (Debian's package) for the tests of Redis-backed rooms: started on a free port with nothing
written to disk, and stopped by its own PID."""
import os
import shutil
import socket
import subprocess
import time

import pytest

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
START_TIMEOUT_S = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis():
    """(process, url) of a fresh redis-server; a missing server fails in CI and skips elsewhere."""
    if not os.path.exists(REDIS):
        message = "redis-server is missing: install Debian's redis-server (scripts/ensure-redis.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    process = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_redis(process)
            pytest.fail(f"redis-server did not start: {process.stderr.read().decode(errors='replace')[-500:]}")
        time.sleep(0.05)


def stop_redis(process) -> None:
    process.terminate()                 # by its own PID: no other redis on the machine is touched
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
