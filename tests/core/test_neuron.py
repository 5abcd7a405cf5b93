"""The neuron's numbers against torch's own activations and a hand-written weighted sum."""
import math

import numpy as np
import pytest
import torch

from core.neuron import ACTIVATIONS, activation_by_name, boundary_line, neuron, output_plane, weighted_sum

Z = np.linspace(-40, 40, 801)
TORCH = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh,
         "step": lambda t: torch.heaviside(t, torch.tensor(0.0, dtype=t.dtype))}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activations_match_torch(name):
    ours = activation_by_name(name)(Z)
    theirs = TORCH[name](torch.tensor(Z, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_sigmoid_stays_finite_for_huge_inputs():
    values = activation_by_name("sigmoid")(np.array([-1e6, 1e6]))
    np.testing.assert_array_equal(values, [0.0, 1.0])


def test_neuron_is_the_weighted_sum_then_the_activation():
    inputs, weights, bias = [0.3, -1.2, 2.0], [1.5, 0.25, -0.7], 0.1
    z_by_hand = 1.5 * 0.3 + 0.25 * -1.2 + -0.7 * 2.0 + 0.1
    z, a = neuron(inputs, weights, bias, "tanh")
    assert z == pytest.approx(z_by_hand, abs=1e-12)
    assert a == pytest.approx(math.tanh(z_by_hand), abs=1e-12)
    layer = torch.nn.Linear(3, 1, dtype=torch.float64)
    with torch.no_grad():
        layer.weight[:] = torch.tensor([weights], dtype=torch.float64)
        layer.bias[:] = bias
    assert z == pytest.approx(layer(torch.tensor(inputs, dtype=torch.float64)).item(), abs=1e-12)


def test_output_plane_equals_a_loop_over_points():
    axis, grid = output_plane([2.0, -1.0], 0.5, "sigmoid", extent=2.0, n=9)
    for i, a2 in enumerate(axis):
        for j, a1 in enumerate(axis):
            assert grid[i, j] == pytest.approx(neuron([a1, a2], [2.0, -1.0], 0.5, "sigmoid")[1], abs=1e-12)


def test_boundary_line_is_where_z_is_zero_and_the_bias_shifts_it():
    a1, a2 = boundary_line([1.0, 2.0], -1.0)
    np.testing.assert_allclose(1.0 * a1 + 2.0 * a2 - 1.0, 0.0, atol=1e-12)
    shifted = boundary_line([1.0, 2.0], 1.0)
    assert not np.allclose(shifted[1], a2)        # a new bias moves the line
    assert boundary_line([0.0, 0.0], 1.0) is None  # no weights: no line


@pytest.mark.parametrize("inputs, weights, bias, activation, message", [
    ([1.0, 2.0], [1.0], 0.0, "sigmoid", "one weight"),
    ([1.0, float("nan")], [1.0, 1.0], 0.0, "sigmoid", "finite"),
    ([1.0, 2.0], [1.0, 1.0], float("inf"), "sigmoid", "finite"),
    ([1.0, 2.0], [1.0, 1.0], "abc", "sigmoid", "number"),
    ([1.0, 2.0], [1.0, 1.0], 0.0, "softplus", "sigmoid, relu, tanh, step"),
    ([], [], 0.0, "relu", "1 to 16 inputs"),
    ("12", [1.0, 1.0], 0.0, "relu", "list of numbers"),
])
def test_bad_input_gets_a_message_that_says_what_is_allowed(inputs, weights, bias, activation, message):
    with pytest.raises(ValueError, match=message):
        neuron(inputs, weights, bias, activation)


def test_weighted_sum_accepts_unicode_free_numbers_only():
    with pytest.raises(ValueError, match="must be a number"):
        weighted_sum(["½"], [1.0], 0.0)
