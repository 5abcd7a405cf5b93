"""The playground's pictures: the answer and its lead over the plane (against a loop over the outputs), the points
by class, the cost curves thinned but ending where the run is, every neuron's tile where the layout says, every
weight as a line, and the click canvas mapping pixels to the plane and back."""
import io

import numpy as np
import pytest
from PIL import Image

from components.playground_figures import (CANVAS, CLASS_COLOURS, GAP, LINE_WIDTHS, MAX_CURVE_POINTS, TILE, Layout,
                                           boundary, canvas_to_plane, class_confidence, class_scale, column_labels,
                                           composite, cost_curves, diverging_rgb, line_width, network, network_png,
                                           network_summary, neuron_name, points_canvas, scaled_tile, tiles_png,
                                           weight_lines)

RNG = np.random.default_rng(6)


def test_the_colour_of_a_cell_is_its_class_plus_its_lead():
    output = RNG.random((5, 5, 3))
    z = class_confidence(output)
    for i in range(5):
        for j in range(5):
            a = sorted(output[i, j])
            k = int(np.argmax(output[i, j]))
            assert z[i, j] == pytest.approx(k + min(a[-1] - a[-2], 0.999))
    assert class_confidence(np.array([[1.0, 0.0]])) == pytest.approx(0.999)     # sure: just below the next class
    scale = class_scale(2)
    assert scale == [[0.0, "#ffffff"], [0.5 - 1e-9, CLASS_COLOURS[0]], [0.5, "#ffffff"], [1.0, CLASS_COLOURS[1]]]


def test_the_boundary_shows_the_outputs_and_the_points_by_class():
    axis = np.linspace(-6, 6, 4)
    output = RNG.random((4, 4, 2))
    train = (RNG.uniform(-6, 6, (6, 2)), np.array([0, 1, 1, 0, 1, 1]))
    test = (RNG.uniform(-6, 6, (2, 2)), np.array([1, 0]))
    fig = boundary(axis, output, train, test, "the answer")
    heat = fig.data[0]
    np.testing.assert_array_equal(np.asarray(heat.z), class_confidence(output))
    np.testing.assert_array_equal(np.asarray(heat.customdata), np.round(output, 3))
    assert (heat.zmin, heat.zmax) == (0, 2)
    names = [t.name for t in fig.data[1:]]
    assert names == ["training, class 0", "training, class 1", "test, class 0", "test, class 1"]
    np.testing.assert_array_equal(np.asarray(fig.data[2].x), train[0][train[1] == 1, 0])
    assert fig.data[3].marker.symbol == "circle-open"                             # test points: open circles
    assert tuple(fig.layout.xaxis.range) == tuple(fig.layout.yaxis.range) == (-6, 6)


def test_a_long_cost_curve_is_thinned_but_keeps_its_ends():
    train = np.linspace(1, 0, 1001)
    fig = cost_curves(train, train * 2, "cost")
    x = np.asarray(fig.data[0].x)
    assert len(x) <= MAX_CURVE_POINTS + 1 and x[0] == 0 and x[-1] == 1000
    np.testing.assert_allclose(np.asarray(fig.data[0].y), train[x])
    np.testing.assert_allclose(np.asarray(fig.data[1].y), 2 * train[x])
    short = cost_curves([0.5, 0.4], [0.6, 0.5], "cost")
    assert list(short.data[0].x) == [0, 1]


def test_the_layout_places_columns_of_tiles_centred():
    layout = Layout.of([2, 4, 1])
    pitch = TILE + GAP
    assert (layout.rows, layout.columns) == (4 * pitch - GAP, 3 * (TILE + 4 * GAP) - 4 * GAP)
    assert layout.corner(1, 0) == (0, TILE + 4 * GAP) and layout.corner(1, 3) == (3 * pitch, TILE + 4 * GAP)
    assert layout.corner(0, 0) == (pitch, 0)                                      # two tiles beside four: centred
    assert layout.corner(2, 0) == (3 * pitch // 2, 2 * (TILE + 4 * GAP))


def test_each_tile_is_its_neurons_values_flipped_and_scaled():
    tiles = [RNG.normal(size=(TILE, TILE, 2)), RNG.normal(size=(TILE, TILE, 3))]
    layout = Layout.of([2, 3])
    picture = composite(tiles, layout)
    for l, values in enumerate(tiles):
        for n in range(values.shape[-1]):
            r, c = layout.corner(l, n)
            expected = values[::-1, :, n] / np.abs(values[..., n]).max()          # row 0 at the top: y flipped
            np.testing.assert_allclose(picture[r:r + TILE, c:c + TILE], expected)
    filled = sum(v.shape[-1] for v in tiles) * TILE * TILE
    assert np.isfinite(picture).sum() == filled                                   # NaN everywhere else
    np.testing.assert_array_equal(scaled_tile(np.zeros((2, 2))), np.zeros((2, 2)))


def test_every_weight_is_a_line_from_its_source_to_its_target():
    weights = [RNG.normal(size=(3, 2)), RNG.normal(size=(1, 3))]
    layout = Layout.of([2, 3, 1])
    lines = list(weight_lines(layout, weights))
    assert len(lines) == 2 * 3 + 3 * 1
    for x0, y0, x1, y1, w, layer, source, target in lines:
        assert w == weights[layer][target, source]
        r0, c0 = layout.corner(layer, source)
        r1, c1 = layout.corner(layer + 1, target)
        assert (x0, y0, x1, y1) == (c0 + TILE, r0 + TILE / 2, c1, r1 + TILE / 2)   # right edge -> left edge


@pytest.mark.parametrize("w, width", [(0.1, LINE_WIDTHS[0]), (-0.5, LINE_WIDTHS[1]), (1.0, LINE_WIDTHS[2]),
                                      (-3.0, LINE_WIDTHS[3])])
def test_a_line_is_as_wide_as_its_weight_is_large(w, width):
    assert line_width(w) == width


def test_neurons_and_columns_are_named_for_the_hover_and_a_screen_reader():
    assert neuron_name(0, 1, ["x", "y"], 2) == "y" and neuron_name(2, 0, ["x"], 2) == "output 1"
    assert neuron_name(1, 3, ["x"], 2) == "layer 1 neuron 4"
    assert column_labels(4) == ["inputs", "layer 1", "layer 2", "output"] and column_labels(2) == ["inputs", "output"]
    summary = network_summary((2, 3, 1), [np.array([[0.5, -1.25]]), np.array([[2.0]])])
    assert summary == "Neurons per layer: inputs (2), layer 1 (3), output (1); 3 weights from -1.25 to 2."
    assert network_summary((2,), []) == "Neurons per layer: inputs (2)."


def test_the_tiles_picture_is_transparent_between_tiles():
    tiles = [RNG.normal(size=(TILE, TILE, 1)), RNG.normal(size=(TILE, TILE, 1))]
    layout = Layout.of([1, 1])
    picture = np.asarray(Image.open(io.BytesIO(tiles_png(tiles, layout, scale=1))))
    assert picture.shape == (layout.rows, layout.columns, 4)
    assert (picture[:, :TILE, 3] == 255).all() and (picture[:, TILE:TILE + 4 * GAP, 3] == 0).all()
    np.testing.assert_array_equal(picture[:, :TILE, :3], diverging_rgb(composite(tiles, layout)[:, :TILE]))
    assert tuple(diverging_rgb(np.array([0.0]))[0]) == (248, 250, 252)           # 0 is the scale's near-white


def test_the_figure_and_the_download_hold_the_same_network():
    tiles = [RNG.normal(size=(TILE, TILE, 2)), RNG.normal(size=(TILE, TILE, 1))]
    weights = [np.array([[0.3, -2.0]])]
    fig = network(tiles, weights, ["x", "y"], "the network")
    hovers = list(fig.data[-1].text)
    assert hovers == ["w = 0.300<br>x → output 1", "w = -2.000<br>y → output 1"]
    assert fig.layout.meta["summary"] == network_summary((2, 1), weights)
    assert fig.layout.images[0].source.startswith("data:image/png;base64,")
    png = Image.open(io.BytesIO(network_png(tiles, weights, ["x", "y"], scale=2)))
    layout = Layout.of([2, 1])
    assert png.format == "PNG" and png.size == (layout.columns * 2 + 100, layout.rows * 2 + 50)


@pytest.mark.parametrize("px, py, point", [(0, 0, (-6.0, 6.0)), (CANVAS - 1, CANVAS - 1, (6.0, -6.0)),
                                           ((CANVAS - 1) / 2, (CANVAS - 1) / 2, (0.0, 0.0))])
def test_a_click_on_the_canvas_is_a_point_of_the_plane(px, py, point):
    assert canvas_to_plane(px, py, 6.0) == pytest.approx(point)


def test_the_canvas_draws_each_point_where_a_click_would_put_it():
    canvas = points_canvas([[2.0, 3.0, 1], [-4.0, -1.0, 2]], 6.0)
    assert canvas.shape == (CANVAS, CANVAS, 3)
    for x, y, label in ((2.0, 3.0, 1), (-4.0, -1.0, 2)):
        px = round((x + 6) / 12 * (CANVAS - 1))
        py = round((6 - y) / 12 * (CANVAS - 1))
        assert canvas_to_plane(px, py, 6.0) == pytest.approx((x, y), abs=0.02)
        colour = CLASS_COLOURS[label]
        assert tuple(canvas[py, px]) == tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    assert tuple(canvas[5, 5]) == (255, 255, 255)
