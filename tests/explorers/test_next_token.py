"""The next-token panel on the real SmolLM2 (and a tiny GPT-2-shaped model through the same code)."""
from dataclasses import replace

import gradio as gr
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from core.tokens import MAX_PROMPT_TOKENS
from explorers.transformers.next_token import next_token_endpoint, reset, show, step
from tests.handlers import bound


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
            text, history, _ = step(text, 1.2, 10, seed, history)
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
