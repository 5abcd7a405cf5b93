"""Softmax with temperature, entropy and seeded sampling against torch and closed forms; top-k and top-p against
a brute force over subsets and transformers' own TopKLogitsWarper and TopPLogitsWarper."""
import itertools
import math
from fractions import Fraction

import pytest
import torch
from transformers.generation.logits_process import (LogitsProcessorList, TemperatureLogitsWarper, TopKLogitsWarper,
                                                    TopPLogitsWarper)

from core.sampling import entropy_bits, sample, softmax_with_temperature, top_k, truncate


def test_temperature_one_is_torchs_softmax_and_t_scales_the_logits():
    logits = torch.randn(1000, generator=torch.Generator().manual_seed(0)) * 4
    torch.testing.assert_close(softmax_with_temperature(logits, 1.0), torch.softmax(logits.double(), -1))
    torch.testing.assert_close(softmax_with_temperature(logits, 0.5), torch.softmax(logits.double() * 2, -1))


def test_low_temperature_approaches_argmax_and_high_flattens():
    logits = torch.tensor([2.0, 1.5, 0.3, -1.0])
    tops = [softmax_with_temperature(logits, t)[0].item() for t in (5.0, 1.0, 0.3, 0.05, 0.01)]
    assert tops == sorted(tops) and tops[-1] > 1 - 1e-15
    entropies = [entropy_bits(softmax_with_temperature(logits, t)) for t in (0.01, 0.3, 1.0, 5.0)]
    assert entropies == sorted(entropies) and entropies[-1] < 2.0


def test_entropy_closed_forms():
    assert entropy_bits(torch.full((49152,), 1 / 49152, dtype=torch.float64)) == pytest.approx(math.log2(49152))
    assert entropy_bits(torch.tensor([1.0, 0.0, 0.0])) == 0.0
    assert entropy_bits(torch.tensor([0.5, 0.5])) == pytest.approx(1.0)


def test_sampling_is_reproducible_and_follows_the_distribution():
    p = torch.tensor([0.7, 0.2, 0.1], dtype=torch.float64)
    assert [sample(p, s) for s in range(20)] == [sample(p, s) for s in range(20)]
    counts = torch.bincount(torch.tensor([sample(p, s) for s in range(3000)]), minlength=3) / 3000
    torch.testing.assert_close(counts, p.float(), atol=0.03, rtol=0)
    assert top_k(p, 2) == [(0, 0.7), (1, 0.2)]


@pytest.mark.parametrize("t", [0, -1, 5.01, float("nan"), float("inf")])
def test_temperature_outside_the_range_is_refused(t):
    with pytest.raises(ValueError, match="temperature"):
        softmax_with_temperature(torch.zeros(3), t)


# Top-k and top-p ---------------------------------------------------------------------------------------------------

def warped_by_transformers(logits: torch.Tensor, temperature: float, k: int, p: float) -> torch.Tensor:
    """transformers' own warpers, in generate()'s order (temperature, top-k, top-p; off ones left out as it does):
    the (V,) processed scores, -inf where cut."""
    warpers = LogitsProcessorList([TemperatureLogitsWarper(temperature)]
                                  + ([TopKLogitsWarper(k)] if k else []) + ([TopPLogitsWarper(p)] if p < 1 else []))
    return warpers(torch.zeros(1, 1, dtype=torch.long), logits.double()[None])[0]


def smallest_set_with_mass(counts: list[int], p: Fraction) -> int:
    """Brute force over every subset: the fewest tokens whose mass (counts / total) reaches p."""
    total = sum(counts)
    return min(size for size in range(1, len(counts) + 1)
               for subset in itertools.combinations(counts, size) if Fraction(sum(subset), total) >= p)


@pytest.mark.parametrize("seed", range(40))
def test_top_p_keeps_the_smallest_set_with_mass_p_and_the_ties(seed):
    """Probabilities and p in 16ths: every sum is exact, so p landing exactly on a sum is tested (13 of the 40
    seeds), and so are ties across the boundary (8) and tokens of probability 0 (8)."""
    generator = torch.Generator().manual_seed(seed)
    vocab = int(torch.randint(2, 9, (1,), generator=generator))
    counts = torch.bincount(torch.randint(0, vocab, (16,), generator=generator), minlength=vocab).tolist()
    total = sum(counts)                                                       # 16
    p = Fraction(int(torch.randint(1, 17, (1,), generator=generator)), 16)
    truncated = truncate(torch.tensor(counts, dtype=torch.float64) / total, 0, float(p))
    n = smallest_set_with_mass(counts, p)
    last = sorted(counts, reverse=True)[n - 1]
    assert last > 0 and truncated.kept.tolist() == [c >= last for c in counts]  # the n most likely, and their ties
    assert truncated.kept_mass == pytest.approx(sum(c for c in counts if c >= last) / total, abs=1e-15)
    assert float(truncated.renormalised.sum()) == pytest.approx(1.0, abs=1e-12)
    torch.testing.assert_close(truncated.renormalised,
                               torch.tensor([c / total / truncated.kept_mass if c >= last else 0.0 for c in counts],
                                            dtype=torch.float64))


@pytest.mark.parametrize("k", [0, 1, 2, 5, 40, 1000])
@pytest.mark.parametrize("p", [1.0, 0.05, 0.3, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_top_k_then_top_p_equals_transformers_warpers(k, p, temperature):
    logits = torch.randn(1000, generator=torch.Generator().manual_seed(k + 7)) * 3
    truncated = truncate(softmax_with_temperature(logits, temperature), k, p)
    scores = warped_by_transformers(logits, temperature, k, p)
    assert truncated.kept.tolist() == torch.isfinite(scores).tolist()
    torch.testing.assert_close(truncated.renormalised, torch.softmax(scores, -1), rtol=1e-12, atol=1e-15)
    if k:
        assert truncated.kept_tokens <= k
    if k == 0 and p == 1.0:
        assert truncated.kept.all() and truncated.kept_mass == pytest.approx(1.0, abs=1e-12)


def test_ties_top_k_agrees_with_transformers_top_p_keeps_more_of_a_tie():
    """The one known difference: on a tie at the top-p boundary transformers keeps as many of the tied tokens as its
    sort happens to put first; truncate keeps them all. Top-k keeps ties in both."""
    logits = torch.log(torch.tensor([0.4, 0.25, 0.25, 0.1 / 3, 0.1 / 3, 0.1 / 3], dtype=torch.float64))
    probabilities = softmax_with_temperature(logits, 1.0)
    assert truncate(probabilities, 0, 0.6).kept.tolist() == [True, True, True, False, False, False]
    theirs = torch.isfinite(warped_by_transformers(logits, 1.0, 0, 0.6))
    assert int(theirs.sum()) == 2 and theirs[0] and bool(theirs[1]) != bool(theirs[2])
    assert truncate(probabilities, 4, 1.0).kept.tolist() == [True] * 6                  # the 4th ties with the 5th, 6th
    assert torch.isfinite(warped_by_transformers(logits, 1.0, 4, 1.0)).all()


def test_top_k_one_is_greedy_and_underflowed_tokens_are_never_tied_in():
    p = torch.tensor([0.1, 0.6, 0.3], dtype=torch.float64)
    assert truncate(p, 1, 1.0).renormalised.tolist() == [0.0, 1.0, 0.0]
    assert {sample(truncate(p, 1, 1.0).renormalised, seed) for seed in range(50)} == {1}
    cold = softmax_with_temperature(torch.tensor([9.0, 0.0, -1.0, -2.0]), 0.01)        # p = [1, 0, 0, 0] in float64
    assert cold.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert truncate(cold, 2, 1.0).kept_tokens == 2 and truncate(cold, 0, 0.9).kept_tokens == 1


@pytest.mark.parametrize("probabilities, k, p, message", [
    ([0.5, float("nan"), 0.5], 0, 1.0, "NaN"),
    ([0.7, -0.1, 0.4], 0, 1.0, ">= 0"),
    ([0.5, 0.1], 0, 1.0, "sum to 1"),
    ([], 0, 1.0, "non-empty"),
    ("abc", 0, 1.0, "list of numbers"),
    ([0.5, 0.5], 3, 1.0, "top_k .* between 0 and 2"),
    ([0.5, 0.5], -1, 1.0, "top_k"),
    ([0.5, 0.5], 1.5, 1.0, "whole number"),
    ([0.5, 0.5], float("nan"), 1.0, "top_k .* finite"),
    ([0.5, 0.5], 0, 0.0, "greater than 0"),
    ([0.5, 0.5], 0, 1.5, "top_p .* between 0 and 1"),
    ([0.5, 0.5], 0, float("nan"), "top_p .* finite"),
])
def test_odd_input_is_refused_with_a_message(probabilities, k, p, message):
    with pytest.raises(ValueError, match=message):
        truncate(probabilities, k, p)
