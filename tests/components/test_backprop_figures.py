"""Backprop's figures: the gradients drawn are the gradients passed in, the paths add up to the blame written on the
figure, the wished nudges and what each output passes back (with their sums)."""
import numpy as np
import pytest

from components.backprop_figures import example_bars, gradient_heatmap, nudge_bars, passed_back, path_bars
from components.formatting import significant
from components.style import NEGATIVE, POSITIVE

RNG = np.random.default_rng(1)


def test_a_gradient_heatmap_is_the_gradient_with_the_chosen_weight_framed():
    gradient = RNG.normal(size=(10, 16)) * 1e-3                                  # dC/dW3: (outputs, hidden 2)
    fig = gradient_heatmap(gradient, 3, (4, 11))
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), gradient)
    bound = np.abs(gradient).max()
    assert (fig.data[0].zmin, fig.data[0].zmax) == (-bound, bound)             # 0 is white whatever the size
    (frame,) = fig.layout.shapes
    assert (frame.x0, frame.x1, frame.y0, frame.y1) == (10.5, 11.5, 3.5, 4.5)  # column k = 11, row j = 4
    assert fig.layout.xaxis.title.text == "hidden-2 neuron k" and fig.layout.yaxis.title.text == "output j (digit)"
    assert "∂L/∂W³" in fig.layout.title.text                                    # one example's cost L, not C


def test_the_first_layers_gradient_is_drawn_as_sixteen_images():
    gradient = RNG.normal(size=(16, 64))
    fig = gradient_heatmap(gradient, 1, (2, 5))
    np.testing.assert_array_equal(np.asarray(fig.data[0].z, dtype=float)[9:17, 18:26], gradient[6].reshape(8, 8))
    assert not fig.layout.shapes                                                # no single weight framed there


def test_the_paths_add_up_to_the_blame_on_the_figure():
    paths = [(i, 0.0, 0.0, 0.0, value) for i, value in enumerate([0.02, -0.05, 0.001, 0.013])]   # (i, ..., product)
    fig = path_bars(paths, 2, 4)
    products = np.array([row[4] for row in paths])
    np.testing.assert_array_equal(np.asarray(fig.data[0].y), products)
    assert list(fig.data[0].x) == ["0", "1", "2", "3"]
    assert list(fig.data[0].marker.color) == [POSITIVE, NEGATIVE, POSITIVE, POSITIVE]
    (line,) = fig.layout.shapes
    assert line.y0 == line.y1 == pytest.approx(products.sum())
    assert fig.layout.annotations[0].text == f"sum = ∂L/∂a = {significant(products.sum(), 4, latex=False)}"
    assert fig.layout.xaxis.title.text == "path through output digit i"
    assert fig.layout.title.text == "All paths from layer-2 neuron 4 to the next layer"


def test_the_examples_gradients_stand_side_by_side_with_their_average():
    gradients = np.array([0.0087, 0.0, -0.0016, -0.0088, 2e-7])
    names = ["#940: a 5", "#941: a 3", "#942: a 7", "#943: a 9", "#944: a 9"]
    fig = example_bars(gradients, names, "W¹[6, 11]")
    np.testing.assert_array_equal(np.asarray(fig.data[0].x), gradients)       # lying bars, the first example on top
    assert list(fig.data[0].y) == names and fig.layout.yaxis.autorange == "reversed"
    assert list(fig.data[0].marker.color) == [POSITIVE, POSITIVE, NEGATIVE, NEGATIVE, POSITIVE]
    assert list(fig.data[0].text) == ["0.0087", "0", "−0.0016", "−0.0088", "2 × 10⁻⁷"]
    (line,) = fig.layout.shapes
    assert line.x0 == line.x1 == pytest.approx(gradients.mean())                 # the dashed line: dC/dw, the mean
    assert fig.layout.annotations[0].text == f"average = ∂C/∂w = {significant(gradients.mean(), 3, latex=False)}"
    assert fig.layout.title.text == "Each example's gradient for w = W¹[6, 11], and their average"


def test_the_nudges_are_minus_the_gradient_with_the_label_named():
    wanted = np.array([-0.1, -0.2, 0.0, -0.05, -0.3, 0.8, -0.01, 0.0, -0.02, -0.4])
    fig = nudge_bars(wanted, 5)
    np.testing.assert_array_equal(np.asarray(fig.data[0].x), wanted)
    assert fig.data[0].y[5] == "5 (label)" and fig.data[0].y[4] == "4"
    assert tuple(fig.layout.xaxis.range) == pytest.approx((-0.88, 0.88))           # symmetric, 10 % room
    assert list(fig.data[0].text)[:2] == ["-0.10", "-0.20"]
    assert tuple(nudge_bars(np.zeros(10), 0).layout.xaxis.range) == (-1.0, 1.0)    # nothing wished: still a range


def test_what_is_passed_back_ends_with_each_neurons_total():
    per_output = RNG.normal(size=(10, 16))
    fig = passed_back(per_output)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (12, 16)
    np.testing.assert_array_equal(z[:10], per_output)
    assert np.isnan(z[10]).all()                                                 # an empty row before the sum
    np.testing.assert_allclose(z[11], per_output.sum(axis=0))
    assert list(fig.data[0].y) == [f"from output {d}" for d in range(10)] + [" ", "sum = wish"]
