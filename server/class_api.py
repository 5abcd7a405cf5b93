"""Class mode's HTTP routes over the rooms (server/rooms.py), as an ASGI middleware in front of Gradio, like
server/fair_share.py: small JSON in, small JSON out, every refusal a 4xx with a `detail` the page shows as it is.

    POST /class/open     {"tour"}                          -> {"code", "secret"}        the lecturer's page
    POST /class/join     {"code", "student"}               -> the room's view           a student's phone
    POST /class/answer   {"code", "student", "answer"[, "stop"]} -> {"answer"}          (normalised; refused if the
                                                                                       room is past that stop)
    GET  /class/state?code=&student=                       -> the room's view, and this student's answer
    GET  /class/tally?code=&stop=                          -> {"rows": [[answer, count], ...]}   (students: after the reveal)
    POST /class/go       {"code", "secret", "stop"}        -> the room's view           the lecturer moves on
    POST /class/reveal   {"code", "secret", "answer"}      -> the room's view           the live model's answer
    GET  /class/results.csv?code=                          -> stop, question, answer, count (nothing about students)
    GET  /class/summary?code=                              -> {"tour_title", "stops": [{"stop", "title", "question",
                                                              "choices", "answer", "rows"}, ...]}: the class in one page
    POST /class/close    {"code", "secret"}                -> {}

A lecturer's GET (tally before the reveal, results.csv, summary) carries the room's secret in an `X-Class-Secret`
header, never in the query string: addresses end up in proxies' and servers' logs; a POST carries it in its body.

A page polls /class/state about once a second; each call is a few dict or Redis operations, no model run. A room's
view (state, join, go, reveal) also carries its current stop's title, question and choices from the tour (never the
answer before the reveal); a reveal without an answer takes the tour's. The pages and the QR code are
server/class_pages.py's; `/?join=CODE` on the app is sent to the student's page.
"""
import csv
import io
import json
from dataclasses import asdict
from urllib.parse import parse_qs, quote

from anyio import to_thread

from server.class_pages import headers_for, join_link, page_file, qr_svg
from server.rooms import RoomError

MAX_BODY = 4096                  # bytes of a request body: codes, ids and short answers only
PREFIX = "/class/"


def read_json(body: bytes) -> dict:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise RoomError("The request is not JSON.") from None
    if not isinstance(data, dict):
        raise RoomError("The request must be a JSON object.")
    return data


def stop_number(value) -> int:
    try:
        stop = int(value)
    except (TypeError, ValueError):
        raise RoomError("stop must be a whole number (the tour's stop).") from None
    if not 1 <= stop <= 1000:
        raise RoomError("stop must be between 1 and 1000.")
    return stop


class ClassApi:
    """ASGI middleware: /class/... answered from `rooms`; `stops(tour, stop)` describes a tour's stop as
    {"title", "question", "choices", "answer", "stops": how many the tour has}, or None when there is no such tour
    or stop."""

    def __init__(self, app, rooms, stops=lambda tour, stop: {}):
        self.app, self.rooms, self.stops = app, rooms, stops

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
        if path.rstrip("/") == "" and "join" in query and scope["type"] == "http":    # /?join=CODE: a phone
            await respond(send, 307, "", "html", [(b"location", f"./class/student?code={quote(query['join'][:20])}"
                                                   .encode("latin-1", "replace"))])
            return
        if PREFIX not in path:
            await self.app(scope, receive, send)
            return
        action = path.rsplit(PREFIX, 1)[1]
        try:
            body = await read_limited(receive) if scope["method"] == "POST" else b""
            # in a worker thread: a Redis round trip must not hold the event loop that serves the app's pages too
            status, (payload, kind) = 200, await to_thread.run_sync(self.answer, scope, action, query, body)
        except ValueError as error:                  # a RoomError, or a code or an answer the rules refuse
            status, payload, kind = 400, {"detail": str(error)}, "json"
        except LookupError:
            status, payload, kind = 404, {"detail": f"No class route {action!r}."}, "json"
        await respond(send, status, payload, kind)

    def answer(self, scope: dict, action: str, query: dict, body: bytes):
        """(payload, kind) for one route; RoomError for a refusal, LookupError for an unknown route."""
        rooms, method = self.rooms, scope["method"]
        if method == "GET" and action == "state":
            view = self.described(rooms.view(query.get("code")))
            mine = rooms.my_answer(query["code"], query["student"]) if query.get("student") else None
            return {**view, "my_answer": mine}, "json"
        if method == "GET" and action == "tally":
            rows = rooms.tally(query.get("code"), stop_number(query.get("stop")), secret_of(scope))
            return {"rows": rows}, "json"
        if method == "GET" and action == "results.csv":
            return self.results_csv(query.get("code"), secret_of(scope)), "csv"
        if method == "GET" and action == "summary":
            return self.summary(query.get("code"), secret_of(scope)), "json"
        if method == "GET" and action == "qr.svg":
            rooms.view(query.get("code"))                       # a room that is open: nothing else gets a QR code
            return qr_svg(join_link(scope, query["code"])), "svg"
        if method == "GET":
            return page_file(action)
        if method != "POST":
            raise LookupError(action)
        return self.act(action, read_json(body))

    def act(self, action: str, data: dict):
        """A POST: open, join, answer, or one of the lecturer's moves (they answer with the room's view)."""
        rooms, code = self.rooms, data.get("code")
        if action == "open":
            tour = str(data.get("tour", ""))[:64]
            if self.stops(tour, 1) is None:
                raise RoomError(f"There is no tour {tour[:40]!r} on this server: start the class from a tour's bar.")
            code, secret = rooms.open(tour)
            return {"code": code, "secret": secret}, "json"
        if action == "join":
            return self.described(rooms.join(code, data.get("student"))), "json"
        if action == "answer":
            stop = None if data.get("stop") is None else stop_number(data.get("stop"))   # the stop the phone showed
            return {"answer": rooms.answer(code, data.get("student"), data.get("answer"), stop)}, "json"
        if action == "go":
            stop = stop_number(data.get("stop"))
            tour = rooms.view(code).tour
            if self.stops(tour, stop) is None:
                raise RoomError(f"The tour {tour[:40]!r} has no stop {stop}.")
            rooms.go_to(code, data.get("secret"), stop)
        elif action == "reveal":
            view = rooms.view(code)
            told = str(data.get("answer") or (self.stops(view.tour, view.stop) or {}).get("answer", ""))
            rooms.reveal(code, data.get("secret"), told)
        elif action == "close":
            rooms.close(code, data.get("secret"))
            return {}, "json"
        else:
            raise LookupError(action)
        return self.described(rooms.view(code)), "json"

    def described(self, view) -> dict:
        """The room's view with its stop's title, question and choices; never the stop's answer (model_answer
        carries it once it is revealed)."""
        stop = self.stops(view.tour, view.stop) or {}
        return {**asdict(view), "title": stop.get("title", ""), "question": stop.get("question", ""),
                "choices": list(stop.get("choices", ())), "stops": stop.get("stops", 0),
                "tour_title": stop.get("tour_title", "")}

    def summary(self, code, secret) -> dict:
        """Every stop that got answers, in order: its title, question, choices, the tour's answer and the room's
        answers counted (the lecturer's one-page summary at the end of a class)."""
        tour = self.rooms.view(code).tour
        by_stop: dict[int, list] = {}
        for stop, answer, count in self.rooms.results(code, secret):
            by_stop.setdefault(stop, []).append([answer, count])
        described = {stop: self.stops(tour, stop) or {} for stop in by_stop}
        return {"tour_title": next((d.get("tour_title", "") for d in described.values()), ""),
                "stops": [{"stop": stop, "title": described[stop].get("title", ""),
                           "question": described[stop].get("question", ""),
                           "choices": list(described[stop].get("choices", ())),
                           "answer": described[stop].get("answer", ""), "rows": rows}
                          for stop, rows in sorted(by_stop.items())]}

    def results_csv(self, code, secret) -> str:
        """The summary's answers, a row per (stop, answer): stop, question, answer, count."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["stop", "question", "answer", "count"])
        for stop in self.summary(code, secret)["stops"]:
            writer.writerows([stop["stop"], stop["question"], answer, count] for answer, count in stop["rows"])
        return out.getvalue()


def secret_of(scope: dict) -> str | None:
    """The lecturer's secret from the X-Class-Secret header, None without one."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"x-class-secret":
            return value.decode("latin-1")[:200]
    return None


async def read_limited(receive) -> bytes:
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise RoomError(f"The request is larger than {MAX_BODY} bytes.")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def respond(send, status: int, payload, kind: str, extra: list | None = None) -> None:
    body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers_for(kind), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *(extra or [])]})
    await send({"type": "http.response.body", "body": body})
