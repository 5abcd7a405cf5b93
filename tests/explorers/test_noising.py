"""The noising panel: what it shows equals diffusers' DDPMScheduler.add_noise and the schedules of core/diffusion.py;
its latent part, on a tiny random Stable Diffusion pipeline (conftest.py), equals the pipeline's own VAE and
scheduler; odd uploads and out-of-range inputs end in short messages; its scenes show what they say."""
import gradio as gr
import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler, StableDiffusionPipeline
from PIL import Image

from core.diffusion import SCHEDULES, noise_schedule
from explorers.generation.noising import chain, jump
from explorers.generation.noising.latent import latent_noise_endpoint, latent_view, resized
from models.digits import digit_images
from models.images import UPLOAD, colour_image
from tests.handlers import refuses


def digit_x0(digit: int) -> torch.Tensor:
    images, labels = digit_images()
    return images[int((labels == digit).nonzero()[0])][None]                        # (1, 1, 16, 16)


@pytest.mark.parametrize("schedule, t", [("linear", 0), ("scaled-linear", 400), ("cosine", 999)])
def test_noise_endpoint_equals_diffusers_add_noise(schedule, t):
    result = jump.noise_endpoint("digit 7", t, schedule, 11)
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule=SCHEDULES[schedule])
    x0 = digit_x0(7)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(11))
    expected = scheduler.add_noise(x0, eps, torch.tensor([t]))
    np.testing.assert_allclose(result["image"], expected[0, 0].numpy(), rtol=1e-5, atol=1e-6)
    abar = float(scheduler.alphas_cumprod[t])
    assert result["sqrt_alpha_bar"] == pytest.approx(abar ** 0.5, rel=1e-6)
    assert result["sqrt_one_minus_alpha_bar"] == pytest.approx((1 - abar) ** 0.5, rel=1e-6)
    assert result["snr"] == pytest.approx(abar / (1 - abar), rel=1e-5)


def test_the_slider_view_shows_the_same_numbers():
    formula, noised, curves = jump.noised_view("digit 3", None, 500, "linear", 0)
    abar = float(DDPMScheduler(num_train_timesteps=1000).alphas_cumprod[500])
    assert f"{abar ** 0.5:.3f}" in formula and f"{(1 - abar) ** 0.5:.3f}" in formula
    expected = jump.noise_endpoint("digit 3", 500, "linear", 0)["image"]
    np.testing.assert_allclose(np.asarray(noised.data[0].z), expected, rtol=1e-6)
    assert np.asarray(curves.data[0].y)[500] == pytest.approx(abar ** 0.5)       # sqrt(abar) curve, t marked
    assert list(curves.data[4].x) == [500, 500] and list(curves.data[3].x) == [500, 500]


def test_the_formula_says_how_it_counts_t():
    """t = 0 is diffusers' first noised image (the paper's x_1), not the clean x_0: the card says so."""
    formula, *_ = jump.noised_view("digit 3", None, 0, "cosine", 0)
    abar = float(DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2").alphas_cumprod[0])
    assert abar < 1 and "t = 0 is already one step of noise (the paper's x₁)" in formula


def test_moving_t_slides_along_one_noise_sample():
    """Same seed, two t: both are the same eps mixed in different proportions, so x0 and eps can be solved for."""
    a, b = (np.asarray(jump.noise_endpoint("digit 5", t, "cosine", 2)["image"]) for t in (100, 600))
    _, alphas_cumprod = noise_schedule("cosine")
    (s1, n1), (s2, n2) = [(float(alphas_cumprod[t]) ** 0.5, (1 - float(alphas_cumprod[t])) ** 0.5) for t in (100, 600)]
    x0 = (a * n2 - b * n1) / (s1 * n2 - s2 * n1)
    np.testing.assert_allclose(x0, digit_x0(5)[0, 0].numpy(), atol=1e-4)


def test_photos_are_converted_with_a_note():
    figure, note = jump.clean_view("astronaut", None)
    assert np.asarray(figure.data[0].z).shape == (64, 64)
    assert "512×512 → 64×64" in note and "grey" in note


def saved(array: np.ndarray, path) -> str:
    Image.fromarray(array).save(path)
    return str(path)


@pytest.mark.parametrize("upload, shape, words", [
    (np.dstack([np.full((30, 40, 3), 200, np.uint8), np.zeros((30, 40, 1), np.uint8)]), (30, 40), "RGBA"),
    (np.full((20, 20), 7, np.uint8), (20, 20), "nothing to convert"),
    (np.zeros((3000, 4000, 3), np.uint8), (48, 64), "4000×3000 → 64×48")])
def test_odd_uploads_are_converted_and_noised(upload, shape, words, tmp_path):
    state, choice, message = jump.on_upload(saved(upload, tmp_path / "upload.png"))
    assert choice["value"] == UPLOAD and words in message
    _, noised, _ = jump.noised_view(UPLOAD, state, 10, "cosine", 0)
    assert np.asarray(noised.data[0].z).shape == shape


def test_an_upload_read_from_a_png_file_with_alpha_works(tmp_path):
    path = tmp_path / "logo.png"
    Image.new("RGBA", (50, 10), (255, 0, 0, 128)).save(path)
    state, _, message = jump.on_upload(str(path))
    assert "RGBA" in message and state[0].shape == (10, 50)


def test_a_palette_png_and_a_16_bit_png_are_read_as_pictures(tmp_path):
    palette = Image.new("P", (12, 8), 1)
    palette.putpalette([0, 0, 0, 255, 255, 255])                                     # index 1 is white
    palette.save(tmp_path / "palette.png")
    state, _, _ = jump.on_upload(str(tmp_path / "palette.png"))
    assert state[0].shape == (8, 12) and state[0].min() == pytest.approx(1.0)
    state, _, _ = jump.on_upload(saved(np.full((8, 8), 65535, np.uint16), tmp_path / "deep.png"))
    assert state[0].min() == pytest.approx(1.0)


def test_a_text_file_renamed_png_is_refused_in_words(tmp_path):
    # gr.Image raised UnidentifiedImageError in its preprocess before any handler ran: a bare red "Error" pill.
    fake = tmp_path / "notes.png"
    fake.write_text("these are my lecture notes, not a picture")
    refuses(lambda: jump.on_upload(str(fake)), "That file is not an image Gradio can read; upload a PNG or JPEG")
    truncated = tmp_path / "cut.png"
    saved(np.zeros((40, 40, 3), np.uint8), tmp_path / "whole.png")
    truncated.write_bytes((tmp_path / "whole.png").read_bytes()[:60])
    refuses(lambda: jump.on_upload(str(truncated)), "not an image Gradio can read")


def test_a_too_small_upload_is_refused_clearly(tmp_path):
    refuses(lambda: jump.on_upload(saved(np.zeros((1, 1, 3), np.uint8), tmp_path / "dot.png")), "at least 4×4")


@pytest.mark.parametrize("args, words", [(("digit 3", None, 1000, "cosine", 0), "between 0 and 999"),
                                         (("digit 3", None, 5, "sigmoid", 0), "linear, scaled-linear, cosine"),
                                         (("digit 3", None, 5, "cosine", -1), "seed"),
                                         (("nothing", None, 5, "cosine", 0), "digit 0 … digit 9"),
                                         ((UPLOAD, None, 5, "cosine", 0), "Upload an image first")])
def test_noising_inputs_out_of_range_are_refused(args, words):
    refuses(lambda: jump.noised_view(*args), words)


def test_the_step_by_step_chain_matches_the_jumps_statistics():
    figure, text = chain.compare_chain("digit 0", None, 300, "linear", 0)
    std = (1 - float(DDPMScheduler(num_train_timesteps=1000).alphas_cumprod[300])) ** 0.5
    chained = np.asarray(figure.data[1].x)
    assert chained.std() == pytest.approx(std, rel=0.02) and f"{std:.4f}" in text
    assert "256 copies × 301 small steps" in text


def test_noising_gif_has_a_frame_per_25_steps():
    path = jump.noising_gif("digit 2", None, "linear", 0)
    assert Image.open(path).n_frames == 41


@pytest.mark.parametrize("schedule, t, alpha_bar, snr", [
    ("cosine", 0, r"\bar\alpha_{0} = 1 - 4.13 \times 10^{-5}", r"= 2.421 \times 10^{4}$$"),   # SNR was 2.42e+04
    ("linear", 0, r"\bar\alpha_{0} = 0.9999", "= 9997$$"),                                      # was 1e+04
    ("cosine", 999, r"\bar\alpha_{999} = 2.429 \times 10^{-9}", r"= 2.429 \times 10^{-9}$$"),   # was 2.429e-09
])
def test_the_noising_formula_writes_large_and_small_numbers_as_powers_of_ten(schedule, t, alpha_bar, snr):
    _, alphas_cumprod = noise_schedule(schedule)
    shown = jump.formula(t, alphas_cumprod)
    assert alpha_bar in shown and shown.removesuffix("\n\n" + jump.COUNTING).endswith(snr)
    assert "e+" not in shown and "e-0" not in shown


def test_with_no_noise_at_all_the_snr_is_infinite():
    shown = jump.formula(0, torch.ones(1000, dtype=torch.float64))
    assert shown.removesuffix("\n\n" + jump.COUNTING).endswith(r"= \infty$$")


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


def test_noising_scenes(app_scene):
    from explorers.generation.noising.jump import noise_endpoint

    def at(start):
        image, t, schedule, seed = app_scene("noising-scenes", start)
        return noise_endpoint(image, t, schedule, seed)

    clean = at("Forward Diffusion · t = 0")
    assert 0.999 < clean["sqrt_alpha_bar"] < 1                       # still clean, but one step of noise is in it
    assert at("Forward Diffusion · t = 250")["snr"] > 1                              # signal still dominates
    assert 0.4 < at("Forward Diffusion · t = 500")["sqrt_alpha_bar"] ** 2 < 0.6      # half and half
    assert at("Forward Diffusion · t = 999")["sqrt_alpha_bar"] ** 2 < 0.01           # nothing but noise
