"""Cross-attention (knowledge map: U-Net Denoising: "text prompt guides via cross-attention: queries from image,
keys/values from the CLIP text embedding"): where in the latent each word of the prompt is read.

In every transformer block of a text-conditioned U-Net, the latent's positions ask and the prompt's tokens answer:

    Q = W_Q · h  (one row per latent position)     K = W_K · c,  V = W_V · c  (one row per prompt token)
    A = softmax(Q Kᵀ / √d)   (positions x tokens; each row sums to 1)        out = A V

A's column for a word, laid back on the latent grid, is that word's map. DAAM (Tang et al. 2022) averages these maps
over heads, blocks and sampling steps, each upsampled to one grid; so do cross_attention_maps.
"""
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch


@dataclass
class AttentionRecord:
    """What the recording processors saw: per call, the block's name and A (B, heads, positions, tokens)."""
    thread: int
    calls: list = field(default_factory=list)


class RecordingCrossAttention:
    """A diffusers attention processor for the cross-attention layers (attn2), written out: the same output as
    diffusers' own processors, with A kept for the caller's thread only (other threads' passes are unchanged).
    keep_grad: A is kept as it is, in the autograd graph (training on it); otherwise a detached float copy on CPU."""

    def __init__(self, name: str, record: AttentionRecord, keep_grad: bool = False):
        self.name, self.record, self.keep_grad = name, record, keep_grad

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, **kwargs):
        B, N, _ = hidden_states.shape                                                   # N = h * w positions
        context = hidden_states if encoder_hidden_states is None else encoder_hidden_states
        if attn.norm_cross and encoder_hidden_states is not None:
            context = attn.norm_encoder_hidden_states(context)
        q = attn.head_to_batch_dim(attn.to_q(hidden_states))                            # (B*heads, N, d)
        k = attn.head_to_batch_dim(attn.to_k(context))                                  # (B*heads, L, d)
        v = attn.head_to_batch_dim(attn.to_v(context))                                  # (B*heads, L, d)
        mask = attn.prepare_attention_mask(attention_mask, context.shape[1], B)
        probabilities = attn.get_attention_scores(q, k, mask)                           # (B*heads, N, L), softmax
        if threading.get_ident() == self.record.thread:
            kept = probabilities.view(B, attn.heads, N, -1)
            self.record.calls.append((self.name, kept if self.keep_grad else kept.detach().float().cpu()))
        out = attn.batch_to_head_dim(torch.bmm(probabilities, v))                       # (B, N, heads*d)
        out = attn.to_out[1](attn.to_out[0](out))
        if attn.residual_connection:
            out = out + hidden_states
        return out / attn.rescale_output_factor


@contextmanager
def recording_cross_attention(unet, keep_grad: bool = False):
    """Inside the block, every cross-attention layer (attn2) of the U-Net records A for this thread; the original
    processors are put back in `finally`."""
    originals = unet.attn_processors                                                    # {name: processor}
    record = AttentionRecord(threading.get_ident())
    unet.set_attn_processor({name: RecordingCrossAttention(name, record, keep_grad) if ".attn2." in name else processor
                             for name, processor in originals.items()})
    try:
        yield record
    finally:
        unet.set_attn_processor(originals)


def cross_attention_maps(calls: list, side: int, rows: slice | None = None) -> torch.Tensor:
    """DAAM's aggregate: each call's A averaged over heads (and over the batch rows `rows`, e.g. the conditional
    half of a guided batch), laid on its grid, bilinearly upsampled to side x side, averaged over calls.
    Returns (tokens, side, side); at every position the tokens' values sum to 1, as each A's rows do."""
    total = None
    for _, probabilities in calls:                                                      # (B, heads, N, L)
        a = probabilities[rows] if rows is not None else probabilities
        a = a.mean(dim=(0, 1))                                                          # (N, L)
        grid = int(round(a.shape[0] ** 0.5))
        a = a.T.reshape(1, -1, grid, grid)                                              # (1, L, g, g)
        a = torch.nn.functional.interpolate(a, size=(side, side), mode="bilinear", align_corners=False)[0]
        total = a if total is None else total + a
    if total is None:
        raise ValueError("no cross-attention was recorded: the U-Net has no attn2 layers")
    return total / len(calls)


def more_on_left(maps: torch.Tensor) -> torch.Tensor:
    """Maps (..., h, w) -> (...) bools: is a map's mass on the left half of its columns larger than on the right?"""
    half = maps.shape[-1] // 2
    return maps[..., :half].sum(dim=(-2, -1)) > maps[..., half:].sum(dim=(-2, -1))


def left_shares(probabilities: torch.Tensor) -> torch.Tensor:
    """How much of each token's attention mass lies on the left half of the grid: A (B, heads, N, L), N = g x g
    positions row by row -> (B, L), the share Σ_{columns < g/2} A / Σ_all A (heads averaged first)."""
    B, _, N, L = probabilities.shape
    grid = int(round(N ** 0.5))
    columns = probabilities.mean(1).reshape(B, grid, grid, L).sum(1)                  # (B, g columns, L)
    return columns[:, :grid // 2].sum(1) / columns.sum(1)


def grounding_loss(calls: list, rows: torch.Tensor, tokens: torch.Tensor, left: torch.Tensor) -> torch.Tensor:
    """The token loss of TokenCompose (Wang et al., CVPR 2024; their masks come from a segmenter, ours are the
    digit's half of the picture): for each grounded word (batch row, token index, whether its digit is on the
    left) and each cross-attention layer, (1 - the share of the word's attention mass on its own half)², averaged
    (TokenCompose squares after averaging over the batch). 0 when every word is read only where its digit is;
    0.25 when the maps are flat."""
    if len(rows) == 0:
        return torch.zeros(())
    terms = []
    for _, probabilities in calls:                                                      # (B, heads, N, L)
        share = left_shares(probabilities)[rows, tokens]                                # (words,)
        own = torch.where(left, share, 1 - share)
        terms.append((1 - own) ** 2)
    return torch.cat(terms).mean()
