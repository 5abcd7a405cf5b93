"""Fair share on a public Space: one visitor cannot starve the class or fill the disk (docs/operations.md).

An ASGI middleware in front of Gradio's two write routes:
- `POST .../queue/join`: a job on the heavy queue (server/queue.HEAVY: the model passes) is refused, with a message
  the page shows, when this browser session already has `max_jobs` heavy jobs waiting or running (or, when set,
  the client's address has `max_jobs_per_address`), and any job is refused when `queue_size` jobs are waiting or
  running in all. The page's own events never stack: Gradio sends a control's next event only once its last one
  has ended (trigger modes "once" and "always_last"), so these caps bite on a script that floods the API.
- `POST .../upload`: refused while the upload folder holds more than `upload_folder_mb`. Gradio itself refuses a
  file over `launch(max_file_size=...)` while it streams in, before it is stored (413), and deletes the uploaded
  and generated files older than the cache age (`gr.Blocks(delete_cache=...)`): see app.py.
- `GET .../deep_link`: closed. Gradio's own "share this view" route writes a state file for any live session on
  every call, and the app does not use it (a panel's link box carries the view: server/pages.py).
Refusals are 429 or 507 with a JSON `detail`: Gradio's page shows the detail of any refused join (but a fixed
"busy" text for a 503, which is why the queue's own maximum is not the one that answers).
"""
import json
import logging
import os
import time
from dataclasses import dataclass

from server.queue import HEAVY

HEAVY_QUEUE = HEAVY["concurrency_id"]
log = logging.getLogger("deep_learning_explorer")


@dataclass(frozen=True)
class Limits:
    max_jobs: int = 3                   # heavy jobs a browser session may have waiting or running
    max_jobs_per_address: int = 0       # the same for one client address; 0 = no cap (a class behind one NAT)
    queue_size: int = 64                # jobs waiting or running in all
    upload_folder_mb: int = 1024        # the upload folder's size beyond which uploads are refused


def heavy_jobs(queue, session_hash: str | None = None, address: str | None = None) -> int:
    """Heavy jobs waiting or running, of a session or of a client address (Gradio keeps an event in
    event_ids_to_events from its join until it has ended)."""
    count = 0
    for event in list(queue.event_ids_to_events.values()):
        if getattr(event.fn, "concurrency_id", None) != HEAVY_QUEUE:
            continue
        if session_hash is not None and event.session_hash != session_hash:
            continue
        if address is not None and event_address(event) != address:
            continue
        count += 1
    return count


def event_address(event) -> str | None:
    request = getattr(event, "request", None)
    return client_address(request.headers, request.client.host if request.client else None) if request else None


def client_address(headers, peer: str | None) -> str | None:
    """The visitor's address: the first X-Forwarded-For hop behind a Space's proxy, else the peer."""
    forwarded = headers.get("x-forwarded-for") if headers is not None else None
    return forwarded.split(",")[0].strip() if forwarded else peer


def refusal(queue, fns, body: dict, address: str | None, limits: Limits) -> str | None:
    """Why this join is refused, or None: the words the learner reads."""
    if len(queue.event_ids_to_events) >= limits.queue_size:
        return (f"The server is full: {limits.queue_size} jobs are waiting or running. Try again in a minute.")
    fn = fns.get(body.get("fn_index")) if isinstance(body.get("fn_index"), int) else None
    if fn is None or getattr(fn, "concurrency_id", None) != HEAVY_QUEUE:
        return None
    session = body.get("session_hash")
    if session and heavy_jobs(queue, session_hash=session) >= limits.max_jobs:
        return (f"You already have {limits.max_jobs} model runs waiting or running: wait for them to finish, "
                "then try again (the class shares one model).")
    if limits.max_jobs_per_address and address and heavy_jobs(queue, address=address) >= limits.max_jobs_per_address:
        return (f"Your network already has {limits.max_jobs_per_address} model runs waiting or running: wait "
                "for them to finish, then try again.")
    return None


def folder_mb(path: str) -> float:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:                 # deleted meanwhile (Gradio's cache cleaning)
                pass
    return total / 2**20


class FairShare:
    """ASGI middleware (added through launch(app_kwargs={"middleware": [...]}))."""

    RECOUNT = 2.0                           # seconds between two measures of the upload folder

    def __init__(self, app, limits: Limits, upload_folder: str):
        self.app, self.limits, self.upload_folder = app, limits, upload_folder
        self.measured = (0.0, 0.0)          # (when, MB)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].endswith("/gradio_api/deep_link"):
            await respond(send, 404, "Links to a view are the panel's own (its link box).")    # see the docstring
            return
        if scope["type"] == "http" and scope["method"] == "POST":
            path = scope["path"]
            if path.endswith("/queue/join"):
                body = await read_body(receive)
                why = self.join_refusal(scope, body)
                if why:
                    log.info("join refused: %s", why)
                    await respond(send, 429, why)
                    return
                receive = replay(body, receive)
            elif path.endswith("/upload") and self.uploads_full():
                log.info("upload refused: the upload folder holds more than %s MB", self.limits.upload_folder_mb)
                await respond(send, 507, f"The server's upload space is full ({self.limits.upload_folder_mb} MB); "
                                         "uploads are cleared after an hour. Try again later.")
                return
        await self.app(scope, receive, send)

    def join_refusal(self, scope, raw: bytes) -> str | None:
        try:
            body = json.loads(raw)
        except ValueError:
            return None                     # Gradio answers a malformed body itself (422)
        if not isinstance(body, dict):
            return None
        blocks = scope["app"].get_blocks()
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        peer = scope.get("client")[0] if scope.get("client") else None
        return refusal(blocks._queue, blocks.fns, body, client_address(headers, peer), self.limits)

    def uploads_full(self) -> bool:
        when, size = self.measured
        if time.monotonic() - when > self.RECOUNT:
            size = folder_mb(self.upload_folder)
            self.measured = (time.monotonic(), size)
        return size > self.limits.upload_folder_mb


async def read_body(receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def replay(body: bytes, receive):
    """A receive that hands the app the body already read, then waits on the client as before."""
    sent = False

    async def again():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return again


async def respond(send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
