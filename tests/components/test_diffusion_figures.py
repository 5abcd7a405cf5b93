"""The diffusion panels' figures: every image drawn is the array passed in, the schedule's curves are √ᾱ_t, √(1−ᾱ_t)
and the SNR of core/diffusion.py, the sweep's grid puts sample (noise i, weight k) in row i and column k, and the
maps are laid over the picture as stated."""
import math

import numpy as np
import pytest

from components.diffusion_figures import (IMAGE_RANGE, VIRIDIS, attention_overlays, chain_histogram, colour_grid,
                                          denoising_frame, guidance_grid, heat_colours, image_figure, noising_frame,
                                          schedule_curves, tradeoff_curves)
from components.export import to_rgb
from components.network_figures import tile_images
from core.diffusion import noise_schedule, signal_to_noise

RNG = np.random.default_rng(3)


def test_an_image_is_drawn_as_it_is_on_one_fixed_scale():
    image = RNG.uniform(-1.5, 1.5, size=(16, 12))
    fig = image_figure(image, "x_t at t = 500", value_name="pixel")
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), image)
    assert (fig.data[0].zmin, fig.data[0].zmax) == IMAGE_RANGE                   # t never rescales the colours
    assert fig.layout.title.text == "x_t at t = 500" and "pixel %{z:.2f}" in fig.data[0].hovertemplate
    noise = image_figure(image, "ε̂", zrange=(-2.5, 2.5))
    assert (noise.data[0].zmin, noise.data[0].zmax) == (-2.5, 2.5)


@pytest.mark.parametrize("schedule, t", [("linear", 0), ("cosine", 700)])
def test_the_schedule_curves_are_the_schedules_numbers_with_t_marked(schedule, t):
    _, alphas_cumprod = noise_schedule(schedule)
    abar = alphas_cumprod.numpy()
    fig = schedule_curves(abar, t, schedule)
    kept, added, snr, line, marks = fig.data
    np.testing.assert_allclose(np.asarray(kept.y), np.sqrt(abar))
    np.testing.assert_allclose(np.asarray(added.y), np.sqrt(1 - abar))
    np.testing.assert_allclose(np.asarray(snr.y), signal_to_noise(alphas_cumprod).numpy(), rtol=1e-6)
    assert list(line.x) == [t, t] and list(marks.y) == pytest.approx([math.sqrt(abar[t]), math.sqrt(1 - abar[t])])
    assert tuple(fig.layout.xaxis.range) == (0, 999) and fig.layout.yaxis2.type == "log"
    assert fig.layout.title.text.startswith(f"{schedule} schedule")


def test_the_chain_histogram_is_drawn_against_the_normal_density():
    std, t = 0.8, 300
    jump, chain = RNG.normal(0, std, 500), RNG.normal(0, std, 500)
    fig = chain_histogram(jump, chain, std, t)
    one_jump, small_steps, density = fig.data
    np.testing.assert_array_equal(np.asarray(one_jump.x), jump)
    assert small_steps.name == "301 small steps (chain)"
    assert (one_jump.xbins.start, one_jump.xbins.end) == (-3.2, 3.2)             # ±4 standard deviations
    for x, y in list(zip(density.x, density.y))[::37]:
        assert y == pytest.approx(math.exp(-x * x / (2 * std * std)) / (std * math.sqrt(2 * math.pi)))
    clean = chain_histogram(np.zeros(4), np.zeros(4), 0.0, 0)                   # t = 0: no noise at all
    assert not np.asarray(clean.data[2].y).any()


def test_the_sweep_grid_has_a_row_per_noise_and_a_column_per_weight():
    table = RNG.uniform(-1, 1, size=(3, 2, 4, 5))                                # (noises, weights, H, W)
    fig = guidance_grid(table, [0, 3.5], 7)
    z = np.asarray(fig.data[0].z, dtype=float)
    for i in range(3):
        for k in range(2):
            np.testing.assert_array_equal(z[i * 6:i * 6 + 4, k * 7:k * 7 + 5], table[i, k])   # gap of 2
    assert list(fig.layout.xaxis.ticktext) == ["w=0", "w=3.5"] and list(fig.layout.xaxis.tickvals) == [2, 9]
    assert list(fig.layout.yaxis.ticktext) == ["noise 1", "noise 2", "noise 3"]
    assert fig.layout.title.text == "Asked for a 7: a column per w, a row per noise"


def test_the_tradeoff_curves_are_the_measured_numbers():
    fig = tradeoff_curves([0, 1, 3], [0.5, 0.9, 1.0], [0.4, 0.8, 0.99], [1.2, 0.9, 0.5], 4)
    assert [list(trace.y) for trace in fig.data] == [[0.5, 0.9, 1.0], [0.4, 0.8, 0.99], [1.2, 0.9, 0.5]]
    assert all(list(trace.x) == [0, 1, 3] for trace in fig.data)
    assert tuple(fig.layout.yaxis.range) == pytest.approx((0, 1.2 * 1.1))      # room for the highest diversity
    assert fig.data[0].name == "accuracy (classified as 4)"


def test_gif_frames_are_the_images_in_grey_side_by_side():
    x_t, x0_hat = RNG.uniform(-2, 2, (4, 4)), RNG.uniform(-1, 1, (4, 4))
    frame = denoising_frame(x_t, x0_hat)
    assert frame.shape == (4, 10, 3) and frame.dtype == np.uint8
    np.testing.assert_array_equal(frame[:, :4], to_rgb(np.clip(x_t, -1, 1), -1, 1))
    assert (frame[:, 4:6] == 128).all()
    np.testing.assert_array_equal(frame[:, 6:], to_rgb(x0_hat, -1, 1))
    np.testing.assert_array_equal(noising_frame(x_t), frame[:, :4])


def test_a_colour_grid_tiles_the_pictures_with_white_gaps():
    images = RNG.random((2, 3, 8, 8, 3))                                          # (rows, columns, H, W, 3)
    fig = colour_grid(images, ["w=0", "w=2", "w=6"], ["1", "2"], "samples")
    expected = (tile_images(images.reshape(6, 8, 8, 3), columns=3, gap=2, fill=1.0) * 255).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), expected)
    assert list(fig.layout.xaxis.ticktext) == ["w=0", "w=2", "w=6"] and fig.layout.title.text == "samples"


def test_heat_colours_run_along_viridis():
    np.testing.assert_allclose(heat_colours(np.array([0.0, 1.0, -3.0, 7.0])), VIRIDIS[[0, -1, 0, -1]])
    values = RNG.random(50)
    stops = np.linspace(0, 1, len(VIRIDIS))
    by_hand = np.stack([np.interp(values, stops, VIRIDIS[:, k]) for k in range(3)], axis=-1)
    np.testing.assert_allclose(heat_colours(values), by_hand, atol=1e-12)


def test_each_words_map_is_laid_over_the_picture_scaled_to_its_own_maximum():
    image = RNG.random((8, 8, 3))
    maps = RNG.random((2, 2, 2)) * np.array([1.0, 0.01])[:, None, None]          # the second word reads little
    fig = attention_overlays(image, maps, ["red", "seven"])
    picture = np.asarray(fig.data[0].z)
    for k in range(2):
        big = np.kron(maps[k] / maps[k].max(), np.ones((4, 4)))                  # each latent cell a 4 x 4 square
        tile = ((0.3 * image + 0.7 * heat_colours(big)) * 255).astype(np.uint8)
        np.testing.assert_array_equal(picture[:8, k * 10:k * 10 + 8], tile)      # gap of max(2, 8 // 5) = 2
    assert [a.text for a in fig.layout.annotations] == [f"red ({maps[0].max():.2f})", f"seven ({maps[1].max():.2f})"]
