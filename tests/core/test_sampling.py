"""Softmax with temperature, entropy and seeded sampling against torch and closed forms."""
import math

import pytest
import torch

from core.sampling import entropy_bits, sample, softmax_with_temperature, top_k


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
