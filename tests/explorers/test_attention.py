"""The attention panel's endpoint and views: the model's own weights, the cache, the limits."""
import gradio as gr
import numpy as np
import pytest
import torch

from core.attention import MAX_TOKENS
from explorers.transformers.attention import PRESETS, attention_endpoint, cached_record, run, run_new_prompt, view
from tests.handlers import bound

PROMPT = PRESETS["A pronoun (coreference)"]


@pytest.fixture(scope="module")
def handlers(settings):
    """The module-level handlers with the settings bound, as build() wires them."""
    return bound(settings, (run, run_new_prompt, view, attention_endpoint))


def test_endpoint_returns_the_models_own_attention(handlers, language_model):
    run, run_new_prompt, view, endpoint = handlers
    result = endpoint(PROMPT, 7, 4)
    ids = torch.tensor([language_model.tokenizer(PROMPT, add_special_tokens=False).input_ids])
    with torch.inference_mode():
        reference = language_model.model(ids, output_attentions=True).attentions[7][0, 4]
    np.testing.assert_allclose(result["pattern"], reference.numpy(), atol=1e-7)
    assert len(result["tokens"]) == ids.shape[1] and result["tokens"][0] == "The"
    assert result["scores"][0][1] is None and all(s is not None for s in result["scores"][-1])
    scores = np.array([[s if s is not None else -np.inf for s in row] for row in result["scores"]])
    softmax = np.exp(scores - scores.max(1, keepdims=True))
    np.testing.assert_allclose(softmax / softmax.sum(1, keepdims=True), result["pattern"], atol=2e-5)


def test_switching_head_reuses_the_single_forward_pass(handlers):
    run, run_new_prompt, view, endpoint = handlers
    cached_record.cache_clear()
    run(PROMPT, "induction", 3, 0, 5)
    view(PROMPT, 2, 1, 5, [])
    view(PROMPT, 20, 7, 9, ["0", "3"])
    endpoint(PROMPT, 11, 2)
    info = cached_record.cache_info()
    assert info.misses == 1 and info.hits >= 3


def test_the_view_names_the_key_each_query_looks_at(handlers):
    run, run_new_prompt, view, endpoint = handlers
    formula, scores, pattern, bars, lines = view(PROMPT, 0, 0, 3, [])
    weights = np.array(endpoint(PROMPT, 0, 0)["pattern"])[3, :4]
    assert f"weight **{weights.max():.3f}**" in formula
    np.testing.assert_allclose(bars.data[0].y, weights, atol=1e-6)


@pytest.mark.parametrize("layer, head, message", [(30, 0, "layer must be between 0 and 29"),
                                                  (0, 9, "head must be between 0 and 8"),
                                                  (-1, 0, "layer must be between 0 and 29")])
def test_layer_and_head_out_of_range_give_clear_errors(handlers, layer, head, message):
    *_, endpoint = handlers
    with pytest.raises(gr.Error, match=message):
        endpoint(PROMPT, layer, head)


def test_a_long_prompt_is_cut_with_a_note_and_an_empty_one_refused(handlers):
    run, run_new_prompt, view, endpoint = handlers
    long = "one two three four five six seven eight " * 20
    assert endpoint(long, 0, 0)["cut_tokens"] > 0 and len(endpoint(long, 0, 0)["tokens"]) == MAX_TOKENS
    assert "cut to its first 64 tokens" in run(long, "induction", 3, 0, 5)[2]
    with pytest.raises(gr.Error, match="Type a prompt"):
        endpoint("", 0, 0)


def test_repeated_text_has_induction_heads(handlers, language_model):
    from core.attention import head_statistics
    ids = tuple(language_model.tokenizer(PRESETS["Repeated text (induction heads)"], add_special_tokens=False).input_ids)
    stats = head_statistics(cached_record(language_model, ids).pattern, ids)
    assert np.nanmax(stats["induction"]) > 0.3          # some head does copy-from-the-first-occurrence
    # the head the panel opens on (18, 6) and its neighbour (17, 5) are the two induction heads, within 2% of each
    # other: which is first can flip with float rounding, so both are checked against the best
    for layer, head in ((18, 6), (17, 5)):
        assert stats["induction"][layer, head] > 0.98 * np.nanmax(stats["induction"])
    assert np.nanmedian(stats["induction"]) < 0.1        # most heads do not do it


def test_a_new_prompt_opens_on_the_focused_query_and_a_tab_switch_keeps_the_linked_one(handlers):
    run, run_new_prompt, view, endpoint = handlers
    prompt = PRESETS["Repeated text (induction heads)"]
    pattern = np.array(endpoint(prompt, 18, 6)["pattern"])
    query = run_new_prompt(prompt, "induction", 18, 6, 0)[3].value
    best = max(range(1, len(pattern)), key=lambda i: pattern[i, 1:i + 1].max())
    assert query == best == 16                 # the second 'sat' looks at the 'on' after the first one
    assert endpoint(prompt, 18, 6)["tokens"][int(np.argmax(pattern[16]))] == "␣on"
    assert run(prompt, "induction", 18, 6, 5)[3].value == 5     # e.g. set by a deep link: kept
    assert run(prompt, "induction", 18, 6, 63)[3].value == len(pattern) - 1   # clamped to the prompt
