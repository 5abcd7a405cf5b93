"""The gradient-descent panel: what it shows equals the references (closed forms, the core paths checked against
torch, a plain loop for the network landscape); the endpoints return plain JSON; bad input gets a clear message;
its scenes show what they say."""
import json

import gradio as gr
import numpy as np
import pytest
import torch

from components.landscape_figures import DOWNHILL
from core.landscape import SURFACES, descend_surface
from core.loss_landscape import axis, landscape_loop, random_directions
from core.mlp import N_PARAMETERS, cost
from explorers.learning.descent import descend_endpoint
from explorers.learning.descent.landscape import landscape_endpoint, update_network
from explorers.learning.descent.sgd import DATA_SURFACE, N_TRAIN_3_8, digits_data, update_data
from explorers.learning.descent.toy import TABLE_ROWS, descent_gif, step_range, update_toy, vector
from models.digit_network import load_digit_network
from tests.handlers import refuses


def plain_json(value) -> str:
    return json.dumps(value, allow_nan=False)


def test_descend_endpoint_gives_the_closed_form_path_on_the_bowl():
    result = descend_endpoint("bowl", 1.6, -1.2, 0.1, 0.0, 20)
    plain_json(result)
    assert result["diverged"] is False and result["diverged_at_step"] is None and len(result["path"]) == 21
    for k, (x, y, c) in enumerate(result["path"]):
        assert (x, y) == pytest.approx((0.8 ** k * 1.6, 0.8 ** k * -1.2), rel=1e-12)
        assert c == pytest.approx(x * x + y * y, rel=1e-12)


def test_descend_endpoint_reports_divergence_as_plain_json():
    result = descend_endpoint("bowl", 1.6, 1.2, 1.5, 0.0, 100)
    plain_json(result)                                              # no NaN, no inf
    assert result["diverged"] is True and result["diverged_at_step"] == len(result["path"]) == 20


def test_descend_endpoint_on_the_digits_cost_full_and_mini_batch():
    n = len(digits_data().x)
    full = descend_endpoint(DATA_SURFACE, -2, 2, 3.0, 0.0, 10, 0)
    same = descend_endpoint(DATA_SURFACE, -2, 2, 3.0, 0.0, 10, n)
    mini = descend_endpoint(DATA_SURFACE, -2, 2, 3.0, 0.0, 10, 16, 1)
    plain_json(mini)
    assert full["path"] == same["path"] and full["examples_processed"] == [k * n for k in range(11)]
    assert mini["examples_processed"][:3] == [0, 16, 32] and mini["path"] != full["path"]


def test_landscape_endpoint_equals_the_plain_loop(digits):
    result = landscape_endpoint(5, 0.5, "relu", 3)
    plain_json(result)
    params = load_digit_network("relu").params
    d1, d2 = random_directions(params, 3)
    alphas = axis(5, 0.5)
    x, y = torch.tensor(digits.x_train), torch.tensor(digits.y_train)
    expected = landscape_loop(params, d1, d2, x, y, "relu", alphas, alphas)
    np.testing.assert_allclose(result["cost"], expected.numpy(), rtol=1e-5, atol=1e-6)
    assert result["alphas"] == pytest.approx(alphas.tolist())
    assert result["trained_cost"] == pytest.approx(float(cost(params, x, y, "relu")), rel=1e-5)


@pytest.mark.parametrize("args, message", [
    (("bowl", 1, 1, 0, 0, 10), "above 0"),
    (("bowl", 1, 1, -1, 0, 10), "above 0"),
    (("bowl", 1, 1, 1e9, 0, 10), "at most 10"),
    (("bowl", 1, 1, float("nan"), 0, 10), "finite"),
    (("bowl", 9, 1, 0.1, 0, 10), "start x must be between -2 and 2"),
    (("bowl", 1, 1, 0.1, 0, 10_000), "steps must be between 1 and 300"),
    (("moon", 1, 1, 0.1, 0, 10), "Unknown surface"),
    ((DATA_SURFACE, 20, 0, 0.1, 0, 10), "start w must be between -4 and 8"),
    ((DATA_SURFACE, 0, 0, 0.1, 0, 10, 5000), "batch size must be between 1 and"),
])
def test_descend_endpoint_errors(args, message):
    with pytest.raises(gr.Error, match=message):
        descend_endpoint(*args)


@pytest.mark.parametrize("args, message", [
    ((62, 1.0), "grid size must be between 3 and 61"),
    ((41, 10.0), "range must be between 0.01 and 3"),
    ((41, 1.0, "tanh"), "sigmoid or relu"),
    ((41, 1.0, "sigmoid", -1), "seed must be between 0"),
])
def test_landscape_endpoint_errors(args, message):
    with pytest.raises(gr.Error, match=message):
        landscape_endpoint(*args)


def test_toy_panel_shows_the_path_its_table_and_the_arrows():
    formula, surface, contour, table, status = update_toy("valley", -4.5, 1.5, 0.45, 0.0, 40, 2)
    _, path = descend_surface("valley", -4.5, 1.5, 0.45, 0.0, 40)
    traces = [t for t in contour.data if t.name and t.name.startswith("descent")]
    np.testing.assert_allclose(np.asarray(traces[0].x), path.points[:, 0].numpy())
    assert len(table) == TABLE_ROWS and table[3][1] == pytest.approx(float(path.points[3, 0]), abs=1e-5)
    assert table[3][4] == pytest.approx(0.2 * float(path.points[3, 0]), rel=1e-4)      # dC/dx = 0.2 x
    x2, y2 = path.points[2].tolist()
    assert f"{x2:.4g}".replace("-", "−") in formula and "theta_{3}" in formula
    arrows = [a for a in contour.layout.annotations if a.showarrow]
    assert len(arrows) == 2 and all((a.ax, a.ay) == pytest.approx((x2, y2)) for a in arrows)
    downhill = next(a for a in arrows if a.arrowcolor == DOWNHILL)
    step = np.array([downhill.x - x2, downhill.y - y2])
    gradient = np.array([0.2 * x2, 4 * y2])
    assert np.dot(step, -gradient) / (np.linalg.norm(step) * np.linalg.norm(gradient)) == pytest.approx(1)
    assert "After 40 steps" in status


def test_toy_panel_says_diverged_and_shows_momentum_formula():
    formula, _, _, _, status = update_toy("bowl", 1.6, 1.2, 1.5, 0.0, 100, 99)
    assert "Diverged at step 20" in status
    formula, _, _, _, _ = update_toy("bowl", 1.6, 1.2, 0.1, 0.9, 30, 5)
    assert r"v_{6} = \mu\, v_{5}" in formula
    _, path = descend_surface("bowl", 1.6, 1.2, 0.1, 0.9, 30)
    # the formula shows the velocities the descent recorded: v_5 before the step, v_6 after it
    assert f"0.9 {vector(*path.velocities[5].tolist())} + " in formula
    assert f"= {vector(*path.velocities[6].tolist())}$$" in formula


def test_a_diverging_path_is_written_in_powers_of_ten():
    # the formula showed -8.389e+05 (KaTeX drew "8.389e + 05") and C: 1.1e+12
    formula, _, _, _, status = update_toy("bowl", 1.6, 1.2, 1.5, 0.0, 100, 99)
    assert r"−8.389 \times 10^{5}" in formula and r"C: \; 1.1 \times 10^{12} \;\to\; 4.398 \times 10^{12}" in formula
    _, _, _, _, status = update_toy("bowl", 1.6, 1.2, 1.05, 0.0, 100, 99)
    assert "C = **7.596 × 10⁸**" in status
    assert "e+" not in formula + status


def test_data_panel_measures_sgd_against_full_batch():
    formula, contour, curves, measured = update_data(-2, 2, 3.0, 40, 16, 0)
    assert r"\frac{16}{268} = 6.0 \%" in formula
    assert "SGD needed" in measured and "fewer examples" in measured
    names = [t.name for t in contour.data if t.name]
    assert any("full-batch" in n for n in names) and any("B = 16" in n for n in names)
    assert list(curves.data[1].x[:3]) == [1, 16, 32]                  # examples processed (0 drawn at 1)


def test_network_panel_draws_the_endpoint_numbers():
    surface, contour, status = update_network("sigmoid", 7, 1.0, 0)
    expected = landscape_endpoint(7, 1.0, "sigmoid", 0)
    np.testing.assert_allclose(np.asarray(contour.data[0].z), expected["cost"], rtol=1e-6)
    assert f"{expected['trained_cost']:.4f}" in status and "slice" in status
    assert f"= {expected['cost'][-1][-1]:.4f}$$" in status                        # C(theta* + d1 + d2)


def test_gif_of_the_descent(tmp_path):
    path = descent_gif("wells", *SURFACES["wells"].start, 0.3, 0.0, 80)
    with open(path, "rb") as handle:
        assert handle.read(6) == b"GIF89a"


def test_panel_refuses_bad_input_with_a_message():
    refuses(lambda: update_toy("bowl", 1, 1, 0, 0, 10, 0), "above 0")
    refuses(lambda: update_data(-2, 2, 3.0, 40, 0, 0), "batch size")
    refuses(lambda: update_network("sigmoid", 1000, 1.0, 0), "grid size")


def test_the_step_slider_keeps_its_value_unless_it_must_shrink():
    # A link sets n and k together; a stale k read by n's change event must not be sent back over the link's k.
    assert step_range(40, 0).constructor_args == {"maximum": 40}
    assert step_range(10, 25).constructor_args == {"maximum": 10, "value": 10}


def test_the_counts_written_into_the_widgets_are_the_datas_and_the_networks():
    """The batch slider and the landscape's text are built before any data or weights are loaded (fast start)."""
    assert len(digits_data().x) == N_TRAIN_3_8
    assert sum(p.numel() for p in load_digit_network("sigmoid").params.values()) == N_PARAMETERS


def test_a_diverging_path_keeps_the_plotted_range_and_says_where_it_left():
    _, surface_figure, contour, _, _ = update_toy("bowl", 1.6, 1.2, 1.5, 0.0, 100, 99)
    _, path = descend_surface("bowl", 1.6, 1.2, 1.5, 0.0, 100)
    xs, ys = np.asarray(surface_figure.data[0].x), np.asarray(surface_figure.data[0].y)
    points = path.points.numpy()
    first_out = next(i for i, (x, y) in enumerate(points)                       # a plain loop over the path
                     if not (xs.min() <= x <= xs.max() and ys.min() <= y <= ys.max()))
    scene = surface_figure.layout.scene
    assert tuple(scene.xaxis.range) == (xs.min(), xs.max()) and tuple(scene.yaxis.range) == (ys.min(), ys.max())
    assert scene.zaxis.range[1] < 1.1 * float(np.max(surface_figure.data[0].z))   # not out to the path's 10^12
    drawn = surface_figure.data[1]
    assert len(drawn.x) == first_out                                               # the steps until it left
    for figure in (surface_figure, contour):
        marks = [t for t in figure.data if t.name and "left the plotted range" in t.name]
        assert len(marks) == 1 and list(marks[0].text) == [f"left at step {first_out}"]
    _, inside, contour_inside, _, _ = update_toy("bowl", 1.6, 1.2, 0.1, 0.0, 30, 5)
    assert not [t for t in [*inside.data, *contour_inside.data] if t.name and "left" in t.name]


def walk(sample):
    name, x, y, eta, mu, steps, _ = sample
    return descend_surface(name, x, y, eta, mu, steps)[1]


def test_descent_scenes(app_scene):
    bowl = walk(app_scene("descent-scenes", "Gradient Descent · the bowl"))
    assert not bowl.diverged and float(bowl.costs[-1]) < 0.01                       # rolls to the bottom
    too_far = walk(app_scene("descent-scenes", "Gradient Descent · η = 1.05"))
    assert too_far.diverged or float(too_far.costs[-1]) > float(too_far.costs[0])   # it diverges
    zigzag = walk(app_scene("descent-scenes", "Gradient Descent · ill-conditioned valley"))
    moves = torch.diff(zigzag.points, dim=0)                                         # (steps, 2)
    flips = int((torch.sign(moves[1:]) != torch.sign(moves[:-1])).sum(dim=0).max())
    assert flips >= 0.8 * (len(moves) - 1)                                           # the steep axis flips each step
    momentum = walk(app_scene("descent-scenes", "Gradient Descent · momentum 0.5"))
    moves = torch.diff(momentum.points, dim=0)
    assert int((torch.sign(moves[1:]) != torch.sign(moves[:-1])).sum(dim=0).max()) < 0.6 * flips   # it dies out
    assert float(momentum.costs[20]) < 0.01 * float(zigzag.costs[20])                # and the bottom comes sooner
    sample = app_scene("descent-scenes", "Gradient · at a saddle")
    saddle, k = walk(sample), int(sample[-1])
    assert float(saddle.gradients[k].norm()) < 0.1 * float(saddle.gradients[0].norm())   # almost zero at step k,
    assert float(saddle.points[k].norm()) < 0.15                                          # by the saddle (0, 0)
    name, x, y, eta, mu, steps, _ = app_scene("descent-scenes", "Cost Function · several minima")
    here = descend_surface(name, x, y, eta, mu, steps)[1].points[-1]
    there = descend_surface(name, -x, y, eta, mu, steps)[1].points[-1]               # the mirrored start
    assert float((here - there).norm()) > 1.0                                        # ends in another minimum
