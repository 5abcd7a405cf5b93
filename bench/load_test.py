"""Load test (issue 10): start the app, then N simulated users call a realistic mix of every panel's endpoint
through gradio_client for a fixed time. Reports requests served, errors, median and 95th-percentile latency per
endpoint, and the server's resident memory at start, after warm-up (every user has sent every request of the mix
once: every model loaded, every cache filled, every session holding its last outputs) and at the end; with
--churn N, also after N new one-request visitors (each a new Gradio session, about 5 MB until --max-sessions).

    .venv/bin/python -m bench.load_test --users 20 --seconds 240 --churn 400

A class opening the lecturer's link (issues 18, 35): --class-size N students arrive evenly within --arrival
seconds; each does over HTTP what a browser does (Visit): the page (an old link's redirect followed), its assets,
a session of its own, every event the page fires on load with the values the page carries (and the change events
their outputs cause), then one change of their own. Reported: errors (an event that failed, a page whose figures
stayed empty), the time from arrival to the first view (median, 95th percentile; target p95 < 5 s for 200
students), and the server's memory.

    .venv/bin/python -m bench.load_test --class-size 200 --arrival 60 --link "attention?prompt=...&layer=18&head=6"

Class mode (issue 40): --class-room N students in one room answer three of the tour's questions while a lecturer
moves through them (bench/class_room_load.py; --replicas 2 --rooms-redis URL: two app processes behind a proxy).

    .venv/bin/python -m bench.load_test --class-room 200 --replicas 2 --rooms-redis redis://127.0.0.1:6379/0

Fair share (issue 41): --abuse runs the class twice, alone and beside one visitor who floods the model queue (100
joins from one session) and loops uploads of the largest file the app takes; it reports the students' p95 against
the run without the flood, what the flooder was told, and the upload folder's peak size.

    .venv/bin/python -m bench.load_test --abuse --class-size 30 --arrival 30 --link "neuron?b=1"
"""
import argparse
import json
import os
import re
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import defaultdict
from urllib.parse import urljoin, urlsplit
from pathlib import Path

from bench.timing import wait_idle

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


def start_app(port: int, app_dir: Path = REPO, temp_dir: str | None = None, args=()) -> subprocess.Popen:
    """app.py (with `args`) on `port`, once it answers; the process carries its port."""
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), HF_HUB_OFFLINE="1", DLE_CACHE_DIR=str(REPO / ".cache"))
    if temp_dir:
        env["GRADIO_TEMP_DIR"] = temp_dir             # Gradio's upload folder, measured by --abuse
    process = subprocess.Popen([sys.executable, "app.py", *args], cwd=app_dir, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=2)
            process.port = port
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


# a student's one change of their own, on the linked page: (the control's elem_id, its new value for student i)
OWN_CHANGE = {
    "attention": ("attention-head", lambda value, i: (int(value) + 1 + i % 3) % 9),
    "next-token": ("next-temperature", lambda value, i: [0.5, 1.5, 2.0][i % 3]),
    "neuron": ("neuron-bias", lambda value, i: float(value) + 0.5 * (i % 5)),
}
CONFIG = re.compile(r"window\.gradio_config = (\{.*?\});\s*</script>", re.S)
ASSET = re.compile(r'(?:src|href)="(\./assets/[^"]+|/manifest\.json)"')


class Visit:
    """What a browser does with a linked page, over HTTP: the page (a redirect followed), its assets, a session of
    its own, every event the page fires on load (its load events, then the change events their outputs cause, as
    the page's components would fire them), then a change of the student's own (a control's change events)."""

    def __init__(self, client, url: str, link: str):
        self.client, self.errors = client, []
        response = client.get(url + link.lstrip("/"), follow_redirects=True)
        response.raise_for_status()
        self.page = str(response.url)
        html = response.text
        for asset in set(ASSET.findall(html)):
            client.get(urljoin(self.page, asset)).raise_for_status()
        config = json.loads(CONFIG.search(html).group(1))
        self.api = config["root"].rstrip("/") + config["api_prefix"]
        self.query = urlsplit(self.page).query
        types = {c["id"]: c["type"] for c in config["components"]}
        self.values = {c["id"]: None if c["type"] == "state" else c["props"].get("value")
                       for c in config["components"]}
        self.ids = {c["props"].get("elem_id"): c["id"] for c in config["components"] if c["props"].get("elem_id")}
        self.dependencies = [d for d in config["dependencies"] if d.get("backend_fn")]
        self.session = uuid.uuid4().hex[:11]
        self.types = types

    def opened(self) -> None:
        self.fire([(d, None) for d in self.dependencies if any(event == "load" for _, event in d["targets"])])

    def figures(self) -> int:
        """How many of the page's figures hold a value."""
        return sum(1 for i, kind in self.types.items() if kind == "plot" and self.values.get(i))

    def change(self, elem_id: str, value) -> None:
        target = self.ids[elem_id]
        self.values[target] = value
        self.fire(self.listeners({target}))

    def listeners(self, changed: set) -> list:
        return [(d, next(i for i, event in d["targets"] if i in changed and event == "change"))
                for d in self.dependencies if any(i in changed and event == "change" for i, event in d["targets"])]

    def fire(self, events: list, depth: int = 0) -> None:
        """Send the events (queued ones joined together, then their results read from the session's stream), apply
        their outputs, and fire the change events of what they changed (a few rounds at most, as a page settles)."""
        changed, waiting = set(), {}
        for dependency, trigger in events:
            body = {"data": [self.values.get(i) for i in dependency["inputs"]], "event_data": None,
                    "fn_index": dependency["id"], "trigger_id": trigger, "session_hash": self.session}
            if dependency.get("queue", True):
                response = self.client.post(f"{self.api}/queue/join?{self.query}", json=body)
                response.raise_for_status()
                waiting[response.json()["event_id"]] = dependency
            else:
                response = self.client.post(f"{self.api}/run/predict?{self.query}", json=body)
                response.raise_for_status()
                changed |= self.apply(dependency, response.json()["data"])
        if waiting:
            with self.client.stream("GET", f"{self.api}/queue/data", params={"session_hash": self.session}) as stream:
                for line in stream.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    message = json.loads(line[5:])
                    if message.get("msg") != "process_completed" or message.get("event_id") not in waiting:
                        continue
                    dependency = waiting.pop(message["event_id"])
                    if not message.get("success"):
                        self.errors.append(f"event {dependency['id']}: {str(message.get('output'))[:120]}")
                    else:
                        changed |= self.apply(dependency, message["output"]["data"])
                    if not waiting:
                        break
        if changed and depth < 3:
            self.fire(self.listeners(changed), depth + 1)

    def apply(self, dependency: dict, outputs: list) -> set:
        changed = set()
        for target, output in zip(dependency["outputs"], outputs):
            if isinstance(output, dict) and output.get("__type__") == "update":
                if "value" not in output:
                    continue
                output = output["value"]
            if self.types.get(target) not in ("plot", "html", "markdown", "dataframe") and output != self.values.get(target):
                changed.add(target)           # a control whose value changed fires its change event
            self.values[target] = output
        return changed


def student(url: str, link: str, arrival: float, number: int, results: list) -> None:
    """One student's browser: the linked page and every event it fires on load (the first view), then one change of
    their own."""
    import httpx

    panel = urlsplit(link).path.strip("/") or link_query(link).get("panel")
    elem_id, new_value = OWN_CHANGE[panel]
    time.sleep(max(0.0, arrival - time.monotonic()))
    try:
        with httpx.Client(timeout=120) as client:
            visit = Visit(client, url, link)
            visit.opened()
            first_view = time.monotonic() - arrival
            if not visit.figures():
                raise RuntimeError("the page's figures stayed empty")
            visit.change(elem_id, new_value(visit.values[visit.ids[elem_id]], number))
            if visit.errors:
                raise RuntimeError("; ".join(visit.errors[:2]))
        results.append((first_view, time.monotonic() - arrival, None))
    except Exception as error:  # noqa: BLE001 - every failure is counted and reported
        results.append((None, None, repr(error)[:160]))


def run_class(size: int, arrival_seconds: float, link: str, port: int | None = None, app_dir: Path = REPO,
              flood=None, temp_dir: str | None = None) -> dict:
    """The class scenario; returns the figures it prints. flood(url, stop): a visitor running beside the class."""
    panel = urlsplit(link).path.strip("/") or link_query(link).get("panel")
    if panel not in OWN_CHANGE:
        raise SystemExit(f"--link must open one of {', '.join(OWN_CHANGE)} (/attention?..., or ?panel=...)")
    port = port or free_port()
    process = start_app(port, app_dir, temp_dir)
    url = f"http://127.0.0.1:{port}/"
    wait_idle(process.pid)                            # the warm-up has loaded the models: what a student adds is theirs
    memory = {"idle": rss_mb(process.pid)}
    results: list = []
    stop = threading.Event()
    flooding = threading.Thread(target=flood, args=(url, stop)) if flood else None
    try:
        if flooding:
            flooding.start()
            time.sleep(2.0)                           # the flood is under way when the class arrives
        start = time.monotonic() + 1.0
        threads = [threading.Thread(target=student, args=(url, link, start + i * arrival_seconds / size, i, results))
                   for i in range(size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        memory["end"] = rss_mb(process.pid)
    finally:
        stop.set()
        if flooding:
            flooding.join()
        process.terminate()
        process.wait(timeout=30)
    firsts = sorted(r[0] for r in results if r[0] is not None)
    errors = [r[2] for r in results if r[2] is not None]
    ends = sorted(r[1] for r in results if r[1] is not None)
    figures = {"students": size, "errors": len(errors), "first_view_median_s": statistics.median(firsts),
               "first_view_p95_s": firsts[int(0.95 * (len(firsts) - 1))], "done_p95_s": ends[int(0.95 * (len(ends) - 1))],
               "memory_mb": memory, "per_student_mb": (memory["end"] - memory["idle"]) / size}
    print(f"{size} students opened {link[:80]} within {arrival_seconds:.0f} s, each as a browser does (the page, its "
          f"assets, every event it fires on load, then a change of their own): {len(errors)} errors; first view "
          f"median {figures['first_view_median_s']:.2f} s, p95 {figures['first_view_p95_s']:.2f} s (target < 5 s); "
          f"their own change done by p95 {figures['done_p95_s']:.2f} s; server memory (MB): "
          + ", ".join(f"{k} {v:.0f}" for k, v in memory.items())
          + f" ({figures['per_student_mb']:.2f} MB a student, sessions and caches)")
    for message in errors[:3]:
        print("   ", message)
    return figures


class Flood:
    """One visitor who floods the model queue from one session (`submissions` joins of a fact trace, as fast as the
    server answers) and loops uploads of the largest file the app takes, until stopped; counts what it was told."""

    def __init__(self, submissions: int = 100, upload_mb: int = 10, temp_dir: str | None = None):
        self.submissions, self.upload_mb, self.temp_dir = submissions, upload_mb, temp_dir
        self.joins, self.uploads, self.folder_mb = defaultdict(int), defaultdict(int), [0.0]
        self.refusals: list = []

    def __call__(self, url: str, stop: threading.Event) -> None:
        import httpx

        config = httpx.get(url + "config", timeout=30).json()
        index = next(i for i, d in enumerate(config["dependencies"]) if d.get("api_name") == "trace")
        session = uuid.uuid4().hex[:11]
        uploading = threading.Thread(target=self.upload, args=(url, stop))
        uploading.start()
        with httpx.Client(timeout=60) as client:
            for sent in range(self.submissions):
                if stop.is_set():
                    break
                answer = client.post(url + "gradio_api/queue/join", json={
                    "data": list(CALLS["/trace"][0]), "fn_index": index, "session_hash": session,
                    "event_data": None, "trigger_id": None})
                self.joins[answer.status_code] += 1
                if answer.status_code != 200 and len(self.refusals) < 2:
                    self.refusals.append(answer.json().get("detail"))
                if sent % 10 == 9:
                    time.sleep(3.0)                       # bursts of 10, spread over the class's arrival
        uploading.join()

    def upload(self, url: str, stop: threading.Event) -> None:
        import httpx

        size = self.upload_mb * 2**20 - 4096                           # just under the limit: stored
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():                                    # new bytes each time (Gradio stores a
                payload = os.urandom(size)                              # file under its content's hash)
                answer = client.post(url + "gradio_api/upload", files={"files": ("big.png", payload)})
                self.uploads[answer.status_code] += 1
                if self.temp_dir:
                    self.folder_mb[0] = max(self.folder_mb[0], folder_size_mb(self.temp_dir))
            over = client.post(url + "gradio_api/upload", files={"files": ("big.png", os.urandom(2 * size))})
            self.uploads[over.status_code] += 1                           # and one over the limit: refused


def folder_size_mb(path: str) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20


def run_abuse(size: int, arrival_seconds: float, link: str, app_dir: Path = REPO) -> dict:
    """Fair share (issue 41): the same class twice, alone and beside a visitor who floods the model queue and the
    upload folder; the students' first view p95 with the flood against without it (target within 2x)."""
    import tempfile

    quiet = run_class(size, arrival_seconds, link, app_dir=app_dir)
    with tempfile.TemporaryDirectory() as temp_dir:
        flood = Flood(temp_dir=temp_dir)
        loud = run_class(size, arrival_seconds, link, app_dir=app_dir, flood=flood, temp_dir=temp_dir)
    ratio = loud["first_view_p95_s"] / quiet["first_view_p95_s"]
    print(f"with the flood: students' first view p95 {loud['first_view_p95_s']:.2f} s against "
          f"{quiet['first_view_p95_s']:.2f} s alone: {ratio:.2f}x (target < 2x); students' errors "
          f"{loud['errors']}; the flooder's joins by answer {dict(flood.joins)}, uploads by answer "
          f"{dict(flood.uploads)}; the upload folder peaked at {flood.folder_mb[0]:.0f} MB")
    for detail in flood.refusals:
        print("    refused:", detail)
    return {"quiet": quiet, "flood": loud, "ratio": ratio, "joins": dict(flood.joins), "uploads": dict(flood.uploads),
            "folder_mb": flood.folder_mb[0]}


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
    parser.add_argument("--class-room", type=int, default=0, help="class mode: this many students in one room "
                        "answering the tour's questions (bench/class_room_load.py; --arrival, --replicas, "
                        "--rooms-redis)")
    parser.add_argument("--replicas", type=int, default=1, help="with --class-room: app processes behind a proxy")
    parser.add_argument("--rooms-redis", default="", help="with --class-room: the Redis the replicas share")
    parser.add_argument("--arrival", type=float, default=None, help="the class arrives within this many seconds "
                        "(default 60; with --class-room 30)")
    parser.add_argument("--link", default="attention?prompt=The+cat+sat+on+the+mat+and+the+dog+ran+to+the+"
                        "park.+The+cat+sat+on+the+mat+and+the+dog+ran+to+the+park.&layer=18&head=6")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="the tree whose app.py runs (default this repo)")
    parser.add_argument("--abuse", action="store_true", help="the class (--class-size, default 30) twice: alone, "
                        "then beside one visitor flooding the model queue and the uploads (issue 41)")
    options = parser.parse_args()
    arrival = 60.0 if options.arrival is None else options.arrival
    if options.class_room:
        from bench.class_room_load import run_room

        run_room(options.class_room, 3, options.replicas, options.rooms_redis,
                 30.0 if options.arrival is None else options.arrival)
    elif options.abuse:
        run_abuse(options.class_size or 30, arrival, options.link, app_dir=options.app_dir)
    elif options.class_size:
        run_class(options.class_size, arrival, options.link, app_dir=options.app_dir)
    else:
        run(options.users, options.seconds, options.churn)
