"""Class rooms, the same contract in this process and in a real redis-server (tests/redis_server.py): a room's
life from the lecturer's page, students' answers and their limits, and what a student may not do."""
import threading
import time
import uuid

import pytest

from server.rooms import MemoryRooms, RedisRooms, RoomError, RoomLimits

STUDENT = "s-" + "a" * 20


def student(i: int) -> str:
    return f"student-{i:06d}"


@pytest.fixture(params=["memory", "redis"])
def make_rooms(request):
    """make_rooms(limits) -> a fresh store of the kind under test (a Redis store under its own key prefix)."""
    def make(limits=RoomLimits()):
        if request.param == "memory":
            return MemoryRooms(limits)
        return RedisRooms(request.getfixturevalue("redis_url"), limits, prefix=f"test-{uuid.uuid4().hex[:8]}:")
    return make


def test_a_class_from_the_first_question_to_the_results(make_rooms):
    rooms = make_rooms()
    code, secret = rooms.open("series")
    assert rooms.view(code.lower()).stop == 1 and rooms.view(code).students == 0
    for i, said in enumerate([" Paris", "paris", "Rome", "␣Paris"]):
        rooms.join(code, student(i))
        assert rooms.answer(code, student(i), said) in ("paris", "rome")
    rooms.answer(code, student(2), "PARIS")                          # a change replaces the answer: one each
    view = rooms.view(code)
    assert (view.students, view.answered, view.revealed) == (4, 4, False)
    assert rooms.tally(code, 1, secret) == [("paris", 4)]
    assert rooms.my_answer(code, student(2)) == "paris"             # a reloaded phone finds its answer
    rooms.reveal(code, secret, "␣Paris")
    assert rooms.view(code).revealed and rooms.view(code).model_answer == "␣Paris"
    assert rooms.tally(code, 1) == [("paris", 4)]                   # a student's page may read it now
    with pytest.raises(RoomError, match="revealed"):
        rooms.answer(code, student(0), "Rome")
    rooms.go_to(code, secret, 2)
    assert (rooms.view(code).stop, rooms.view(code).revealed, rooms.view(code).answered) == (2, False, 0)
    rooms.answer(code, student(0), "the")
    assert rooms.results(code, secret) == [(1, "paris", 4), (2, "the", 1)]    # stop, answer, count: no student ids
    rooms.close(code, secret)
    with pytest.raises(RoomError, match="No open room"):
        rooms.view(code)


def test_an_answer_sent_for_a_stop_the_lecturer_has_left_is_refused_not_moved(make_rooms):
    """A phone shows stop 1; the lecturer goes to stop 2 before the tap arrives: the answer must not count for stop
    2's question (and the student is told why)."""
    rooms = make_rooms()
    code, secret = rooms.open("series")
    rooms.join(code, STUDENT)
    assert rooms.answer(code, STUDENT, "Paris", stop=1) == "paris"
    rooms.go_to(code, secret, 2)
    with pytest.raises(RoomError, match="moved on to stop 2: your answer was not counted"):
        rooms.answer(code, STUDENT, "Rome", stop=1)
    assert rooms.view(code).answered == 0 and rooms.my_answer(code, STUDENT) is None     # stop 2 untouched
    assert rooms.answer(code, STUDENT, "Yes", stop=2) == "yes"
    assert rooms.results(code, secret) == [(1, "paris", 1), (2, "yes", 1)]


def test_a_student_cannot_steer_read_early_or_close_a_room(make_rooms):
    rooms = make_rooms()
    code, secret = rooms.open("series")
    other, _ = rooms.open("series")
    rooms.join(code, STUDENT)
    for act in (lambda: rooms.go_to(code, "guess", 3), lambda: rooms.reveal(code, "", "x"),
                lambda: rooms.reveal(code, None, "x"), lambda: rooms.go_to(code, None, 2),
                lambda: rooms.close(code, None), lambda: rooms.results(code, None),
                lambda: rooms.results(code, "x"), lambda: rooms.close(code, "x" * 40),
                lambda: rooms.tally(code, 1, "wrong")):
        with pytest.raises(RoomError, match="Only the lecturer"):
            act()
    with pytest.raises(RoomError, match="after the reveal"):
        rooms.tally(code, 1)                                         # no peeking before the reveal
    with pytest.raises(RoomError, match="Join the room first"):
        rooms.answer(other, STUDENT, "Paris")                        # joined one room, not the other
    with pytest.raises(RoomError, match="after the reveal"):
        rooms.tally(other, 1)
    assert rooms.view(code).stop == 1 and not rooms.view(code).revealed


@pytest.mark.parametrize("code, message", [("ZZZZZ", "No open room has the code ZZZZZ"),
                                           ("K0PQ2", "without 0, O, 1, I or L"), ("", "letters and digits"),
                                           ("<img src=x onerror=alert(1)>", "letters and digits")])
def test_a_guessed_stale_or_malformed_code_is_refused_in_words(make_rooms, code, message):
    rooms = make_rooms()
    rooms.open("series")
    with pytest.raises(RoomError if "No open" in message else ValueError, match=message):
        rooms.join(code, STUDENT)


@pytest.mark.parametrize("who", ["", "short", "x" * 65, "é" * 10, None])
def test_a_malformed_student_id_is_refused(make_rooms, who):
    rooms = make_rooms()
    code, _ = rooms.open("series")
    with pytest.raises(RoomError, match="reload the page"):
        rooms.join(code, who)


def test_bad_answers_are_refused_in_words_and_change_nothing(make_rooms):
    rooms = make_rooms()
    code, secret = rooms.open("series")
    rooms.join(code, STUDENT)
    for bad, message in (("", "Type an answer"), ("x" * 61, "at most 60"), (None, "Type an answer")):
        with pytest.raises(ValueError, match=message):
            rooms.answer(code, STUDENT, bad)
    assert rooms.view(code).answered == 0
    rooms.answer(code, STUDENT, "<script>alert(1)</script>")
    assert rooms.tally(code, 1, secret) == [("<script>alert(1)</script>", 1)]    # kept as text; pages escape it


def test_rooms_and_students_are_capped(make_rooms):
    rooms = make_rooms(RoomLimits(max_rooms=2, max_students=3))
    code, _ = rooms.open("series")
    rooms.open("series")
    with pytest.raises(RoomError, match="2 rooms are open"):
        rooms.open("series")
    for i in range(3):
        rooms.join(code, student(i))
    rooms.join(code, student(0))                                     # joining again is not a new seat
    with pytest.raises(RoomError, match="full"):
        rooms.join(code, student(3))
    assert rooms.view(code).students == 3


def test_an_idle_room_closes_and_frees_its_place():
    now = [0.0]
    rooms = MemoryRooms(RoomLimits(max_rooms=1, idle_hours=1), clock=lambda: now[0])
    code, _ = rooms.open("series")
    now[0] += 3599
    rooms.view(code)                                                 # used: its hour starts again
    now[0] += 3599
    assert rooms.view(code).stop == 1
    now[0] += 3601
    with pytest.raises(RoomError, match="No open room"):
        rooms.view(code)
    rooms.open("series")                                             # its place is free


def test_an_idle_room_expires_in_redis(redis_url):
    rooms = RedisRooms(redis_url, RoomLimits(max_rooms=1, idle_hours=1 / 3600), prefix=f"idle-{uuid.uuid4().hex}:")
    code, _ = rooms.open("series")
    rooms.join(code, STUDENT)
    time.sleep(2.2)                                                  # Redis's own expiry, one second idle
    with pytest.raises(RoomError, match="No open room"):
        rooms.view(code)
    assert rooms.client.keys(rooms.prefix + "room:*") == []          # every key of the room is gone
    rooms.open("series")


def test_two_replicas_share_a_room_through_redis(redis_url):
    prefix = f"shared-{uuid.uuid4().hex}:"
    one, two = RedisRooms(redis_url, prefix=prefix), RedisRooms(redis_url, prefix=prefix)
    code, secret = one.open("series")
    two.join(code, STUDENT)
    two.answer(code, STUDENT, "Paris")
    one.reveal(code, secret, "Paris")
    assert two.view(code).revealed and one.tally(code, 1, secret) == two.tally(code, 1) == [("paris", 1)]


def test_no_answer_is_lost_when_a_lecture_hall_answers_at_once(make_rooms):
    """500 students, 8 threads, each answering then changing its answer: one answer each, all counted."""
    rooms = make_rooms(RoomLimits(max_students=500))
    code, secret = rooms.open("series")
    errors = []

    def answer(ids):
        try:
            for i in ids:
                rooms.join(code, student(i))
                rooms.answer(code, student(i), "Rome")
                rooms.answer(code, student(i), "Paris" if i % 5 else "Rome")
        except Exception as error:               # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=answer, args=(range(k, 500, 8),)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert rooms.tally(code, 1, secret) == [("paris", 400), ("rome", 100)]
    assert rooms.view(code).students == rooms.view(code).answered == 500
