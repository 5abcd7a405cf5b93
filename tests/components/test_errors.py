"""Errors in the page: a panel's handler keeps its last view and says what was wrong in a toast; an API endpoint
raises gr.Error with the same words; anything unexpected is logged in full and shown as one plain sentence."""
import logging

import gradio as gr
import pytest

from components.errors import MAX_MESSAGE, UNEXPECTED, keeps_view, message_for, short, user_errors


def test_a_message_is_cut_to_fit_a_toast():
    assert short("x" * MAX_MESSAGE) == "x" * MAX_MESSAGE
    cut = short("x" * (MAX_MESSAGE + 50))
    assert len(cut) == MAX_MESSAGE and cut.endswith("x…")


@pytest.mark.parametrize("error, message", [
    (ValueError("seed must be between 0 and 9, got -1."), "seed must be between 0 and 9, got -1."),
    (FileNotFoundError("No checkpoint at models/x"), "No checkpoint at models/x"),
    (gr.Error("Upload an image first."), "Upload an image first."),
    (ValueError("y" * 1000), "y" * (MAX_MESSAGE - 1) + "…"),
])
def test_the_learners_errors_keep_their_own_words(error, message, caplog):
    with caplog.at_level(logging.ERROR, logger="deep_learning_explorer"):
        assert message_for(error, "update") == message
    assert caplog.records == []


def test_anything_else_is_one_sentence_and_the_trace_goes_to_the_log(caplog):
    with caplog.at_level(logging.ERROR, logger="deep_learning_explorer"):
        try:
            {}["missing"]
        except KeyError as error:
            assert message_for(error, "update") == UNEXPECTED
    assert [r.getMessage() for r in caplog.records] == ["handler update failed"]
    assert caplog.records[0].exc_info[0] is KeyError                               # the full trace, for the operator


def test_keeps_view_returns_the_result_or_skips_with_a_toast():
    @keeps_view
    def update(bias):
        if bias > 5:
            raise ValueError("bias must be between -5 and 5, got 9.")
        return f"b = {bias}"

    assert update(1) == "b = 1" and update.__name__ == "update"
    with pytest.warns(UserWarning, match="^bias must be between -5 and 5, got 9.$"):
        assert update(9) == gr.skip()


def test_a_streaming_view_keeps_what_it_has_yielded_then_skips():
    @keeps_view
    def play(steps):
        for step in range(steps):
            if step == 2:
                raise ValueError("the run diverged")
            yield step

    assert list(play(2)) == [0, 1]
    with pytest.warns(UserWarning, match="the run diverged"):
        assert list(play(5)) == [0, 1, gr.skip()]


def test_an_endpoint_raises_gr_error_with_the_same_words():
    @user_errors
    def endpoint(kind):
        if kind == "value":
            raise ValueError("t must be between 0 and 999, got 1000.")
        if kind == "gradio":
            raise gr.Error("already a gr.Error")
        if kind == "bug":
            raise ZeroDivisionError
        return 42

    assert endpoint("fine") == 42 and endpoint.__name__ == "endpoint"
    for kind, words in (("value", "t must be between 0 and 999, got 1000."), ("gradio", "already a gr.Error"),
                        ("bug", UNEXPECTED)):
        with pytest.raises(gr.Error) as raised:
            endpoint(kind)
        assert raised.value.message == words
