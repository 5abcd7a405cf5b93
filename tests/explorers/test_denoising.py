"""The denoising panel: each step equals the trained U-Net driven by diffusers' DDIMScheduler or DDPMScheduler (with
the same generator) and diffusers' guidance formula; the stepper's controls; the U-Net opened up (the hooks only
read, a cut changes x_0_hat as measured); "Ask the U-Net" against a direct computation; bad input refused in words;
the scenes draw what they name."""
import re

import gradio as gr
import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler
from PIL import Image

from components.formatting import significant
from core.diffusion import noise_schedule
from explorers.generation import denoising
from explorers.generation.denoising import ask, unet
from models.digit_classifier import load_digit_classifier
from models.digit_diffusion import load_digit_diffusion
from models.images import clean_image
from tests.handlers import bound, refuses


def test_denoise_endpoint_equals_a_loop_driven_by_diffusers(settings):
    """The stepper's numbers = the trained U-Net + diffusers' DDIMScheduler.step + diffusers' guidance formula."""
    model = load_digit_diffusion()
    result = denoising.denoise_endpoint(settings, 4, 9, 10, 1.5)
    scheduler = DDIMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", clip_sample=True,
                              timestep_spacing="trailing")
    scheduler.set_timesteps(10)
    x = torch.randn((1, 1, 16, 16), generator=torch.Generator().manual_seed(9))
    with torch.inference_mode():
        for i, t in enumerate(scheduler.timesteps):
            np.testing.assert_allclose(result["x_t"][i], x[0, 0].numpy(), atol=2e-4)
            eps_cond = model.unet(x, t, class_labels=torch.tensor([4])).sample
            eps_uncond = model.unet(x, t, class_labels=torch.tensor([model.no_label])).sample
            eps = eps_uncond + 2.5 * (eps_cond - eps_uncond)                      # guidance_scale = w + 1
            out = scheduler.step(eps, t, x, use_clipped_model_output=True)
            np.testing.assert_allclose(result["x0_hat"][i], out.pred_original_sample[0, 0].numpy(), atol=2e-4)
            x = out.prev_sample
    np.testing.assert_allclose(result["final"], x[0, 0].numpy(), atol=2e-4)
    assert result["timesteps"] == [int(t) for t in scheduler.timesteps]
    probabilities = load_digit_classifier().probabilities(torch.tensor(result["final"])[None, None])[0]
    np.testing.assert_allclose(result["classifier_probabilities"], probabilities.numpy(), atol=1e-6)


def test_the_stepper_view_and_its_controls(settings):
    formula, x_t, eps, x0_hat, status = denoising.step_view(settings, 3, 0, 8, 2.0, 8)
    run = denoising.denoise_endpoint(settings, 3, 0, 8, 2.0)
    np.testing.assert_allclose(np.asarray(x0_hat.data[0].z), run["x0_hat"][7], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(x_t.data[0].z), run["x_t"][7], rtol=1e-6)
    assert "Step 8 of 8" in status and "final sample" in status and "= 1.000" in formula   # last step: abar_prev = 1
    assert denoising.step_back(1) == 1 and denoising.step_forward(8, 8) == 8 and denoising.step_forward(8, 3) == 4
    assert list(denoising.play(4, 4)) == [1, 2, 3, 4] and list(denoising.play(4, 2)) == [2, 3, 4]
    assert Image.open(denoising.denoising_gif(settings, 3, 0, 8, 2.0)).n_frames == 8


def test_the_first_steps_formula_divides_by_the_small_root_of_abar_it_uses(settings):
    """At t = 999 √ᾱ is 5 x 10⁻⁵: the card writes it in significant digits (0.000 would read as ÷ 0)."""
    formula = denoising.step_view(settings, 3, 0, 20, 0.5, 1)[0]
    t = denoising.trajectory(3, 0, 20, 0.5)["timesteps"][0]
    root = float(noise_schedule(load_digit_diffusion().schedule)[1][t]) ** 0.5          # diffusers' alphas_cumprod
    assert 0 < root < 1e-3 and "\\hat\\varepsilon}{" + significant(root) + "}$$" in formula, formula[:400]
    assert "{0.000}" not in formula


@pytest.mark.parametrize("args, words", [((3, 0, 51, 2.0), "between 1 and 50"), ((3, 0, 10, 21.0), "between 0 and 20"),
                                         ((10, 0, 10, 2.0), "digit"), ((3, 0.5, 10, 2.0), "whole number"),
                                         ((3, 0, 10, float("nan")), "finite"),
                                         ((3, 0, 10, 2.0, "euler"), "Unknown sampler 'euler'; choose ddim or ddpm")])
def test_denoise_caps_are_enforced(settings, args, words):
    with pytest.raises(gr.Error, match=words):
        denoising.denoise_endpoint(settings, *args)


def cosine():
    return noise_schedule("cosine")[1]


def test_every_ddpm_step_equals_diffusers_ddpm_scheduler_with_the_same_generator(settings):
    """DDPM: the same U-Net and guidance, DDPMScheduler.step(generator=...) from each recorded x_t, the generator
    seeded with the seed having drawn the starting noise first (diffusers' DDPMPipeline)."""
    model, steps, seed, w = load_digit_diffusion(), 7, 9, 1.5            # 7 steps: 1000 / 7 is not whole
    result = denoising.denoise_endpoint(settings, 4, seed, steps, w, "ddpm")
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", clip_sample=True,
                              timestep_spacing="trailing")
    scheduler.set_timesteps(steps)
    assert result["timesteps"] == [int(t) for t in scheduler.timesteps]
    generator = torch.Generator().manual_seed(seed)
    np.testing.assert_array_equal(result["x_t"][0], torch.randn((1, 1, 16, 16), generator=generator)[0, 0].numpy())
    after = [*result["x_t"][1:], result["final"]]
    with torch.inference_mode():
        for i, t in enumerate(scheduler.timesteps):
            x = torch.tensor(result["x_t"][i])[None, None]
            eps_cond = model.unet(x, t, class_labels=torch.tensor([4])).sample
            eps_uncond = model.unet(x, t, class_labels=torch.tensor([model.no_label])).sample
            eps = eps_uncond + (w + 1) * (eps_cond - eps_uncond)                  # guidance_scale = w + 1
            np.testing.assert_allclose(result["eps"][i], eps[0, 0].numpy(), atol=2e-4)
            out = scheduler.step(eps, t, x, generator=generator)
            np.testing.assert_allclose(result["x0_hat"][i], out.pred_original_sample[0, 0].numpy(), atol=2e-4)
            atol = 1e-3 if cosine()[t] < 1e-6 else 2e-4          # t = 999: float32 (tests/core/test_diffusion.py)
            expected = out.prev_sample[0, 0] if i + 1 < steps else out.prev_sample[0, 0].clamp(-1, 1)  # final: clipped
            np.testing.assert_allclose(after[i], expected.numpy(), atol=atol)
            assert result["sigma"][i] == pytest.approx(float(scheduler._get_variance(t)) ** 0.5 if i + 1 < steps
                                                       else 0.0, rel=1e-4, abs=1e-6)


def test_ddim_and_ddpm_share_the_starting_noise_and_differ_after(settings):
    ddim, ddpm = (denoising.denoise_endpoint(settings, 3, 0, 20, 0.5, sampler) for sampler in ("ddim", "ddpm"))
    assert ddim["x_t"][0] == ddpm["x_t"][0] and ddim["x0_hat"][0] == ddpm["x0_hat"][0]
    assert np.abs(np.subtract(ddim["final"], ddpm["final"])).mean() > 0.05
    assert ddim["sigma"] == [0.0] * 20 and min(ddpm["sigma"][:-1]) > 0 and ddpm["sigma"][-1] == 0


NUMBER = r"(−?\d+\.\d+)"


def test_the_ddpm_card_adds_sigma_z_with_its_numbers(settings):
    card, *_, status = denoising.step_view(settings, 3, 0, 20, 0.5, 5, "ddpm")
    run = denoising.trajectory(3, 0, 20, 0.5, "ddpm")
    abar_prev, sigma = run["abar_prev"][4], run["sigma"][4]
    found = re.search(r"\\sigma_t z = " + NUMBER + r"\\,\\hat x_0 \+ " + NUMBER + r"\\,\\hat\\varepsilon \+ "
                      + NUMBER + r"\\,z", card)
    assert found, card
    keep, kept_eps, shown_sigma = (float(v.replace("−", "-")) for v in found.groups())
    assert (keep, kept_eps, shown_sigma) == pytest.approx((abar_prev ** 0.5, (1 - abar_prev - sigma ** 2) ** 0.5,
                                                           sigma), abs=5e-4)
    assert f"σₜ·z = {sigma:.3f}" in status and "x_{749}" in card
    ddim_card = denoising.step_view(settings, 3, 0, 20, 0.5, 5, "ddim")[0]
    assert "no fresh noise" in ddim_card and "\\sigma_t z" not in ddim_card


def test_denoising_scenes_draw_the_digit_they_name(app_scene, settings):
    from explorers.generation.denoising import denoise_endpoint

    for start, digit in (("U-Net Denoising · a 3 out of noise", 3), ("U-Net Denoising · a 7, another noise", 7),
                         ("U-Net Denoising · only 5 steps", 3), ("Classifier-Free Guidance · the same noise", 3),
                         ("U-Net Denoising · DDPM, the same noise", 3)):
        asked, seed, steps, w, sampler = app_scene("denoising-scenes", start)
        assert asked == digit
        probabilities = denoise_endpoint(settings, asked, seed, steps, w, sampler)["classifier_probabilities"]
        assert int(np.argmax(probabilities)) == digit, start                 # the separate classifier reads it


# ---- the U-Net opened up ----

def test_with_nothing_cut_the_opened_unet_gives_the_steppers_x0_hat(settings):
    formula, levels, table, note = unet.unet_view(settings, 3, 0, 20, 0.5, 10, "ddim", [])
    run = denoising.trajectory(3, 0, 20, 0.5, "ddim")
    np.testing.assert_allclose(table.data[0].z, run["x0_hat"][9], atol=1e-5)      # this step, intact
    np.testing.assert_allclose(table.data[1].z, run["x0_hat"][9], atol=1e-5)      # nothing cut: the same
    np.testing.assert_allclose(table.data[4].z, run["x0_hat"][-1], atol=1e-6)     # the final sample
    assert "Nothing cut" in note and "MSE" not in formula
    assert r"24 + 12 = 36\ \text{channels in, }12\text{ out}" in formula and "x + f(x)" in formula
    assert len(levels.data) == 9 and "step 10 (t = 549)" in levels.layout.title.text
    np.testing.assert_array_equal(levels.data[0].z, run["x_t"][9])


@pytest.mark.parametrize("cuts", [["skips at 16×16"], ["skips at 16×16", "skips at 8×8", "skips at 4×4"],
                                  ["bottleneck"]])
def test_a_cut_changes_x0_hat_by_the_measured_amount(settings, cuts):
    formula, levels, table, note = unet.unet_view(settings, 3, 0, 20, 0.5, 10, "ddim", cuts)
    step_pair, final_pair = (np.asarray(table.data[0].z), np.asarray(table.data[1].z)), \
        (np.asarray(table.data[3].z), np.asarray(table.data[4].z))
    mse_step, mse_final = (float(np.mean((b - a) ** 2)) for a, b in (step_pair, final_pair))
    assert mse_step > 1e-3 and mse_final > 1e-3
    assert f"MSE between them **{mse_step:.4f}**" in note and f"MSE **{mse_final:.4f}**" in note
    assert f"{mse_step:.4f}" in formula and f"{mse_final:.4f}" in formula
    np.testing.assert_allclose(table.data[2].z, step_pair[1] - step_pair[0])
    model = load_digit_diffusion()
    cut_skips, cut_bottleneck = unet.checked_cuts(cuts, model.config)
    cut_run = denoising.trajectory(3, 0, 20, 0.5, "ddim", "cpu", cut_skips, cut_bottleneck)
    np.testing.assert_allclose(final_pair[1], cut_run["x0_hat"][-1])
    probabilities = load_digit_classifier().probabilities(torch.tensor(final_pair[1])[None, None].float())[0]
    assert f"p(3) = {float(probabilities[3]):.2f}" in note


def test_the_cut_choices_name_the_unets_sizes():
    model = load_digit_diffusion()
    assert unet.CUTS == ["skips at 16×16", "skips at 8×8", "skips at 4×4", "bottleneck"]
    assert unet.checked_cuts(["skips at 16×16", "bottleneck"], model.config) == ((2,), True)
    assert unet.checked_cuts(None, model.config) == ((), False)


# ---- Ask the U-Net ----

def test_ask_the_unet_against_a_direct_computation_with_diffusers_add_noise(settings):
    formula, pictures, curve, note = ask.ask_view(settings, 3, 500, 7, True)
    model = load_digit_diffusion()
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2")
    x0, _ = clean_image("digit 3", None)
    noises = torch.randn((ask.N_NOISES, 1, 16, 16), generator=torch.Generator().manual_seed(7))
    with torch.inference_mode():
        x_t = scheduler.add_noise(x0, noises[:1], torch.tensor([500]))
        eps_hat = model.unet(x_t, 500, class_labels=torch.tensor([3])).sample
    loss = float(((eps_hat - noises[:1]) ** 2).mean())
    for k, expected in enumerate((x0, x_t, noises[:1], eps_hat, eps_hat - noises[:1])):
        np.testing.assert_allclose(pictures.data[k].z, expected[0, 0].numpy(), atol=1e-5)
    assert f"= {loss:.4f}$$" in formula and f"loss **{loss:.4f}** at t = 500" in note
    assert r"\varepsilon_\theta(x_{500}, 500, 3)" in formula
    marked = [trace for trace in curve.data if trace.name == "this example (t = 500)"][0]
    assert marked.y[0] == pytest.approx(loss, abs=1e-6)


def test_the_loss_curve_is_the_mean_over_its_noises_at_each_t(settings):
    _, _, curve, note = ask.ask_view(settings, 5, 100, 1, False)             # not told the digit: the empty label
    model = load_digit_diffusion()
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2")
    x0, _ = clean_image("digit 5", None)
    noises = torch.randn((ask.N_NOISES, 1, 16, 16), generator=torch.Generator().manual_seed(1))
    mean = [trace for trace in curve.data if trace.name == f"mean over the {ask.N_NOISES} noises"][0]
    assert list(mean.x) == list(ask.CURVE_TIMESTEPS) and len(mean.x) == 20 and mean.x[0] == 0 and mean.x[-1] == 999
    with torch.inference_mode():
        for k in (0, 7, 19):
            t = ask.CURVE_TIMESTEPS[k]
            x_t = scheduler.add_noise(x0.expand(ask.N_NOISES, -1, -1, -1), noises, torch.tensor([t] * ask.N_NOISES))
            eps_hat = model.unet(x_t, t, class_labels=torch.full((ask.N_NOISES,), model.no_label)).sample
            expected = ((eps_hat - noises) ** 2).flatten(1).mean(1).mean()
            assert mean.y[k] == pytest.approx(float(expected), rel=1e-3)
    assert "8 noises drawn from seed 1" in note and "not told which digit" in curve.layout.title.text


# ---- bad input, refused in words (the view kept) ----

@pytest.mark.parametrize("args, words", [
    ((3, 0, 20, 0.5, 5, "euler"), "Unknown sampler 'euler'"),
    ((3, 0, 20, 0.5, float("nan"), "ddim"), "step must be a finite number"),
    ((3, 0, 20, 0.5, 21, "ddim"), "step must be between 1 and 20"),
    ((3, 0, 20, float("inf"), 5, "ddpm"), "guidance weight w must be a finite number")])
def test_the_stepper_refuses_bad_input(settings, args, words):
    step_view, = bound(settings, (denoising.step_view,))
    refuses(lambda: step_view(*args), words)


@pytest.mark.parametrize("cuts, step, words", [
    (["elbow"], 5, "Unknown cut 'elbow'; choose from skips at 16×16, skips at 8×8, skips at 4×4, bottleneck"),
    ("bottleneck", 5, "a list of choices"), (["bottleneck"], float("nan"), "finite"),
    (["bottleneck"], 0, "between 1 and 20")])
def test_the_opened_unet_refuses_bad_input(settings, cuts, step, words):
    view, = bound(settings, (unet.unet_view,))
    refuses(lambda: view(3, 0, 20, 0.5, step, "ddim", cuts), words)


@pytest.mark.parametrize("args, words", [((3, float("nan"), 0, True), "t must be a finite number"),
                                         ((3, 1000, 0, True), "t must be between 0 and 999"),
                                         ((11, 500, 0, True), "digit must be between 0 and 9"),
                                         ((3, 500, -1, True), "noise seed must be between 0"),
                                         ((3, 500, 0, "yes"), "is on or off")])
def test_ask_refuses_bad_input(settings, args, words):
    view, = bound(settings, (ask.ask_view,))
    refuses(lambda: view(*args), words)


def roughness(image: np.ndarray) -> float:
    """The mean jump between neighbouring pixels: a smooth digit has small ones, pixel noise large ones."""
    return float(np.abs(np.diff(image, axis=0)).mean() + np.abs(np.diff(image, axis=1)).mean()) / 2


def test_the_cut_scenes_show_what_they_say(app_scene, settings):
    """On the stepper's default run (a 3, seed 0, 20 steps, w = 0.5, DDIM): cutting the 16×16 skips turns x̂₀'s pixels
    to noise; cutting the bottleneck keeps it smooth but loses the 3; the same skips cut at step 19 change little."""
    def cut_view(start):
        step, cuts = app_scene("denoising-unet-scenes", start)
        return cuts, unet.unet_view(settings, 3, 0, 20, 0.5, step, "ddim", cuts)

    cuts, (_, _, table, _) = cut_view("U-Net Denoising · cut every skip")
    assert sorted(cuts) == sorted(c for c in unet.CUTS if c != "bottleneck")
    _, (_, _, table, _) = cut_view("U-Net Denoising · cut the 16×16 skips: pixels turn")
    intact, cut = np.asarray(table.data[0].z), np.asarray(table.data[1].z)
    assert roughness(cut) > 3 * roughness(intact) and np.mean((cut - intact) ** 2) > 0.5
    _, (_, _, table, note) = cut_view("U-Net Denoising · cut the bottleneck: the shape goes")
    intact, cut = np.asarray(table.data[0].z), np.asarray(table.data[1].z)
    p = load_digit_classifier().probabilities(torch.tensor(np.stack([intact, cut]))[:, None].float())[:, 3]
    assert p[0] > 0.9 and p[1] < 0.5 and roughness(cut) < 2 * roughness(intact)      # smooth, not a 3
    _, (_, _, table, _) = cut_view("U-Net Denoising · the 16×16 skips cut late")
    assert np.mean((np.asarray(table.data[1].z) - np.asarray(table.data[0].z)) ** 2) < 0.05
    digit, t, seed, label = app_scene("denoising-ask-scenes", "U-Net Denoising · not told the digit")
    assert label is False and 0 <= t <= 999


def test_the_ask_scenes_show_what_they_say(app_scene, settings):
    """t = 20: the noise is a faint part of x_t and the hardest to find; t = 950: x_t is nearly all noise, the
    easiest; t = 500 between. (The coefficients read from the card's one-jump formula.)"""
    losses, noise_share = {}, {}
    for start, t in (("U-Net Denoising · t = 20", 20), ("U-Net Denoising · t = 500", 500),
                     ("U-Net Denoising · t = 950", 950)):
        digit, shown_t, seed, label = app_scene("denoising-ask-scenes", start)
        assert shown_t == t and label is True
        formula, _, curve, _ = ask.ask_view(settings, digit, shown_t, seed, label)
        losses[t] = [trace for trace in curve.data if trace.name.startswith("this example")][0].y[0]
        noise_share[t] = float(re.search(r"\\,x_0 \+ (\d\.\d+)\\,\\varepsilon", formula).group(1))
    assert noise_share[20] < 0.15 and noise_share[950] > 0.99
    assert losses[20] > losses[500] > losses[950]
