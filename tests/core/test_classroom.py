"""Class mode's rules: codes a room can read aloud, answers grouped as the room means them, a tally that is the
same on every screen."""
import pytest

from core.classroom import (CODE_LENGTH, CODE_SYMBOLS, MAX_ANSWER, new_code, new_secret, normalised_answer,
                            read_code, share_of, tally)


def test_codes_have_no_look_alikes_and_are_rarely_equal():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) > 1990 and all(len(c) == CODE_LENGTH and set(c) <= set(CODE_SYMBOLS) for c in codes)
    assert not set("0O1IL") & set(CODE_SYMBOLS)
    assert len(new_secret()) >= 20 and new_secret() != new_secret()


@pytest.mark.parametrize("typed, code", [("k7pq2", "K7PQ2"), (" K7P-Q2 ", "K7PQ2"), ("k7 pq 2", "K7PQ2")])
def test_a_code_is_read_as_typed_on_a_phone(typed, code):
    assert read_code(typed) == code


@pytest.mark.parametrize("typed", ["", "K7PQ", "K7PQ22", "K0PQ2", "KOPQ2", "K1PQ2", "KLPQ2", "K7PQ😀", None, 12345,
                                   "<script>"])
def test_a_malformed_code_is_refused_in_words(typed):
    with pytest.raises(ValueError, match="letters and digits|Type the room"):
        read_code(typed)


@pytest.mark.parametrize("typed, answer", [(" Paris", "paris"), ("␣Paris", "paris"), ("PARIS  ", "paris"),
                                           ("São   Paulo", "são paulo"), ("Sa\u0303o Paulo", "são paulo"),
                                           ("<script>alert(1)</script>", "<script>alert(1)</script>"),
                                           ("東京", "東京"), ("🙂", "🙂")])
def test_answers_group_as_the_room_means_them(typed, answer):
    assert normalised_answer(typed) == answer


@pytest.mark.parametrize("typed, message", [("", "Type an answer"), ("   ", "Type an answer"), (None, "Type an answer"),
                                            ("x" * (MAX_ANSWER + 1), f"at most {MAX_ANSWER}")])
def test_an_empty_or_huge_answer_is_refused_in_words(typed, message):
    with pytest.raises(ValueError, match=message):
        normalised_answer(typed)


def test_the_tally_counts_each_answer_most_given_first_ties_alphabetical():
    answers = ["paris", "rome", "paris", "london", "rome", "paris", "berlin"]
    rows = tally(answers)
    assert rows == [("paris", 3), ("rome", 2), ("berlin", 1), ("london", 1)]
    assert sum(count for _, count in rows) == len(answers)                       # nothing lost
    assert share_of(rows, " Paris") == pytest.approx(3 / 7) and share_of(rows, "Oslo") == 0 and share_of([], "x") == 0
