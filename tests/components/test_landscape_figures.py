"""Cost landscapes: the surface and the contour map are the grid passed in, paths are drawn until they leave the
plotted square (found by a plain loop), the gradient arrows point along ±grad C, and the cost is drawn against the
examples processed."""
import math

import numpy as np
import pytest

from components.landscape_figures import (ARROW_FRACTION, DOWNHILL, UPHILL, PathTrace, contour_map, cost_vs_examples,
                                          steps_inside, surface_3d)
from core.landscape import SURFACES, cost_grid, descend_surface

NAMES = ("x", "y", "C")


@pytest.fixture(scope="module")
def bowl():
    xs, ys, costs = cost_grid(SURFACES["bowl"].cost, (-2, 2), (-2, 2), points=21)
    return xs.numpy(), ys.numpy(), costs.numpy()


def loop_inside(points, xs, ys) -> int:
    for k, (x, y) in enumerate(points):
        if not (math.isfinite(x) and math.isfinite(y) and min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys)):
            return k
    return len(points)


@pytest.mark.parametrize("points", [[[0, 0], [1, 1], [3, 0], [0, 0]], [[0, 0], [1, 1]], [[5, 5]],
                                    [[0, 0], [np.nan, 0]], [[0, 0], [2, -2], [2.01, 0]]])
def test_steps_inside_counts_the_points_before_the_first_outside(points):
    xs, ys = np.linspace(-2, 2, 5), np.linspace(-2, 2, 5)
    assert steps_inside(np.array(points, dtype=float), xs, ys) == loop_inside(points, xs, ys)


def test_the_surface_is_the_grid_and_a_path_stays_on_it(bowl):
    xs, ys, costs = bowl
    _, path = descend_surface("bowl", 1.6, -1.2, 0.1, 0.0, 10)
    trace = PathTrace("gradient descent", path.points.numpy(), path.costs.numpy(), "#000000")
    fig = surface_3d(xs, ys, costs, "the bowl", NAMES, [trace], marker=(0.5, 0.5, 0.5))
    surface = fig.data[0]
    np.testing.assert_allclose(np.asarray(surface.z), costs, rtol=1e-6)         # float32 on the wire
    np.testing.assert_array_equal(np.asarray(surface.x), xs)
    lift = 0.01 * (costs.max() - costs.min())
    drawn = fig.data[1]
    np.testing.assert_allclose(np.asarray(drawn.z), path.costs.numpy() + lift)  # just above the surface
    assert fig.data[2].name == "current point" and fig.data[2].x[0] == 0.5
    scene = fig.layout.scene
    assert tuple(scene.xaxis.range) == (-2, 2) and tuple(scene.zaxis.range) == pytest.approx(
        (costs.min(), costs.max() + 3 * lift))
    assert scene.xaxis.title.text == "x" and scene.zaxis.title.text == "C"


def test_a_path_that_leaves_the_map_is_cut_and_says_where(bowl):
    xs, ys, costs = bowl
    _, path = descend_surface("bowl", 1.6, 1.2, 1.5, 0.0, 100)                   # diverges
    points = path.points.numpy()
    k = loop_inside(points.tolist(), xs, ys)
    fig = contour_map(xs, ys, costs, "the bowl", NAMES, [PathTrace("too far", points, path.costs.numpy(), "#f00")])
    assert len(fig.data[1].x) == len(points)                                     # the whole path, axes fixed
    (mark,) = [t for t in fig.data if t.name and "left the plotted range" in t.name]
    assert list(mark.text) == [f"left at step {k}"] and (mark.x[0], mark.y[0]) == tuple(points[k - 1])
    assert tuple(fig.layout.xaxis.range) == (-2, 2) and tuple(fig.layout.yaxis.range) == (-2, 2)


def test_the_gradient_arrows_point_uphill_and_downhill_at_a_fixed_length(bowl):
    xs, ys, costs = bowl
    point, gradient = (1.0, 0.5), (2.0, 1.0)                                     # grad C = 2 (x, y) on the bowl
    fig = contour_map(xs, ys, costs, "the bowl", NAMES, marker=point, gradient=gradient)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), costs.astype(np.float32))
    arrows = {a.arrowcolor: a for a in fig.layout.annotations if a.showarrow}
    length = ARROW_FRACTION * 4
    for colour, sign in ((UPHILL, 1), (DOWNHILL, -1)):
        arrow = arrows[colour]
        assert (arrow.ax, arrow.ay) == point
        step = np.array([arrow.x - point[0], arrow.y - point[1]])
        assert np.linalg.norm(step) == pytest.approx(length)
        np.testing.assert_allclose(step / length, sign * np.array(gradient) / np.hypot(*gradient))
    flat = contour_map(xs, ys, costs, "the bowl", NAMES, marker=(0, 0), gradient=(0.0, 0.0))
    assert not flat.layout.annotations                                           # no direction at a minimum


def test_cost_against_examples_is_drawn_on_a_log_axis():
    fig = cost_vs_examples([("full batch", np.array([0, 268, 536]), np.array([0.4, 0.3, 0.2]), "#000")], 268)
    assert list(fig.data[0].x) == [1, 268, 536] and list(fig.data[0].y) == [0.4, 0.3, 0.2]   # the start drawn at 1
    assert fig.layout.xaxis.type == "log"
    (line,) = fig.layout.shapes
    assert line.x0 == pytest.approx(math.log10(268))                             # one full pass
    assert fig.layout.annotations[0].text == "one full pass (N = 268)"
