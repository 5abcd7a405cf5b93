"""The latent-space parts of the Noising and Guidance tabs (knowledge map: Latent Diffusion), shown only when a
text-to-image model is configured (--image-model; see models/image_pipeline.py). Noising: image -> VAE latent ->
noise -> decode, with the sizes. Guidance: the same w sweep as the digit grid, asked with a text prompt."""
from functools import partial

import gradio as gr
import numpy as np
import torch

from components.card import number
from components.diffusion_figures import colour_grid
from components.network_figures import tile_images
from components.errors import user_errors
from core.checks import quote, whole
from core.diffusion import T, add_noise, sampling_timesteps
from core.latent import from_latent, prompt_embeddings, text_sample, to_latent
from explorers.guidance import MAX_SEED, checked_sweep, parse_weights
from explorers.noising import DIGITS, PHOTOS, clean_image
from models.digit_classifier import mean_pairwise_distance
from models.image_pipeline import app_image_pipeline
from models.settings import HEAVY, Settings
from models.spaces_gpu import gpu

MAX_PROMPT = 300         # characters; the text encoder reads at most its own number of tokens (77 for CLIP)
LATENT_RANGE = 3.0       # latent values are shown from -3 to 3 (they are roughly unit Gaussian)


def colour_source(choice, uploaded) -> tuple[np.ndarray, str]:
    """The chosen picture as (H, W, 3) in [0, 1]: scikit-image's photos in colour where they have it, the digits
    and uploads as the grey the panel keeps of them."""
    if choice in PHOTOS:
        import skimage.data

        photo = np.asarray(getattr(skimage.data, choice)(), dtype=np.float64) / 255.0
        if photo.ndim == 3:
            return photo[..., :3], f"scikit-image's '{choice}' in colour"
        return np.repeat(photo[..., None], 3, axis=2), f"scikit-image's '{choice}' (grey)"
    x0, note = clean_image(choice, uploaded)                                             # (1, 1, h, w) in [-1, 1]
    grey = ((x0[0, 0].numpy() + 1) / 2).astype(np.float64)
    return np.repeat(grey[..., None], 3, axis=2), note or "grey"


def resized(image: np.ndarray, side: int) -> np.ndarray:
    from PIL import Image

    pixels = Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8)).resize((side, side), Image.BICUBIC)
    return np.asarray(pixels, dtype=np.float32) / 255.0                                  # (side, side, 3)


def latent_picture(latent: torch.Tensor, side: int) -> np.ndarray:
    """(C, h, w) latent -> its channels tiled two a row as a grey (side, side, 3) picture in [0, 1]."""
    from PIL import Image

    tiled = tile_images(latent.float().cpu().numpy(), columns=2, gap=0, fill=0.0)        # (2h, 2w) for 4 channels
    grey = np.clip((tiled + LATENT_RANGE) / (2 * LATENT_RANGE), 0, 1)
    grey = np.asarray(Image.fromarray((grey * 255).astype(np.uint8)).resize((side, side), Image.NEAREST)) / 255.0
    return np.repeat(grey[..., None], 3, axis=2)


def to_picture(images: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) in [-1, 1] -> (B, H, W, 3) in [0, 1]."""
    return ((images.float().cpu().permute(0, 2, 3, 1) + 1) / 2).clamp(0, 1).numpy()


def noised_latent(settings: Settings, choice, uploaded, t, seed) -> dict:
    t, seed = whole("t", t, 0, T - 1), whole("seed", seed, 0, MAX_SEED)
    pipe = app_image_pipeline(settings)
    image, note = colour_source(choice, uploaded)
    side = pipe.image_side
    x0 = torch.tensor(resized(image, side)).permute(2, 0, 1)[None] * 2 - 1                # (1, 3, S, S)
    x0 = x0.to(pipe.device, pipe.vae.dtype)
    z0 = to_latent(pipe.vae, x0, pipe.scaling)                                            # (1, C, h, w)
    eps = torch.randn(z0.shape, generator=torch.Generator().manual_seed(seed)).to(z0.device, z0.dtype)
    z_t = add_noise(z0, eps, pipe.alphas_cumprod.to(z0.device), t)
    decoded = from_latent(pipe.vae, torch.cat([z0, z_t]), pipe.scaling)                   # (2, 3, S, S)
    abar = float(pipe.alphas_cumprod[t])
    return {"x0": to_picture(x0)[0], "round_trip": to_picture(decoded[:1])[0], "decoded": to_picture(decoded[1:])[0],
            "latent": z_t[0], "latent_shape": tuple(z0.shape[1:]), "image_shape": (side, side, 3), "t": t,
            "sqrt_alpha_bar": abar ** 0.5, "note": note, "name": pipe.name}


@user_errors
@gpu(duration=60)
def latent_view(settings: Settings, choice, uploaded, t, seed):
    r = noised_latent(settings, choice, uploaded, t, seed)
    C, h, w = r["latent_shape"]
    pixels, values = int(np.prod(r["image_shape"])), C * h * w
    side = r["image_shape"][0]
    figure = colour_grid(np.stack([r["x0"], r["round_trip"], latent_picture(r["latent"], side), r["decoded"]])[None],
                         ["x (the image)", "D(E(x)): the VAE round trip", f"z_t: the {C} latent channels",
                          "D(z_t): decoded"], [""], f"Latent diffusion with {r['name']}", height=360)
    text = (f"$$z_0 = s\\,E(x):\\ {side}\\times{side}\\times 3 = {pixels:,} \\text{{ numbers}} \\;\\to\\; "
            f"{h}\\times{w}\\times{C} = {values:,}\\ \\ ({pixels / values:.0f}\\times \\text{{ fewer}})$$\n\n"
            f"$$z_{{{r['t']}}} = {number(r['sqrt_alpha_bar'])}\\,z_0 + "
            f"{number((1 - r['sqrt_alpha_bar'] ** 2) ** 0.5)}\\,\\varepsilon\\qquad x_{{{r['t']}}} = D(z_{{{r['t']}}}/s)$$"
            f"\n\nThe noise is added to the latent, with the checkpoint's own schedule (not the schedule above); "
            f"the decoder turns noisy latents into structured blotches, not pixel snow. Image: {r['note']}.")
    return text, figure


@user_errors
def latent_noise_endpoint(settings: Settings, image: str, t: int, seed: int = 0) -> dict:
    """A bundled image (digit 0 … digit 9 or a scikit-image photo) through the VAE, noised to t in latent space."""
    if image not in DIGITS and image not in PHOTOS:
        raise ValueError(f"Unknown image {quote(image)}; choose digit 0 … digit 9 or one of {', '.join(PHOTOS)}.")
    r = noised_latent(settings, image, None, t, seed)
    return {"latent_shape": list(r["latent_shape"]), "image_shape": list(r["image_shape"]), "t": r["t"],
            "sqrt_alpha_bar": r["sqrt_alpha_bar"], "decoded": np.round(r["decoded"], 4).tolist()}


def checked_prompt(prompt) -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("Type a prompt, e.g. 'a watercolor painting of a lighthouse'.")
    if len(prompt) > MAX_PROMPT:
        raise ValueError(f"The prompt is {len(prompt):,} characters long; keep it under {MAX_PROMPT}.")
    return prompt.strip()


def text_sweep(settings: Settings, prompt, weights, samples, steps, seed) -> dict:
    prompt = checked_prompt(prompt)
    weights, samples, steps, seed = checked_sweep(parse_weights(weights) if isinstance(weights, str) else weights,
                                                  samples, steps, seed)
    pipe = app_image_pipeline(settings)
    embedded, empty = prompt_embeddings(pipe.tokenizer, pipe.text_encoder, [prompt, ""]).split(1)   # (1, L, d) each
    noise = torch.randn((samples, *pipe.latent_shape), generator=torch.Generator().manual_seed(seed))
    noise = noise.to(pipe.device, pipe.unet.dtype)
    run = text_sample(pipe.unet, embedded, empty, list(weights), noise, pipe.alphas_cumprod, sampling_timesteps(steps))
    images = to_picture(from_latent(pipe.vae, run.final, pipe.scaling))                  # (K*n, S, S, 3)
    table = images.reshape(len(weights), samples, *images.shape[1:]).transpose(1, 0, 2, 3, 4)   # (n, K, S, S, 3)
    # diversity: the mean RMS pixel distance between a column's samples (Euclidean / sqrt(pixels)); none for one
    diversity = [mean_pairwise_distance(torch.from_numpy(column)) / np.sqrt(column[0].size) if samples > 1
                 else float("nan") for column in table.transpose(1, 0, 2, 3, 4)]
    return {"table": table, "weights": list(weights), "diversity": diversity, "prompt": prompt, "name": pipe.name}


@user_errors
@gpu(duration=120)
def run_text_sweep(settings: Settings, prompt, weights, samples, steps, seed, progress=gr.Progress()):
    progress(0.05, desc="Sampling all weights together…")
    r = text_sweep(settings, prompt, weights, samples, steps, seed)
    figure = colour_grid(r["table"], [f"w={w:g}" for w in r["weights"]],
                         [f"noise {i + 1}" for i in range(len(r["table"]))],
                         f"“{r['prompt'][:60]}”: a column per w, a row per noise ({r['name']})")
    spread = " · ".join(f"w={w:g}: {d:.3f}" for w, d in zip(r["weights"], r["diversity"]))
    return figure, (f"**Diversity** (mean RMS pixel distance between the samples of a column; no classifier "
                    f"judges a free-text prompt): {spread if len(r['table']) > 1 else 'needs 2 samples per weight'}. "
                    "diffusers' `guidance_scale` is w + 1.")


@user_errors
def text_cfg_sweep_endpoint(settings: Settings, prompt: str, weights: list[float], samples_per_weight: int = 2,
                            steps: int = 25, seed: int = 0) -> dict:
    """A text prompt's guidance sweep with the configured Stable Diffusion model: images per w and diversity."""
    r = text_sweep(settings, prompt, weights, samples_per_weight, steps, seed)
    return {"weights": r["weights"], "diversity": r["diversity"],
            "images": np.round(r["table"].transpose(1, 0, 2, 3, 4), 3).tolist()}


def build_latent_noising(settings: Settings, choice, uploaded, t, seed) -> None:
    """Inside the Noising tab: the same image, t and seed, in the configured model's latent space."""
    if not settings.image_model:
        return
    with gr.Accordion(f"Latent diffusion: the same noising in {settings.image_model}'s latent space", open=False,
                      elem_id="noising-latent"):
        button = gr.Button("Encode, noise at this t, decode", elem_id="noising-latent-button")
        text = gr.Markdown(elem_id="noising-latent-text")
        figure = gr.Plot(label="latent noising", elem_id="noising-latent-plot")

    def latent_noise(image: str, t: int, seed: int = 0) -> dict:
        """A bundled image (digit 0 … digit 9 or a scikit-image photo) through the VAE, noised to t in its latent."""
        return latent_noise_endpoint(settings, image, t, seed)

    button.click(partial(latent_view, settings), inputs=[choice, uploaded, t, seed], outputs=[text, figure],
                 api_visibility="undocumented", **HEAVY)
    gr.api(latent_noise, api_name="latent_noise", **HEAVY)


def build_text_sweep(settings: Settings, weights, samples, steps, seed) -> None:
    """Inside the Guidance tab: the same weights, samples, steps and seed, asked with a text prompt."""
    if not settings.image_model:
        return
    with gr.Accordion(f"A text prompt instead of a digit ({settings.image_model})", open=False,
                      elem_id="guidance-text"):
        with gr.Row():
            prompt = gr.Textbox("a watercolor painting of a lighthouse", label="prompt", max_lines=2,
                                elem_id="guidance-prompt")
            button = gr.Button("Sample the sweep for this prompt", elem_id="guidance-text-run", scale=0,
                               min_width=160)
        status = gr.Markdown(elem_id="guidance-text-status")
        figure = gr.Plot(label="text prompt samples", elem_id="guidance-text-grid")

    def sweep(prompt, weights, samples, steps, seed, progress=gr.Progress()):
        return run_text_sweep(settings, prompt, weights, samples, steps, seed, progress)

    def text_cfg_sweep(prompt: str, weights: list[float], samples_per_weight: int = 2, steps: int = 25,
                       seed: int = 0) -> dict:
        """A text prompt's guidance sweep with the configured Stable Diffusion model: images per w, diversity."""
        return text_cfg_sweep_endpoint(settings, prompt, weights, samples_per_weight, steps, seed)

    gr.on([button.click, prompt.submit], sweep, inputs=[prompt, weights, samples, steps, seed],
          outputs=[figure, status], api_visibility="undocumented", **HEAVY)
    gr.api(text_cfg_sweep, api_name="text_cfg_sweep", **HEAVY)
