"""Deep links: what a query may set, and what it may not."""
from urllib.parse import parse_qs, urlsplit

import gradio as gr
import pytest

from components.deeplink import MAX_TEXT, PanelLink, link_box, link_for, parse_setting, restore_updates


@pytest.fixture(scope="module")
def controls():
    with gr.Blocks():
        return {"b": gr.Slider(-5, 5, 0), "f": gr.Radio(["sigmoid", "relu"], value="sigmoid"),
                "n": gr.Radio([2, 3], value=2), "on": gr.Checkbox(False), "text": gr.Textbox("")}


def test_each_kind_of_control_parses_its_own_values(controls):
    assert parse_setting(controls["b"], "-1.25") == -1.25
    assert parse_setting(controls["f"], "relu") == "relu"
    assert parse_setting(controls["n"], "3") == 3                    # the choice itself, not the string
    assert parse_setting(controls["on"], "1") is True
    assert parse_setting(controls["text"], "héllo ✓ " * 200) == ("héllo ✓ " * 200)[:MAX_TEXT]


@pytest.mark.parametrize("name, raw, message", [
    ("b", "999", "between -5 and 5"), ("b", "nan", "between"), ("b", "abc", "a number"), ("b", "inf", "between"),
    ("f", "softmax", "one of sigmoid, relu"), ("n", "4", "one of 2, 3"), ("on", "maybe", "1 or 0"),
])
def test_values_outside_what_a_control_allows_are_refused(controls, name, raw, message):
    with pytest.raises(ValueError, match=message):
        parse_setting(controls[name], raw)


def test_a_dropdown_whose_choices_come_with_the_view_takes_any_text_and_others_only_their_choices():
    with gr.Blocks():
        open_ended = gr.Dropdown([], value="w1", allow_custom_value=True)          # its handler checks the text
        with_choices = gr.Dropdown(["0", "1"], value="0", allow_custom_value=True)
    assert parse_setting(open_ended, "x · path 2 of 3") == "x · path 2 of 3"
    assert parse_setting(open_ended, "x" * 1000) == "x" * MAX_TEXT
    with pytest.raises(ValueError, match="one of 0, 1"):
        parse_setting(with_choices, "7")


def test_restore_sets_good_values_and_reports_bad_ones(controls):
    link = PanelLink("neuron", {"b": controls["b"], "f": controls["f"]}, controls["text"])
    values, ignored = restore_updates({"panel": "neuron", "b": "2", "f": "softmax", "zzz": "1"}, link)
    assert values == {controls["b"]: 2.0}
    assert len(ignored) == 1 and ignored[0].startswith("f=")
    assert restore_updates({}, link) == ({}, [])


def test_a_link_is_the_panels_page_with_its_settings_and_presenter_mode():
    url = link_for("https://example.hf.space/app/residual?presenter=1&panel=old&b=0", "neuron", ["b", "on"], [2.0, True])
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "example.hf.space", "/app/neuron")
    assert parse_qs(parts.query) == {"b": ["2"], "on": ["1"], "presenter": ["1"]}
    assert urlsplit(link_for("http://127.0.0.1:7860/", "neuron", ["b"], [1])).path == "/neuron"


def test_a_link_writes_whole_numbers_without_a_decimal_point():
    url = link_for("/", "guidance", ["samples", "w", "seed", "on"], [4.0, 0.25, 0, False])
    assert url == "/guidance?samples=4&w=0.25&seed=0&on=0"


def test_a_folds_controls_are_written_only_once_changed_so_a_copied_link_unfolds_only_what_was_changed():
    """A link that sets a fold's control unfolds it and draws it: the link box leaves a folded control out while it
    holds its default (every digit-network link used to unfold both of its folds)."""
    from types import SimpleNamespace

    from components.page import fold

    with gr.Blocks():
        bias = gr.Slider(-5, 5, 0, label="b")
        with fold("learn", "test-learn") as part:
            eta = gr.Slider(0.1, 10, 3.0, label="eta")
        link = link_box("neuron", {"b": bias, "eta": eta}, folds=(part,))
        follow = next(fn.fn for fn in gr.context.Context.root_block.fns.values() if link.box in fn.outputs)
    request = SimpleNamespace(headers={"referer": "http://127.0.0.1:7860/neuron"})
    assert follow(request, 2, 3) == "http://127.0.0.1:7860/neuron?b=2"                  # eta at its default: left out
    assert follow(request, 2, 3.5) == "http://127.0.0.1:7860/neuron?b=2&eta=3.5"        # changed: written, unfolds
    assert follow(request, 0, 3) == "http://127.0.0.1:7860/neuron?b=0"                  # outside a fold: always
    # the fold unfolded (drawn): its controls are written even at their defaults, so the copied link opens it too
    assert follow(request, 2, 3, True) == "http://127.0.0.1:7860/neuron?b=2&eta=3"
    assert follow(request, 2, 3, False) == "http://127.0.0.1:7860/neuron?b=2"
