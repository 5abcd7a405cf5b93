"""components/unet_figures.py: the U is laid out as the U-Net's levels, each level's maps are drawn scaled to their
own largest |value|, a cut skip is drawn cut, and the table and the loss curve carry the numbers they are given."""
import numpy as np
import pytest

from components.unet_figures import Level, image_table, loss_curve, mosaic, place, unet_levels
from components.style import NEGATIVE


def levels(cut_skips=(), cut_mid=False):
    rng = np.random.default_rng(0)
    shown = []
    for name, side, width in (("down.0", 16, 12), ("down.1", 8, 24), ("down.2", 4, 48), ("mid", 4, 48),
                              ("up.0", 4, 48), ("up.1", 8, 24), ("up.2", 16, 12)):
        index = int(name[-1]) if name.startswith("up") else -1
        shown.append(Level(name, rng.normal(size=(4, side, side)), [3, 1, 0, 2], width,
                           cut=index in cut_skips or (name == "mid" and cut_mid),
                           skips=[12, 12] if name == "up.2" else [24, 12] if name == "up.1" else [48, 24]
                           if name == "up.0" else []))
    return shown


def test_the_levels_sit_in_a_u():
    cells = [place(name, 3) for name in ("down.0", "down.1", "down.2", "mid", "up.0", "up.1", "up.2")]
    assert cells == [(0, 1), (1, 2), (2, 3), (2, 4), (2, 5), (1, 6), (0, 7)]


def test_each_map_is_scaled_to_its_own_largest_value():
    maps = np.stack([np.full((4, 4), 3.0), -np.arange(16.0).reshape(4, 4), np.zeros((4, 4)), np.eye(4) * 0.5])
    tiled = mosaic(maps)                                                            # (9, 9): 2 x 2 with a gap
    assert tiled.shape == (9, 9) and np.isnan(tiled[4]).all() and np.isnan(tiled[:, 4]).all()
    np.testing.assert_allclose(tiled[:4, :4], 1.0)
    assert tiled[:4, 5:].min() == -1.0 and tiled[5:, :4].max() == 0.0 and tiled[5:, 5:].max() == 1.0


def test_the_u_draws_every_level_the_input_and_the_output():
    x_t, eps = np.zeros((16, 16)), np.ones((16, 16))
    fig = unet_levels(levels(), x_t, eps, "Inside")
    assert len(fig.data) == 9
    np.testing.assert_array_equal(fig.data[0].z, x_t)
    np.testing.assert_array_equal(fig.data[1].z, eps)
    first = levels()[0]
    np.testing.assert_allclose(fig.data[2].z, mosaic(first.maps))
    texts = [a.text for a in fig.layout.annotations]
    assert "<b>encoder 16×16</b><br>12 channels" in texts and "<b>bottleneck 4×4</b><br>48 channels" in texts
    assert "skips, concatenated: +12 +12 channels" in texts and "skips, concatenated: +48 +24 channels" in texts
    assert fig.layout.title.text == "Inside"


def test_a_cut_is_drawn_cut():
    fig = unet_levels(levels(cut_skips=(2,), cut_mid=True), np.zeros((16, 16)), np.zeros((16, 16)), "cut")
    texts = [a.text for a in fig.layout.annotations]
    assert "✂ skips cut: zeros concatenated" in texts and "skips, concatenated: +24 +12 channels" in texts
    assert any(t.endswith("· <b>cut</b>") and "bottleneck" in t for t in texts)
    dashed = [shape for shape in fig.layout.shapes if shape.line.dash == "dash"]
    assert len(dashed) == 1 and dashed[0].line.color == NEGATIVE


def test_the_table_holds_its_images_in_their_ranges():
    rows = [[np.full((2, 2), v) for v in (0.1, 0.2, 0.3)], [np.full((2, 2), v) for v in (0.4, 0.5, 0.6)]]
    fig = image_table(rows, ["a", "b", "c"], ["one", "two"], "T", zranges=[(-1, 1), (-1, 1), (-2, 2)],
                      diverging=[False, False, True])
    assert len(fig.data) == 6 and [trace.z[0][0] for trace in fig.data] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert (fig.data[2].zmin, fig.data[2].zmax) == (-2, 2) and fig.data[2].colorscale != fig.data[0].colorscale
    assert {a.text for a in fig.layout.annotations} == {"a", "b", "c", "one", "two"}


def test_the_loss_curve_plots_the_mean_and_marks_the_example():
    losses = np.array([[0.3, 0.1], [0.02, 0.04], [0.001, 0.003]])               # (K, N)
    fig = loss_curve([0, 500, 999], losses, 500, 0.02, "Loss")
    mean = [trace for trace in fig.data if trace.name == "mean over the 2 noises"][0]
    np.testing.assert_allclose(mean.y, [0.2, 0.03, 0.002])
    marked = [trace for trace in fig.data if trace.name == "this example (t = 500)"][0]
    assert list(marked.x) == [500] and list(marked.y) == [0.02]
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.range[0] < np.log10(0.001)


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_an_all_zero_or_constant_level_draws(value):
    maps = np.full((4, 4, 4), value)
    assert np.nanmax(np.abs(mosaic(maps))) == value
