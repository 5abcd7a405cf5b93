"""The learning and probing figures of the digit network: each figure's data equal to the numbers passed in."""
import numpy as np
import pytest

from components.digit_learning_figures import (accuracy_against_noise, correlation_map, followed_outputs,
                                               learning_curves, mean_digits, top_output_histograms, weight_tiles)

RNG = np.random.default_rng(0)


def test_weight_tiles_are_the_sixteen_rows_at_their_height():
    weights = RNG.normal(size=(16, 64))
    fig = weight_tiles(weights, "step 3", height=400)
    z = np.asarray(fig.data[0].z, dtype=float)
    np.testing.assert_array_equal(z[9:17, 18:26], weights[6].reshape(8, 8))       # neuron 6: row 1, column 2
    assert fig.layout.height == 400 and fig.layout.title.text == "step 3"


def test_learning_curves_plot_c_and_the_accuracy_in_percent_per_epoch():
    fig = learning_curves([2.6, 0.9, 0.4], [0.1, 0.2, 0.85], "learning")
    cost, accuracy = fig.data
    assert list(cost.x) == [0, 1, 2] and list(cost.y) == [2.6, 0.9, 0.4]
    assert list(accuracy.y) == pytest.approx([10, 20, 85]) and accuracy.yaxis == "y2"
    assert fig.layout.yaxis2.range == (0, 101)
    assert list(learning_curves([2.6], [0.1], "epoch 0").data[0].x) == [0]         # one point before any epoch


def test_followed_outputs_show_each_digit_and_its_ten_outputs_with_the_label_outlined():
    images, outputs = RNG.random((3, 64)), RNG.random((3, 10))
    fig = followed_outputs(images, outputs, [4, 0, 9], ["#1", "#5", "#8"], "five digits")
    pixels, rows = fig.data
    np.testing.assert_array_equal(np.asarray(pixels.z, dtype=float)[9:17], images[1].reshape(8, 8))
    np.testing.assert_array_equal(np.asarray(rows.z), outputs)
    assert list(rows.y) == ["#1", "#5", "#8"]
    assert [(s.x0 + 0.5, s.y0 + 0.5) for s in fig.layout.shapes] == [(4, 0), (0, 1), (9, 2)]


def test_the_histograms_hold_the_largest_outputs_and_the_threshold_line():
    noise, digits = RNG.random(100), RNG.random(40)
    fig = top_output_histograms(noise, digits, 0.5, "noise")
    np.testing.assert_array_equal(fig.data[0].x, noise)
    np.testing.assert_array_equal(fig.data[1].x, digits)
    assert fig.data[0].histnorm == "percent" and "100 noise" in fig.data[0].name
    assert fig.layout.shapes[0].x0 == 0.5


def test_mean_digits_are_tiled_and_named():
    images = RNG.random((10, 64))
    fig = mean_digits(images, "means")
    z = np.asarray(fig.data[0].z, dtype=float)
    np.testing.assert_array_equal(z[9:17, 0:8], images[5].reshape(8, 8))            # the second row starts with 5
    assert [a.text for a in fig.layout.annotations] == [f"mean {d}" for d in range(10)]


def test_the_correlation_map_is_the_matrix_on_a_fixed_scale():
    r = RNG.uniform(-0.5, 0.5, size=(16, 10))
    fig = correlation_map(r, "r")
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), r)
    assert (fig.data[0].zmin, fig.data[0].zmax) == (-1, 1)
    assert fig.data[0].x[3] == "mean 3" and fig.data[0].y[15] == "neuron 15"


def test_the_noise_curve_marks_the_chosen_sigma():
    sigmas = np.linspace(0, 3, 7)
    fig = accuracy_against_noise(sigmas, np.linspace(0.97, 0.1, 7), 1.0, 0.6, 0.97, "noise")
    assert list(fig.data[0].y) == pytest.approx(list(np.linspace(97, 10, 7)))
    assert (fig.data[1].x[0], fig.data[1].y[0]) == (1.0, pytest.approx(60))
    assert [shape.y0 for shape in fig.layout.shapes] == [pytest.approx(97), 10]
