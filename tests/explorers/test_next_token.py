"""The next-token panel on the real SmolLM2 (and a tiny GPT-2-shaped model through the same code)."""
from dataclasses import replace

import gradio as gr
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.generation.logits_process import (LogitsProcessorList, TemperatureLogitsWarper, TopKLogitsWarper,
                                                    TopPLogitsWarper)

from core.tokens import MAX_PROMPT_TOKENS
from explorers.transformers.next_token import OPEN_PROMPT, PROMPT, next_token_endpoint, reset, show, step
from tests.handlers import bound, refuses


@pytest.fixture(scope="module")
def handlers(settings):
    """The module-level handlers with the settings bound, as build() wires them."""
    return bound(settings, (show, step, next_token_endpoint))


def test_temperature_one_equals_the_models_own_softmax(handlers, language_model):
    *_, endpoint = handlers
    prompt = "The capital of France is"
    result = endpoint(prompt, 1.0, 5)
    ids = language_model.tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
    with torch.inference_mode():
        reference = torch.softmax(language_model.model(ids).logits[0, -1].double(), -1)
    expected = torch.topk(reference, 5)
    assert [t for t, _ in result["tokens"]] == [language_model.tokenizer.decode([i]) for i in expected.indices]
    assert [p for _, p in result["tokens"]] == pytest.approx(expected.values.tolist(), rel=1e-5)
    assert result["tokens"][0][0] == " Paris" and result["tokens"][0][1] == pytest.approx(0.77, abs=0.01)


def test_temperature_toward_zero_is_greedy(handlers):
    *_, endpoint = handlers
    cold = endpoint("The opposite of hot is", 0.01, 2)
    assert cold["tokens"][0][0] == " cold" and cold["tokens"][0][1] > 0.999 and cold["entropy_bits"] < 0.01
    assert endpoint("The opposite of hot is", 3.0, 2)["entropy_bits"] > endpoint("The opposite of hot is", 1.0, 2)["entropy_bits"]


def test_sampling_steps_are_reproducible_with_a_seed(handlers):
    show, step, _ = handlers

    def run(seed):
        text, history = "Once upon a time", []
        for _ in range(4):
            text, history, _ = step(text, 1.2, 10, 0, 1.0, seed, history)
        return text, history

    first, again, other = run(7), run(7), run(8)
    assert first == again and first[0].startswith("Once upon a time") and len(first[1]) == 4
    assert first[0] != other[0]
    assert reset() == ([], [])                                  # the reset button empties the steps and the table


def test_the_panel_shows_tokens_probabilities_and_the_formula(handlers, language_model):
    show, *_ = handlers
    formula, chips, figure, note = show("The Eiffel Tower is located in the city of", 1.0, 5)
    assert [int(label) for _, label in chips] == language_model.tokenizer(
        "The Eiffel Tower is located in the city of", add_special_tokens=False).input_ids
    assert figure.data[0].y[0] == "␣Paris" and "49,152" in note
    assert "p(\\text{␣Paris})" in formula


@pytest.mark.parametrize("prompt, message", [("", "Type a prompt"), ("   ", "Type a prompt"),
                                             ("x" * 20_001, "at most 20,000")])
def test_empty_and_huge_prompts_get_a_message(handlers, prompt, message):
    *_, endpoint = handlers
    with pytest.raises(gr.Error, match=message):
        endpoint(prompt, 1.0, 5)


def test_a_long_prompt_is_cut_with_a_visible_note_and_unicode_works(handlers):
    show, *_, endpoint = handlers
    long = "word " * 400
    result = endpoint(long, 1.0, 3)
    assert result["prompt_tokens"] == MAX_PROMPT_TOKENS and result["cut_tokens"] > 0
    assert "were cut" in show(long, 1.0, 3)[3]
    assert len(endpoint("Ünïcödé 😀 東京は日本の", 1.0, 3)["tokens"]) == 3


@pytest.mark.parametrize("args, message", [(("Hi", 0.0, 5), "temperature"), (("Hi", 1.0, 500), "between 1 and 30")])
def test_out_of_range_settings_are_refused(handlers, args, message):
    *_, endpoint = handlers
    with pytest.raises(gr.Error, match=message):
        endpoint(*args)


def test_a_gpt2_shaped_hub_model_goes_through_the_same_panel(tmp_path, settings, language_model):
    """A tiny random GPT-2 saved with save_pretrained stands in for the hub's gpt2 (no download)."""
    model = GPT2LMHeadModel(GPT2Config(vocab_size=language_model.vocab_size, n_embd=32, n_layer=2, n_head=4))
    model.save_pretrained(tmp_path)
    language_model.tokenizer.save_pretrained(tmp_path)
    *_, endpoint = bound(replace(settings, language_model=str(tmp_path)), (show, step, next_token_endpoint))
    result = endpoint("The capital of France is", 1.0, 3)
    ids = language_model.tokenizer("The capital of France is", return_tensors="pt").input_ids
    with torch.inference_mode():
        reference = torch.softmax(model.eval()(ids).logits[0, -1].double(), -1)
    assert result["tokens"][0][1] == pytest.approx(reference.max().item(), rel=1e-5)


def model_logits(language_model, prompt: str) -> torch.Tensor:
    ids = language_model.tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
    with torch.inference_mode():
        return language_model.model(ids).logits[0, -1].double()                               # (V,)


def transformers_sampling_distribution(logits: torch.Tensor, temperature: float, top_k: int, top_p: float):
    """What transformers' generate() samples from: its own temperature, top-k and top-p warpers, then softmax.
    Returns p at T, the kept mask and the distribution drawn from, each (V,)."""
    warpers = LogitsProcessorList([TemperatureLogitsWarper(temperature)] + ([TopKLogitsWarper(top_k)] if top_k else [])
                                  + ([TopPLogitsWarper(top_p)] if top_p < 1 else []))
    scores = warpers(torch.zeros(1, 1, dtype=torch.long), logits[None])[0]                     # (V,) -inf where cut
    return torch.softmax(logits / temperature, -1), torch.isfinite(scores), torch.softmax(scores, -1)


def test_top_k_one_is_greedy_whatever_the_seed(handlers, language_model):
    _, step, _ = handlers
    argmax = language_model.tokenizer.decode([int(model_logits(language_model, OPEN_PROMPT).argmax())])
    for seed in range(12):
        text, history, _ = step(OPEN_PROMPT, 2.0, 10, 1, 1.0, seed, [])        # T = 2 is hot; top-k = 1 is not
        assert text == OPEN_PROMPT + argmax and history[0][2] == 1.0
    texts = {step(OPEN_PROMPT, 2.0, 10, 0, 1.0, seed, [])[0] for seed in range(12)}
    assert len(texts) > 1                                                      # without the cut the seed matters


@pytest.mark.parametrize("prompt, temperature, top_k, top_p", [(PROMPT, 1.0, 5, 1.0), (PROMPT, 1.0, 0, 0.9),
                                                               (OPEN_PROMPT, 1.5, 20, 0.5), (OPEN_PROMPT, 1.0, 0, 1.0)])
def test_bars_formula_and_endpoint_equal_transformers_warpers(handlers, language_model, prompt, temperature, top_k,
                                                              top_p):
    show, _, endpoint = handlers
    p, kept, q = transformers_sampling_distribution(model_logits(language_model, prompt), temperature, top_k, top_p)
    top = torch.topk(p, 30).indices
    shown_tokens = [language_model.tokenizer.decode([int(i)]) for i in top]
    kept_mass = float(p[kept].sum())

    formula, _, figure, _ = show(prompt, temperature, 30, top_k, top_p)
    bars = {trace.name: trace for trace in figure.data if trace.type == "bar"}
    kept_bars = next(trace for name, trace in bars.items() if name.startswith(("kept", "T =")))
    assert list(kept_bars.x) == pytest.approx([float(q[i]) for i in top if kept[i]], rel=1e-9)
    cut_bars = bars.get("cut by top-k / top-p (its p at T)")
    assert (list(cut_bars.x) if cut_bars else []) == pytest.approx([float(p[i]) for i in top if not kept[i]], rel=1e-9)
    assert len(kept_bars.x) + (len(cut_bars.x) if cut_bars else 0) == 30
    best = int(top[0])
    assert f"\\frac{{{float(p[best]):.3f}}}{{{kept_mass:.3f}}} = {float(q[best]):.3f}$$" in formula
    assert f"kept **{int(kept.sum()):,} of 49,152 tokens, holding mass {kept_mass:.3f}**" in formula

    result = endpoint(prompt, temperature, 30, top_k, top_p)
    assert result["kept_tokens"] == int(kept.sum()) and result["kept_mass"] == pytest.approx(kept_mass, rel=1e-9)
    assert [t for t, _ in result["sampled_from"]] == [t for t, i in zip(shown_tokens, top) if kept[i]]
    assert [v for _, v in result["sampled_from"]] == pytest.approx([float(q[i]) for i in top if kept[i]], rel=1e-9)
    assert [t for t, _ in result["tokens"]] == shown_tokens                      # unchanged: p at T, before the cut
    assert [v for _, v in result["tokens"]] == pytest.approx(p[top].tolist(), rel=1e-9)


def test_the_top_p_scenes_say_what_the_model_does(handlers):
    """The scenes' labels: top-p 0.5 keeps Paris alone on the Eiffel prompt and dozens of tokens on an open one."""
    *_, endpoint = handlers
    sure = endpoint(PROMPT, 1.0, 10, 0, 0.5)
    assert sure["kept_tokens"] == 1 and sure["sampled_from"] == [[" Paris", 1.0]]
    assert 12 <= endpoint(OPEN_PROMPT, 1.0, 30, 0, 0.5)["kept_tokens"] <= 99


@pytest.mark.parametrize("top_k, top_p, message", [(-1, 1.0, "top_k .* between 0 and 49,152"),
                                                   (49_153, 1.0, "top_k .* between 0 and 49,152"),
                                                   (2.5, 1.0, "top_k .* whole number"),
                                                   (0, 0.0, "top_p must be greater than 0"),
                                                   (0, 1.5, "top_p .* between 0 and 1"),
                                                   (0, float("nan"), "top_p .* finite")])
def test_bad_top_k_and_top_p_are_refused(handlers, top_k, top_p, message):
    show, step, endpoint = handlers
    refuses(lambda: show(PROMPT, 1.0, 10, top_k, top_p), message)
    refuses(lambda: step(PROMPT, 1.0, 10, top_k, top_p, 0, []), message)
    with pytest.raises(gr.Error, match=message):
        endpoint(PROMPT, 1.0, 10, top_k, top_p)
