"""From logits to the next token: softmax with a temperature, its entropy, and a seeded sample.

    p_i = exp(z_i / T) / sum_j exp(z_j / T)        H = -sum_i p_i log2 p_i

T -> 0 puts all the probability on the largest logit (argmax); T = 1 is the model's own distribution; a large T
flattens it toward uniform ('more creative', more random).
"""
import torch

from core.checks import in_range

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


def top_k(probabilities: torch.Tensor, k: int) -> list[tuple[int, float]]:
    values, ids = torch.topk(probabilities, k)
    return [(int(i), float(v)) for i, v in zip(ids, values)]


def sample(probabilities: torch.Tensor, seed: int) -> int:
    """One token id drawn from the distribution with its own seeded generator (never the global RNG)."""
    generator = torch.Generator().manual_seed(int(seed))
    return int(torch.multinomial(probabilities.double(), 1, generator=generator))
