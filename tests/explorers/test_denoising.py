"""The denoising panel: each step equals the trained U-Net driven by diffusers' DDIMScheduler with diffusers'
guidance formula; the stepper's controls; out-of-range inputs refused; its scenes draw the digit they name."""
import gradio as gr
import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler
from PIL import Image

from explorers.generation import denoising
from models.digit_classifier import load_digit_classifier
from models.digit_diffusion import load_digit_diffusion


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


@pytest.mark.parametrize("args, words", [((3, 0, 51, 2.0), "between 1 and 50"), ((3, 0, 10, 21.0), "between 0 and 20"),
                                         ((10, 0, 10, 2.0), "digit"), ((3, 0.5, 10, 2.0), "whole number")])
def test_denoise_caps_are_enforced(settings, args, words):
    with pytest.raises(gr.Error, match=words):
        denoising.denoise_endpoint(settings, *args)


def test_denoising_scenes_draw_the_digit_they_name(app_scene, settings):
    from explorers.generation.denoising import denoise_endpoint

    for start, digit in (("U-Net Denoising · a 3 out of noise", 3), ("U-Net Denoising · a 7, another noise", 7),
                         ("U-Net Denoising · only 5 steps", 3), ("Classifier-Free Guidance · the same noise", 3)):
        asked, seed, steps, w = app_scene("denoising-scenes", start)
        assert asked == digit
        probabilities = denoise_endpoint(settings, asked, seed, steps, w)["classifier_probabilities"]
        assert int(np.argmax(probabilities)) == digit, start                 # the separate classifier reads it
