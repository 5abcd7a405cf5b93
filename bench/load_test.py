"""Load test (issue 10): start the app, then N simulated users call a realistic mix of every panel's endpoint
through gradio_client for a fixed time. Reports requests served, errors, median and 95th-percentile latency per
endpoint, and the server's resident memory at start, after warm-up (every user has sent every request of the mix
once: every model loaded, every cache filled, every session holding its last outputs) and at the end; with
--churn N, also after N new one-request visitors (each a new Gradio session, about 5 MB until --max-sessions).

    .venv/bin/python bench/load_test.py --users 20 --seconds 240 --churn 400

A class opening the lecturer's link (issue 18): --class-size N students arrive evenly within --arrival seconds;
each loads the page with the link, opens its own session, asks for the linked view (the panel's endpoint with the
link's settings: the computation the page runs on opening) and then makes one change of its own. Reported: errors,
the time from arrival to the first view (median, 95th percentile; target p95 < 10 s for 200 students), and memory.

    .venv/bin/python bench/load_test.py --class-size 200 --arrival 60 --link "?panel=attention&prompt=...&layer=18&head=6"
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


# a linked panel -> its endpoint, the link's settings as the endpoint's arguments, and a student's one change
CLASS_PANELS = {
    "attention": ("/attention", lambda q: (q["prompt"], int(q.get("layer", 18)), int(q.get("head", 6))),
                  lambda args, i: (args[0], args[1], (args[2] + 1 + i % 3) % 9)),
    "next-token": ("/next_token", lambda q: (q["prompt"], float(q.get("T", 1.0)), int(q.get("k", 10))),
                   lambda args, i: (args[0], [0.5, 1.5, 2.0][i % 3], args[2])),
    "neuron": ("/neuron", lambda q: ([1.0, 0.5], [float(q.get("w1", 1.5)), float(q.get("w2", -1.0))],
                                     float(q.get("b", 0.0)), q.get("f", "sigmoid")),
               lambda args, i: (args[0], args[1], args[2] + 0.5 * (i % 5), args[3])),
}


def student(url: str, link: str, arrival: float, number: int, results: list) -> None:
    """One student: the page with the link, a session, the linked view, then one change of their own."""
    from gradio_client import Client

    query = link_query(link)
    endpoint, linked, change = CLASS_PANELS[query["panel"]]
    time.sleep(max(0.0, arrival - time.monotonic()))
    try:
        urllib.request.urlopen(url + link, timeout=60).read()              # the page itself
        client = Client(url, verbose=False)
        args = linked(query)
        client.predict(*args, api_name=endpoint)
        first_view = time.monotonic() - arrival
        client.predict(*change(args, number), api_name=endpoint)
        results.append((first_view, time.monotonic() - arrival, None))
    except Exception as error:  # noqa: BLE001 - every failure is counted and reported
        results.append((None, None, repr(error)[:160]))


def run_class(size: int, arrival_seconds: float, link: str, port: int | None = None) -> dict:
    """The class scenario; returns the figures it prints."""
    if link_query(link).get("panel") not in CLASS_PANELS:
        raise SystemExit(f"--link must open one of {', '.join(CLASS_PANELS)} (?panel=...)")
    port = port or free_port()
    process = start_app(port)
    url = f"http://127.0.0.1:{port}/"
    memory = {"start": rss_mb(process.pid)}
    results: list = []
    try:
        start = time.monotonic() + 1.0
        threads = [threading.Thread(target=student, args=(url, link, start + i * arrival_seconds / size, i, results))
                   for i in range(size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        memory["end"] = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    firsts = sorted(r[0] for r in results if r[0] is not None)
    errors = [r[2] for r in results if r[2] is not None]
    figures = {"students": size, "errors": len(errors), "first_view_median_s": statistics.median(firsts),
               "first_view_p95_s": firsts[int(0.95 * (len(firsts) - 1))], "memory_mb": memory}
    print(f"{size} students opened {link[:80]} within {arrival_seconds:.0f} s: {len(errors)} errors; first view "
          f"median {figures['first_view_median_s']:.2f} s, p95 {figures['first_view_p95_s']:.2f} s (target < 10 s); "
          "server memory (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in memory.items()))
    for message in errors[:3]:
        print("   ", message)
    return figures


def link_query(link: str) -> dict:
    """A deep link's settings, {name: value}."""
    from urllib.parse import parse_qs, urlsplit

    return {name: values[0] for name, values in parse_qs(urlsplit(link).query).items()}


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
    parser.add_argument("--class-size", type=int, default=0, help="the class scenario: this many students")
    parser.add_argument("--arrival", type=float, default=60, help="the class arrives within this many seconds")
    parser.add_argument("--link", default="?panel=attention&prompt=The+cat+sat+on+the+mat+and+the+dog+ran+to+the+"
                        "park.+The+cat+sat+on+the+mat+and+the+dog+ran+to+the+park.&layer=18&head=6")
    options = parser.parse_args()
    if options.class_size:
        run_class(options.class_size, options.arrival, options.link)
    else:
        run(options.users, options.seconds, options.churn)
