"""Attention read from the model: the pattern is the model's own output_attentions, the recomputed scores
(hooked queries and keys after rotary embedding, GQA heads repeated) reproduce it, hooks are always removed; the
relation ranking is a brute-force loop over output_attentions, and one head's write is what the model's o_proj
receives from that head, decoded by the model's own final norm and lm_head."""
import numpy as np
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from core.attention import (checked_relation, head_statistics, head_write, masked_scores, most_focused_query,
                            record_attention, relation_ranking)
from core.transformer import hooks, layout

PROMPT = "When Mary and John went to the store, John gave a drink to Mary. When Mary and John"


def softmax_of(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(-1, keepdims=True)


@pytest.fixture(scope="module")
def smollm2_record(language_model):
    ids = language_model.tokenizer(PROMPT, add_special_tokens=False).input_ids
    return record_attention(language_model.model, ids)


def test_pattern_is_the_models_own_output_attentions(language_model, smollm2_record):
    ids = torch.tensor([smollm2_record.token_ids])
    with torch.inference_mode():
        reference = torch.stack(language_model.model(ids, output_attentions=True).attentions)[:, 0]
    np.testing.assert_allclose(smollm2_record.pattern, reference.numpy(), rtol=0, atol=0)
    assert smollm2_record.pattern.shape[:2] == (30, 9)


def test_softmax_of_the_recomputed_masked_scores_equals_the_pattern(smollm2_record):
    np.testing.assert_allclose(softmax_of(smollm2_record.scores), smollm2_record.pattern, atol=2e-5)


def test_rows_sum_to_one_and_no_query_sees_the_future(smollm2_record):
    pattern, scores = smollm2_record.pattern, smollm2_record.scores
    np.testing.assert_allclose(pattern.sum(-1), 1.0, atol=1e-5)
    T = pattern.shape[-1]
    future = np.triu(np.ones((T, T), dtype=bool), 1)
    assert (pattern[..., future] == 0).all() and np.isneginf(scores[..., future]).all()
    assert np.isfinite(scores[..., ~future]).all()


def test_hooks_are_removed_even_when_the_forward_pass_fails(language_model):
    ids = torch.tensor([[1, 2, 3]])
    with torch.inference_mode():
        before = language_model.model(ids).logits
    with pytest.raises(RuntimeError):
        with hooks(language_model.model, {f"blocks.{l}.attn.hook_qkv": print for l in range(3)}):
            raise RuntimeError("a failure inside the block")
    assert all(len(m._forward_pre_hooks) == 0 for m in layout(language_model.model).attentions)
    with torch.inference_mode():
        torch.testing.assert_close(language_model.model(ids).logits, before, rtol=0, atol=0)


def test_a_gpt2_shaped_model_works_the_same_way():
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=100, n_embd=32, n_layer=2, n_head=4,
                                       attn_implementation="eager")).eval()
    record = record_attention(model, [5, 17, 5, 17, 9, 5])
    with torch.inference_mode():
        reference = torch.stack(model(torch.tensor([[5, 17, 5, 17, 9, 5]]), output_attentions=True).attentions)[:, 0]
    np.testing.assert_allclose(record.pattern, reference.numpy(), atol=0)
    np.testing.assert_allclose(softmax_of(record.scores), record.pattern, atol=1e-5)


def test_head_statistics_on_hand_made_patterns():
    T = 5
    previous = np.zeros((1, 1, T, T))
    previous[0, 0, 0, 0] = 1
    for i in range(1, T):
        previous[0, 0, i, i - 1] = 1
    stats = head_statistics(previous, (1, 2, 3, 1, 2))
    assert stats["previous_token"][0, 0] == 1 and stats["entropy"][0, 0] == 0
    # induction: at i = 3 (token 1, seen at 0) the next token after that copy is j = 1; at i = 4 (token 2) j = 2
    assert stats["induction"][0, 0] == 0                    # a previous-token head does not do that
    induction = np.zeros((1, 1, T, T))
    induction[0, 0, :, 0] = 1
    induction[0, 0, 3] = 0
    induction[0, 0, 3, 1] = 1
    induction[0, 0, 4] = 0
    induction[0, 0, 4, 2] = 1
    assert head_statistics(induction, (1, 2, 3, 1, 2))["induction"][0, 0] == 1
    assert np.isnan(head_statistics(induction, (1, 2, 3, 4, 5))["induction"][0, 0])
    uniform = np.tril(np.ones((T, T))) / np.arange(1, T + 1)[:, None]
    expected = np.mean([np.log2(n) for n in range(1, T + 1)])
    assert head_statistics(uniform[None, None], (1, 2, 3, 4, 5))["entropy"][0, 0] == pytest.approx(expected)


def test_masked_scores_by_hand():
    q = torch.tensor([[[1.0, 0.0], [0.0, 2.0]]])
    k = torch.tensor([[[1.0, 1.0], [3.0, 0.0]]])
    s = masked_scores(q, k)[0]
    assert s[0, 0] == pytest.approx(1 / 2 ** 0.5) and torch.isneginf(s[0, 1])
    assert s[1, 0] == pytest.approx(2 / 2 ** 0.5) and s[1, 1] == pytest.approx(0.0)


def test_most_focused_query_skips_the_attention_sink():
    pattern = np.tril(np.ones((4, 4))) / np.arange(1, 5)[:, None]   # uniform rows
    pattern[3] = [0.9, 0.1, 0.0, 0.0]                                # a sink-heavy row is not "focused"
    pattern[2] = [0.2, 0.7, 0.1, 0.0]                                # looks hard at token 1
    assert most_focused_query(pattern) == 2
    assert most_focused_query(np.ones((1, 1))) == 0


def brute_force_ranking(attentions, query: int, key: int) -> list[tuple[int, int, float]]:
    """Every (layer, head, weight) by a plain loop over transformers' own attentions, sorted largest first."""
    rows = [(l, h, float(attentions[l][0, h, query, key])) for l in range(len(attentions))
            for h in range(attentions[l].shape[1])]
    return sorted(rows, key=lambda row: -row[2])                # stable: ties keep the (layer, head) order


@pytest.mark.parametrize("query, key", [(18, 4), (18, 3), (9, 9), (5, 0)])
def test_the_relation_ranking_is_a_brute_force_loop_over_output_attentions(language_model, smollm2_record, query, key):
    with torch.inference_mode():
        attentions = language_model.model(torch.tensor([smollm2_record.token_ids]), output_attentions=True).attentions
    ranking = relation_ranking(smollm2_record.pattern, query, key)
    assert ranking == brute_force_ranking(attentions, query, key)
    assert len(ranking) == 30 * 9


def test_the_values_are_v_proj_of_each_key_value_head(language_model, smollm2_record):
    """Stored once per key/value head (3 on SmolLM2), from the block's normalized input through its own v_proj."""
    model = language_model.model
    with torch.inference_mode():
        hidden = model(torch.tensor([smollm2_record.token_ids]), output_hidden_states=True).hidden_states
        for layer in (0, 17, 29):
            block = model.model.layers[layer]
            v = block.self_attn.v_proj(block.input_layernorm(hidden[layer]))[0]           # (T, H_kv · d_head)
            expected = v.view(v.shape[0], 3, 64).transpose(0, 1)                         # (H_kv, T, d_head)
            np.testing.assert_allclose(smollm2_record.values[layer], expected.numpy(), atol=1e-5)
    assert smollm2_record.values.shape == (30, 3, len(smollm2_record.token_ids), 64)


def o_proj_inputs(model, token_ids, layer: int) -> torch.Tensor:
    """What layer's o_proj receives, (T, H · d_head): every head's Σ_j a_ij v_j side by side, read with a plain
    forward pre-hook (removed in finally)."""
    seen = {}
    projection = model.model.layers[layer].self_attn.o_proj
    handle = projection.register_forward_pre_hook(lambda module, args: seen.update(x=args[0][0].clone()))
    try:
        with torch.inference_mode():
            model(torch.tensor([token_ids]))
    finally:
        handle.remove()
    return seen["x"]


@pytest.mark.parametrize("layer, head, query", [(18, 6, 18), (16, 3, 10), (0, 8, 4)])
def test_a_heads_write_is_what_o_proj_receives_from_it_through_its_slice(language_model, smollm2_record, layer,
                                                                        head, query):
    model = language_model.model
    write = head_write(model, smollm2_record, layer, head, query)
    mixed = o_proj_inputs(model, list(smollm2_record.token_ids), layer)[query, head * 64:(head + 1) * 64]  # (64,)
    weight = model.model.layers[layer].self_attn.o_proj.weight[:, head * 64:(head + 1) * 64]             # (576, 64)
    torch.testing.assert_close(write.mixed, mixed, rtol=0, atol=2e-5)
    torch.testing.assert_close(write.output, weight @ mixed, rtol=0, atol=1e-4)
    assert write.value_head == head // 3                                 # grouped-query attention: 9 heads, 3 values
    assert float(write.key_shares.sum()) == pytest.approx(float(write.output.norm()), rel=1e-4)
    assert float(write.key_shares[query + 1:].abs().sum()) == 0          # no later key sends anything


def test_the_heads_writes_add_up_to_the_attention_blocks_output(language_model, smollm2_record):
    model, query = language_model.model, 12
    total = sum(head_write(model, smollm2_record, 20, h, query).output for h in range(9))
    seen = {}
    handle = model.model.layers[20].self_attn.register_forward_hook(
        lambda module, args, output: seen.update(x=output[0][0, query].clone()))
    try:
        with torch.inference_mode():
            model(torch.tensor([smollm2_record.token_ids]))
    finally:
        handle.remove()
    torch.testing.assert_close(total, seen["x"], rtol=0, atol=2e-4)


def test_the_write_is_decoded_by_the_models_own_final_norm_and_lm_head(language_model, smollm2_record):
    model = language_model.model
    write = head_write(model, smollm2_record, 16, 3, 10)
    with torch.inference_mode():
        expected = model.lm_head(model.model.norm(write.output))                         # (V,)
    torch.testing.assert_close(write.logits, expected, rtol=0, atol=1e-4)
    assert write.logits.shape == (language_model.vocab_size,)


def test_a_gpt2_heads_write_is_what_c_proj_receives_from_it():
    """GPT-2: one fused c_attn, a Conv1D c_proj (weight (in, out)) with a bias added once for all heads."""
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=100, n_embd=32, n_layer=2, n_head=4,
                                       attn_implementation="eager")).eval()
    ids = [5, 17, 5, 17, 9, 5]
    record = record_attention(model, ids)
    seen = {}
    attention = model.transformer.h[1].attn
    handles = [attention.c_proj.register_forward_pre_hook(lambda module, args: seen.update(mixed=args[0][0].clone())),
               attention.register_forward_hook(lambda module, args, output: seen.update(out=output[0][0].clone()))]
    try:
        with torch.inference_mode():
            model(torch.tensor([ids]))
    finally:
        for handle in handles:
            handle.remove()
    writes = [head_write(model, record, 1, h, 4) for h in range(4)]
    for h, write in enumerate(writes):
        torch.testing.assert_close(write.mixed, seen["mixed"][4, h * 8:(h + 1) * 8], rtol=0, atol=1e-5)
        assert write.value_head == h
    torch.testing.assert_close(sum(w.output for w in writes) + attention.c_proj.bias, seen["out"][4], rtol=0,
                               atol=1e-5)


def test_a_relation_is_refused_in_words():
    assert checked_relation(10, 1, 15) == (10, 1) and checked_relation("4", 4.0, 5) == (4, 4)
    with pytest.raises(ValueError, match=r"key \(position 9\) comes after the query \(position 5\).*causal mask"):
        checked_relation(5, 9, 15)
    with pytest.raises(ValueError, match="query position must be between 0 and 14, got 15"):
        checked_relation(15, 1, 15)
    with pytest.raises(ValueError, match="key position must be a finite number, got nan"):
        checked_relation(3, float("nan"), 15)
    with pytest.raises(ValueError, match="query position must be a whole number"):
        checked_relation(2.5, 1, 15)
