"""The residual stream, read from one forward pass: what every block writes into it, what it says if decoded early
(the logit lens), and how much each block pushes the target's logit (direct logit attribution).

    x_0 = embedding        x_(l+1) = x_l + attn_l(x_l) + mlp_l(x_l + attn_l(x_l))        logits = W_U · norm(x_L)

Each block adds to the stream and never replaces it, so the final stream is the embedding plus every block's
writes. The final norm is not linear: it divides by the stream's size (RMS for SmolLM2's RMSNorm, standard deviation
for GPT-2's LayerNorm). Holding that scale at its value for the full stream x_L makes the readout linear, so

    logit_t = e·d + Σ_l attn_l·d + Σ_l mlp_l·d (+ the norm's bias·W_U[t]),   d = g ⊙ W_U[t] / rms(x_L)

exactly (for LayerNorm, d is also centred: each write's mean is removed before scaling). Activations are read
through the named hook points of core/transformer.py (blocks.{l}.attn, blocks.{l}.mlp, blocks.{l}.hook_resid_post).
"""
import math
from dataclasses import dataclass

import torch

from core.tokens import next_word_tokens
from core.transformer import hooks, layout

MAX_TOKENS = 32     # prompts of at most 32 tokens: every layer is decoded at every position


@dataclass(frozen=True)
class ResidualRecord:
    token_ids: tuple[int, ...]
    embedding: torch.Tensor      # (T, d) the stream before block 0 (GPT-2: token + position embeddings)
    attention: torch.Tensor      # (L, T, d) what each attention block adds
    mlp: torch.Tensor            # (L, T, d) what each MLP block adds
    mlp_input: torch.Tensor      # (L, T, d) each MLP's (normalized) input, for reading its neurons
    stream: torch.Tensor         # (L, T, d) the stream after each block (hook_resid_post)
    logits: torch.Tensor         # (T, V) the model's own output


@torch.inference_mode()
def record_residual(model, token_ids: list[int], replace_at: int | None = None) -> ResidualRecord:
    """One forward pass; every block's writes captured through hooks. With replace_at = l, block l replaces the
    stream instead of adding to it: x_(l+1) = attn_l + mlp_l (x_l dropped), every other block as trained."""
    parts = layout(model)
    L = len(parts.blocks)
    store: dict[str, torch.Tensor] = {}

    def keep(name):
        def save(x):
            store[name] = x[0].detach().float().clone()                   # (T, d)
        return save

    reads = {"blocks.0.hook_resid_pre": keep("embed")}
    for l in range(L):
        reads |= {f"blocks.{l}.{part}": keep(f"{part}{l}") for part in ("attn", "hook_mlp_in", "mlp", "hook_resid_post")}
    if replace_at is not None:
        reads |= replacing(replace_at, reads[f"blocks.{replace_at}.hook_resid_post"],
                           reads.get(f"blocks.{replace_at}.hook_resid_pre"))
    input_ids = torch.tensor([token_ids], device=model.device)            # (1, T)
    with hooks(model, reads):
        logits = model(input_ids).logits[0].float()                        # (T, V)

    def stack(part):
        return torch.stack([store[f"{part}{l}"] for l in range(L)]).cpu()  # (L, T, d)

    return ResidualRecord(tuple(token_ids), store["embed"].cpu(), stack("attn"), stack("mlp"), stack("hook_mlp_in"),
                          stack("hook_resid_post"), logits.cpu())


def replacing(layer: int, after_read, before_read=None) -> dict:
    """Hooks that make block `layer` replace the stream: its input x_l is kept, then subtracted in place from its
    output x_l + attn_l + mlp_l before anything reads it (after_read, before_read: the reads already there)."""
    kept = {}

    def keep_input(x):
        kept["x"] = x.clone()
        if before_read is not None:
            before_read(x)

    def drop_input(x):
        x.sub_(kept["x"])                                                  # x_(l+1) = attn_l + mlp_l
        after_read(x)
    return {f"blocks.{layer}.hook_resid_pre": keep_input, f"blocks.{layer}.hook_resid_post": drop_input}


def streams(record: ResidualRecord) -> torch.Tensor:
    """The stream before block 0 and after every block: (L + 1, T, d)."""
    return torch.cat([record.embedding[None], record.stream])


@torch.inference_mode()
def decode(model, hidden: torch.Tensor) -> torch.Tensor:
    """Logit lens: any stream vector read as if it were the last one, through the final norm and W_U. (..., d) -> (..., V)."""
    parts = layout(model)
    return parts.unembedding(parts.final_norm(hidden.to(model.device))).float().cpu()


@dataclass(frozen=True)
class Lens:
    """The stream decoded after the embedding and after every block (rows) at every position (columns)."""
    target_probability: torch.Tensor     # (L + 1, T) p(target)
    target_rank: torch.Tensor            # (L + 1, T) 1 + how many tokens have a larger logit than the target
    top_id: torch.Tensor                 # (L + 1, T) the likeliest token in each cell
    top_probability: torch.Tensor        # (L + 1, T) its probability
    entropy: torch.Tensor                # (L + 1, T) of the decoded distribution, in bits
    top_ids: torch.Tensor                # (L + 1, k) the k likeliest tokens at the last position
    top_probabilities: torch.Tensor      # (L + 1, k)


def read_cells(logits: torch.Tensor, target: int) -> dict[str, torch.Tensor]:
    """One layer of the lens: from decoded logits (T, V), each position's top token, its probability, the
    entropy H = -Σ p log2 p, and the target's probability and rank. Each (T,)."""
    probabilities = logits.softmax(-1)                                     # (T, V)
    top_probability, top_id = probabilities.max(-1)
    entropy = -(probabilities * logits.log_softmax(-1)).sum(-1) / math.log(2)
    rank = (logits > logits[:, target, None]).sum(-1) + 1                 # rank 1 = the top token
    return {"target_probability": probabilities[:, target], "target_rank": rank, "top_id": top_id,
            "top_probability": top_probability, "entropy": entropy}


def logit_lens(model, record: ResidualRecord, target: int, k: int = 5) -> Lens:
    """Every layer decoded at every position (the whole grid), and the top k at the last position."""
    cells, tops = [], []
    for hidden in streams(record):                                         # (T, d): one layer at a time, bounded memory
        logits = decode(model, hidden)                                     # (T, V)
        cells.append(read_cells(logits, target))
        tops.append(logits[-1].softmax(-1).topk(k))
    grid = {name: torch.stack([c[name] for c in cells]) for name in cells[0]}      # each (L + 1, T)
    return Lens(**grid, top_ids=torch.stack([t.indices for t in tops]),
                top_probabilities=torch.stack([t.values for t in tops]))


def write_norms(record: ResidualRecord) -> dict[str, torch.Tensor]:
    """|what each block adds| and |the stream| at every position: attention (L, T), mlp (L, T), stream (L + 1, T)."""
    return {"attention": record.attention.norm(dim=-1), "mlp": record.mlp.norm(dim=-1),
            "stream": streams(record).norm(dim=-1)}


def readout_direction(model, final_stream: torch.Tensor, target: int) -> tuple[torch.Tensor, float]:
    """d such that c·d is write c's share of the target's logit, the final norm's scale held at its value for the
    full stream x_L (d,); and the norm's bias term (0 for RMSNorm). float64."""
    parts = layout(model)
    norm = parts.final_norm
    x = final_stream.double()                                              # (d,)
    unembed = parts.unembedding.weight[target].double().cpu()              # (d,) W_U[target]
    gain = norm.weight.double().cpu()                                      # (d,) g
    if isinstance(norm, torch.nn.LayerNorm):                               # GPT-2: (c - mean c) / std(x_L) * g + b
        scale = 1 / torch.sqrt(x.var(unbiased=False) + norm.eps)
        direction = gain * unembed * scale
        direction = direction - direction.mean()                           # centring each write is linear too
        bias = float(norm.bias.double().cpu() @ unembed) if norm.bias is not None else 0.0
    else:                                                                  # RMSNorm: c / rms(x_L) * g
        eps = getattr(norm, "variance_epsilon", getattr(norm, "eps", 1e-6))
        direction = gain * unembed / torch.sqrt(x.pow(2).mean() + eps)
        bias = 0.0
    head_bias = parts.unembedding.bias
    return direction, bias + (float(head_bias[target]) if head_bias is not None else 0.0)


@dataclass(frozen=True)
class Attribution:
    embedding: float             # the embedding's share of the target's logit
    attention: torch.Tensor      # (L,) each attention block's share
    mlp: torch.Tensor            # (L,) each MLP block's share
    bias: float                  # the final norm's bias term (0 for RMSNorm)
    logit: float                 # the model's own logit for the target, at the last position

    @property
    def total(self) -> float:
        return self.embedding + float(self.attention.sum() + self.mlp.sum()) + self.bias


def direct_logit_attribution(model, record: ResidualRecord, target: int, position: int = -1) -> Attribution:
    """How much each block's write at `position` pushes the target's logit up or down (frozen final-norm scale)."""
    direction, bias = readout_direction(model, record.stream[-1, position], target)
    return Attribution(float(record.embedding[position].double() @ direction),
                       record.attention[:, position].double() @ direction, record.mlp[:, position].double() @ direction,
                       bias, float(record.logits[position, target]))


def target_token(tokenizer, prompt: str, target: str) -> tuple[int, str]:
    """The token id of the target as the next word of the prompt (a leading space is added unless the prompt ends
    in one), and a note when the target is several tokens: its first token is used."""
    ids = next_word_tokens(tokenizer, prompt, target, "Type a target: the word the model should say next, e.g. Paris.")
    note = "" if len(ids) == 1 else (f"The target {target.strip()!r:.40} is {len(ids)} tokens; its first token "
                                     f"{tokenizer.decode(ids[:1])!r} is used.")
    return ids[0], note
