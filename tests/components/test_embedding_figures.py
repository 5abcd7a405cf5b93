"""Embedding arithmetic's figures: the points of each kind where they were passed in, the parallelogram's arrows
between the points named, and words along a direction in order of their cosine."""
import numpy as np

from components.embedding_figures import arithmetic_picture, direction_strip


def test_points_and_arrows_are_the_ones_passed_in():
    points = np.array([[0.0, 0.0], [1.0, 0.2], [0.1, 1.0], [1.1, 1.2], [1.2, 1.1]])
    labels = ["man", "king", "woman", "queen", "princess"]
    kinds = ["input", "input", "input", "result", "neighbour"]
    fig = arithmetic_picture(points, labels, kinds, arrows=[(0, 1), (2, 3)])
    by_kind = {trace.name: trace for trace in fig.data}
    assert list(by_kind["input"].text) == ["man", "king", "woman"]
    np.testing.assert_array_equal(np.asarray(by_kind["input"].x), points[:3, 0])
    assert list(by_kind["result"].text) == ["queen"] and by_kind["result"].marker.symbol == "star"
    assert list(by_kind["neighbour"].text) == ["princess"]
    arrows = [(a.ax, a.ay, a.x, a.y) for a in fig.layout.annotations]
    assert arrows == [(0.0, 0.0, 1.0, 0.2), (0.1, 1.0, 1.1, 1.2)]              # from man to king, woman to queen
    assert fig.layout.yaxis.scaleanchor == "x"                                  # distances not stretched


def test_a_kind_with_no_points_draws_no_trace():
    fig = arithmetic_picture(np.zeros((1, 2)), ["paris"], ["input"], [])
    assert [t.name for t in fig.data] == ["input"] and not fig.layout.annotations


def test_words_sit_along_the_direction_in_order():
    values = np.array([0.3, -0.8, 0.95, 0.0])
    fig = direction_strip(values, ["king", "woman", "man", "table"], "man − woman")
    strip = fig.data[0]
    assert list(strip.x) == [-0.8, 0.0, 0.3, 0.95] and list(strip.text) == ["woman", "table", "king", "man"]
    assert list(strip.marker.color) == list(strip.x) and (strip.marker.cmin, strip.marker.cmax) == (-1, 1)
    assert tuple(fig.layout.xaxis.range) == (-1, 1) and fig.layout.title.text == "man − woman"
