"""The series' hand-built fact neuron against torch.nn.Linear layers holding the same weights, its AND truth table, and
the superposition measurement against a brute-force loop over the pairs and the sphere's own expectations."""
import itertools
import math

import numpy as np
import pytest
import torch

from core.fact_neuron import (AMOUNT_RANGE, BIAS, DIMENSIONS, NAMES, angle_density, directions_that_fit,
                              expected_mean_abs_cos, fact_mlp, fire, max_cos_bound, measure_overlap, named_directions,
                              random_directions, read_map, stream, truth_table)


def test_the_named_directions_are_exactly_orthonormal_and_off_the_axes():
    e = named_directions()                                                     # (5, 8)
    assert e.shape == (len(NAMES), DIMENSIONS)
    assert torch.equal(e @ e.T, torch.eye(len(NAMES), dtype=torch.float64))   # exact, not approximately
    assert (e.abs().max(dim=1).values < 1).all()                               # no name is a single coordinate


def test_the_neuron_is_an_and_gate():
    assert truth_table(fact_mlp()) == [(0, 0, 0.0), (0, 1, 0.0), (1, 0, 0.0), (1, 1, 1.0)]
    assert truth_table(fact_mlp(0.0)) == [(0, 0, 0.0), (0, 1, 1.0), (1, 0, 1.0), (1, 1, 2.0)]   # bias 0: an OR


def linear_layers(mlp):
    """The neuron as torch's own layers: W_up (1, d) with bias b, ReLU, W_down (d, 1) without bias."""
    up = torch.nn.Linear(DIMENSIONS, 1).double()
    down = torch.nn.Linear(1, DIMENSIONS, bias=False).double()
    with torch.no_grad():
        up.weight.copy_(mlp.w_up[None, :])                                     # (1, d): the key is a row
        up.bias.fill_(mlp.bias)
        down.weight.copy_(mlp.w_down[:, None])                                 # (d, 1): the value is a column
    return up, down


@pytest.mark.parametrize("bias", [BIAS, -0.4, -1.7, 0.3])
def test_every_number_matches_torch_linear_layers_with_the_same_weights(bias):
    mlp = fact_mlp(bias)
    up, down = linear_layers(mlp)
    amounts = torch.rand(200, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 2 - 1
    e_basketball = mlp.directions[NAMES.index("basketball")]
    for m, j, p in amounts.tolist():
        x = stream(mlp, {"Michael": m, "Jordan": j, "Phelps": p})
        firing = fire(mlp, x)
        with torch.no_grad():
            z = up(x)                                                          # (1,) W_up x + b
            out = down(torch.relu(z))                                          # (d,) W_down ReLU(...)
        assert firing.z == pytest.approx(float(z), abs=1e-12)
        assert firing.a == pytest.approx(max(0.0, float(z)), abs=1e-12)
        assert torch.allclose(firing.out, out, atol=1e-12)
        assert firing.read == pytest.approx(float(out @ e_basketball), abs=1e-12)
        assert firing.z == pytest.approx(m + j + bias, abs=1e-12)              # the card's z = m + j + b
        assert torch.allclose(firing.on_names, torch.tensor([m, j, p, 0, 0], dtype=torch.float64), atol=1e-12)
        assert torch.allclose(firing.written, firing.read * torch.tensor([0, 0, 0, 1, 0.0], dtype=torch.float64),
                              atol=1e-12)                                      # only basketball, never swimming


def test_phelps_is_perpendicular_to_the_key_and_changes_nothing():
    mlp = fact_mlp()
    for m, j in itertools.product((0.0, 0.5, 1.0), repeat=2):
        without = fire(mlp, stream(mlp, {"Michael": m, "Jordan": j}))
        with_phelps = fire(mlp, stream(mlp, {"Michael": m, "Jordan": j, "Phelps": 1.0}))
        assert with_phelps.z == without.z and with_phelps.read == without.read


def test_the_read_map_is_the_neuron_at_every_grid_point():
    mlp = fact_mlp(-0.8)
    amounts = torch.linspace(*AMOUNT_RANGE, 9, dtype=torch.float64)
    reads = read_map(mlp, amounts)                                             # (G, G): [jordan, michael]
    expected = [[fire(mlp, stream(mlp, {"Michael": m, "Jordan": j})).read for m in amounts.tolist()]
                for j in amounts.tolist()]
    assert torch.allclose(reads, torch.tensor(expected, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda m: stream(m, {"Michael": float("nan")}), "the amount of Michael must be a finite number"),
    (lambda m: stream(m, {"Jordan": 1.5}), "the amount of Jordan must be between -1 and 1, got 1.5"),
    (lambda m: stream(m, {"Jordan": "lots"}), "the amount of Jordan must be a number"),
    (lambda m: stream(m, {"LeBron": 1.0}), "'LeBron' is not a named direction"),
    (lambda m: fact_mlp(3.0), "bias b must be between -2 and 0.5, got 3"),
])
def test_bad_input_gets_a_short_message(call, message):
    with pytest.raises(ValueError, match=message):
        call(fact_mlp())


def test_the_overlaps_match_a_brute_force_loop_over_the_pairs():
    n, d = 30, 5
    overlap = measure_overlap(n, d, bins=18)
    v = random_directions(n, d).numpy()
    cosines = [abs(float(np.dot(v[i], v[k]))) for i in range(n) for k in range(i + 1, n)]
    assert overlap.mean_abs_cos == pytest.approx(np.mean(cosines), abs=1e-12)
    assert overlap.max_abs_cos == pytest.approx(max(cosines), abs=1e-12)
    assert float(overlap.angle_counts.sum()) == len(cosines) == n * (n - 1) // 2
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-12)


def test_random_directions_in_a_small_space_are_nearly_perpendicular_as_expected():
    overlap = measure_overlap(1000, 100)
    assert overlap.mean_abs_cos == pytest.approx(overlap.expected_mean, rel=0.01)   # 0.0799 against 0.0800
    assert 0.4 < overlap.max_abs_cos < overlap.max_bound < 0.65                       # 0.483 < 0.607
    assert expected_mean_abs_cos(100) == pytest.approx(math.sqrt(2 / (math.pi * 100)), rel=0.01)


@pytest.mark.parametrize("d", [2, 3, 10, 100])
def test_the_angle_density_is_a_density_with_the_expected_mean_overlap(d):
    degrees = torch.linspace(0, 180, 180_001, dtype=torch.float64)
    density = angle_density(degrees, d)                                        # per degree
    step = 180 / 180_000
    assert float(density.sum() * step) == pytest.approx(1.0, abs=1e-3)
    mean_abs_cos = float((density * torch.cos(torch.deg2rad(degrees)).abs()).sum() * step)
    assert mean_abs_cos == pytest.approx(expected_mean_abs_cos(d), abs=1e-3)


def test_the_capacity_is_the_bound_read_backwards():
    d, epsilon, confidence = 12_288, 0.1, 0.5
    n = directions_that_fit(d, epsilon, confidence)
    assert n ** 2 * math.exp(-d * epsilon ** 2 / 2) == pytest.approx(1 - confidence)   # the union bound, at n
    assert 1e13 < n < 1e14
    bound = max_cos_bound(1000, 100, 0.99)
    assert 2 * (1000 * 999 / 2) * math.exp(-100 * bound ** 2 / 2) == pytest.approx(0.01)


@pytest.mark.parametrize("n, d, message", [(1, 10, "directions must be between 2 and 2,000"),
                                           (5000, 10, "directions must be between 2 and 2,000"),
                                           (10, 1, "dimensions must be between 2 and 400"),
                                           (10, float("inf"), "dimensions must be a finite number"),
                                           (10.5, 10, "directions must be a whole number")])
def test_bad_sizes_get_a_short_message(n, d, message):
    with pytest.raises(ValueError, match=message):
        measure_overlap(n, d)
