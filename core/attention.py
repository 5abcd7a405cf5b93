"""Attention, read from one forward pass: for every layer and head, the raw scores Q·K/√d (causal mask as -inf),
the pattern softmax(scores), and the size |V| of what each position sends.

    score_ij = q_i · k_j / √d_head      (j ≤ i)        pattern_i = softmax(score_i)        out_i = Σ_j pattern_ij v_j

Queries and keys are recomputed from the attention module's own input with its own projections (and, for Llama-
style models, its rotary position embedding) at the hook point blocks.{l}.attn.hook_qkv of core/transformer.py.
SmolLM2 uses grouped-query attention: its 9 query heads share 3 key/value heads, so head h reads key/value head h // 3.
"""
from dataclasses import dataclass

import numpy as np
import torch

from core.transformer import hooks, layout

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
    value_norms: np.ndarray    # (L, H, T) |v_j| for the value head each query head reads


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
    value_norms = torch.stack([v[0].norm(dim=-1) for _, _, v in captured]).float().cpu()  # (L, H, T)
    return AttentionRecord(tuple(token_ids), scores.numpy(), pattern.numpy(), value_norms.numpy())


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
