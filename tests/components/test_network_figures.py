"""The digit network's figures: a mosaic of tiles against a brute-force placement, each figure's data equal to the
numbers passed in, the strongest connections drawn, the prediction and the label marked."""
import numpy as np
import pytest

from components.network_figures import (EDGES_PER_LAYER, digit_image, network_diagram, output_bars, tile_images,
                                        weight_images)
from components.style import COLORS

RNG = np.random.default_rng(0)


def test_tiles_are_placed_row_by_row_with_gaps():
    images = RNG.random((5, 3, 2))                                               # (n, h, w)
    mosaic = tile_images(images, columns=2, gap=1)
    assert mosaic.shape == (3 * 3 + 2, 2 * 2 + 1)                               # 3 rows of tiles, 2 columns
    for i, image in enumerate(images):
        r, c = divmod(i, 2)
        np.testing.assert_array_equal(mosaic[r * 4:r * 4 + 3, c * 3:c * 3 + 2], image)
    assert np.isnan(mosaic[3]).all() and np.isnan(mosaic[:, 2]).all()           # the gaps
    assert np.isnan(mosaic[8:, 3:]).all()                                       # no sixth tile


def test_colour_tiles_keep_their_channels_and_fill_the_gaps():
    images = RNG.random((3, 2, 2, 3))
    mosaic = tile_images(images, columns=3, gap=2, fill=1.0)
    assert mosaic.shape == (2, 3 * 2 + 2 * 2, 3)
    np.testing.assert_array_equal(mosaic[:, 4:6], images[1])
    assert (mosaic[:, 2:4] == 1.0).all()


def test_a_digit_is_its_64_pixels_in_grey():
    pixels = RNG.random(64)
    fig = digit_image(pixels, "a 7")
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), pixels.reshape(8, 8))
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 1) and fig.data[0].showscale is False
    assert fig.data[0].colorscale[0][1] == "white" and fig.data[0].colorscale[-1][1] == "black"   # ink is dark
    assert fig.layout.title.text == "a 7"


def test_first_layer_weights_are_sixteen_8x8_images():
    weights = RNG.normal(size=(16, 64))
    weights[0, 0] = 100.0                                                        # an outlier
    fig = weight_images(weights, "W¹")
    z = np.asarray(fig.data[0].z, dtype=float)
    for i in range(16):
        r, c = divmod(i, 4)
        np.testing.assert_array_equal(z[r * 9:r * 9 + 8, c * 9:c * 9 + 8], weights[i].reshape(8, 8))
    bound = np.percentile(np.abs(weights), 98)                                   # the outlier does not set the scale
    assert fig.data[0].zmax == pytest.approx(bound) and fig.data[0].zmin == pytest.approx(-bound)
    assert [a.text for a in fig.layout.annotations] == [f"neuron {i}" for i in range(16)]


def test_the_diagram_draws_the_strongest_contributions_and_shades_each_neuron():
    activations = [RNG.random(64), RNG.random(16), RNG.random(16), RNG.random(10)]
    weights = [RNG.normal(size=(16, 64)), RNG.normal(size=(16, 16)), RNG.normal(size=(10, 16))]
    fig = network_diagram(activations, weights, ["input", "hidden 1", "hidden 2", "output"])
    lines = [t for t in fig.data if t.mode == "lines"]
    for l, W in enumerate(weights):
        drawn = [t for t in lines if t.x[0] == l]
        segments = sum(len(t.x) // 3 for t in drawn)
        assert segments == EDGES_PER_LAYER
        contribution = W * activations[l][None, :]
        j, k = np.unravel_index(np.argmax(np.abs(contribution)), contribution.shape)
        colour = COLORS[0] if contribution[j, k] > 0 else COLORS[1]              # blue +, red -
        strongest = [t for t in drawn if t.opacity == 0.9 and t.line.color == colour]
        assert any(t.y[i] == fig.data[len(lines) + l].y[k] and t.y[i + 1] == fig.data[len(lines) + l + 1].y[j]
                   for t in strongest for i in range(0, len(t.x), 3))
    neurons = [t for t in fig.data if t.mode == "markers"]
    for a, trace in zip(activations, neurons):
        np.testing.assert_array_equal(np.asarray(trace.marker.color), a)
    assert list(fig.layout.xaxis.ticktext) == ["input", "hidden 1", "hidden 2", "output"]


def test_output_bars_mark_the_prediction_and_the_label():
    outputs = np.array([0.1, 0.05, 0.2, 0.9, 0.0, 0.3, 0.1, 0.1, 0.4, 0.2])
    fig = output_bars(outputs, 8, "outputs")
    bars = fig.data[0]
    np.testing.assert_array_equal(np.asarray(bars.y), outputs)
    assert [c == COLORS[2] for c in bars.marker.color] == [d == 3 for d in range(10)]   # the tallest: the answer
    assert fig.layout.xaxis.ticktext[8] == "<b>8</b><br>label" and fig.layout.xaxis.ticktext[3] == "3"
    assert tuple(fig.layout.yaxis.range) == (0, 1.15)
