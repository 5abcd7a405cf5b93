"""Cold start: from `python app.py` in a fresh process to the first successful GET / and GET /config, against a
bare Gradio app (one Markdown, the same launch) started the same way: the floor that importing and serving
Gradio itself costs on this machine. Median of 5 starts each, alternated so both see the same machine.

    .venv/bin/python -m bench.bench_cold_start
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STARTS = 5
BARE_APP = """
import gradio as gr
with gr.Blocks() as demo:
    gr.Markdown("hello")
demo.launch(server_name="127.0.0.1")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start(command: list[str], timeout_s: float = 120) -> tuple[float, float]:
    """Seconds from process start to the first 200 of GET / and of GET /config."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False",
           "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    page = config = None
    try:
        while config is None and time.perf_counter() - started < timeout_s:
            if page is None and ok(f"http://127.0.0.1:{port}/"):
                page = time.perf_counter() - started
            if page is not None and ok(f"http://127.0.0.1:{port}/config"):
                config = time.perf_counter() - started
            time.sleep(0.02)
    finally:
        process.terminate()
        process.wait(timeout=30)
    if config is None:
        raise RuntimeError(f"{command} did not serve / and /config within {timeout_s} s")
    return page, config


def main() -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as bare:
        bare.write(BARE_APP)
    ours, floor = [], []
    for _ in range(STARTS):
        floor.append(start([sys.executable, bare.name]))
        ours.append(start([sys.executable, "app.py"]))
    os.unlink(bare.name)
    page, config = statistics.median(p for p, _ in ours), statistics.median(c for _, c in ours)
    bare_page = statistics.median(p for p, _ in floor)
    print(f"cold start, median of {STARTS}: first GET / {page:.2f} s, GET /config {config:.2f} s (target < 3 s); "
          f"a bare Gradio app {bare_page:.2f} s; ours / bare = {page / bare_page:.2f}")


if __name__ == "__main__":
    main()
