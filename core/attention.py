"""Attention, read from one forward pass: for every layer and head, the raw scores Q·K/√d (causal mask as -inf),
the pattern softmax(scores), and the size |V| of what each position sends.

    score_ij = q_i · k_j / √d_head      (j ≤ i)        pattern_i = softmax(score_i)        out_i = Σ_j pattern_ij v_j

Queries and keys are recomputed from the attention module's own input with its own projections (and, for Llama-
style models, its rotary position embedding), through hooks that are always removed. SmolLM2 uses grouped-query
attention: its 9 query heads share 3 key/value heads, so head h reads key/value head h // 3.
"""
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

MAX_TOKENS = 64     # prompts are cut to their first 64 tokens in this panel


def attention_modules(model) -> list[torch.nn.Module]:
    if hasattr(model, "model") and hasattr(model.model, "layers"):          # Llama-style (SmolLM2)
        return [layer.self_attn for layer in model.model.layers]
    if hasattr(model, "transformer") and hasattr(model.transformer, "h"):   # GPT-2
        return [block.attn for block in model.transformer.h]
    raise ValueError(f"Unsupported architecture {type(model).__name__}: the attention viewer reads Llama- and "
                     "GPT-2-style models.")


def queries_keys_values(module, hidden: torch.Tensor, position_embeddings) -> tuple[torch.Tensor, ...]:
    """q (B, H, T, d), k and v (B, H, T, d) with key/value heads repeated for grouped-query attention."""
    if hasattr(module, "q_proj"):                                          # Llama: separate projections + rotary
        from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

        B, T, _ = hidden.shape
        d = module.head_dim
        q = module.q_proj(hidden).view(B, T, -1, d).transpose(1, 2)        # (B, H, T, d)
        k = module.k_proj(hidden).view(B, T, -1, d).transpose(1, 2)        # (B, H_kv, T, d)
        v = module.v_proj(hidden).view(B, T, -1, d).transpose(1, 2)        # (B, H_kv, T, d)
        cos, sin = position_embeddings
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        group = q.shape[1] // k.shape[1]                                   # query heads per key/value head
        return q, k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    B, T, C = hidden.shape                                                 # GPT-2: one fused projection
    q, k, v = module.c_attn(hidden).split(C, dim=2)
    H = module.num_heads
    return tuple(x.view(B, T, H, C // H).transpose(1, 2) for x in (q, k, v))


@contextmanager
def capture_qkv(model):
    """Within the block, each attention module's (q, k, v) of the last forward pass is in the yielded list."""
    captured: list = [None] * len(attention_modules(model))
    handles = []

    def hook_for(layer):
        def hook(module, args, kwargs):
            hidden = kwargs.get("hidden_states", args[0] if args else None)
            captured[layer] = queries_keys_values(module, hidden, kwargs.get("position_embeddings"))
        return hook

    try:
        for layer, module in enumerate(attention_modules(model)):
            handles.append(module.register_forward_pre_hook(hook_for(layer), with_kwargs=True))
        yield captured
    finally:
        for handle in handles:                                             # always removed, even on error
            handle.remove()


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
    """One forward pass with output_attentions, Q/K/V read through hooks."""
    input_ids = torch.tensor([token_ids], device=model.device)                      # (1, T)
    with capture_qkv(model) as captured:
        out = model(input_ids, output_attentions=True)
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
            if ids[j - 1] == ids[i] and j - 1 < i:
                induction_mask[i, j] = True
    queries = induction_mask.any(axis=1)
    if queries.any():
        induction = (p * induction_mask).sum(-1)[:, :, queries].mean(-1)
    else:
        induction = np.full((L, H), np.nan)
    return {"entropy (bits)": entropy, "previous token": previous, "first token (sink)": first,
            "induction": induction}


def most_focused_query(pattern: np.ndarray) -> int:
    """The query (row of one head's (T, T) pattern) that puts the most weight on a single token other than the first:
    where the head's own behaviour shows best, since most heads park their spare weight on token 0 (the sink)."""
    T = pattern.shape[0]
    if T < 2:
        return 0
    beyond_first = np.tril(pattern, 0)[1:, 1:]                    # (T-1, T-1): queries 1.., keys 1..
    return int(np.argmax(beyond_first.max(axis=1))) + 1
