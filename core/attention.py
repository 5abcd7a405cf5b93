"""Attention, read from one forward pass: for every layer and head, the raw scores Q·K/√d (causal mask as -inf),
the pattern softmax(scores), and the values v_j every key offers; then, from that record alone, which heads link two
chosen tokens and what one head writes.

    score_ij = q_i · k_j / √d_head      (j ≤ i)        pattern_i = softmax(score_i)        out_i = Σ_j pattern_ij v_j

Queries and keys are recomputed from the attention module's own input with its own projections (and, for Llama-
style models, its rotary position embedding) at the hook point blocks.{l}.attn.hook_qkv of core/transformer.py.
SmolLM2 uses grouped-query attention: its 9 query heads share 3 key/value heads, so head h reads key/value head h // 3.

What head h adds to the stream at query i is its mixed values through its slice of the output projection,

    o = W_O^h Σ_j a_ij v_j         (d,)        W_O^h = W_O[:, h·d_head:(h+1)·d_head]

and the attention block's output is the sum of its heads' o. Read alone through the final norm and the unembedding,
logits = W_U · norm(o) says which tokens that one write pushes up or down: the logit lens of one head, which ignores
every later layer (they may use the write for something else than the next token).
"""
from dataclasses import dataclass

import numpy as np
import torch

from core.checks import whole
from core.residual import decode
from core.transformer import hooks, layout, output_projection

MAX_TOKENS = 64     # at most 64 tokens are read: L x H patterns of T x T numbers


def masked_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Q·Kᵀ/√d with -inf above the diagonal (a query never sees later tokens). (..., T, d) -> (..., T, T)."""
    T, d = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-1, -2) / d ** 0.5
    future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=q.device), diagonal=1)
    return scores.masked_fill(future, float("-inf"))


@dataclass(frozen=True)
class AttentionRecord:
    token_ids: tuple[int, ...]
    scores: np.ndarray         # (L, H, T, T) float32, -inf where masked
    pattern: np.ndarray        # (L, H, T, T) the model's own attention weights (output_attentions)
    values: np.ndarray         # (L, H_kv, T, d_head) v_j of each key/value head; query head h reads h // (H / H_kv)


@torch.inference_mode()
def record_attention(model, token_ids: list[int]) -> AttentionRecord:
    """One forward pass with output_attentions, Q/K/V read through hooks. Only what the attention view shows is
    computed: the pass runs the transformer body (model.base_model), not the unembedding W_U, whose 49,152 logits
    per position the view never reads (on SmolLM2 that is a fifth of a full forward pass)."""
    input_ids = torch.tensor([token_ids], device=model.device)                      # (1, T)
    captured: list = [None] * len(layout(model).blocks)                             # (q, k, v) per layer

    def keep(layer):
        def save(qkv):
            captured[layer] = qkv
        return save

    with hooks(model, {f"blocks.{l}.attn.hook_qkv": keep(l) for l in range(len(captured))}):
        out = model.base_model(input_ids, output_attentions=True)
    pattern = torch.stack([a[0] for a in out.attentions]).float().cpu()           # (L, H, T, T)
    scores = torch.stack([masked_scores(q[0], k[0]) for q, k, _ in captured]).float().cpu()
    H = pattern.shape[1]
    group = H // (getattr(model.config, "num_key_value_heads", None) or H)        # query heads per key/value head
    # the hook repeats each key/value head `group` times (one copy per query head): keep one copy of each
    values = torch.stack([v[0, ::group] for _, _, v in captured]).float().cpu()   # (L, H_kv, T, d_head)
    return AttentionRecord(tuple(token_ids), scores.numpy(), pattern.numpy(), values.numpy())


def head_statistics(pattern: np.ndarray, token_ids: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Scores that help find head types, each (L, H):
    entropy (bits, mean over queries), previous-token weight, first-token weight (attention sink), and induction
    (weight on the token right after an earlier copy of the current token; NaN if no token repeats)."""
    L, H, T, _ = pattern.shape
    p = pattern.astype(np.float64)
    entropy = -(p * np.log2(np.clip(p, 1e-300, None))).sum(-1).mean(-1)
    rows = np.arange(1, T)
    previous = p[:, :, rows, rows - 1].mean(-1) if T > 1 else np.full((L, H), np.nan)
    first = p[:, :, rows, 0].mean(-1) if T > 1 else np.full((L, H), np.nan)
    ids = np.asarray(token_ids)
    induction_mask = np.zeros((T, T), dtype=bool)            # [i, j]: token j follows an earlier copy of token i
    for i in range(T):
        for j in range(1, i + 1):
            if ids[j - 1] == ids[i]:
                induction_mask[i, j] = True
    queries = induction_mask.any(axis=1)
    if queries.any():
        induction = (p * induction_mask).sum(-1)[:, :, queries].mean(-1)
    else:
        induction = np.full((L, H), np.nan)
    return {"entropy": entropy, "previous_token": previous, "first_token": first, "induction": induction}


def most_focused_query(pattern: np.ndarray) -> int:
    """The query (row of one head's (T, T) pattern) that puts the most weight on a single token other than the first:
    where the head's own behaviour shows best, since most heads park their spare weight on token 0 (the sink)."""
    T = pattern.shape[0]
    if T < 2:
        return 0
    beyond_first = np.tril(pattern, 0)[1:, 1:]                    # (T-1, T-1): queries 1.., keys 1..
    return int(np.argmax(beyond_first.max(axis=1))) + 1


def checked_relation(query, key, n_tokens: int) -> tuple[int, int]:
    """A (query position, key position) pair of a prompt of n_tokens, the key at or before the query."""
    query = whole("query position", query, 0, n_tokens - 1)
    key = whole("key position", key, 0, n_tokens - 1)
    if key > query:
        raise ValueError(f"The key (position {key}) comes after the query (position {query}): a token attends only to "
                         f"itself and earlier tokens (the causal mask). Pick a key at position {query} or before.")
    return query, key


def relation_ranking(pattern: np.ndarray, query: int, key: int) -> list[tuple[int, int, float]]:
    """Every head (layer, head, a[query, key]) ranked by how much the query attends to the key, largest first; ties
    keep the (layer, head) order. pattern: (L, H, T, T)."""
    weights = pattern[:, :, query, key]                                           # (L, H)
    order = np.argsort(-weights, axis=None, kind="stable")
    layers, heads = np.unravel_index(order, weights.shape)
    return [(int(l), int(h), float(weights[l, h])) for l, h in zip(layers, heads)]


@dataclass(frozen=True)
class HeadWrite:
    value_head: int              # the key/value head this query head reads (grouped-query attention)
    mixed: torch.Tensor          # (d_head,) Σ_j a_ij v_j: the values, mixed by the query's weights
    output: torch.Tensor         # (d,) o = W_O^h Σ_j a_ij v_j: what the head adds to the stream at the query
    key_shares: torch.Tensor     # (T,) (W_O^h a_ij v_j) · o/|o|: each key's part of |o|; they sum to |o|
    logits: torch.Tensor         # (V,) W_U · norm(o): the write read alone through the final norm and W_U


@torch.inference_mode()
def head_write(model, record: AttentionRecord, layer: int, head: int, query: int) -> HeadWrite:
    """What one head writes at one query, from the recorded pattern and values (no forward pass), decoded alone."""
    H = record.pattern.shape[1]
    value_head = head // (H // record.values.shape[1])                           # GQA: h reads value head h // group
    weights = torch.from_numpy(record.pattern[layer, head, query])               # (T,) a_ij, 0 after the query
    values = torch.from_numpy(record.values[layer, value_head])                  # (T, d_head) v_j
    d_head = values.shape[1]
    w_o = output_projection(layout(model).attentions[layer]).float().cpu()[:, head * d_head:(head + 1) * d_head]
    mixed = weights @ values                                                     # (d_head,) Σ_j a_ij v_j
    output = w_o @ mixed                                                         # (d,) o = W_O^h Σ_j a_ij v_j
    sent = (weights[:, None] * values) @ w_o.T                                   # (T, d) W_O^h a_ij v_j, per key
    key_shares = sent @ output / output.norm().clamp_min(1e-12)                  # (T,) sums to |o|
    return HeadWrite(value_head, mixed, output, key_shares, decode(model, output))
