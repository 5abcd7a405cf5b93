"""The vector-field panel's views and endpoints on the committed toy models: the field is the model's prediction
through the stated formulas (the score, the implicit classifier, guidance as their sum), the samplers are
deterministic where they should be, DDPM without its noise piles up where DDPM spreads (and the distances say so),
guidance tightens a class, and bad input gets a message."""
import math
import re

import gradio as gr
import numpy as np
import pytest
import torch

from core.sample_quality import nearest_neighbour_distance
from core.vector_field import SAMPLERS, sliced_wasserstein
from explorers.generation.vector_field.field import (DEFAULT_FIELDS, PROBE, field_view, grid_points, toy_points,
                                                     vector_field_endpoint)
from explorers.generation.vector_field.sampling import (GUIDANCE_WEIGHTS, guidance_view, sample_paths_endpoint,
                                                        sampling_view)
from models.toy_diffusion import load_toy_diffusion
from tests.handlers import refuses

EVERY_FIELD = ["uncond", "cond", "classifier", "guided"]


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
    formula, cloud, field = field_view("spiral", 250, -1, 0.0, 15, DEFAULT_FIELDS)
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
        _, _, figure = field_view("spiral", t, -1, 0.0, 25, DEFAULT_FIELDS)
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


def measured(note: str) -> dict[str, tuple[float, float, float]]:
    """The note's table: sampler -> (nearest, sliced Wasserstein, spread)."""
    rows = re.findall(r"^\| ([^|]+) \| \**([\d.]+)\** \| \**([\d.]+)\** \| ([\d.]+) \|$", note, re.M)
    return {name: tuple(float(x) for x in numbers) for name, *numbers in rows}


def test_the_sampling_view_measures_every_sampler_against_the_data():
    formula, paths, marginals, note = sampling_view("moons", -1, 0.0, 50, 200, 0, ["ddpm", "ddim"])
    assert set(measured(note)) == {"DDPM (fresh noise each step)", "DDIM (deterministic, η = 0)",
                                   "200 fresh points of the data itself"}
    assert len(paths.data) == 8 and len(marginals.data) == 6     # 2 panels x 4 traces; 3 sets x 2 marginals
    assert "What you see" not in note                            # the sentence compares DDPM with and without noise
    assert "x_{979} = " in formula and "K = 64" in formula


@pytest.mark.parametrize("dataset", ["spiral", "moons"])
def test_without_its_noise_ddpm_piles_up_and_the_distances_say_how_much(dataset):
    """The panel's numbers are the samples' own: the nearest-point distance and the sliced Wasserstein distance of
    the final samples drawn, recomputed here; without its noise the 300 samples pile onto one spot (spread under
    0.05 where DDPM's is about 1.3), which the sliced Wasserstein distance sees (more than 5 times DDPM's) and the
    nearest-point distance hardly does (on the data: within 2 times DDPM's)."""
    formula, paths, marginals, note = sampling_view(dataset, -1, 0.0, 50, 300, 0, list(SAMPLERS))
    data, _ = toy_points(dataset)
    table = measured(note)
    assert len(paths.data) == 12 and [a.text.split(", 50 steps")[0] for a in paths.layout.annotations] == [
        "DDPM (fresh noise each step)", "DDIM (deterministic, η = 0)", "DDPM without its noise"]
    for panel, (name, (nearest, sliced, spread)) in zip(range(3), list(table.items())[:3]):
        samples = np.stack([np.asarray(paths.data[4 * panel + 3].x), np.asarray(paths.data[4 * panel + 3].y)], 1)
        assert nearest == pytest.approx(nearest_neighbour_distance(torch.tensor(samples), torch.tensor(data)), abs=6e-4)
        assert sliced == pytest.approx(sliced_wasserstein(torch.tensor(samples), torch.tensor(data)), abs=6e-4)
        assert f"nearest {nearest:.3f} · SW₁ {sliced:.3f}" in paths.layout.annotations[panel].text
    ddpm, ddim, piled = (table[name] for name in ("DDPM (fresh noise each step)", "DDIM (deterministic, η = 0)",
                                                  "DDPM without its noise"))
    assert piled[2] < 0.05 < 1.0 < ddpm[2] and ddim[2] > 1.0
    assert piled[1] > 5 * ddpm[1] and piled[1] > 5 * ddim[1]
    assert piled[0] < 2 * ddpm[0]
    assert "**What you see:** without its noise, DDPM's samples pile up" in note
    assert "nearest-point distance hardly notices" in note


def test_the_sampler_card_says_the_first_steps_numbers():
    model = load_toy_diffusion("spiral")
    formula, *_ = sampling_view("spiral", -1, 0.0, 50, 50, 0, ["ddpm-no-noise"])
    abar_t, abar_prev = float(model.alphas_cumprod[999]), float(model.alphas_cumprod[979])
    beta = 1 - abar_t / abar_prev
    keep, sigma = (1 - beta) ** 0.5 * (1 - abar_prev) / (1 - abar_t), ((1 - abar_prev) / (1 - abar_t) * beta) ** 0.5
    assert f"{keep:.3f}\\,x_{{999}} + {sigma:.3f}\\,z" in formula
    assert f"{keep:.3f}^2 = {keep ** 2:.3f}" in formula                     # the cloud shrinks without the noise


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
    (lambda: sample_paths_endpoint("spiral", "euler"), "choose ddpm, ddim or ddpm-no-noise"),
    (lambda: sample_paths_endpoint("spiral", "ddim", 1001), "steps must be between 1 and 1,000"),
    (lambda: sample_paths_endpoint("spiral", "ddim", 10, 0, -1, 501), "samples must be between 1 and 500"),
])
def test_bad_input_gets_a_message(call, words):
    with pytest.raises(gr.Error, match=words):
        call()


def test_the_no_noise_sampler_through_the_endpoint_starts_from_ddpms_noise_and_piles_up():
    mean_only, ddpm = (np.array(sample_paths_endpoint("moons", sampler, 10, 0.0, -1, 20, 4)["paths"])
                       for sampler in ("ddpm-no-noise", "ddpm"))
    assert mean_only.shape == (11, 20, 2) and np.array_equal(mean_only[0], ddpm[0])    # the same starting noise
    assert mean_only[-1].std(0).max() < 0.1 < 0.5 < ddpm[-1].std(0).min()


@pytest.mark.parametrize("call, words", [
    (lambda: field_view("moons", 150, 0, 3.0, 15, []), "Tick at least one field"),
    (lambda: field_view("moons", 150, 0, 3.0, 15, ["gradient"]), "the fields are uncond, cond, classifier, guided"),
    (lambda: field_view("spiral", 150, -1, 3.0, 15, "guided"), "Unknown field"),
    (lambda: sampling_view("spiral", -1, 0.0, 50, 100, 0, []), "Tick at least one sampler"),
    (lambda: sampling_view("spiral", -1, 0.0, 50, 100, 0, ["euler"]), "the samplers are ddpm, ddim, ddpm-no-noise"),
    (lambda: sampling_view("spiral", -1, 0.0, 50, 1000, 0, ["ddpm"]), "samples must be between 1 and 500"),
])
def test_the_views_refuse_bad_input_in_words(call, words):
    refuses(call, words)


def test_without_a_class_the_fields_ticked_do_not_matter():
    """No class: the score is the only field (no class's), whatever is ticked, even nothing."""
    _, _, figure = field_view("spiral", 300, -1, 0.0, 9, [])
    _, _, every = field_view("spiral", 300, -1, 0.0, 9, EVERY_FIELD)
    assert [t.name for t in figure.data] == [t.name for t in every.data] == [
        "the data x₀", "score −ε̂/√(1−ᾱₜ): toward the data", "◆ the card's point"]


def test_the_card_reads_guidance_as_field_arithmetic_at_the_probe():
    """s = −ε̂/√(1−ᾱₜ) from the network itself at the probe, the classifier's field −(ε̂_c − ε̂_∅)/√(1−ᾱₜ), and
    the guided score as s_∅ + (w+1) times it, as the card writes them."""
    model = load_toy_diffusion("moons")
    t, w = 150, 3.0
    formula, _, figure = field_view("moons", t, 0, w, 9, EVERY_FIELD)
    cond, uncond = (prediction(model, np.array([PROBE]), t, label)[0] for label in (0, model.no_label))
    root = math.sqrt(1 - float(model.alphas_cumprod[t]))
    s_uncond, classifier = -uncond / root, -(cond - uncond) / root
    guided = s_uncond + (w + 1) * classifier

    def column(v):
        return " \\\\ ".join(f"{float(x):.3f}".replace("-", "−") for x in v)

    assert (f"= \\begin{{pmatrix}} {column(s_uncond)} \\end{{pmatrix}} + 4.00\\,\\begin{{pmatrix}} "
            f"{column(classifier)} \\end{{pmatrix}} = \\begin{{pmatrix}} {column(guided)} \\end{{pmatrix}}$$"
            in formula)
    assert [t.name for t in figure.data[1:]] == ["no class", "upper moon", "classifier ∇log p(c|x)",
                                                 "guided, w = 3", "◆ the card's point"]


def test_the_drawn_fields_add_up_as_the_title_says():
    """The field figure's arrows are drawn from the scores; the guided arrows are the no-class arrows plus (w+1)
    classifier arrows, at every grid point, to float precision (checked on the endpoint's numbers and the network)."""
    model = load_toy_diffusion("clusters")
    t, w, label = 300, 2.5, 1
    grid, _ = grid_points(7)
    cond, uncond = prediction(model, grid, t, label), prediction(model, grid, t, model.no_label)
    root = math.sqrt(1 - float(model.alphas_cumprod[t]))
    guided = np.asarray(vector_field_endpoint("clusters", t, label, w, 7)["field"])
    np.testing.assert_allclose(guided, (-uncond / root + (w + 1) * -(cond - uncond) / root).numpy(), rtol=1e-5,
                               atol=1e-5)


def test_vector_field_scene_at_t_900_points_to_the_middle(app_scene):
    dataset, t, label, w, size, _ = app_scene("vector-field-scenes", "Gradient · at t = 900")
    result = vector_field_endpoint(dataset, t, label, w, size)
    grid, field = np.asarray(result["grid"]), np.asarray(result["field"])
    far = np.linalg.norm(grid, axis=1) > 1.0
    inward = (field[far] * -grid[far]).sum(axis=1) > 0                         # the arrow has a part toward 0
    assert inward.mean() > 0.95


def test_the_no_noise_scene_shows_the_pile(app_scene):
    settings = app_scene("vector-field-sampler-scenes", "U-Net Denoising · without its noise, the spiral")
    *_, note = sampling_view(*settings)
    assert "DDPM without its noise" in note and "pile up" in note


def test_the_classifier_scene_draws_the_three_terms_of_the_sum(app_scene):
    settings = app_scene("vector-field-scenes", "Gradient · guided = no class")
    _, _, figure = field_view(*settings)
    assert [t.name for t in figure.data[1:4]] == ["no class", "classifier ∇log p(c|x)", "guided, w = 3"]
