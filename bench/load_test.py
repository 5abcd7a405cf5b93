"""Load test (issue 10): start the app, then N simulated users call a realistic mix of every panel's endpoint
through gradio_client for a fixed time. Reports requests served, errors, median and 95th-percentile latency per
endpoint, and the server's resident memory at start, after warm-up (every user has sent every request of the mix
once: every model loaded, every cache filled, every session holding its last outputs) and at the end; with
--churn N, also after N new one-request visitors (each a new Gradio session, about 5 MB until --max-sessions).

    .venv/bin/python bench/load_test.py --users 20 --seconds 240 --churn 400
"""
import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# endpoint -> example argument lists a user would send (a realistic mix, each panel's main computation)
CALLS = {
    "/neuron": [([1.0, 0.5], [1.5, -1.0], -0.5, "sigmoid"), ([0.2, -1.0, 3.0], [1.0, 2.0, -0.5], 0.1, "relu")],
    "/forward": [(None, 38, "sigmoid"), (None, 3, "relu")],
    "/backprop": [(940, 3, 9, 0, "sigmoid"), (7, 1, 3, 11, "relu")],
    "/descend": [("valley", -4.5, 1.5, 0.45, 0.9, 40, 0, 0), ("digits-3-vs-8", -2.0, 2.0, 3.0, 0.0, 40, 16, 0)],
    "/landscape": [(21, 1.0, "sigmoid", 0), (21, 0.5, "relu", 1)],
    "/analogy": [("king - man + woman", "GloVe", 10, True), ("paris - france + italy", "GloVe", 5, True)],
    "/next_token": [("The Eiffel Tower is located in the city of", 1.0, 10), ("The opposite of hot is", 0.5, 5)],
    "/attention": [("The cat sat on the mat and the dog ran to the park.", 18, 6),
                   ("When Mary and John went to the store, John gave a drink to Mary.", 3, 2)],
    "/logit_lens": [("The Eiffel Tower is located in the city of", ""), ("The capital of France is", "Paris")],
    "/trace": [("The capital of France is", "France", "Paris", "hidden")],
    "/noise": [("digit 3", 250, "cosine", 0), ("camera", 500, "linear", 1)],
    "/denoise": [(7, 0, 20, 0.5), (3, 1, 20, 1.0)],
    "/cfg_sweep": [(7, [0, 0.5, 1, 2], 2, 20, 0)],
    "/vector_field": [("spiral", 300, -1, 0.0, 25), ("moons", 150, 0, 3.0, 25)],
    "/sample_paths": [("moons", "ddim", 50, 0.0, -1, 100, 0), ("spiral", "ddpm", 50, 0.0, -1, 100, 1)],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_app(port: int) -> subprocess.Popen:
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), HF_HUB_OFFLINE="1", DLE_CACHE_DIR=str(REPO / ".cache"))
    process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=2)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the app did not start")


def user(url: str, deadline: list, latencies: dict, errors: dict, seed: int, warmed=None) -> None:
    """One simulated visitor: its own client (a Gradio session), looping until deadline[0] (set once everyone has
    warmed up). With `warmed` (a barrier), it first sends every request of the mix once and waits there, so that
    memory after warm-up includes its session's state."""
    from gradio_client import Client

    rng = random.Random(seed)
    client = Client(url, verbose=False)
    if warmed is not None:
        for endpoint, calls in CALLS.items():
            for args in calls:
                client.predict(*args, api_name=endpoint)
        warmed.wait()
    while time.monotonic() < deadline[0]:
        endpoint = rng.choice(list(CALLS))
        args = rng.choice(CALLS[endpoint])
        start = time.perf_counter()
        try:
            client.predict(*args, api_name=endpoint)
            latencies[endpoint].append(time.perf_counter() - start)
        except Exception as error:  # noqa: BLE001 - every failure is counted and reported
            errors[endpoint].append(repr(error)[:120])


def visitors(url: str, count: int) -> None:
    """`count` new visitors, one light request each: every one is a new Gradio session."""
    from gradio_client import Client

    for _ in range(count):
        Client(url, verbose=False).predict(*CALLS["/neuron"][0], api_name="/neuron")


def run(users: int, seconds: float, churn: int) -> None:
    port = free_port()
    process = start_app(port)
    url = f"http://127.0.0.1:{port}/"
    memory = {"start": rss_mb(process.pid)}
    try:
        latencies, errors = defaultdict(list), defaultdict(list)
        warmed, deadline = threading.Barrier(users + 1), [float("inf")]
        threads = [threading.Thread(target=user, args=(url, deadline, latencies, errors, i, warmed))
                   for i in range(users)]
        for thread in threads:
            thread.start()
        warmed.wait()                                 # every user has sent every request once: models loaded,
        memory["after warm-up"] = rss_mb(process.pid)  # caches filled, every session holds its last outputs
        deadline[0] = time.monotonic() + seconds
        samples = []                                  # the server's memory every 15 s: a leak climbs, a plateau does not
        while any(thread.is_alive() for thread in threads):
            samples.append(rss_mb(process.pid))
            for thread in threads:
                thread.join(timeout=15 / len(threads))
        memory["end"] = rss_mb(process.pid)
        if churn:
            visitors(url, churn)
            memory[f"after {churn} new visitors"] = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    served = sum(len(v) for v in latencies.values())
    failed = sum(len(v) for v in errors.values())
    print(f"{users} users for {seconds:.0f} s after each sent the whole mix once: {served} requests served, "
          f"{failed} errors")
    print(f"{'endpoint':<14} {'served':>7} {'errors':>7} {'median ms':>10} {'p95 ms':>8}")
    for endpoint in CALLS:
        times = sorted(latencies[endpoint])
        median = statistics.median(times) * 1000 if times else float("nan")
        p95 = times[int(0.95 * (len(times) - 1))] * 1000 if times else float("nan")
        print(f"{endpoint:<14} {len(times):>7} {len(errors[endpoint]):>7} {median:>10.1f} {p95:>8.1f}")
        for message in errors[endpoint][:3]:
            print("   ", message)
    growth = (memory["end"] - memory["after warm-up"]) / memory["after warm-up"] * 100
    print("server memory (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in memory.items()) +
          f"; growth after warm-up {growth:+.1f}% (target < 10%)")
    print("server memory every 15 s under load (MB): " + " ".join(f"{m:.0f}" for m in samples))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--churn", type=int, default=0,
                        help="then this many new visitors, one request each (sessions are capped by --max-sessions)")
    options = parser.parse_args()
    run(options.users, options.seconds, options.churn)
