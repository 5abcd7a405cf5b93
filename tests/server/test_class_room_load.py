"""Class mode under load (bench/class_room_load.py), small: a room of students polling and answering as the pages
do, in one app process and in two replicas sharing a real redis-server behind a round-robin proxy; every answer must be counted once, on its
own question, and nothing may fail."""
import pytest

from bench.class_room_load import run_room


@pytest.mark.slow
def test_a_room_of_thirty_answers_three_questions_and_every_answer_is_counted(capsys):
    figures = run_room(30, 3, arrival=10)
    assert figures["errors"] == 0 and figures["every_answer_counted_once"] and figures["answers"] == 90
    assert all(0 <= fresh < 5 for fresh in figures["histogram_fresh_s"])      # the console's tally caught up
    assert set(figures["routes"]) >= {"join", "state", "answer", "tally", "tally (lecturer)"}
    assert "30 students arriving within 10 s, 3 questions, rooms in the process: 0 errors" in capsys.readouterr().out


@pytest.mark.slow
def test_two_replicas_share_one_room_through_redis(redis_url, capsys):
    figures = run_room(20, 2, replicas=2, rooms_redis=redis_url, arrival=0)             # all at once
    assert figures["errors"] == 0 and figures["every_answer_counted_once"] and figures["answers"] == 40
    assert figures["requests_per_replica"] and min(figures["requests_per_replica"].values()) > 0     # both served
    assert "rooms in 2 replicas sharing Redis behind a round-robin proxy: 0 errors" in capsys.readouterr().out
