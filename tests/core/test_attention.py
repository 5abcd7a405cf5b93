"""Attention read from the model: the pattern is the model's own output_attentions, the recomputed scores
(hooked queries and keys after rotary embedding, GQA heads repeated) reproduce it, hooks are always removed."""
import numpy as np
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from core.attention import head_statistics, masked_scores, most_focused_query, record_attention
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
