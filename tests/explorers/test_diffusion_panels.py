"""The noising, denoising and guidance panels: what they show equals diffusers' schedulers and the trained model's
own outputs; odd uploads and out-of-range inputs end in short messages."""
import gradio as gr
import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler
from PIL import Image

from core.diffusion import SCHEDULES, noise_schedule, sample, sampling_timesteps
from explorers.generation import denoising, guidance, noising
from models.digit_diffusion import load_digit_diffusion
from models.digit_classifier import load_digit_classifier
from models.digits import digit_images
from models.images import UPLOAD
from tests.handlers import refuses


def digit_x0(digit: int) -> torch.Tensor:
    images, labels = digit_images()
    return images[int((labels == digit).nonzero()[0])][None]                        # (1, 1, 16, 16)


@pytest.mark.parametrize("schedule, t", [("linear", 0), ("scaled-linear", 400), ("cosine", 999)])
def test_noise_endpoint_equals_diffusers_add_noise(schedule, t):
    result = noising.noise_endpoint("digit 7", t, schedule, 11)
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
    formula, noised, curves = noising.noised_view("digit 3", None, 500, "linear", 0)
    abar = float(DDPMScheduler(num_train_timesteps=1000).alphas_cumprod[500])
    assert f"{abar ** 0.5:.3f}" in formula and f"{(1 - abar) ** 0.5:.3f}" in formula
    expected = noising.noise_endpoint("digit 3", 500, "linear", 0)["image"]
    np.testing.assert_allclose(np.asarray(noised.data[0].z), expected, rtol=1e-6)
    assert np.asarray(curves.data[0].y)[500] == pytest.approx(abar ** 0.5)       # sqrt(abar) curve, t marked
    assert list(curves.data[4].x) == [500, 500] and list(curves.data[3].x) == [500, 500]


def test_moving_t_slides_along_one_noise_sample():
    """Same seed, two t: both are the same eps mixed in different proportions, so x0 and eps can be solved for."""
    a, b = (np.asarray(noising.noise_endpoint("digit 5", t, "cosine", 2)["image"]) for t in (100, 600))
    _, alphas_cumprod = noise_schedule("cosine")
    (s1, n1), (s2, n2) = [(float(alphas_cumprod[t]) ** 0.5, (1 - float(alphas_cumprod[t])) ** 0.5) for t in (100, 600)]
    x0 = (a * n2 - b * n1) / (s1 * n2 - s2 * n1)
    np.testing.assert_allclose(x0, digit_x0(5)[0, 0].numpy(), atol=1e-4)


def test_photos_are_converted_with_a_note():
    figure, note = noising.clean_view("astronaut", None)
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
    state, choice, message = noising.on_upload(saved(upload, tmp_path / "upload.png"))
    assert choice["value"] == UPLOAD and words in message
    _, noised, _ = noising.noised_view(UPLOAD, state, 10, "cosine", 0)
    assert np.asarray(noised.data[0].z).shape == shape


def test_an_upload_read_from_a_png_file_with_alpha_works(tmp_path):
    path = tmp_path / "logo.png"
    Image.new("RGBA", (50, 10), (255, 0, 0, 128)).save(path)
    state, _, message = noising.on_upload(str(path))
    assert "RGBA" in message and state[0].shape == (10, 50)


def test_a_palette_png_and_a_16_bit_png_are_read_as_pictures(tmp_path):
    palette = Image.new("P", (12, 8), 1)
    palette.putpalette([0, 0, 0, 255, 255, 255])                                     # index 1 is white
    palette.save(tmp_path / "palette.png")
    state, _, _ = noising.on_upload(str(tmp_path / "palette.png"))
    assert state[0].shape == (8, 12) and state[0].min() == pytest.approx(1.0)
    state, _, _ = noising.on_upload(saved(np.full((8, 8), 65535, np.uint16), tmp_path / "deep.png"))
    assert state[0].min() == pytest.approx(1.0)


def test_a_text_file_renamed_png_is_refused_in_words(tmp_path):
    # gr.Image raised UnidentifiedImageError in its preprocess before any handler ran: a bare red "Error" pill.
    fake = tmp_path / "notes.png"
    fake.write_text("these are my lecture notes, not a picture")
    refuses(lambda: noising.on_upload(str(fake)), "That file is not an image Gradio can read; upload a PNG or JPEG")
    truncated = tmp_path / "cut.png"
    saved(np.zeros((40, 40, 3), np.uint8), tmp_path / "whole.png")
    truncated.write_bytes((tmp_path / "whole.png").read_bytes()[:60])
    refuses(lambda: noising.on_upload(str(truncated)), "not an image Gradio can read")


def test_the_upload_hands_the_handler_the_file_unopened(tmp_path):
    from gradio.data_classes import FileData

    from components.upload import ImageUpload

    fake = tmp_path / "notes.png"
    fake.write_text("not a picture")
    with gr.Blocks():
        upload = ImageUpload(type="filepath", sources=["upload"], label="upload")
    assert upload.get_block_name() == "image"                          # drawn by gr.Image's front end
    assert upload.get_config()["sources"] == ["upload"]                # the page gets gr.Image's own arguments
    assert upload.preprocess(FileData(path=str(fake), orig_name="notes.png")) == str(fake)
    assert upload.preprocess(None) is None


def test_a_too_small_upload_is_refused_clearly(tmp_path):
    refuses(lambda: noising.on_upload(saved(np.zeros((1, 1, 3), np.uint8), tmp_path / "dot.png")), "at least 4×4")


@pytest.mark.parametrize("args, words", [(("digit 3", None, 1000, "cosine", 0), "between 0 and 999"),
                                         (("digit 3", None, 5, "sigmoid", 0), "linear, scaled-linear, cosine"),
                                         (("digit 3", None, 5, "cosine", -1), "seed"),
                                         (("nothing", None, 5, "cosine", 0), "digit 0 … digit 9"),
                                         ((UPLOAD, None, 5, "cosine", 0), "Upload an image first")])
def test_noising_inputs_out_of_range_are_refused(args, words):
    refuses(lambda: noising.noised_view(*args), words)


def test_the_step_by_step_chain_matches_the_jumps_statistics():
    figure, text = noising.compare_chain("digit 0", None, 300, "linear", 0)
    std = (1 - float(DDPMScheduler(num_train_timesteps=1000).alphas_cumprod[300])) ** 0.5
    chain = np.asarray(figure.data[1].x)
    assert chain.std() == pytest.approx(std, rel=0.02) and f"{std:.4f}" in text
    assert "256 copies × 301 small steps" in text


def test_noising_gif_has_a_frame_per_25_steps():
    path = noising.noising_gif("digit 2", None, "linear", 0)
    assert Image.open(path).n_frames == 41


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


@pytest.mark.parametrize("args, words", [((3, 0, 51, 2.0), "between 1 and 50"), ((3, 0, 10, 31.0), "between 0 and 30"),
                                         ((10, 0, 10, 2.0), "digit"), ((3, 0.5, 10, 2.0), "whole number")])
def test_denoise_caps_are_enforced(settings, args, words):
    with pytest.raises(gr.Error, match=words):
        denoising.denoise_endpoint(settings, *args)


@pytest.mark.slow
def test_batched_sweep_equals_separate_runs_with_the_trained_weights(settings):
    """Over the full 50 DDIM steps with the trained U-Net, one batched call per step = one run per weight."""
    weights = [0.0, 2.0, 8.0]
    result = guidance.cfg_sweep_endpoint(settings, 6, weights, 2, 50, 4)
    model = load_digit_diffusion()
    _, alphas_cumprod = noise_schedule(model.schedule)
    noise = torch.randn((2, 1, 16, 16), generator=torch.Generator().manual_seed(4))
    for k, w in enumerate(weights):
        alone = sample(model.unet, 6, [w], noise, alphas_cumprod, sampling_timesteps(50), model.no_label).final
        np.testing.assert_allclose(result["images"][k], alone[:, 0].numpy(), atol=1e-3)
        probabilities = load_digit_classifier().probabilities(alone)
        assert result["accuracy"][k] == pytest.approx(float((probabilities.argmax(-1) == 6).float().mean()))
        assert result["confidence"][k] == pytest.approx(float(probabilities[:, 6].mean()), abs=1e-5)
    assert result["guidance_scale"] == [1.0, 3.0, 9.0]


def test_sweep_panel_draws_one_column_per_weight(settings):
    formula, grid_figure, curves, status = guidance.run_sweep(settings, 2, "0, 3", 2, 5, 0)
    assert list(grid_figure.layout.xaxis.ticktext) == ["w=0", "w=3"]
    assert np.asarray(grid_figure.data[0].z).shape == (2 * 18 - 2, 2 * 18 - 2)
    assert list(curves.data[0].x) == [0.0, 3.0] and "guidance\\_scale" in formula and "w=3" in status
    table = guidance.sweep(2, (0.0, 3.0), 2, 5, 0)["table"]
    endpoint = guidance.cfg_sweep_endpoint(settings, 2, [0, 3], 2, 5, 0)
    np.testing.assert_allclose(endpoint["images"], table.transpose(1, 0, 2, 3))


@pytest.mark.parametrize("weights, accuracy, confidence, expected", [
    ([0, 0.5, 1, 3], [0.75, 1.0, 1.0, 1.0], [0.8, 0.995, 0.999, 1.0], 1),   # ties: the smallest w within 0.01
    ([0, 0.5, 1, 3], [0.75, 1.0, 1.0, 1.0], [0.8, 0.95, 0.999, 1.0], 2),    # 0.95 is not within 0.01 of 1.0
    ([3, 0, 1], [1.0, 0.5, 1.0], [0.99, 0.6, 0.995], 2),                      # unsorted weights: w = 1 < w = 3
    ([0, 2], [0.0, 0.0], [0.1, 0.3], 1),                                      # nothing right: the most confident
])
def test_the_headline_weight_is_the_smallest_with_the_best_result(weights, accuracy, confidence, expected):
    assert guidance.smallest_best(weights, accuracy, confidence) == expected
    result = {"weights": weights, "accuracy": accuracy, "confidence": confidence, "relative_diversity": [1.0] * 4}
    assert f"**w = {weights[expected]:g}**" in guidance.formula(result, 7)


@pytest.mark.parametrize("text, words", [("0, 1, x", "numbers separated by commas"), ("", "1 to 10"),
                                         (", ".join(["1"] * 11), "1 to 10"), ("0, 31", "between 0 and 30"),
                                         ("nan", "finite")])
def test_weights_text_is_checked(settings, text, words):
    refuses(lambda: guidance.run_sweep(settings, 3, text, 2, 5, 0), words)


@pytest.mark.parametrize("args, words", [((3, [1.0], 9, 5, 0), "between 1 and 8"), ((3, [1.0], 2, 51, 0), "1 and 50"),
                                         ((3, [1.0] * 11, 2, 5, 0), "1 to 10"), ((3, [float("inf")], 2, 5, 0), "finite")])
def test_sweep_caps_are_enforced(settings, args, words):
    with pytest.raises(gr.Error, match=words):
        guidance.cfg_sweep_endpoint(settings, *args)



@pytest.mark.parametrize("schedule, t, alpha_bar, snr", [
    ("cosine", 0, r"\bar\alpha_{0} = 1 - 4.13 \times 10^{-5}", r"= 2.421 \times 10^{4}$$"),   # SNR was 2.42e+04
    ("linear", 0, r"\bar\alpha_{0} = 0.9999", "= 9997$$"),                                      # was 1e+04
    ("cosine", 999, r"\bar\alpha_{999} = 2.429 \times 10^{-9}", r"= 2.429 \times 10^{-9}$$"),   # was 2.429e-09
])
def test_the_noising_formula_writes_large_and_small_numbers_as_powers_of_ten(schedule, t, alpha_bar, snr):
    _, alphas_cumprod = noise_schedule(schedule)
    shown = noising.formula(t, alphas_cumprod)
    assert alpha_bar in shown and shown.endswith(snr)
    assert "e+" not in shown and "e-0" not in shown


def test_with_no_noise_at_all_the_snr_is_infinite():
    assert noising.formula(0, torch.ones(1000, dtype=torch.float64)).endswith(r"= \infty$$")
