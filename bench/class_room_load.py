"""Class mode under load (issue 40): one lecturer and N students in one room, over HTTP as the pages do it. Each
student joins, polls /class/state once a second (as the phone's page does), answers each question it is shown (a
random choice, naming the stop it saw) and reads the tally after the reveal; the lecturer polls the tally once a
second, waits until its tally counts every student, reveals, and goes on. With --replicas 2 the rooms live in Redis
and everyone goes through a small round-robin proxy (RoundRobin: each connection to the next app process).

Reported: errors; whether every answer was counted once, on its own question (the results CSV against what the
students sent); the latency of the room's routes (state, answer) against a named baseline measured in the same
run, the same server's static student page (/class/student: no room work) fetched during the class, as a ratio;
the time from the lecturer's "go" until the whole room had answered, and how fresh the lecturer's histogram is (from
the last answer's acknowledgement until the lecturer's tally counts it; target < 2 s); the server's memory.

    .venv/bin/python -m bench.class_room_load --students 200 --questions 3 --arrival 30
    .venv/bin/python -m bench.class_room_load --students 200 --replicas 2 --rooms-redis redis://127.0.0.1:6379/0
"""
import argparse
import asyncio
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
        self.last_answer: dict[int, float] = {}          # stop -> when its last answer was acknowledged (monotonic)
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
                    room.last_answer[stop] = time.monotonic()
            elif "moved on" not in str(said):                   # the lecturer's go raced the tap: refused in words
                room.error(f"answer: {said}")
        if view["revealed"] and stop not in tallied:
            status, _ = call(url, f"tally?code={code}&stop={stop}", timings=room.latency["tally"])
            tallied.add(stop)
            if status != 200:
                room.error(f"tally after the reveal: {status}")
        time.sleep(POLL_S * (0.8 + 0.4 * rng.random()))


def lecturer(url: str, code: str, secret: str, stops: list, size: int, room: Room) -> tuple[list, list]:
    """Go to each question, poll the tally once a second as the console does until it counts the whole room,
    reveal. Per question: the seconds from the go until then, and from the last answer's acknowledgement until the
    lecturer's tally showed it (how fresh the histogram is)."""
    waits, fresh = [], []
    for number, _ in stops:
        call(url, "go", {"code": code, "secret": secret, "stop": number})
        went = time.monotonic()
        while time.monotonic() - went < ANSWER_TIMEOUT_S:
            _, tally = call(url, f"tally?code={code}&stop={number}", secret=secret,
                            timings=room.latency["tally (lecturer)"])
            if sum(count for _, count in tally["rows"]) >= size:
                break
            time.sleep(POLL_S)
        seen = time.monotonic()
        waits.append(seen - went)
        fresh.append(seen - room.last_answer.get(number, seen))
        call(url, "reveal", {"code": code, "secret": secret})
        time.sleep(2 * POLL_S)                                 # every phone sees the reveal and reads the tally
    return waits, fresh


class RoundRobin:
    """A small round-robin TCP proxy on a free port, in a thread of its own: each connection goes to the next
    backend port (urllib opens one per request, so each request does), as a load balancer in front of replicas."""

    def __init__(self, ports: list[int]):
        self.ports, self.port, self.served = ports, free_port(), Counter()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> "RoundRobin":
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self.relay, "127.0.0.1", self.port), self.loop).result(10)
        return self

    async def relay(self, reader, writer) -> None:
        backend = self.ports[sum(self.served.values()) % len(self.ports)]
        self.served[backend] += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", backend)

        async def pipe(source, sink) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            finally:
                sink.close()
        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)
        except asyncio.CancelledError:                  # stop(): a connection still open when the run ends
            writer.close()
            up_writer.close()

    def stop(self) -> None:
        """Close the listening socket, cancel the relays still open, then stop and close the loop."""
        async def shutdown() -> None:
            self.server.close()
            await self.server.wait_closed()
            relays = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in relays:
                task.cancel()
            await asyncio.gather(*relays, return_exceptions=True)
        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


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


def run_room(students: int, questions: int, replicas: int = 1, rooms_redis: str = "", arrival: float = 30.0) -> dict:
    """The scenario (the students arrive evenly within `arrival` s; 0: all at once); returns the figures it
    prints."""
    if replicas > 1 and not rooms_redis:
        raise SystemExit("--replicas > 1 needs --rooms-redis: replicas share rooms through Redis")
    args = ["--no-warm-up"] + (["--rooms-redis", rooms_redis] if rooms_redis else [])
    processes = [start_app(port, args=args) for port in [free_port() for _ in range(replicas)]]
    proxy = RoundRobin([p.port for p in processes]) if replicas > 1 else None
    room, stops = Room(), question_stops(questions)
    try:
        url = f"http://127.0.0.1:{proxy.start().port if proxy else processes[0].port}/"
        memory = {"idle": sum(rss_mb(p.pid) for p in processes)}
        static: list = []
        _, opened = call(url, "open", {"tour": "series"})
        code, secret = opened["code"], opened["secret"]
        threads = [threading.Thread(target=student, args=(url, code, i, room, i, i * arrival / students))
                   for i in range(students)] + [threading.Thread(target=baseline, args=(url, room, static))]
        for thread in threads:
            thread.start()
        time.sleep(arrival + 2 * POLL_S)                       # everyone has joined before the first question
        waits, fresh = lecturer(url, code, secret, stops, students, room)
        exact = counted(url, code, secret, room)
        room.done.set()
        for thread in threads:
            thread.join()
        memory["end"] = sum(rss_mb(p.pid) for p in processes)
        call(url, "close", {"code": code, "secret": secret})
    finally:
        room.done.set()
        if proxy:
            proxy.stop()
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    base = statistics.median(static)
    figures = {"students": students, "questions": len(stops), "replicas": replicas, "errors": len(room.errors),
               "every_answer_counted_once": exact, "answers": sum(len(a) for a in room.sent.values()),
               "whole_room_answered_s": waits, "histogram_fresh_s": fresh, "baseline_ms": 1000 * base,
               "routes": {route: {"median_ms": 1000 * statistics.median(t), "p95_ms": 1000 * percentile(t, 0.95),
                                  "ratio": statistics.median(t) / base} for route, t in room.latency.items() if t},
               "memory_mb": memory, "requests_per_replica": dict(proxy.served) if proxy else {}}
    where = (f"{replicas} replicas sharing Redis behind a round-robin proxy" if replicas > 1 else
             "Redis" if rooms_redis else "the process")
    report(figures, f"{students} students arriving within {arrival:g} s, {len(stops)} questions, rooms in {where}",
           room.errors)
    return figures


def report(figures: dict, scenario: str, errors: list[str]) -> None:
    """Print the run's figures (run_room's), after the scenario in words."""
    print(f"{scenario}: {figures['errors']} errors; {figures['answers']} answers, every one counted once on its own "
          f"question: {figures['every_answer_counted_once']}; the lecturer's tally counted the whole room "
          + ", ".join(f"{w:.1f}" for w in figures["whole_room_answered_s"]) + " s after each go, "
          + ", ".join(f"{f:.2f}" for f in figures["histogram_fresh_s"]) + " s after its last answer (target < 2 s)")
    if figures["requests_per_replica"]:
        print("connections per replica: " + ", ".join(
            f"port {port}: {n}" for port, n in sorted(figures["requests_per_replica"].items())))
    print("baseline: GET /class/student (a static page, same server, during the class) median "
          f"{figures['baseline_ms']:.1f} ms")
    for route, r in figures["routes"].items():
        print(f"  {route:<18} median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, "
              f"{r['ratio']:.2f}x the baseline")
    print("server memory (MB, all replicas): " + ", ".join(f"{k} {v:.0f}" for k, v in figures["memory_mb"].items()))
    for message in errors[:3]:
        print("   ", message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--questions", type=int, default=3, help="multiple-choice stops of the series tour")
    parser.add_argument("--replicas", type=int, default=1, help="app processes sharing the rooms (needs Redis)")
    parser.add_argument("--rooms-redis", default="", help="redis://host:port/db (default: rooms in the process)")
    parser.add_argument("--arrival", type=float, default=30.0, help="the students join evenly within this many s")
    args = parser.parse_args()
    run_room(args.students, args.questions, args.replicas, args.rooms_redis, args.arrival)


if __name__ == "__main__":
    main()
