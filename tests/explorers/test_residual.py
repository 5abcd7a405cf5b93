"""The residual-stream panel's endpoints and view: the model's own numbers, the checks, the cache; and the series'
hand-built fact neuron, an AND gate, with its superposition measurement."""
import json
import math
import re

import gradio as gr
import numpy as np
import pytest
import torch

from components.formatting import significant
from explorers.transformers.residual.fact_neuron import SCENES, show_neuron, show_part, show_superposition
from explorers.transformers.residual.lens import (PRESETS, analysis, choose_preset, keep_layer, logit_lens_endpoint,
                                                  show)
from explorers.transformers.residual.replace import show_replaced
from explorers.transformers.residual.trace import show_trace, trace_endpoint
from tests.handlers import bound, refuses

EIFFEL = "The Eiffel Tower is located in the city of"


@pytest.fixture(scope="module")
def handlers(settings):
    """The module-level handlers with the settings bound, as build() wires them."""
    return bound(settings, (show, show_trace, logit_lens_endpoint, trace_endpoint))


def model_probabilities(language_model, prompt):
    ids = torch.tensor([language_model.tokenizer(prompt, add_special_tokens=False).input_ids])
    with torch.inference_mode():
        return language_model.model(ids).logits[0, -1].softmax(-1)


def test_logit_lens_endpoint_ends_at_the_models_own_distribution(handlers, language_model):
    _, _, lens, _ = handlers
    result = lens(EIFFEL, "Paris")
    json.dumps(result, allow_nan=False)
    probabilities = model_probabilities(language_model, EIFFEL)
    paris = language_model.tokenizer(" Paris", add_special_tokens=False).input_ids[0]
    assert result["target"] == " Paris" and len(result["layers"]) == 31 == len(result["target_probability"])
    assert result["target_probability"][-1] == pytest.approx(float(probabilities[paris]), abs=1e-5)
    top = probabilities.topk(5)
    assert [t for t, _ in result["top_tokens"][-1]] == [language_model.tokenizer.decode([i]) for i in top.indices]
    assert [p for _, p in result["top_tokens"][-1]] == pytest.approx(top.values.tolist(), abs=1e-5)
    grid = result["grid"]                       # [layer][position]; its last column is the per-layer view above
    assert len(grid["top_token"]) == 31 and all(len(row) == 10 for key in grid for row in grid[key])
    assert [row[-1] for row in grid["top_token"]] == [tokens[0][0] for tokens in result["top_tokens"]]
    assert [row[-1] for row in grid["target_probability"]] == pytest.approx(result["target_probability"])
    assert grid["target_rank"][-1][-1] == 1 and grid["top_token"][-1][-1] == " Paris"


def test_an_empty_lens_target_means_the_top_prediction(handlers):
    _, _, lens, _ = handlers
    result = lens("The capital of France is", "")
    assert result["target"] == " Paris" and "top prediction" in result["note"]


def test_presets_show_the_probability_the_model_really_gives(language_model):
    for name, (prompt, subject, target) in PRESETS.items():
        assert subject in prompt
        shown_p = float(re.search(r"p (\d\.\d\d)", name).group(1))
        ids = language_model.tokenizer(" " + target, add_special_tokens=False).input_ids
        assert float(model_probabilities(language_model, prompt)[ids[0]]) == pytest.approx(shown_p, abs=0.006), name
    assert choose_preset("no such preset") == (*next(iter(PRESETS.values())), True)


def test_the_view_states_the_attribution_check_with_the_models_logit(handlers, language_model):
    show, *_ = handlers
    formula, lens_figure, rows, norms, attribution, neurons, note, _, follow = show(EIFFEL, "Paris", 20,
                                                                                   "top_probability", False)
    ids = torch.tensor([language_model.tokenizer(EIFFEL, add_special_tokens=False).input_ids])
    with torch.inference_mode():
        logit = float(language_model.model(ids).logits[0, -1, 7042])
    assert f"own logit: }} {logit:.3f}" in formula and f"= {logit:.3f} \\quad" in formula
    assert "held at its value for the full stream" in formula
    assert "\\text{SiLU}" in formula and "mlp}_{20}" in formula and follow is False
    assert rows[-1][0] == "block 29" and rows[-1][2].startswith("␣Paris")
    assert "p(␣Paris) at the last position: **0.702**" in note
    assert "576-dimensional stream" in note and "The series' GPT-3**: 96 layers" in note
    bars = attribution.data
    total = float(sum(bars[0].y) + sum(bars[1].y))
    assert f"= logit {logit:.2f}" in attribution.layout.title.text and len(bars[0].y) == 30
    assert total == pytest.approx(logit, abs=0.2)                     # plus the embedding's small share
    assert len(neurons.data[0].y) == 8


def test_the_lens_grid_writes_each_cells_top_token_and_colours_it_three_ways(handlers):
    show, *_ = handlers
    _, figure, rows, *_ = show(EIFFEL, "Paris", 20, "top_probability", False)
    grid = figure.data[0]
    assert grid.z.shape == (31, 10) and grid.text[-1][-1] == "␣Paris" and grid.zmax == 1
    assert [row[-1][0] for row in grid.customdata] == [row[2].split(" ")[0] for row in rows]   # = the table's top 1
    _, entropy_figure, *_ = show(EIFFEL, "Paris", 20, "entropy", False)
    assert entropy_figure.data[0].z[-1][-1] == pytest.approx(grid.customdata[-1][-1][2])
    _, rank_figure, *_ = show(EIFFEL, "Paris", 20, "target_rank", False)
    ranks = [[cell[3] for cell in row] for row in rank_figure.data[0].customdata]
    assert rank_figure.data[0].z[-1][-1] == 0 and ranks[-1][-1] == 1                # log10(rank 1)
    assert rank_figure.data[0].z[0][0] == pytest.approx(math.log10(ranks[0][0]))
    refuses(lambda: show(EIFFEL, "Paris", 20, "rainbow", False), "Colour the logit lens by one of")


def test_value_tokens_read_as_text_not_as_byte_level_pieces(handlers):
    show, *_ = handlers
    for layer in (28, 29):
        neurons = show(EIFFEL, "Paris", layer, "top_probability", False)[5]
        labels = " ".join(neurons.data[0].y)
        assert not set("ĠĊčĉÃâ") & set(labels), labels


class Page:
    """A request from a page whose address is `url` (gr.Request's headers carry it as the referer)."""
    def __init__(self, url):
        self.headers = {"referer": url}


def test_the_first_view_opens_the_block_the_note_names_unless_a_link_or_the_user_chose_one(handlers):
    show, *_ = handlers
    *_, note, slider, follow = show(EIFFEL, "Paris", 29, "top_probability", None)
    best = slider.constructor_args["value"]
    assert follow is True and f"pushes ␣Paris most is block {best} " in note and best == 28
    for link in ("http://h/residual?layer=29", "http://h/residual?panel=facts&layer=29"):    # the second: an old link
        *_, slider, follow = show(EIFFEL, "Paris", 29, "top_probability", None, Page(link))
        assert follow is False and "value" not in slider.constructor_args                # the link's layer stays
    *_, slider, follow = show(EIFFEL, "Paris", 29, "top_probability", None, Page("http://h/residual?target=Paris"))
    assert follow is True and slider.constructor_args["value"] == best                    # a link without a layer
    formula, *_, slider, follow = show(EIFFEL, "Paris", 12, "top_probability", keep_layer())
    assert "mlp}_{12}" in formula and follow is False and "value" not in slider.constructor_args
    assert choose_preset(next(iter(PRESETS)))[-1] is True               # a preset: the note's block again


def test_the_view_reuses_one_forward_pass(handlers):
    show, *_ = handlers
    analysis.cache_clear()
    show(EIFFEL, "Paris", 29, "top_probability", False)
    show(EIFFEL, "Paris", 10, "entropy", False)
    info = analysis.cache_info()
    assert info.misses == 1 and info.hits == 1


def test_trace_endpoint_on_a_short_fact(handlers, language_model):
    *_, trace = handlers
    result = trace("The capital of France is", "France", "Paris", "mlp")
    json.dumps(result, allow_nan=False)
    probabilities = model_probabilities(language_model, "The capital of France is")
    assert result["clean"] == pytest.approx(float(probabilities[language_model.tokenizer(" Paris").input_ids[0]]),
                                            abs=1e-5)
    assert result["subject_tokens"] == [3, 4] and len(result["restored"]) == 30 and len(result["restored"][0]) == 5
    assert result["corrupted"] < result["clean"]
    assert all(row[0] == result["corrupted"] for row in result["restored"])     # before the subject: unchanged


@pytest.mark.parametrize("args, message", [
    ((EIFFEL, "Louvre", "Paris", "hidden"), "not in the prompt"),
    ((EIFFEL, "Eiffel", "", "hidden"), "Type a target"),
    ((EIFFEL, "Eiffel", "Paris", "neurons"), "kind must be one of hidden, mlp, attention"),
    (("word " * 30, "word", "Paris", "hidden"), "at most 20"),
    (("", "x", "Paris", "hidden"), "Type a prompt"),
])
def test_bad_trace_inputs_get_clear_messages(handlers, args, message):
    *_, trace = handlers
    with pytest.raises(gr.Error, match=message):
        trace(*args)


def test_a_multi_token_target_uses_its_first_token_and_says_so(handlers):
    _, _, lens, _ = handlers
    result = lens(EIFFEL, "Parisianism")
    assert result["target"] == " Paris" and "its first token" in result["note"]
    with pytest.raises(gr.Error, match="at most 32"):
        lens("word " * 40, "x")


def test_the_fact_neuron_fires_for_michael_and_jordan_only():
    formula, figure, gate = show_neuron(1.0, 1.0, 0.0, -1.0)
    assert "m + j + b = 1.00 + 1.00 − 1.00 = 1.000$$" in formula and "\\max(0,\\ 1.000) = 1.000$$" in formula
    assert "1.000 \\times 1 = 1.000" in formula and "e_{\\text{swimming}} = 0.000$$" in formula
    assert "the neuron **fires**" in formula and "(read 1.000)" in formula
    added = figure.data[3]
    assert list(added.y) == [0, 0, 0, 1, 0] and list(gate.data[2].text) == ["0", "0", "0", "1"]
    for michael, jordan, phelps in ((1.0, 0.0, 1.0), (0.0, 1.0, 0.0), (0.5, 0.5, 0.0)):
        formula, figure, _ = show_neuron(michael, jordan, phelps, -1.0)
        assert "ReLU keeps the neuron **off**" in formula and "(read 0.000)" in formula
        assert list(figure.data[3].y) == [0] * 5
    formula, *_ = show_neuron(1.0, 0.0, 1.0, 0.0)                          # bias 0: Michael Phelps fires it
    assert "(read 1.000)" in formula


def test_the_scenes_set_the_neuron_as_labelled():
    reads = {label: show_neuron(*values)[0].rsplit("(read ", 1)[1] for label, values in SCENES.items()}
    assert [read[:5] for read in reads.values()] == ["1.000", "0.000", "0.000", "1.000"]


def test_the_superposition_note_states_the_measurement():
    note, figure = show_superposition(1000, 100)
    assert "499,500 pairs:" in note and "mean |cos| **0.0799**" in note and "= 0.0800\n" in note
    assert "largest |cos| **0.483**" in note and "= 0.607 (P pairs; with probability 1 − δ = 99% no pair exceeds it)" in note
    assert "$1.55 \\times 10^{13}$" in note
    assert "1,000 random directions in 100 dimensions" in figure.layout.title.text
    assert len(show_part(1.0, 1.0, 0.0, -1.0, 1000, 100)) == 5           # the fold's first drawing: all of it


@pytest.mark.parametrize("call, message", [
    (lambda: show_neuron(float("nan"), 1.0, 0.0, -1.0), "the amount of Michael must be a finite number"),
    (lambda: show_neuron(1.0, 3.0, 0.0, -1.0), "the amount of Jordan must be between -1 and 1, got 3"),
    (lambda: show_neuron(1.0, 1.0, None, -1.0), "the amount of Phelps must be a number"),
    (lambda: show_neuron(1.0, 1.0, 0.0, 9.0), "bias b must be between -2 and 0.5"),
    (lambda: show_superposition(10**6, 100), "directions must be between 2 and 2,000"),
    (lambda: show_part(1.0, 1.0, 0.0, -1.0, 1000, float("nan")), "dimensions must be a finite number"),
])
def test_bad_fact_neuron_input_keeps_the_view_and_says_why(call, message):
    refuses(call, message)


def test_the_fact_neuron_is_folded_and_linked(settings):
    from explorers.transformers.residual import build

    with gr.Blocks():
        link = build(settings)
    (part,) = link.folds
    assert part.accordion.open is False
    assert all(part.holds(link.controls[name]) for name in ("michael", "jordan", "phelps", "bias", "n", "d"))
    assert not part.holds(link.controls["layer"])


def test_one_block_replacing_the_stream_loses_the_answer(settings, language_model):
    """Adds: the last point is the model's own p(Paris) (transformers' logits). Replaces at block 10: the stream
    after it is that block's writes alone, and the answer is gone."""
    replaced = bound(settings, (show_replaced,))[0]
    text, figure = replaced(EIFFEL, "Paris", 10)
    adds, replaces = (np.asarray(trace.y) for trace in figure.data)
    paris = language_model.tokenizer(" Paris", add_special_tokens=False).input_ids[0]
    assert adds[-1] == pytest.approx(float(model_probabilities(language_model, EIFFEL)[paris]), abs=1e-5)
    assert np.allclose(adds[:11], replaces[:11]) and replaces[-1] < adds[-1] / 10        # same until block 10
    assert "x_{11}' = \\text{attn}_{10}" in text
    assert f"p(␣Paris) = **{significant(float(adds[-1]), 3)}**" in text
    assert "loses little" in replaced(EIFFEL, "Paris", 0)[0]          # block 0: the embedding is small next to its write
    for block, message in ((30, "between 0 and 29"), (float("nan"), "finite"), (2.5, "whole")):
        refuses(lambda: replaced(EIFFEL, "Paris", block), message)
