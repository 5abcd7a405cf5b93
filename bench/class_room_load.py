"""Class mode under load (issue 40): one lecturer and N students in one room, over HTTP as the pages do it. Each
student joins, polls /class/state once a second (as the phone's page does), answers each question it is shown (a
random choice, naming the stop it saw) and reads the tally after the reveal; the lecturer polls the tally once a
second, waits until every student has answered, reveals, and goes on. With --replicas 2 the rooms live in Redis
and the students are split between two app processes (a load balancer's round robin), the lecturer on the first.

Reported: errors; whether every answer was counted once, on its own question (the results CSV against what the
students sent); the latency of the room's routes (state, answer) against a named baseline measured in the same
run, the same server's static student page (/class/student: no room work) fetched during the class, as a ratio;
the time from the lecturer's "go" until the whole room had answered; the server's memory.

    .venv/bin/python -m bench.class_room_load --students 200 --questions 3 --arrival 10
    .venv/bin/python -m bench.class_room_load --students 200 --replicas 2 --rooms-redis redis://127.0.0.1:6379/0
"""
import argparse
import csv
import io
import json
import random
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict

from bench.load_test import free_port, rss_mb, start_app
from components.tour import bundled_tours

POLL_S = 1.0                    # the pages poll once a second
ANSWER_TIMEOUT_S = 120.0        # the lecturer waits at most this long for the room at each question


def call(url: str, route: str, data: dict | None = None, secret: str | None = None, timings=None) -> tuple:
    """(status, payload) of /class/<route>; a refusal's JSON too. timings: a list the seconds are appended to."""
    body = None if data is None else json.dumps(data).encode()
    headers = {"content-type": "application/json"} if body else {}
    if secret:
        headers["x-class-secret"] = secret
    request = urllib.request.Request(f"{url}class/{route}", data=body, headers=headers)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    if timings is not None:
        timings.append(time.perf_counter() - start)
    return status, (json.loads(text) if text.startswith(("{", "[")) else text)


def question_stops(count: int) -> list:
    """The first `count` stops of the series tour that offer choices: (number, stop)."""
    stops = [(n, s) for n, s in enumerate(bundled_tours()["series"].stops, 1) if s.choices]
    if count > len(stops):
        raise SystemExit(f"the series tour has {len(stops)} multiple-choice stops")
    return stops[:count]


class Room:
    """What the students sent and what the server said, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = defaultdict(dict)                    # stop -> {student: normalised answer the server returned}
        self.latency = defaultdict(list)                 # route -> seconds
        self.errors: list[str] = []
        self.done = threading.Event()

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message[:160])


def student(url: str, code: str, number: int, room: Room, seed: int, delay: float = 0.0) -> None:
    """One phone: arrive after `delay` s, join, then poll; answer each question once when first shown; read the
    tally after its reveal."""
    rng, me = random.Random(seed), f"load-student-{number:06d}"
    time.sleep(delay)
    answered, tallied = set(), set()
    status, view = call(url, "join", {"code": code, "student": me}, timings=room.latency["join"])
    if status != 200:
        room.error(f"join: {view}")
        return
    while not room.done.is_set():
        status, view = call(url, f"state?code={code}&student={me}", timings=room.latency["state"])
        if status != 200:
            if "No open room" not in str(view):
                room.error(f"state: {view}")
            return
        stop = view["stop"]
        if view["choices"] and stop not in answered and not view["revealed"]:
            status, said = call(url, "answer", {"code": code, "student": me, "stop": stop,
                                                "answer": rng.choice(view["choices"])}, timings=room.latency["answer"])
            if status == 200:
                answered.add(stop)
                with room.lock:
                    room.sent[stop][me] = said["answer"]
            elif "moved on" not in str(said):                   # the lecturer's go raced the tap: refused in words
                room.error(f"answer: {said}")
        if view["revealed"] and stop not in tallied:
            status, _ = call(url, f"tally?code={code}&stop={stop}", timings=room.latency["tally"])
            tallied.add(stop)
            if status != 200:
                room.error(f"tally after the reveal: {status}")
        time.sleep(POLL_S * (0.8 + 0.4 * rng.random()))


def lecturer(url: str, code: str, secret: str, stops: list, size: int, room: Room) -> list[float]:
    """Go to each question, wait for the whole room (polling the tally as the console does), reveal; the seconds
    from each go until the last answer."""
    waits = []
    for number, _ in stops:
        call(url, "go", {"code": code, "secret": secret, "stop": number})
        went = time.monotonic()
        while time.monotonic() - went < ANSWER_TIMEOUT_S:
            call(url, f"tally?code={code}&stop={number}", secret=secret, timings=room.latency["tally (lecturer)"])
            _, view = call(url, f"state?code={code}")
            if view["answered"] >= size:
                break
            time.sleep(POLL_S)
        waits.append(time.monotonic() - went)
        call(url, "reveal", {"code": code, "secret": secret})
        time.sleep(2 * POLL_S)                                 # every phone sees the reveal and reads the tally
    return waits


def counted(url: str, code: str, secret: str, room: Room) -> bool:
    """The results CSV equals what the students were told they answered: every answer once, on its own stop."""
    _, text = call(url, f"results.csv?code={code}", secret=secret)
    got = Counter()
    for stop, _, answer, count in list(csv.reader(io.StringIO(text)))[1:]:
        got[(int(stop), answer)] += int(count)
    sent = Counter((stop, answer) for stop, answers in room.sent.items() for answer in answers.values())
    return got == sent


def percentile(values: list, q: float) -> float:
    values = sorted(values)
    return values[int(q * (len(values) - 1))] if values else float("nan")


def baseline(url: str, room: Room, times: list) -> None:
    """The same server's static student page, fetched ten times a second while the class runs: what a request costs
    with no room work, under the same load."""
    while not room.done.is_set():
        start = time.perf_counter()
        with urllib.request.urlopen(f"{url}class/student", timeout=30) as response:
            response.read()
        times.append(time.perf_counter() - start)
        time.sleep(0.1)


def run_room(students: int, questions: int, replicas: int = 1, rooms_redis: str = "", arrival: float = 10.0) -> dict:
    """The scenario (the students arrive evenly within `arrival` s; 0: all at once); returns the figures it
    prints."""
    if replicas > 1 and not rooms_redis:
        raise SystemExit("--replicas > 1 needs --rooms-redis: replicas share rooms through Redis")
    args = ["--no-warm-up"] + (["--rooms-redis", rooms_redis] if rooms_redis else [])
    processes = [start_app(port, args=args) for port in [free_port() for _ in range(replicas)]]
    urls = [f"http://127.0.0.1:{p.port}/" for p in processes]
    room, stops = Room(), question_stops(questions)
    try:
        memory = {"idle": sum(rss_mb(p.pid) for p in processes)}
        static: list = []
        _, opened = call(urls[0], "open", {"tour": "series"})
        code, secret = opened["code"], opened["secret"]
        threads = [threading.Thread(target=student, args=(urls[i % replicas], code, i, room, i, i * arrival / students))
                   for i in range(students)] + [threading.Thread(target=baseline, args=(urls[0], room, static))]
        for thread in threads:
            thread.start()
        time.sleep(arrival + 2 * POLL_S)                       # everyone has joined before the first question
        waits = lecturer(urls[0], code, secret, stops, students, room)
        exact = counted(urls[0], code, secret, room)
        room.done.set()
        for thread in threads:
            thread.join()
        memory["end"] = sum(rss_mb(p.pid) for p in processes)
        call(urls[0], "close", {"code": code, "secret": secret})
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    base = statistics.median(static)
    routes = {route: {"median_ms": 1000 * statistics.median(t), "p95_ms": 1000 * percentile(t, 0.95),
                      "ratio": statistics.median(t) / base} for route, t in room.latency.items() if t}
    figures = {"students": students, "questions": len(stops), "replicas": replicas, "errors": len(room.errors),
               "every_answer_counted_once": exact, "answers": sum(len(a) for a in room.sent.values()),
               "whole_room_answered_s": waits, "baseline_ms": 1000 * base, "routes": routes, "memory_mb": memory}
    where = f"{replicas} replicas sharing Redis" if replicas > 1 else ("Redis" if rooms_redis else "the process")
    print(f"{students} students arriving within {arrival:g} s, {len(stops)} questions, rooms in {where}: "
          f"{len(room.errors)} errors; "
          f"{figures['answers']} answers, every one counted once on its own question: {exact}; the whole room "
          f"answered within " + ", ".join(f"{w:.1f}" for w in waits) + " s of each go")
    print(f"baseline: GET /class/student (a static page, same server, during the class) median {1000 * base:.1f} ms")
    for route, r in routes.items():
        print(f"  {route:<18} median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, "
              f"{r['ratio']:.2f}x the baseline")
    print("server memory (MB, all replicas): " + ", ".join(f"{k} {v:.0f}" for k, v in memory.items()))
    for message in room.errors[:3]:
        print("   ", message)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--questions", type=int, default=3, help="multiple-choice stops of the series tour")
    parser.add_argument("--replicas", type=int, default=1, help="app processes sharing the rooms (needs Redis)")
    parser.add_argument("--rooms-redis", default="", help="redis://host:port/db (default: rooms in the process)")
    parser.add_argument("--arrival", type=float, default=10.0, help="the students join evenly within this many s")
    args = parser.parse_args()
    run_room(args.students, args.questions, args.replicas, args.rooms_redis, args.arrival)


if __name__ == "__main__":
    main()
