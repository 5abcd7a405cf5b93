"""Fair share (server/fair_share.py): the per-session cap on model runs, the queue's maximum, the upload limits and
the traversal paths, on the app served in this process (and the folder bound on a bare Starlette app)."""
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from gradio.utils import get_upload_folder
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from server.fair_share import HEAVY_QUEUE, FairShare, Limits, client_address, folder_mb, refusal


def call(url: str, body: bytes | None = None, content_type: str = "application/json"):
    """(status, body) of a GET, or of a POST when there is a body; an HTTP error is an answer too."""
    request = urllib.request.Request(url, data=body, method="GET" if body is None else "POST",
                                     headers={} if body is None else {"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def heavy_fn(demo):
    """A model-run event with an API name, and its inputs' starting values (a real call)."""
    for index, fn in demo.fns.items():
        if fn.concurrency_id == HEAVY_QUEUE and isinstance(fn.api_name, str) and fn.inputs:
            return index, [getattr(block, "value", None) for block in fn.inputs]
    raise AssertionError("no heavy event in the app")


def join(address: str, index: int, data: list, session: str):
    body = json.dumps({"data": data, "fn_index": index, "session_hash": session, "event_data": None,
                       "trigger_id": None}).encode()
    return call(f"{address}/gradio_api/queue/join", body)


def wait_until(condition, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.1)


def test_a_session_is_refused_beyond_its_model_runs_and_accepted_again_when_one_ends(served, settings):
    address, demo = served
    queue, (index, data) = demo._queue, heavy_fn(demo)
    queue.create_event_queue_for_fn(demo.fns[index])
    heavy = queue.event_queue_per_concurrency_id[HEAVY_QUEUE]
    limit, session, other = heavy.concurrency_limit, uuid.uuid4().hex[:10], uuid.uuid4().hex[:10]
    heavy.concurrency_limit = 0               # the model slot is held: jobs wait (the real queue, paused)
    try:
        accepted = [join(address, index, data, session) for _ in range(settings.max_jobs)]
        assert [status for status, _ in accepted] == [200] * settings.max_jobs
        status, body = join(address, index, data, session)
        assert status == 429
        detail = json.loads(body)["detail"]
        assert f"{settings.max_jobs} model runs waiting or running" in detail and "wait" in detail
        by_address = Limits(max_jobs=10, max_jobs_per_address=settings.max_jobs)     # one address, capped
        why = refusal(queue, demo.fns, {"fn_index": index, "session_hash": other}, "127.0.0.1", by_address)
        assert why and "Your network already has" in why
        assert refusal(queue, demo.fns, {"fn_index": index, "session_hash": other}, "10.1.2.3", by_address) is None
        assert join(address, index, data, other)[0] == 200        # another learner is not refused (no address cap)
    finally:
        heavy.concurrency_limit = limit
    wait_until(lambda: not any(e.session_hash in (session, other) for e in list(queue.event_ids_to_events.values())))
    assert join(address, index, data, session)[0] == 200         # its runs ended: accepted again
    wait_until(lambda: not any(e.session_hash == session for e in list(queue.event_ids_to_events.values())))


def test_a_light_event_is_not_capped_and_a_malformed_join_reaches_gradio(served):
    address, demo = served
    light = next(i for i, fn in demo.fns.items() if fn.concurrency_id != HEAVY_QUEUE and fn.inputs)
    session = uuid.uuid4().hex[:10]
    statuses = [join(address, light, [None] * len(demo.fns[light].inputs), session)[0] for _ in range(5)]
    assert statuses == [200] * 5
    status, _ = call(f"{address}/gradio_api/queue/join", b"{not json")
    assert status == 422                       # Gradio's own answer to a body it cannot read


def test_the_queue_maximum_answers_in_words(served):
    _, demo = served
    light = next(i for i, fn in demo.fns.items() if fn.concurrency_id != HEAVY_QUEUE and fn.inputs)
    fair = Limits(queue_size=0)
    why = refusal(demo._queue, demo.fns, {"fn_index": light, "session_hash": "s"}, None, fair)
    assert why and "0 jobs are waiting or running" in why
    assert refusal(demo._queue, demo.fns, {"fn_index": light, "session_hash": "s"}, None, Limits()) is None


def multipart(name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_an_upload_over_the_maximum_is_refused_before_it_is_stored(served, settings):
    address, _ = served
    folder = Path(get_upload_folder())
    small_name, big_name = f"small-{uuid.uuid4().hex}.csv", f"big-{uuid.uuid4().hex}.png"
    status, body = call(f"{address}/gradio_api/upload", *multipart(small_name, b"x,y,label\n0,0,1\n"))
    assert status == 200 and json.loads(body)[0].endswith(small_name)
    assert list(folder.rglob(small_name))
    status, body = call(f"{address}/gradio_api/upload",
                        *multipart(big_name, os.urandom(settings.max_upload_mb * 2**20 + 1024)))
    assert status == 413 and b"maximum allowed size" in body
    assert not list(folder.rglob(big_name))


@pytest.mark.parametrize("path", ["/gradio_api/file=/etc/passwd", "/gradio_api/file=app.py",
                                  "/gradio_api/file=.git/config", "/gradio_api/file=%2Fetc%2Fpasswd",
                                  "/gradio_api/file=..%2F..%2F..%2Fetc%2Fpasswd", "/gradio_api/file=../app.py"])
def test_files_outside_the_app_s_own_stay_refused(served, path):
    address, _ = served
    status, body = call(address + path)
    assert status in (403, 404), (path, status)
    assert b"root:" not in body and b"[core]" not in body


def test_uploads_are_refused_while_the_upload_folder_is_over_its_size(tmp_path):
    async def upload(request):
        await request.body()
        (tmp_path / uuid.uuid4().hex).write_bytes(b"\0" * 2**20)       # what an upload stores: 1 MB
        return PlainTextResponse("stored")

    app = Starlette(routes=[Route("/gradio_api/upload", upload, methods=["POST"])],
                    middleware=[Middleware(FairShare, limits=Limits(upload_folder_mb=2), upload_folder=str(tmp_path))])
    FairShare.RECOUNT = 0.0
    try:
        client = TestClient(app)
        statuses = [client.post("/gradio_api/upload", content=b"data").status_code for _ in range(5)]
    finally:
        FairShare.RECOUNT = 2.0
    assert statuses == [200, 200, 200, 507, 507]          # 3 MB stored: over 2 MB, then refused
    assert folder_mb(str(tmp_path)) == 3
    refused = client.post("/gradio_api/upload", content=b"data")
    assert "upload space is full (2 MB)" in refused.json()["detail"]


def test_the_visitor_s_address_is_the_first_forwarded_hop():
    assert client_address({"x-forwarded-for": "10.0.0.7, 172.16.0.1"}, "127.0.0.1") == "10.0.0.7"
    assert client_address({}, "127.0.0.1") == "127.0.0.1"
    assert client_address(None, None) is None


def test_gradio_s_own_view_saving_route_is_closed(served):
    address, _ = served
    status, _ = call(f"{address}/gradio_api/deep_link?session_hash=abc")
    assert status == 404
