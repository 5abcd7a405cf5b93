"""Class mode's HTTP routes over the rooms (server/rooms.py), as an ASGI middleware in front of Gradio, like
server/fair_share.py: small JSON in, small JSON out, every refusal a 4xx with a `detail` the page shows as it is.

    POST /class/open     {"tour"}                          -> {"code", "secret"}        the lecturer's page
    POST /class/join     {"code", "student"}               -> the room's view           a student's phone
    POST /class/answer   {"code", "student", "answer"}     -> {"answer"}                (normalised)
    GET  /class/state?code=&student=                       -> the room's view, and this student's answer
    GET  /class/tally?code=&stop=[&secret=]                -> {"rows": [[answer, count], ...]}   (students: after the reveal)
    POST /class/go       {"code", "secret", "stop"}        -> the room's view           the lecturer moves on
    POST /class/reveal   {"code", "secret", "answer"}      -> the room's view           the live model's answer
    GET  /class/results.csv?code=&secret=                  -> stop, question, answer, count (nothing about students)
    POST /class/close    {"code", "secret"}                -> {}

A page polls /class/state about once a second; each call is a few dict or Redis operations, no model run.
"""
import csv
import io
import json
from dataclasses import asdict
from urllib.parse import parse_qs

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
    """ASGI middleware: /class/... answered from `rooms`; `questions(tour, stop)` gives a stop's question for the
    results (or "" when the tour has none there)."""

    def __init__(self, app, rooms, questions=lambda tour, stop: ""):
        self.app, self.rooms, self.questions = app, rooms, questions

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if PREFIX not in path:
            await self.app(scope, receive, send)
            return
        action = path.rsplit(PREFIX, 1)[1]
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
        try:
            body = await read_limited(receive) if scope["method"] == "POST" else b""
            status, payload, kind = 200, *self.answer(scope["method"], action, query, body)
        except ValueError as error:                  # a RoomError, or a code or an answer the rules refuse
            status, payload, kind = 400, {"detail": str(error)}, "json"
        except LookupError:
            status, payload, kind = 404, {"detail": f"No class route {action!r}."}, "json"
        await respond(send, status, payload, kind)

    def answer(self, method: str, action: str, query: dict, body: bytes):
        """(payload, kind) for one route; RoomError for a refusal, LookupError for an unknown route."""
        rooms = self.rooms
        if method == "GET" and action == "state":
            view = rooms.view(query.get("code"))
            mine = rooms.my_answer(query["code"], query["student"]) if query.get("student") else None
            return {**asdict(view), "my_answer": mine}, "json"
        if method == "GET" and action == "tally":
            rows = rooms.tally(query.get("code"), stop_number(query.get("stop")), query.get("secret"))
            return {"rows": rows}, "json"
        if method == "GET" and action == "results.csv":
            return self.results_csv(query.get("code"), query.get("secret")), "csv"
        if method != "POST":
            raise LookupError(action)
        data = read_json(body)
        if action == "open":
            code, secret = rooms.open(str(data.get("tour", ""))[:64])
            return {"code": code, "secret": secret}, "json"
        if action == "join":
            return asdict(rooms.join(data.get("code"), data.get("student"))), "json"
        if action == "answer":
            return {"answer": rooms.answer(data.get("code"), data.get("student"), data.get("answer"))}, "json"
        if action == "go":
            rooms.go_to(data.get("code"), data.get("secret"), stop_number(data.get("stop")))
        elif action == "reveal":
            rooms.reveal(data.get("code"), data.get("secret"), str(data.get("answer", "")))
        elif action == "close":
            rooms.close(data.get("code"), data.get("secret"))
            return {}, "json"
        else:
            raise LookupError(action)
        return asdict(rooms.view(data.get("code"))), "json"

    def results_csv(self, code, secret) -> str:
        tour = self.rooms.view(code).tour
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["stop", "question", "answer", "count"])
        for stop, answer, count in self.rooms.results(code, secret):
            writer.writerow([stop, self.questions(tour, stop), answer, count])
        return out.getvalue()


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


async def respond(send, status: int, payload, kind: str) -> None:
    if kind == "csv":
        body, content_type = payload.encode(), b"text/csv; charset=utf-8"
        extra = [(b"content-disposition", b'attachment; filename="class-results.csv"')]
    else:
        body, content_type, extra = json.dumps(payload).encode(), b"application/json", []
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *extra]})
    await send({"type": "http.response.body", "body": body})
