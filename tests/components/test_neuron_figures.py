"""One neuron's figures: the activation curve with the current point, and the output over the input plane with the
line w·a + b = 0, against core.neuron's own numbers."""
import numpy as np
import pytest

from components.neuron_figures import activation_curve, input_plane
from core.neuron import activation_by_name, boundary_line, neuron, output_plane


def test_the_curve_is_the_activation_and_the_point_is_the_neurons():
    zs = np.linspace(-6, 6, 121)
    z, a = neuron([1.0, 0.5], [1.5, -1.0], -0.5, "tanh")
    fig = activation_curve(zs, activation_by_name("tanh")(zs), z, a, "tanh")
    np.testing.assert_array_equal(np.asarray(fig.data[0].y), np.tanh(zs))
    assert (fig.data[1].x[0], fig.data[1].y[0]) == (z, a) and fig.data[1].text[0] == f"z={z:.2f}, a={a:.2f}"
    assert fig.data[0].name == "a = tanh(z)" and fig.layout.title.text == "Activation: tanh"
    assert fig.layout.xaxis.title.text == "z = w·a + b"


def test_the_plane_is_the_output_grid_with_the_boundary_and_the_inputs():
    weights, bias = [1.5, -1.0], -0.5
    axis, grid = output_plane(weights, bias, "sigmoid")
    line = boundary_line(weights, bias, axis)
    fig = input_plane(np.asarray(axis), np.asarray(grid), line, (1.0, 0.5), (0, 1))
    heat, drawn_line, inputs = fig.data
    np.testing.assert_array_equal(np.asarray(heat.z), np.asarray(grid))
    np.testing.assert_array_equal(np.asarray(heat.x), np.asarray(axis))
    assert (heat.zmin, heat.zmax) == (0, 1)
    xs, ys = np.asarray(drawn_line.x, dtype=float), np.asarray(drawn_line.y, dtype=float)
    np.testing.assert_allclose(weights[0] * xs + weights[1] * ys + bias, 0, atol=1e-9)    # on w·a + b = 0
    assert (inputs.x[0], inputs.y[0]) == (1.0, 0.5)
    lim = float(axis[-1])
    assert tuple(fig.layout.xaxis.range) == tuple(fig.layout.yaxis.range) == (-lim, lim)
    assert fig.layout.yaxis.autorange is True                                   # a2 grows upward, as on paper


def test_without_a_boundary_only_the_inputs_are_marked():
    axis = np.linspace(-2, 2, 5)
    fig = input_plane(axis, np.zeros((5, 5)), None, (0.0, 0.0), (-1, 1))
    assert [t.type for t in fig.data] == ["heatmap", "scatter"] and fig.data[1].name == "inputs (a1, a2)"
    assert fig.data[0].zmin == pytest.approx(-1)
