"""Class mode's HTTP routes on a bare Starlette app (the same middleware the app mounts), over both room stores:
a class from open to results, and every refusal a 4xx with a message."""
import csv
import io
import uuid

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from server.class_api import MAX_BODY, ClassApi
from server.rooms import MemoryRooms, RedisRooms, RoomLimits

QUESTIONS = {1: "Which token takes almost all the probability?", 2: "Will the neuron still write basketball?"}
STOPS = {1: {"title": "Softmax", "question": QUESTIONS[1], "choices": [], "answer": "Paris"},
         2: {"title": "A fact's neuron", "question": QUESTIONS[2], "choices": ["yes", "no"], "answer": "no"},
         3: {"title": "No question here", "question": "", "choices": [], "answer": ""}}


def tour_stop(tour: str, stop: int):
    """The lookup app.py gives the middleware: one tour, 'series', of three stops."""
    return {**STOPS[stop], "stops": len(STOPS), "tour_title": "Three stops"} if tour == "series" and stop in STOPS \
        else None


@pytest.fixture(params=["memory", "redis"])
def client(request):
    rooms = (MemoryRooms(RoomLimits()) if request.param == "memory" else
             RedisRooms(request.getfixturevalue("redis_url"), prefix=f"api-{uuid.uuid4().hex[:8]}:"))
    inner = Starlette(routes=[Route("/", lambda request: PlainTextResponse("the app"))])
    return TestClient(ClassApi(inner, rooms, tour_stop))


def test_a_class_over_http_from_open_to_the_results(client):
    assert client.get("/").text == "the app"                                 # everything else passes through
    room = client.post("/class/open", json={"tour": "series"}).json()
    code, secret = room["code"], room["secret"]
    for i, said in enumerate(["Paris", " paris", "Rome"]):
        student = f"phone-{i:04d}-abcd"
        assert client.post("/class/join", json={"code": code.lower(), "student": student}).json()["students"] == i + 1
        assert client.post("/class/answer", json={"code": code, "student": student, "answer": said}).status_code == 200
    state = client.get("/class/state", params={"code": code, "student": "phone-0002-abcd"}).json()
    assert (state["stop"], state["answered"], state["revealed"], state["my_answer"]) == (1, 3, False, "rome")
    lecturer = {"x-class-secret": secret}                            # a GET's secret: a header, never the address
    assert client.get("/class/tally", params={"code": code, "stop": 1}, headers=lecturer).json()["rows"] == \
        [["paris", 2], ["rome", 1]]
    assert client.post("/class/reveal", json={"code": code, "secret": secret, "answer": "␣Paris"}).json()["revealed"]
    assert client.get("/class/tally", params={"code": code, "stop": 1}).json()["rows"][0] == ["paris", 2]
    assert client.post("/class/go", json={"code": code, "secret": secret, "stop": 2}).json()["stop"] == 2
    client.post("/class/answer", json={"code": code, "student": "phone-0000-abcd", "answer": "No"})
    in_the_address = client.get("/class/results.csv", params={"code": code, "secret": secret})
    assert in_the_address.status_code == 400 and "Only the lecturer" in in_the_address.json()["detail"]
    response = client.get("/class/results.csv", params={"code": code}, headers=lecturer)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [["stop", "question", "answer", "count"], ["1", QUESTIONS[1], "paris", "2"],
                    ["1", QUESTIONS[1], "rome", "1"], ["2", QUESTIONS[2], "no", "1"]]
    assert client.post("/class/close", json={"code": code, "secret": secret}).status_code == 200
    assert "No open room" in client.get("/class/state", params={"code": code}).json()["detail"]


@pytest.mark.parametrize("method, path, payload, message", [
    ("post", "/class/join", {"code": "ZZZZZ", "student": "phone-0000-abcd"}, "No open room has the code ZZZZZ"),
    ("post", "/class/join", {"code": "<script>", "student": "phone-0000-abcd"}, "letters and digits"),
    ("post", "/class/answer", {"code": "ROOM", "student": "phone-0000-abcd", "answer": "x" * 61}, "at most 60"),
    ("post", "/class/answer", {"code": "ROOM", "student": "someone-else", "answer": "Paris"}, "Join the room first"),
    ("post", "/class/answer", {"code": "ROOM", "student": "phone-0000-abcd", "answer": "Paris", "stop": 3},
     "moved on to stop 1"),
    ("post", "/class/answer", {"code": "ROOM", "student": "phone-0000-abcd", "answer": "Paris", "stop": "x"},
     "whole number"),
    ("post", "/class/go", {"code": "ROOM", "secret": "guess", "stop": 2}, "Only the lecturer"),
    ("post", "/class/go", {"code": "ROOM", "secret": "SECRET", "stop": "two"}, "whole number"),
    ("post", "/class/reveal", {"code": "ROOM", "answer": "Paris"}, "Only the lecturer"),
    ("get", "/class/tally", {"code": "ROOM", "stop": 1}, "after the reveal"),
    ("get", "/class/results.csv", {"code": "ROOM", "secret": "nope"}, "Only the lecturer"),
    ("post", "/class/nothing", {}, "No class route"),
    ("get", "/class/open", {}, "No class route"),
])
def test_refusals_are_4xx_with_a_message(client, method, path, payload, message):
    room = client.post("/class/open", json={"tour": "series"}).json()
    client.post("/class/join", json={"code": room["code"], "student": "phone-0000-abcd"})
    filled = {k: (room["code"] if v == "ROOM" else room["secret"] if v == "SECRET" else v) for k, v in payload.items()}
    if "secret" in filled and filled["secret"] is None:
        filled.pop("secret")
    headers = {"x-class-secret": filled.pop("secret")} if method == "get" and "secret" in filled else {}
    response = client.post(path, json=filled) if method == "post" else client.get(path, params=filled, headers=headers)
    assert 400 <= response.status_code < 500 and message in response.json()["detail"], response.text


def test_malformed_and_huge_bodies_are_refused(client):
    assert "not JSON" in client.post("/class/open", content=b"{nope").json()["detail"]
    assert "JSON object" in client.post("/class/open", json=[1, 2]).json()["detail"]
    response = client.post("/class/answer", content=b"{" + b" " * (MAX_BODY + 10) + b"}")
    assert response.status_code == 400 and f"larger than {MAX_BODY}" in response.json()["detail"]


def test_a_rooms_view_carries_its_stops_question_and_choices_but_not_its_answer_before_the_reveal(client):
    room = client.post("/class/open", json={"tour": "series"}).json()
    code, secret = room["code"], room["secret"]
    joined = client.post("/class/join", json={"code": code, "student": "phone-0000-abcd"}).json()
    assert (joined["title"], joined["question"], joined["choices"], joined["stops"]) == ("Softmax", QUESTIONS[1], [], 3)
    moved = client.post("/class/go", json={"code": code, "secret": secret, "stop": 2}).json()
    assert (moved["question"], moved["choices"], moved["model_answer"]) == (QUESTIONS[2], ["yes", "no"], "")
    state = client.get("/class/state", params={"code": code, "student": "phone-0000-abcd"}).json()
    assert state["choices"] == ["yes", "no"] and "no" not in [v for k, v in state.items() if k != "choices"]
    revealed = client.post("/class/reveal", json={"code": code, "secret": secret}).json()     # the tour's answer
    assert (revealed["revealed"], revealed["model_answer"]) == (True, "no")
    assert "has no stop 4" in client.post("/class/go", json={"code": code, "secret": secret, "stop": 4}).json()["detail"]
    assert "no tour 'nope'" in client.post("/class/open", json={"tour": "nope"}).json()["detail"]


def test_the_class_in_one_page_lists_each_answered_question_with_its_answer_for_the_lecturer_only(client):
    room = client.post("/class/open", json={"tour": "series"}).json()
    code, lecturer = room["code"], {"x-class-secret": room["secret"]}
    for i, said in enumerate(["Paris", "paris", "Rome"]):
        student = f"phone-{i:04d}-abcd"
        client.post("/class/join", json={"code": code, "student": student})
        client.post("/class/answer", json={"code": code, "student": student, "answer": said})
    client.post("/class/go", json={"code": code, "secret": room["secret"], "stop": 2})
    for i, said in enumerate(["no", "yes"]):                                       # the third does not answer
        client.post("/class/answer", json={"code": code, "student": f"phone-{i:04d}-abcd", "answer": said})
    summary = client.get("/class/summary", params={"code": code}, headers=lecturer).json()
    assert summary["tour_title"] == "Three stops"
    assert summary["stops"] == [
        {"stop": 1, "title": "Softmax", "question": QUESTIONS[1], "choices": [], "answer": "Paris",
         "rows": [["paris", 2], ["rome", 1]]},
        {"stop": 2, "title": "A fact's neuron", "question": QUESTIONS[2], "choices": ["yes", "no"], "answer": "no",
         "rows": [["no", 1], ["yes", 1]]}]
    refused = client.get("/class/summary", params={"code": code})                  # a student's phone
    assert refused.status_code == 400 and "Only the lecturer" in refused.json()["detail"]


def test_the_qr_code_is_an_svg_of_the_join_link_for_an_open_room_only(client):
    code = client.post("/class/open", json={"tour": "series"}).json()["code"]
    response = client.get("/class/qr.svg", params={"code": code.lower()}, headers={"host": "hall.example:7860"})
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    assert response.text.startswith("<svg") and f"http://hall.example:7860/?join={code}" in response.text
    for bad in ("<script>", "ZZZZZ", ""):
        response = client.get("/class/qr.svg", params={"code": bad})
        assert response.status_code == 400 and response.json()["detail"], bad


def test_the_pages_are_plain_files_that_run_only_their_own_script(client):
    """The code in the address is read by the page's script, never written into the page by the server."""
    for page, script in (("student", "student.js"), ("lecturer", "lecturer.js")):
        response = client.get(f"/class/{page}", params={"code": "<script>alert(1)</script>", "tour": "<b>x</b>"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert "alert(1)" not in response.text and "<b>x</b>" not in response.text
        assert f'<script src="{script}"></script>' in response.text and "innerHTML" not in response.text
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "<script>" not in response.text            # no inline script: the policy would refuse it anyway
        assert client.get(f"/class/{script}").headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in "".join(client.get(f"/class/{name}").text for name in ("class.js", "student.js",
                                                                                     "lecturer.js"))
    assert client.get("/class/class.css").headers["content-type"].startswith("text/css")
    assert client.get("/class/../app.py").status_code == 404


def test_a_join_link_on_the_app_leads_to_the_students_page(client):
    response = client.get("/", params={"join": "k7pq2"}, follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "./class/student?code=k7pq2"
    assert client.get("/").text == "the app"
