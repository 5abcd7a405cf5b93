"""The one place that knows model families: where each part of a decoder-only transformer lives (Llama-style such
as SmolLM2, or GPT-2), and named hook points on it, as TransformerLens names them. Attention, the residual stream,
MLP neurons and causal tracing all read the model through this layer.

    hook_embed                  the token embedding's output (GPT-2 adds position embeddings after it)
    blocks.{l}.hook_resid_pre   the stream entering block l                                    (B, T, d)
    blocks.{l}.attn             what attention block l adds to the stream                      (B, T, d)
    blocks.{l}.attn.hook_qkv    block l's queries, keys and values, each (B, H, T, d_head), rotary positions
                                applied and key/value heads repeated for grouped-query attention (read only)
    blocks.{l}.hook_mlp_in      MLP l's input (the stream after attention, normalized)          (B, T, d)
    blocks.{l}.mlp              what MLP l adds to the stream                                  (B, T, d)
    blocks.{l}.hook_resid_post  the stream after block l                                       (B, T, d)

`hooks(model, {name: fn})` calls fn(activation) at each named point for the duration of a `with` block, and always
removes the hooks, even on error. fn may change the activation in place (that is how causal tracing restores one).
"""
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import torch


@dataclass(frozen=True)
class Layout:
    """Where each part of a decoder-only transformer lives."""
    embedding: torch.nn.Module          # token embedding W_E
    blocks: list                        # the L transformer blocks, in order
    attentions: list                    # blocks[l]'s attention module (output: (attn_out, weights))
    mlps: list                          # blocks[l]'s MLP module
    final_norm: torch.nn.Module         # RMSNorm (SmolLM2) or LayerNorm (GPT-2)
    unembedding: torch.nn.Module        # lm_head: W_U (tied to W_E in SmolLM2 and GPT-2)
    rotary: torch.nn.Module | None = None   # Llama's rotary position embedding (GPT-2 adds positions at the input)


def layout(model) -> Layout:
    if hasattr(model, "model") and hasattr(model.model, "layers"):          # Llama-style (SmolLM2)
        body = model.model
        return Layout(body.embed_tokens, list(body.layers), [b.self_attn for b in body.layers],
                      [b.mlp for b in body.layers], body.norm, model.lm_head, body.rotary_emb)
    if hasattr(model, "transformer") and hasattr(model.transformer, "h"):   # GPT-2
        body = model.transformer
        return Layout(body.wte, list(body.h), [b.attn for b in body.h], [b.mlp for b in body.h], body.ln_f,
                      model.lm_head)
    raise ValueError(f"Unsupported architecture {type(model).__name__}: this app reads Llama- and "
                     "GPT-2-style models.")


def queries_keys_values(attention, hidden: torch.Tensor, position_embeddings) -> tuple[torch.Tensor, ...]:
    """An attention module's q, k, v from its input hidden (B, T, d): each (B, H, T, d_head), with the key/value
    heads repeated for grouped-query attention (query head h reads key/value head h // (H / H_kv))."""
    if hasattr(attention, "q_proj"):                                       # Llama: separate projections + rotary
        from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

        B, T, _ = hidden.shape
        d = attention.head_dim
        q = attention.q_proj(hidden).view(B, T, -1, d).transpose(1, 2)     # (B, H, T, d)
        k = attention.k_proj(hidden).view(B, T, -1, d).transpose(1, 2)     # (B, H_kv, T, d)
        v = attention.v_proj(hidden).view(B, T, -1, d).transpose(1, 2)     # (B, H_kv, T, d)
        cos, sin = position_embeddings
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        group = q.shape[1] // k.shape[1]                                   # query heads per key/value head
        return q, k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    B, T, C = hidden.shape                                                 # GPT-2: one fused projection
    q, k, v = attention.c_attn(hidden).split(C, dim=2)
    H = attention.num_heads
    return tuple(x.view(B, T, H, C // H).transpose(1, 2) for x in (q, k, v))


def first(output) -> torch.Tensor:
    """The activation a module returns (attention modules return (output, weights))."""
    return output[0] if isinstance(output, tuple) else output


def hidden_input(args, kwargs) -> torch.Tensor:
    """A module's input stream, whether it was passed by position or by name."""
    return kwargs["hidden_states"] if "hidden_states" in kwargs else args[0]


@dataclass(frozen=True)
class HookPoint:
    module: torch.nn.Module
    reads: str                   # "output": the module's output; "input": its input; "qkv": q, k, v from its input


def hook_points(model) -> dict[str, HookPoint]:
    """Every hook point of the model, by name (see the module's docstring)."""
    parts = layout(model)
    points = {"hook_embed": HookPoint(parts.embedding, "output")}
    for l, (block, attention, mlp) in enumerate(zip(parts.blocks, parts.attentions, parts.mlps)):
        points |= {f"blocks.{l}.hook_resid_pre": HookPoint(block, "input"),
                   f"blocks.{l}.attn": HookPoint(attention, "output"),
                   f"blocks.{l}.attn.hook_qkv": HookPoint(attention, "qkv"),
                   f"blocks.{l}.hook_mlp_in": HookPoint(mlp, "input"),
                   f"blocks.{l}.mlp": HookPoint(mlp, "output"),
                   f"blocks.{l}.hook_resid_post": HookPoint(block, "output")}
    return points


def attach(point: HookPoint, fn: Callable):
    """Register fn on the point's module; returns the handle."""
    if point.reads == "output":
        return point.module.register_forward_hook(lambda module, args, output: fn(first(output)))
    if point.reads == "input":
        return point.module.register_forward_pre_hook(lambda module, args, kwargs: fn(hidden_input(args, kwargs)),
                                                      with_kwargs=True)
    return point.module.register_forward_pre_hook(                                        # "qkv"
        lambda module, args, kwargs: fn(queries_keys_values(module, hidden_input(args, kwargs),
                                                            kwargs.get("position_embeddings"))), with_kwargs=True)


@contextmanager
def hooks(model, fns: dict[str, Callable]):
    """Within the block, fn(activation) runs at each named hook point; the hooks are always removed."""
    points = hook_points(model)
    unknown = [name for name in fns if name not in points]
    if unknown:
        raise ValueError(f"Unknown hook point {unknown[0]!r}; the model has e.g. blocks.0.attn, blocks.0.mlp.")
    handles = []
    try:
        for name, fn in fns.items():
            handles.append(attach(points[name], fn))
        yield
    finally:
        for handle in handles:                                             # always removed, even on error
            handle.remove()
