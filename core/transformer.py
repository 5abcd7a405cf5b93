"""The one place that knows model families: where each part of a decoder-only transformer lives (Llama-style such
as SmolLM2, or GPT-2), and named hook points on it, as TransformerLens names them. Attention, the residual stream,
MLP neurons and causal tracing all read the model through this layer.

    hook_embed                  the token embedding's output (GPT-2 adds position embeddings after it)
    blocks.{l}.hook_resid_pre   the stream entering block l                                    (B, T, d)
    blocks.{l}.attn             what attention block l adds to the stream                      (B, T, d)
    blocks.{l}.attn.hook_qkv    block l's queries, keys and values, each (B, H, T, d_head), rotary positions
                                applied and key/value heads repeated for grouped-query attention (read only)
    blocks.{l}.hook_mlp_in      MLP l's input (the stream after attention, normalized)          (B, T, d)
    blocks.{l}.mlp.hook_post    MLP l's hidden activations, the input of its down-projection W_down  (B, T, d_mlp)
    blocks.{l}.mlp              what MLP l adds to the stream                                  (B, T, d)
    blocks.{l}.hook_resid_post  the stream after block l                                       (B, T, d)

`hooks(model, {name: fn})` calls fn(activation) at each named point for the duration of a `with` block, and always
removes the hooks, even on error. fn may change the activation in place (that is how causal tracing restores one).
A hook acts only on the thread that attached it: a request that edits or steers the shared model never changes what
another request running at the same time computes.
"""
import threading
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
    down_projections: list              # mlps[l]'s W_down (keys -> values): Llama's down_proj, GPT-2's c_proj
    final_norm: torch.nn.Module         # RMSNorm (SmolLM2) or LayerNorm (GPT-2)
    unembedding: torch.nn.Module        # lm_head: W_U (tied to W_E in SmolLM2 and GPT-2)
    rotary: torch.nn.Module | None = None   # Llama's rotary position embedding (GPT-2 adds positions at the input)


def layout(model) -> Layout:
    if hasattr(model, "model") and hasattr(model.model, "layers"):          # Llama-style (SmolLM2)
        body = model.model
        return Layout(body.embed_tokens, list(body.layers), [b.self_attn for b in body.layers],
                      [b.mlp for b in body.layers], [b.mlp.down_proj for b in body.layers], body.norm, model.lm_head,
                      body.rotary_emb)
    if hasattr(model, "transformer") and hasattr(model.transformer, "h"):   # GPT-2
        body = model.transformer
        return Layout(body.wte, list(body.h), [b.attn for b in body.h], [b.mlp for b in body.h],
                      [b.mlp.c_proj for b in body.h], body.ln_f, model.lm_head)
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


def output_projection(attention) -> torch.Tensor:
    """An attention module's W_O as a (d, H·d_head) matrix: query head h's mixed values Σ_j a_ij v_j (d_head,) are
    written to the stream through its columns W_O[:, h·d_head:(h+1)·d_head]. Llama's o_proj is an nn.Linear (weight:
    (out, in)); GPT-2's c_proj a Conv1D (weight: (in, out)), whose bias is added once for all heads, not per head."""
    if hasattr(attention, "o_proj"):
        return attention.o_proj.weight                                     # (d, H·d_head)
    return attention.c_proj.weight.T                                       # (d, H·d_head)


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
    for l, (block, attention, mlp, down) in enumerate(zip(parts.blocks, parts.attentions, parts.mlps,
                                                          parts.down_projections)):
        points |= {f"blocks.{l}.hook_resid_pre": HookPoint(block, "input"),
                   f"blocks.{l}.attn": HookPoint(attention, "output"),
                   f"blocks.{l}.attn.hook_qkv": HookPoint(attention, "qkv"),
                   f"blocks.{l}.hook_mlp_in": HookPoint(mlp, "input"),
                   f"blocks.{l}.mlp.hook_post": HookPoint(down, "input"),
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
    owner = threading.get_ident()

    def on_this_thread(fn):
        def run(activation):
            if threading.get_ident() == owner:
                fn(activation)
        return run

    handles = []
    try:
        for name, fn in fns.items():
            handles.append(attach(points[name], on_this_thread(fn)))
        yield
    finally:
        for handle in handles:                                             # always removed, even on error
            handle.remove()


def right_padded(texts: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T) ids and attention mask; right padding leaves every real token's positions unchanged."""
    T = max(len(t) for t in texts)
    ids = torch.tensor([t + [pad] * (T - len(t)) for t in texts])
    mask = torch.tensor([[1] * len(t) + [0] * (T - len(t)) for t in texts])
    return ids, mask


class _Stop(Exception):
    """Raised by run_to's hook once it has the activation: the blocks above are never run."""


@torch.inference_mode()
def run_to(model, name: str, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """The activation at one named hook point for a batch (B, T) -> (B, T, ...), the model run only up to it (ROME's
    nethook stops a pass the same way)."""
    seen = {}

    def read(activation):
        seen["x"] = activation.float()
        raise _Stop

    try:
        with hooks(model, {name: read}):
            model(input_ids.to(model.device), attention_mask=None if attention_mask is None else
                  attention_mask.to(model.device))
    except _Stop:
        pass
    return seen["x"].cpu()
