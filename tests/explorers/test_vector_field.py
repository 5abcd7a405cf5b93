"""The vector-field panel's views and endpoints on the committed toy models: the field is the model's prediction
through the stated formulas, the samplers are deterministic where they should be, guidance tightens a class, and
bad input gets a message."""
import math

import gradio as gr
import numpy as np
import pytest
import torch

from explorers.generation.vector_field import (GUIDANCE_WEIGHTS, PROBE, field_view, grid_points, guidance_view,
                                               sample_paths_endpoint, sampling_view, vector_field_endpoint)
from models.toy_diffusion import load_toy_diffusion


def prediction(model, points: np.ndarray, t: int, label: int) -> torch.Tensor:
    """The network itself, called by hand (the reference for the panel's numbers)."""
    x = torch.tensor(points, dtype=torch.float32)
    with torch.inference_mode():
        return model.network(x, torch.full((len(x),), t), torch.full((len(x),), label))


def test_the_field_is_minus_the_noise_over_its_scale():
    model = load_toy_diffusion("spiral")
    result = vector_field_endpoint("spiral", 400, -1, 0.0, 9)
    grid, _ = grid_points(9)
    np.testing.assert_allclose(result["grid"], grid)
    eps = prediction(model, grid, 400, model.no_label)
    expected = -eps / math.sqrt(1 - float(model.alphas_cumprod[400]))
    np.testing.assert_allclose(result["field"], expected.numpy(), rtol=1e-5, atol=1e-6)


def test_the_guided_field_is_the_formula_of_two_predictions():
    model = load_toy_diffusion("moons")
    w, t = 3.0, 150
    result = vector_field_endpoint("moons", t, 0, w, 7)
    grid, _ = grid_points(7)
    cond, uncond = prediction(model, grid, t, 0), prediction(model, grid, t, model.no_label)
    guided = (w + 1) * cond - w * uncond
    np.testing.assert_allclose(result["field"], (-guided / math.sqrt(1 - float(model.alphas_cumprod[t]))).numpy(),
                               rtol=1e-4, atol=1e-5)


def test_the_formula_shows_the_probes_numbers():
    model = load_toy_diffusion("spiral")
    formula, cloud, field = field_view("spiral", 250, -1, 0.0, 15)
    eps = prediction(model, np.array([PROBE]), 250, model.no_label)[0]
    assert f"{abs(float(eps[0])):.3f}" in formula                # number() writes 3 decimals, a real minus sign
    assert "\\bar\\alpha_{250}" in formula and field.layout.title.text.startswith("The learned field at t = 250")
    assert len(cloud.data) == 2                                   # the faint data and the noised cloud


def drawn_lengths(figure, arrows: int) -> np.ndarray:
    """The length of every arrow's shaft in the figure's field trace: from its grid point to its tip."""
    trace = figure.data[1]
    strokes = np.stack([np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)], axis=1)
    strokes = strokes.reshape(arrows, 7, 2)                             # start, tip, gap, left, tip, right, gap
    return np.linalg.norm(strokes[:, 1] - strokes[:, 0], axis=1)


def test_the_arrows_grow_as_t_falls_on_one_stated_scale():
    """Issue #37: at t = 20, 100 and 900 the arrows were all scaled to the same longest length, so they looked
    alike. On one fixed scale the drawn lengths follow the network's own |s| at every t."""
    model = load_toy_diffusion("spiral")
    grid, spacing = grid_points(25)
    mean_length, mean_size = {}, {}
    for t in (20, 100, 900):
        _, _, figure = field_view("spiral", t, -1, 0.0, 25)
        eps = prediction(model, grid, t, model.no_label)
        sizes = (eps / math.sqrt(1 - float(model.alphas_cumprod[t]))).norm(dim=1).numpy()       # |s|, (625,)
        lengths = drawn_lengths(figure, len(grid))
        stated = spacing * np.log(1 + 3 * sizes) / np.log(256)          # |s| = 1, 5, 85: ¼, ½, 1 grid cell
        np.testing.assert_allclose(lengths, stated, rtol=1e-4, atol=1e-6)
        mean_length[t], mean_size[t] = lengths.mean(), sizes.mean()
        assert "|s| = 85 is 1 grid cell, 5 is ½, 1 is ¼" in figure.layout.title.text
        assert f"mean |s| here: {sizes.mean():.1f}" in figure.layout.title.text
    assert mean_size[20] > 15 * mean_size[900]                          # the network's field: about 22 times
    assert mean_length[20] > 2 * mean_length[900] and mean_length[20] > mean_length[100] > mean_length[900]
    assert mean_length[20] < spacing                                    # and still within its grid cell


def test_ddim_paths_repeat_and_ddpm_paths_follow_their_seed():
    ddim = [np.array(sample_paths_endpoint("spiral", "ddim", 20, 0.0, -1, 30, seed)["paths"]) for seed in (0, 5)]
    again = np.array(sample_paths_endpoint("spiral", "ddim", 20, 0.0, -1, 30, 5)["paths"])
    assert ddim[0].shape == (21, 30, 2) and np.array_equal(ddim[1], again)
    ddpm = [np.array(sample_paths_endpoint("spiral", "ddpm", 20, 0.0, -1, 30, seed)["paths"]) for seed in (0, 0, 1)]
    assert np.array_equal(ddpm[0], ddpm[1]) and not np.array_equal(ddpm[0][-1], ddpm[2][-1])
    assert np.array_equal(ddpm[0][0], ddim[0][0])                # the same starting noise for both samplers


def test_the_sampling_view_measures_both_samplers_against_the_data():
    paths, marginals, note = sampling_view("moons", -1, 0.0, 50, 200, 0)
    assert "DDPM **" in note and "DDIM **" in note and "fresh points of the data itself" in note
    assert len(paths.data) == 8 and len(marginals.data) == 6     # 2 panels x 4 traces; 3 sets x 2 marginals


def test_more_guidance_pulls_a_class_onto_its_core():
    figure, note = guidance_view("moons", 0, 50, 200, 0)
    assert len(figure.data) == 2 * len(GUIDANCE_WEIGHTS) and "upper moon" in note
    spreads = [float(part.split(": ")[1]) for part in note.split("): ")[1].split(". The")[0].split(" · ")]
    assert spreads[-1] < spreads[0]                               # w = 8 is tighter than w = 0
    _, unlabelled = guidance_view("spiral", -1, 50, 100, 0)
    assert "needs classes" in unlabelled


@pytest.mark.parametrize("call, words", [
    (lambda: vector_field_endpoint("galaxy", 10), "Unknown data set"),
    (lambda: vector_field_endpoint("spiral", 1000), "t must be between 0 and 999"),
    (lambda: vector_field_endpoint("moons", 10, 2), "class must be between -1 and 1"),
    (lambda: vector_field_endpoint("spiral", 10, 0), "spiral data set has no classes"),
    (lambda: vector_field_endpoint("moons", 10, 0, float("nan")), "w must be a finite number"),
    (lambda: vector_field_endpoint("moons", 10, 0, 21), "w must be between 0 and 20"),
    (lambda: vector_field_endpoint("spiral", 10, -1, 0, 100), "grid size must be between 5 and 40"),
    (lambda: sample_paths_endpoint("spiral", "euler"), "choose ddpm or ddim"),
    (lambda: sample_paths_endpoint("spiral", "ddim", 1001), "steps must be between 1 and 1,000"),
    (lambda: sample_paths_endpoint("spiral", "ddim", 10, 0, -1, 501), "samples must be between 1 and 500"),
])
def test_bad_input_gets_a_message(call, words):
    with pytest.raises(gr.Error, match=words):
        call()


def test_vector_field_scene_at_t_900_points_to_the_middle(app_scene):
    from explorers.generation.vector_field import vector_field_endpoint

    dataset, t, label, w, size = app_scene("vector-field-scenes", "Gradient · at t = 900")
    result = vector_field_endpoint(dataset, t, label, w, size)
    grid, field = np.asarray(result["grid"]), np.asarray(result["field"])
    far = np.linalg.norm(grid, axis=1) > 1.0
    inward = (field[far] * -grid[far]).sum(axis=1) > 0                         # the arrow has a part toward 0
    assert inward.mean() > 0.95
