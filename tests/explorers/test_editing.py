"""The Edit & steer panel on the real SmolLM2: ROME's edit does what the issue asks on five facts the model knows,
every probability it reports is the model's own (run with the edit written into a copy of the weights), the edit
belongs to one session, steering reports the model's own numbers, and bad input gets a clear message."""
import copy
import json

import gradio as gr
import pytest
import torch

from core.editing import RankOne, down_weight
from explorers.transformers.editing.fact import FACTS
from explorers.transformers.editing.fact_part import (edit_fact_endpoint, effect_figure, fact_fields, reset_edit,
                                                      show_edit, try_edited)
from explorers.transformers.editing.steer import STEERS, show_steer, steer_endpoint
from tests.handlers import bound, refuses

NEIGHBOUR_MARGIN = 0.15      # the margin docs/benchmarks.md states: a neighbouring fact's p(true object) moves by less


@pytest.fixture(scope="module")
def handlers(settings):
    return bound(settings, (edit_fact_endpoint, steer_endpoint, show_edit, try_edited, show_steer))


@pytest.fixture(scope="module")
def edits(handlers):
    """Every preset fact edited once (layer −1: where the MLP causal trace peaks); about 10 s each."""
    edit_fact = handlers[0]
    return {name: edit_fact(*fact_fields(fact)[:3], -1, *fact_fields(fact)[3:]) for name, fact in FACTS.items()}


def p_next(language_model, prompt: str, word: str, model=None) -> float:
    tokenizer = language_model.tokenizer
    ids = torch.tensor([tokenizer(prompt, add_special_tokens=False).input_ids])
    target = tokenizer(" " + word, add_special_tokens=False).input_ids[0]
    with torch.inference_mode():
        return float((model or language_model.model)(ids).logits[0, -1].softmax(-1)[target])


def test_the_edit_meets_the_quality_bar_on_five_facts_the_model_knows(edits, language_model):
    assert len(edits) >= 5
    paraphrases_followed = paraphrases = 0
    for name, result in edits.items():
        json.dumps(result, allow_nan=False)
        assert result["before"]["old_object"] > 0.3, name                 # a fact SmolLM2 knows
        assert result["after"]["top"] == result["new_object"], name       # the edit: the new object on top
        assert result["after"]["old_object"] < 0.05, name
        assert result["loss"][-1] < 0.2 * result["loss"][0], name       # the optimisation found its v*
        paraphrases += len(result["paraphrases"])
        paraphrases_followed += sum(p["top_after"] == result["new_object"] for p in result["paraphrases"])
        for neighbour in result["neighbours"]:                             # specificity
            assert abs(neighbour["after"] - neighbour["before"]) < NEIGHBOUR_MARGIN, (name, neighbour)
    assert paraphrases_followed / paraphrases >= 0.8                      # "most" of the paraphrases


def test_every_reported_probability_is_the_model_with_the_edit_written_into_its_weights(handlers, language_model):
    """The hook against the plain computation: copy the model, add u wᵀ to W_down, run it."""
    fact = FACTS["Eiffel Tower: Paris → Rome"]
    prompt, subject, new_object, paraphrases, neighbours = fact_fields(fact)
    session = handlers[2](prompt, subject, new_object, 16, paraphrases, neighbours)[-1]
    result = handlers[0](prompt, subject, new_object, 16, paraphrases, neighbours)
    assert result["layer"] == 16 == session["layer"]
    edited = copy.deepcopy(language_model.model)
    with torch.no_grad():
        down_weight(edited, 16).add_(RankOne(16, session["u"], session["w"]).delta())
    assert p_next(language_model, prompt, "Rome", edited) == pytest.approx(result["after"]["new_object"], abs=1e-4)
    assert p_next(language_model, prompt, "Rome") == pytest.approx(result["before"]["new_object"], abs=1e-5)
    for row in result["neighbours"]:
        assert p_next(language_model, row["prompt"], row["object"], edited) == pytest.approx(row["after"], abs=1e-4)
    for row in result["paraphrases"]:
        assert p_next(language_model, row["prompt"], "Rome", edited) == pytest.approx(row["new_object"]["after"],
                                                                                    abs=1e-4)


def test_the_bars_name_each_prompt_whole(handlers):
    """A learner read 'Where is the Eiffel Tower? It is in the cit…': a label is wrapped onto lines, never cut."""
    fact = FACTS["Eiffel Tower: Paris → Rome"]
    prompt, subject, new_object, paraphrases, neighbours = fact_fields(fact)
    result = handlers[0](prompt, subject, new_object, 16, paraphrases, neighbours)
    labels = [label for trace in effect_figure(result).data for label in trace.y]
    shown = {label.replace("<br>", " ") for label in labels}
    written = ([p["prompt"] for p in result["paraphrases"]]
               + [f"{n['prompt']} → {n['object']}" for n in result["neighbours"]])
    assert max(map(len, written)) > 40 and set(written) <= shown
    assert all(len(line) <= 30 for label in labels for line in label.split("<br>"))


def test_the_default_block_is_where_the_mlp_causal_trace_peaks(edits):
    for result in edits.values():
        assert result["trace"] is not None and result["layer"] == max(range(len(result["trace"])),
                                                                      key=result["trace"].__getitem__)


def test_an_edit_lives_in_its_session_only(handlers, edits, language_model):
    """Session A edits; session B (no edit in its state) and the shared model see the fact unchanged."""
    show_edit, try_edited = handlers[2], handlers[3]
    fact = FACTS["Eiffel Tower: Paris → Rome"]
    *_, session_a = show_edit(*fact_fields(fact)[:3], 16, *fact_fields(fact)[3:])
    probe = "The Eiffel Tower is located in the city of"

    def top_lines(shown: str) -> list[str]:           # each row: "**label:** token p · token p ..."
        return [line.split(":** ", 1)[1] for line in shown.splitlines() if line.startswith("**")]

    seen_by_a, seen_by_b = try_edited(probe, session_a), try_edited(probe, None)
    assert "with the edit (Paris → Rome at block 16)" in seen_by_a and "none yet" in seen_by_b
    without_a, with_a = top_lines(seen_by_a)
    without_b, with_b = top_lines(seen_by_b)
    assert with_a.startswith("␣Rome") and without_a.startswith("␣Paris")
    assert with_b == without_b == without_a
    assert p_next(language_model, probe, "Paris") == pytest.approx(0.70, abs=0.01)   # the shared weights: as trained
    assert reset_edit()[0] is None


def test_steering_reports_the_models_own_numbers_and_no_steering_changes_nothing(handlers, language_model):
    steer = handlers[1]
    prompt, positive, negative, layer, _ = STEERS["love − hate: the review turns warm (α < 0: cold)"]
    still = steer(prompt, positive, negative, layer, 0.0, 10)
    assert still["continuation_after"] == still["continuation_before"] and still["top_after"] == still["top_before"]
    ids = torch.tensor([language_model.tokenizer(prompt, add_special_tokens=False).input_ids])
    with torch.inference_mode():
        plain = language_model.model.generate(ids, max_new_tokens=10, do_sample=False, pad_token_id=2)
        top = language_model.model(ids).logits[0, -1].softmax(-1).topk(8)
    assert still["continuation_before"] == language_model.tokenizer.decode(plain[0, ids.shape[1]:])
    assert [p for _, p in still["top_before"]] == pytest.approx(top.values.tolist(), abs=1e-5)


def test_the_love_hate_direction_moves_the_review_both_ways(handlers, language_model):
    """The scene's claim, measured: at block 6, +0.3 makes the movie 'a dream come true', −0.3 'a nightmare'; the card
    shows the mean over each contrast prompt's own tokens, read after a newline, which is what core computes."""
    steer = handlers[1]
    prompt, positive, negative, layer, _ = STEERS["love − hate: the review turns warm (α < 0: cold)"]

    warm, cold = steer(prompt, positive, negative, layer, 0.3, 12), steer(prompt, positive, negative, layer, -0.3, 12)
    assert "dream" in warm["continuation_after"] and "nightmare" in cold["continuation_after"]
    assert warm["continuation_before"] == cold["continuation_before"]
    formula = handlers[4](prompt, positive, negative, layer, -0.3, 12)[0]          # the panel's card
    assert "\\hat r = x_{6} − 0.3 \\times" in formula and "+ −" not in formula        # not "+ −0.3"
    assert "\\sum_{t=1}^{T_p} x_l(\\text{newline},\\, p)_t" in formula and "read after a newline" in formula


def test_the_paris_london_preset_steers_to_paris_at_its_block_and_past_block_11(handlers):
    """Two one-token prompts: read alone, from block 11 on they would be SmolLM2's first-position sink only and steer
    nothing (tests/core/test_steering.py); after the newline the trip goes to Paris at block 6 and at block 12."""
    prompt, positive, negative, layer, alpha = STEERS["Paris − London: the trip goes to Paris"]
    for block in (layer, 12):
        result = handlers[1](prompt, positive, negative, block, alpha, 8)
        before, after = (dict(result[side]).get(" Paris", 0.0) for side in ("top_before", "top_after"))
        assert result["continuation_before"].startswith(" Rome") and result["continuation_after"].startswith(" Paris")
        assert after > max(2 * before, 0.05)


def test_a_token_direction_makes_that_token_likelier(handlers):
    steer = handlers[1]
    prompt, positive, negative, layer, alpha = STEERS["the token ' dog' (its W_U row)"]
    result = steer(prompt, positive, negative, layer, alpha, 10)
    before = dict((t, p) for t, p in result["top_before"]).get(" dog", 0.0)
    assert result["direction"] == "token" and result["token"] == " dog"
    assert dict(result["top_after"])[" dog"] > max(before, 0.05)


@pytest.mark.parametrize("arguments, message", [
    (("The Eiffel Tower is located in the city of", "Eiffel Tower", "", -1), "new object"),
    (("The Eiffel Tower is located in the city of", "Big Ben", "Rome", -1), "not in the prompt"),
    (("The Eiffel Tower is located in the city of", "Eiffel Tower", "Rome", 99), "MLP block must be between"),
    (("The Eiffel Tower is located in the city of", "Eiffel Tower", "Rome", float("nan")), "finite"),
    (("The Eiffel Tower is located in the city of", "Eiffel Tower", "Paris", 3), "already says"),
    (("", "Eiffel Tower", "Rome", -1), "Type a prompt"),
    (("word " * 40, "word", "Rome", -1), "at most 32 tokens"),
    (("The Eiffel Tower is located in the city of", "Eiffel Tower", "x" * 200, -1), "at most 100"),
])
def test_bad_edit_input_gets_a_clear_message(handlers, arguments, message):
    with pytest.raises(gr.Error, match=message):
        handlers[0](*arguments)
    refuses(lambda: handlers[2](*arguments, "", ""), message)


def test_malformed_neighbours_and_too_many_paraphrases_are_refused(handlers):
    prompt, subject, new_object, _, _ = fact_fields(next(iter(FACTS.values())))
    with pytest.raises(gr.Error, match="'prompt -> object'"):
        handlers[0](prompt, subject, new_object, 3, "", "The capital of France is Paris")
    with pytest.raises(gr.Error, match="At most 6 paraphrases"):
        handlers[0](prompt, subject, new_object, 3, "\n".join(["a"] * 7), "")


@pytest.mark.parametrize("arguments, message", [
    (("My favourite animal is the", "", "", 6, 0.3, 10), "Type the positive"),
    (("My favourite animal is the", "dog", "dog", 6, 0.3, 10), "same stream"),
    (("My favourite animal is the", " dog", "", 6, float("nan"), 10), "finite"),
    (("My favourite animal is the", " dog", "", 6, 5.0, 10), "between -2 and 2"),
    (("My favourite animal is the", " dog", "", 30, 0.3, 10), "block must be between"),
    (("My favourite animal is the", " dog", "", 6, 0.3, 0), "tokens must be between"),
    (("😀" * 200, " dog", "", 6, 0.3, 10), "at most 64"),
])
def test_bad_steering_input_gets_a_clear_message(handlers, arguments, message):
    with pytest.raises(gr.Error, match=message):
        handlers[1](*arguments)
    refuses(lambda: handlers[4](*arguments), message)
