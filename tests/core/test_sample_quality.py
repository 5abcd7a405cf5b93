"""How good and how varied samples are: every measure against a brute-force loop over the pairs or the points."""
import math

import pytest
import torch

from core.sample_quality import (mean_pairwise_cosine_distance, mean_pairwise_distance, nearest_neighbour_distance,
                                 verdict)


def points(n: int, seed: int, dims: int = 2) -> torch.Tensor:
    return torch.randn((n, dims), generator=torch.Generator().manual_seed(seed))          # (n, dims)


def test_diversity_is_the_mean_pairwise_distance():
    images = torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 4.0]])
    assert mean_pairwise_distance(images) == pytest.approx((5 + 4 + 3) / 3)
    assert mean_pairwise_distance(images[:1]) == 0.0
    assert mean_pairwise_distance(images[:0]) == 0.0                               # no samples: no diversity


def test_diversity_of_images_equals_a_loop_over_every_ordered_pair():
    images = torch.rand((5, 1, 4, 4), generator=torch.Generator().manual_seed(1))        # (B, C, H, W)
    flat = images.reshape(5, -1).tolist()
    loop = sum(math.dist(flat[i], flat[j]) for i in range(5) for j in range(5) if i != j) / (5 * 4)
    assert mean_pairwise_distance(images) == pytest.approx(loop, rel=1e-12)
    assert mean_pairwise_distance(images[[2, 2, 2]]) == pytest.approx(0.0, abs=1e-12)   # copies: no diversity


def test_diversity_in_an_embedding_space_is_the_mean_cosine_distance_over_pairs():
    embeddings = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [1.0, 1.0]])
    pairs = [(i, j) for i in range(4) for j in range(4) if i != j]
    loop = sum(1 - float(embeddings[i] @ embeddings[j] / (embeddings[i].norm() * embeddings[j].norm()))
               for i, j in pairs) / len(pairs)
    assert mean_pairwise_cosine_distance(embeddings) == pytest.approx(loop)
    assert mean_pairwise_cosine_distance(embeddings[[0, 0, 0]] * torch.tensor([[1.0], [2.0], [5.0]])) == \
        pytest.approx(0.0, abs=1e-12)                                  # brighter copies are not more diverse
    assert mean_pairwise_cosine_distance(embeddings[:1]) == 0.0


def test_opposite_embeddings_are_two_apart():
    assert mean_pairwise_cosine_distance(torch.tensor([[1.0, 2.0], [-1.0, -2.0]])) == pytest.approx(2.0)


def test_the_verdict_counts_the_asked_digit_and_averages_its_probability():
    probabilities = torch.tensor([[0.1, 0.9] + [0.0] * 8,                   # read as a 1
                                  [0.6, 0.4] + [0.0] * 8,                   # read as a 0
                                  [0.0, 0.7, 0.3] + [0.0] * 7])             # read as a 1
    images = torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 4.0]])
    result = verdict(probabilities, images, 1, real_diversity=2.0)
    assert result["accuracy"] == pytest.approx(2 / 3)
    assert result["confidence"] == pytest.approx((0.9 + 0.4 + 0.7) / 3)
    assert result["diversity"] == pytest.approx(4.0) and result["relative_diversity"] == pytest.approx(2.0)


def test_nearest_neighbour_distance_equals_a_brute_force_loop():
    samples, data = points(20, seed=8), points(30, seed=9)
    brute = sum(min(math.dist(s, d) for d in data.tolist()) for s in samples.tolist()) / 20
    assert nearest_neighbour_distance(samples, data) == pytest.approx(brute, rel=1e-6)
    assert nearest_neighbour_distance(data[:5], data) == 0.0
