"""The latent-space parts of Noising and Guidance, with a tiny random Stable Diffusion pipeline configured the way
an operator would (--image-model <folder>): numbers against the pipeline's own parts, sizes, errors, endpoints."""
from dataclasses import replace

import gradio as gr
import numpy as np
import pytest
import torch
from diffusers import StableDiffusionPipeline

from explorers.generation.guidance.text import run_text_sweep, text_cfg_sweep_endpoint
from explorers.generation.noising.latent import latent_noise_endpoint, latent_view, resized
from models.images import colour_image
from tests.tiny_pipeline import tiny_pipeline


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tiny_pipeline(tmp_path_factory.mktemp("tiny-sd-panels"))


@pytest.fixture(scope="module")
def sd_settings(settings, folder):
    return replace(settings, image_model=str(folder))


def test_the_latent_view_states_the_sizes_and_draws_four_pictures(sd_settings):
    text, figure = latent_view(sd_settings, "astronaut", None, 300, 0)
    assert "16\\times16\\times 3 = 768" in text and "8\\times8\\times4 = 256" in text and "3\\times" in text
    assert figure.data[0].type == "image" and figure.data[0].z.shape == (16, 4 * 16 + 3 * 2, 3)


def test_the_latent_endpoint_equals_the_pipelines_own_vae_and_scheduler(sd_settings, folder):
    result = latent_noise_endpoint(sd_settings, "digit 3", 400, 7)
    reference = StableDiffusionPipeline.from_pretrained(folder, safety_checker=None, requires_safety_checker=False)
    assert result["sqrt_alpha_bar"] == pytest.approx(float(reference.scheduler.alphas_cumprod[400]) ** 0.5)
    assert result["latent_shape"] == [4, 8, 8] and result["image_shape"] == [16, 16, 3]
    image, _ = colour_image("digit 3", None)
    x0 = torch.tensor(resized(image, 16)).permute(2, 0, 1)[None] * 2 - 1
    s = reference.vae.config.scaling_factor
    with torch.inference_mode():
        z0 = reference.vae.encode(x0).latent_dist.mean * s
        eps = torch.randn(z0.shape, generator=torch.Generator().manual_seed(7))
        z_t = reference.scheduler.add_noise(z0, eps, torch.tensor([400]))
        decoded = (reference.vae.decode(z_t / s).sample.clamp(-1, 1)[0].permute(1, 2, 0) + 1) / 2
    np.testing.assert_allclose(np.array(result["decoded"]), decoded.numpy(), atol=2e-4)


def test_the_text_sweep_has_a_column_per_weight_and_brute_force_diversity(sd_settings):
    result = text_cfg_sweep_endpoint(sd_settings, "a lighthouse ☀", [0, 2, 6], 3, 4, 1)
    images = np.array(result["images"])                                   # (K, n, S, S, 3)
    assert images.shape == (3, 3, 16, 16, 3) and 0 <= images.min() and images.max() <= 1
    for column, diversity in zip(images, result["diversity"]):
        pairs = [np.sqrt(np.mean((column[i] - column[j]) ** 2)) for i in range(3) for j in range(i + 1, 3)]
        assert diversity == pytest.approx(np.mean(pairs), abs=2e-3)       # images were rounded to 3 decimals
    figure, status = run_text_sweep(sd_settings, "a lighthouse", "", "0, 2, 6", 2, 3, 0)
    assert figure.data[0].type == "image" and "w=6: " in status and "guidance_scale" in status
    assert result["accuracy"] is None and "No judge reads this prompt" in status      # a hub model: no judge
    assert result["clip_diversity"] is None and "what they show" not in status        # nor the scenes' CLIP


def test_the_bundled_models_sweep_also_measures_diversity_in_the_scenes_clip_space(settings):
    from models.scene_clip import load_scene_clip

    result = text_cfg_sweep_endpoint(settings, "a red seven", [0, 4], 3, 4, 2)
    images = torch.tensor(result["images"]).permute(0, 1, 4, 2, 3)                     # (K, n, 3, S, S)
    clip = load_scene_clip()
    for column, diversity in zip(images, result["clip_diversity"]):
        e = clip.image_embeddings(column)
        pairs = [1 - float(torch.cosine_similarity(e[i], e[j], dim=0)) for i in range(3) for j in range(3) if i != j]
        assert diversity == pytest.approx(np.mean(pairs), abs=2e-3)       # images were rounded to 3 decimals
    _, status = run_text_sweep(settings, "a red seven", "", "0, 4", 2, 4, 2)
    assert "Diversity of what they show" in status and "Pixel distance" in status


def test_a_negative_prompt_replaces_the_empty_one(sd_settings):
    plain = np.array(text_cfg_sweep_endpoint(sd_settings, "a lighthouse", [0, 4], 2, 4, 1)["images"])
    pushed = np.array(text_cfg_sweep_endpoint(sd_settings, "a lighthouse", [0, 4], 2, 4, 1, "a storm")["images"])
    assert np.allclose(plain[0], pushed[0])                    # w = 0 never reads the unconditional branch
    assert np.abs(plain[1] - pushed[1]).max() > 1e-3           # w = 4 reads the negative prompt instead of ""
    _, status = run_text_sweep(sd_settings, "a lighthouse", "a storm", "0, 4", 2, 3, 0)
    assert "negative prompt **a storm**" in status


@pytest.mark.parametrize("prompt, weights, message", [
    ("", [0, 1], "Type a prompt"),
    ("x" * 5000, [0, 1], "keep it under 300"),
    ("a cat", [float("nan")], "finite"),
    ("a cat", [0, 99], "between 0 and 30"),
])
def test_bad_text_sweep_inputs_get_a_short_message(sd_settings, prompt, weights, message):
    with pytest.raises(gr.Error, match=message):
        text_cfg_sweep_endpoint(sd_settings, prompt, weights, 2, 3, 0)


def test_bad_latent_inputs_and_no_model_get_a_short_message(settings, sd_settings):
    with pytest.raises(gr.Error, match="Unknown image"):
        latent_noise_endpoint(sd_settings, "../etc/passwd", 10, 0)
    with pytest.raises(gr.Error, match="t must be between 0 and 999"):
        latent_noise_endpoint(sd_settings, "camera", 1000, 0)


def test_the_latent_parts_are_on_by_default_with_the_bundled_model(settings, sd_settings, monkeypatch):
    """The bundled pipeline (trained here) serves them without --image-model; a clone without its folder leaves them
    out and says how to get them back."""
    import app
    import models.scene_pipeline
    from models.image_pipeline import app_image_pipeline, image_model_name

    def api_names(s):
        return {fn.api_name for fn in app.create_app(s).fns.values() if fn.api_name}

    assert {"latent_noise", "text_cfg_sweep"} <= api_names(sd_settings)
    assert image_model_name(settings) == str(models.scene_pipeline.FOLDER)
    assert {"latent_noise", "text_cfg_sweep"} <= api_names(settings)
    monkeypatch.setattr(models.scene_pipeline, "FOLDER", models.scene_pipeline.FOLDER / "missing")
    assert not {"latent_noise", "text_cfg_sweep"} & api_names(settings)
    with pytest.raises(ValueError, match="train_unet"):
        app_image_pipeline(settings)
