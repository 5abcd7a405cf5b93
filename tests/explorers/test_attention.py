"""The attention panel's endpoint and views: the model's own weights, the cache, the limits; the relation finder
(every head ranked from the one recorded pass) and what the shown head writes; bad input refused in words."""
import gradio as gr
import numpy as np
import pytest
import torch

from core.attention import MAX_TOKENS
from core.tokens import shown_token
from explorers.transformers.attention.heads import PRESETS, attention_endpoint, cached_record, run, run_new_prompt, view
from explorers.transformers.attention.relations import find_relation, inspect_head, new_relation, show_relations
from tests.handlers import bound, refuses

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
    formula, scores, pattern, bars, lines, write, write_note = view(PROMPT, 0, 0, 3, [])
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


@pytest.fixture(scope="module")
def relations(settings):
    return bound(settings, (show_relations, new_relation, find_relation))


def test_the_finder_ranks_every_head_from_the_one_recorded_pass(handlers, relations, language_model):
    """'it' (10) -> 'trophy' (1): the ranked heads are a brute-force loop over transformers' output_attentions, and
    no forward pass runs beyond the prompt's first."""
    show, new, find = relations
    cached_record.cache_clear()
    handlers[0](PROMPT, "induction", 18, 6, 5)                               # the page opened: one forward pass
    *shown, layer, head, query = find(PROMPT, 10, 1)
    assert cached_record.cache_info().misses == 1
    ids = torch.tensor([language_model.tokenizer(PROMPT, add_special_tokens=False).input_ids])
    with torch.inference_mode():
        attentions = language_model.model(ids, output_attentions=True).attentions
    brute = sorted(((l, h, float(attentions[l][0, h, 10, 1])) for l in range(30) for h in range(9)),
                   key=lambda row: -row[2])
    bars = shown[2].data[0]
    assert list(bars.y) == [f"L{l} h{h}" for l, h, _ in brute[:10]]
    np.testing.assert_allclose(bars.x, [w for *_, w in brute[:10]], atol=1e-7)
    assert (layer, head, query) == (*brute[0][:2], 10) == (16, 3, 10)       # the top head is shown, at 'it'
    assert shown[4].value == "16,3" and [value for _, value in shown[4].choices][:2] == ["16,3", "13,8"]
    assert [label for label, _ in shown[0].choices][:2] == ["0·The", "1·␣trophy"] and shown[1].value == 1
    assert "Layer 16, head 3 looks from **10·␣it** to **1·␣trophy** hardest: weight **0.565**" in shown[3]
    assert show(PROMPT, 10, 1, 0, 0)[2].data[0].y == bars.y


def test_the_write_shown_is_the_heads_own_decoded_through_norm_and_lm_head(handlers, language_model):
    """View of layer 16, head 3 at 'it': its promoted tokens are the top of lm_head(norm(o)), o read from what the
    model's o_proj receives from head 3 (a forward hook), and the orange bars are each key's share of |o|."""
    run, run_new_prompt, view, endpoint = handlers
    *_, bars, lines, write, note = view(PROMPT, 16, 3, 10, [])
    model = language_model.model
    ids = language_model.tokenizer(PROMPT, add_special_tokens=False).input_ids
    seen = {}
    projection = model.model.layers[16].self_attn.o_proj
    handle = projection.register_forward_pre_hook(lambda module, args: seen.update(x=args[0][0, 10, 3 * 64:4 * 64]))
    try:
        with torch.inference_mode():
            model(torch.tensor([ids]))
            o = projection.weight[:, 3 * 64:4 * 64] @ seen["x"]                      # (576,)
            logits = model.lm_head(model.model.norm(o))                              # (V,)
    finally:
        handle.remove()
    top = [shown_token(language_model.tokenizer, int(i)) for i in logits.topk(8).indices]
    assert list(write.data[0].y)[:8] == top
    np.testing.assert_allclose(write.data[0].x[:8], logits.topk(8).values.numpy(), atol=1e-3)
    np.testing.assert_allclose(write.data[0].x[8:], (-logits).topk(8).values.numpy()[::-1] * -1, atol=1e-3)
    assert sum(bars.data[1].y) == pytest.approx(float(o.norm()), rel=1e-4)
    assert f"|o| = {float(o.norm()):.1f}" in note and "key/value head 1, which heads 4, 5 read too" in note
    assert "logit lens of one head" in note and "ignores every later layer" in note


@pytest.mark.parametrize("preset, relation, shown", [
    ("A pronoun (coreference)", (10, 1), (16, 3, 10)),           # 'it' -> 'trophy'
    ("Repeated text (induction heads)", (16, 3), (18, 6, 16)),   # the second 'sat' -> the 'on' after the first
    ("Names", (13, 1), (24, 4, 13)),                             # 'to' -> the first 'Mary'
])
def test_a_preset_opens_its_relation_on_the_top_head(relations, preset, relation, shown):
    show, new, find = relations
    *outputs, layer, head, query = new(PRESETS[preset], 18, 6)
    assert (outputs[0].value, outputs[1].value) == relation and (layer, head, query) == shown


def test_a_typed_prompt_keeps_the_chosen_head_and_finds_where_it_looks(relations, handlers):
    show, new, find = relations
    prompt = "My own sentence about cats and dogs, and cats again."
    *outputs, layer, head, query = new(prompt, 5, 2)
    pattern = np.array(handlers[3](prompt, 5, 2)["pattern"])
    assert (layer, head) == (5, 2) and outputs[4].value is None
    assert outputs[1].value == int(np.argmax(pattern[query, 1:query + 1])) + 1     # past the sink, at or before


@pytest.mark.parametrize("query, key, message", [
    (5, 9, r"The key \(position 9\) comes after the query \(position 5\): .* \(the causal mask\)"),
    (15, 1, "query position must be between 0 and 14, got 15"),
    (float("nan"), 1, "query position must be a finite number, got nan"),
    (3, float("inf"), "key position must be a finite number, got inf"),
    ("it", 1, "query position must be a number, got 'it'"),          # typed into the dropdown
])
def test_a_bad_relation_is_refused_in_words_and_the_view_kept(relations, query, key, message):
    show, new, find = relations
    refuses(lambda: find(PROMPT, query, key), message)
    refuses(lambda: show(PROMPT, query, key, 18, 6), message)          # e.g. a hand-made link


def test_the_page_opens_on_the_prompts_own_relation_unless_a_link_set_one(relations):
    show, new, find = relations
    repeated = PRESETS["Repeated text (induction heads)"]
    opened = show(repeated, None, None, 18, 6)
    assert (opened[0].value, opened[1].value) == (16, 3)              # the second 'sat' -> the first 'on'
    assert list(opened[2].data[0].y)[:2] == ["L18 h6", "L17 h4"]
    linked = show(repeated, 22, 9, 18, 6)                                # 'dog' -> 'ran'
    assert (linked[0].value, linked[1].value) == (22, 9) and linked[2].data[0].y[0] == "L24 h4"


def test_picking_a_ranked_head_shows_it_at_the_relations_query():
    assert inspect_head("13,8", 10) == (13, 8, 10)
