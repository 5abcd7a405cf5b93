"""From logits to the next token: softmax with a temperature, its entropy, and a seeded sample.

    p_i = exp(z_i / T) / sum_j exp(z_j / T)        H = -sum_i p_i log2 p_i

T -> 0 puts all the probability on the largest logit (argmax); T = 1 is the model's own distribution; a large T
flattens it toward uniform ('more creative', more random).

Before drawing, generation usually cuts the long tail and renormalises what is left (top-k, then top-p, the order of
transformers' generate()):

    q_i = p_i / sum_{j kept} p_j   for a kept token,   q_i = 0 for a cut one
"""
from dataclasses import dataclass

import torch

from core.checks import in_range, quote, whole

MIN_TEMPERATURE = 0.01   # below this the distribution is argmax to float precision
MAX_TEMPERATURE = 5.0


def softmax_with_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """(V,) logits -> (V,) probabilities, computed in float64 so that small T stays exact."""
    t = in_range("temperature", temperature, MIN_TEMPERATURE, MAX_TEMPERATURE)
    scaled = logits.double() / t
    return torch.softmax(scaled, dim=-1)


def entropy_bits(probabilities: torch.Tensor) -> float:
    """H = -sum p log2 p (0 log 0 = 0): 0 bits when one token is certain, log2 V when all are equal."""
    p = probabilities.double()
    return float(-(p * torch.log2(p.clamp_min(1e-300))).where(p > 0, torch.zeros_like(p)).sum())


@dataclass(frozen=True)
class Truncated:
    """What top-k and top-p leave of a distribution."""
    kept: torch.Tensor           # (V,) bool: True where the token survives both cuts
    kept_mass: float             # sum of the original p over the kept tokens
    renormalised: torch.Tensor   # (V,) float64: q_i = p_i / kept_mass where kept, 0 where cut; sums to 1

    @property
    def kept_tokens(self) -> int:
        return int(self.kept.sum())


def checked_distribution(probabilities) -> torch.Tensor:
    """A (V,) float64 distribution: finite, non-negative, summing to 1; or a ValueError that says what is wrong."""
    try:
        p = torch.as_tensor(probabilities, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"probabilities must be a list of numbers, got {quote(probabilities)}.") from None
    if p.dim() != 1 or p.numel() == 0:
        raise ValueError(f"probabilities must be one non-empty row (V,), got shape {tuple(p.shape)}.")
    if not torch.isfinite(p).all():
        raise ValueError(f"probabilities contain {int((~torch.isfinite(p)).sum())} NaN or infinite values; "
                         "pass softmax(logits), a distribution of finite numbers.")
    if (p < 0).any():
        raise ValueError(f"probabilities must be >= 0; token {int(torch.argmin(p))} has {float(p.min()):g}.")
    if abs(float(p.sum()) - 1.0) > 1e-4:
        raise ValueError(f"probabilities must sum to 1, these sum to {float(p.sum()):g}; pass softmax(logits).")
    return p


def truncate(probabilities, top_k: int = 0, top_p: float = 1.0) -> Truncated:
    """Top-k, then top-p on what top-k left (renormalised), as transformers' TopKLogitsWarper and TopPLogitsWarper.

    top-k keeps the k most likely tokens (0 = off); top-p keeps the smallest set of most likely tokens whose mass is
    >= p (1 = off). Both keep ties: a token exactly as likely as the last one kept is kept too (transformers' top-k
    does the same; its top-p keeps only as many tied tokens as its sort happens to put first). A token of
    probability 0 (underflowed at a low T) is never tied in: it cannot be drawn.
    """
    p = checked_distribution(probabilities)                           # (V,)
    vocab = p.numel()
    top_k = whole("top_k (0 = off)", top_k, 0, vocab)
    top_p = in_range("top_p (1 = off)", top_p, 0.0, 1.0)
    if top_p == 0:
        raise ValueError("top_p must be greater than 0 (1 = off): p = 0 would keep no token.")
    order = torch.argsort(p, descending=True, stable=True)            # (V,) token ids, most likely first
    ranked = p[order]                                                 # (V,) p sorted, largest first
    keep = torch.ones(vocab, dtype=torch.bool)                        # (V,) in ranked order
    if top_k:
        last = ranked[top_k - 1]                                      # the k-th largest p
        keep = (torch.arange(vocab) < top_k) | ((ranked == last) & (last > 0))
    if top_p < 1.0:
        q = torch.where(keep, ranked, 0.0) / ranked[keep].sum()       # what top-k left, renormalised
        mass_before = torch.cat([q.new_zeros(1), torch.cumsum(q, 0)[:-1]])   # mass of the more likely tokens
        n = int(((mass_before < top_p) & keep & (ranked > 0)).sum())  # the smallest prefix with mass >= p
        keep &= ranked >= ranked[n - 1]                               # ... and the tokens tied with its last
    kept = torch.empty_like(keep)
    kept[order] = keep                                                # (V,) back in token order
    kept_mass = float(p[kept].sum())
    return Truncated(kept, kept_mass, torch.where(kept, p, 0.0) / kept_mass)


def top_k(probabilities: torch.Tensor, k: int) -> list[tuple[int, float]]:
    values, ids = torch.topk(probabilities, k)
    return [(int(i), float(v)) for i, v in zip(ids, values)]


def sample(probabilities: torch.Tensor, seed: int) -> int:
    """One token id drawn from the distribution with its own seeded generator (never the global RNG)."""
    generator = torch.Generator().manual_seed(int(seed))
    return int(torch.multinomial(probabilities.double(), 1, generator=generator))
