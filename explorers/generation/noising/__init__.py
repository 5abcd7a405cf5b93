"""Forward diffusion (knowledge map: Forward Diffusion): noise any image to any t in one jump with diffusers'
own schedules, and check the jump against the step-by-step chain it replaces."""

import gradio as gr
import torch

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.diffusion_figures import chain_histogram, image_figure, noising_frame, schedule_curves
from components.errors import keeps_view, user_errors
from components.checked_number import CheckedNumber
from components.formatting import number, significant
from components.scenes import scenes
from components.export import write_gif
from components.upload import ImageUpload
from components.page import panel_frame
from core.checks import MAX_SEED, whole
from core.diffusion import SCHEDULES, T, add_noise, image_for_noising, noise_schedule, noise_step_by_step
from models.settings import Settings
from explorers.generation.noising.latent import build_latent_noising
from models.images import DIGITS, PHOTOS, UPLOAD, clean_image, read_image_file

CHAIN_VALUES = 65_536        # the step-by-step check runs this many pixel chains in all (enough for a histogram)
GIF_EVERY = 25               # the noising-sweep GIF shows t = 0, 25, 50, ... 975, 999


def checked(t, schedule, seed) -> tuple[int, torch.Tensor, torch.Tensor, int]:
    t = whole("t", t, 0, T - 1)
    betas, alphas_cumprod = noise_schedule(schedule)
    return t, betas, alphas_cumprod, whole("seed", seed, 0, MAX_SEED)


def fixed_noise(seed: int, shape) -> torch.Tensor:
    """The same noise sample for every t: moving the slider slides along one path from image to noise."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def formula(t: int, alphas_cumprod: torch.Tensor) -> str:
    abar = float(alphas_cumprod[t])
    snr = abar / (1 - abar) if abar < 1 else float("inf")                    # no noise at all: infinite SNR
    kept = significant(abar, 4)
    kept = f"1 - {significant(1 - abar)}" if kept == "1" and abar < 1 else kept     # 1 - 4.13e-5, not 1
    return (f"$$x_t = \\sqrt{{\\bar\\alpha_t}}\\,x_0 + \\sqrt{{1-\\bar\\alpha_t}}\\,\\varepsilon,\\qquad "
            f"\\bar\\alpha_t = \\prod_{{s \\le t}} (1-\\beta_s)$$\n\n"
            f"$$x_{{{t}}} = {number(abar ** 0.5)}\\,x_0 + {number((1 - abar) ** 0.5)}\\,\\varepsilon,\\qquad "
            f"\\bar\\alpha_{{{t}}} = {kept},\\quad \\text{{SNR}} = \\frac{{\\bar\\alpha_t}}{{1-\\bar\\alpha_t}} = "
            f"{significant(snr, 4)}$$")


@keeps_view
def noised_view(choice, uploaded, t, schedule, seed):
    """What moves with the slider: the formula's numbers, x_t, and the marked curves."""
    t, _, alphas_cumprod, seed = checked(t, schedule, seed)
    x0, _ = clean_image(choice, uploaded)                                               # (1, 1, h, w)
    x_t = add_noise(x0, fixed_noise(seed, x0.shape), alphas_cumprod, t)                 # (1, 1, h, w)
    return (formula(t, alphas_cumprod), image_figure(x_t[0, 0].numpy(), f"x_t at t = {t} (colours clip at ±1)"),
            schedule_curves(alphas_cumprod.numpy(), t, schedule))


@keeps_view
def clean_view(choice, uploaded):
    x0, note = clean_image(choice, uploaded)
    h, w = x0.shape[-2:]
    return image_figure(x0[0, 0].numpy(), "x_0: the clean image"), f"**Image:** {w}×{h} pixels. {note}."


@keeps_view
def on_upload(path):
    """Read an uploaded file, convert it once (grey, at most 64 pixels a side) and keep it for this user only."""
    if path is None:
        return None, gr.update(), "Upload removed."
    grey, note = image_for_noising(read_image_file(path))
    grey.setflags(write=False)
    return (grey, f"your upload ({note or 'used as is'})"), gr.update(value=UPLOAD), \
        f"Converted: {note or 'nothing to convert'}."


@keeps_view
def compare_chain(choice, uploaded, t, schedule, seed):
    """Noise many copies step by step with the per-step betas, and compare with the one-jump formula."""
    t, betas, alphas_cumprod, seed = checked(t, schedule, seed)
    x0, _ = clean_image(choice, uploaded)                                               # (1, 1, h, w)
    chains = max(4, CHAIN_VALUES // x0.numel())
    copies = x0.expand(chains, *x0.shape[1:])                                           # (chains, 1, h, w)
    chain = noise_step_by_step(copies, betas, t, torch.Generator().manual_seed(seed + 1))
    jump = add_noise(copies, fixed_noise(seed, copies.shape), alphas_cumprod, t)
    keep = alphas_cumprod[t].sqrt()
    chain_noise, jump_noise = (chain - keep * copies).numpy(), (jump - keep * copies).numpy()
    std = float((1 - alphas_cumprod[t]).sqrt())
    mean_error = float((chain.mean(0) - keep * x0[0]).abs().mean())
    return (chain_histogram(jump_noise, chain_noise, std, t),
            f"**{chains} copies × {t + 1} small steps** x_s = √(1−β_s)·x_(s−1) + √β_s·ε_s (β from "
            f"{significant(betas[0], 2, latex=False)} to {significant(betas[t], 2, latex=False)}): the noise part "
            f"has standard deviation **{chain_noise.std():.4f}** (chain) vs "
            f"**{jump_noise.std():.4f}** (one jump) vs √(1−ᾱ_t) = **{std:.4f}** (theory); the chains' average "
            f"image differs from √ᾱ_t·x_0 by {mean_error:.3f} per pixel (sampling noise). Different noise, same "
            "distribution: that is why training can jump straight to any t.")


@keeps_view
def noising_gif(choice, uploaded, schedule, seed):
    _, _, alphas_cumprod, seed = checked(0, schedule, seed)
    x0, _ = clean_image(choice, uploaded)
    eps = fixed_noise(seed, x0.shape)
    steps = [*range(0, T, GIF_EVERY), T - 1]
    frames = [noising_frame(add_noise(x0, eps, alphas_cumprod, t)[0, 0].numpy()) for t in steps]
    return write_gif(frames, duration_ms=100, name=f"noising-{schedule}")


@user_errors
def noise_endpoint(image: str, t: int, schedule: str = "cosine", seed: int = 0) -> dict:
    """x_t of a bundled image (digit 0 … digit 9 or a scikit-image photo) at timestep t, with a fixed noise seed."""
    t, _, alphas_cumprod, seed = checked(t, schedule, seed)
    x0, _ = clean_image(image, None)
    x_t = add_noise(x0, fixed_noise(seed, x0.shape), alphas_cumprod, t)                 # (1, 1, h, w)
    abar = float(alphas_cumprod[t])
    return {"image": x_t[0, 0].tolist(), "t": t, "sqrt_alpha_bar": abar ** 0.5,
            "sqrt_one_minus_alpha_bar": (1 - abar) ** 0.5, "snr": abar / (1 - abar)}


PANEL = "noising"                       # its page: /noising, and ?panel=noising in a link
TITLE = "Noising"
SUMMARY = "x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε on a digit, a photo or your upload"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:     # drawn when opened (fast start)
        live = explanation_card(
            "Forward diffusion: from image to noise in one jump",
            "Diffusion models learn to undo noise. To make training examples, add Gaussian noise to a clean "
            "image, a little at each of T = 1000 steps, until only noise is left. There is a shortcut: any "
            "noise level t can be reached in a single jump, a weighted sum of the image and one noise sample.",
            "", "Slide t slowly: the image fades while the noise grows, along one fixed noise sample. Compare "
            "the schedules at t = 500: the linear one has destroyed the digit, the cosine one has not. Then press "
            "the step-by-step button: a different path, the same distribution.", elem_id="noising-formula")
        uploaded = gr.State(None)
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                choice = gr.Dropdown([*DIGITS, *PHOTOS, UPLOAD], value="digit 3", label="image",
                                     elem_id="noising-image")
                t = gr.Slider(0, T - 1, 250, step=1, label="timestep t (0 … 999)", elem_id="noising-t")
                schedule = gr.Radio(list(SCHEDULES), value="cosine", label="noise schedule (diffusers' betas)",
                                    elem_id="noising-schedule")
                seed = CheckedNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="noise seed",
                                 elem_id="noising-seed")
                upload = ImageUpload(type="filepath", sources=["upload"], height=160, elem_id="noising-upload",
                                     label="or upload an image (any size; converted to grey)")
                note = gr.Markdown(elem_id="noising-note")
            clean_plot = gr.Plot(label="clean image", elem_id="noising-clean")
            noised_plot = gr.Plot(label="noised image", elem_id="noising-noised")
        curves = gr.Plot(label="schedule", elem_id="noising-curves")
        with gr.Row():
            chain_button = gr.Button("Noise step by step (the chain) and compare with the jump",
                                     elem_id="noising-chain-button")
            gif_button = gr.Button("Export the noising sweep as a GIF", elem_id="noising-gif-button")
        chain_text = gr.Markdown(elem_id="noising-chain-text")
        with gr.Row():
            chain_plot = gr.Plot(label="chain vs jump", elem_id="noising-chain")
            gif = gr.File(label="GIF of x_t for t = 0 … 999", height=70, elem_id="noising-gif")
        build_latent_noising(settings, choice, uploaded, t, seed)         # only with --image-model
        inputs = [choice, uploaded, t, schedule, seed]
        scenes([choice, t, schedule, seed], {
            "Forward Diffusion · t = 0: the clean digit": ["digit 3", 0, "cosine", 0],
            "Forward Diffusion · t = 250: still readable": ["digit 3", 250, "cosine", 0],
            "Forward Diffusion · t = 500: half signal, half noise": ["digit 3", 500, "cosine", 0],
            "Forward Diffusion · t = 999: nothing but noise": ["digit 3", 999, "cosine", 0],
            "Forward Diffusion · a photo, linear schedule, t = 250": ["camera", 250, "linear", 0],
        }, elem_id="noising-scenes")
        upload.upload(on_upload, inputs=upload, outputs=[uploaded, choice, note], api_visibility="undocumented")
        gr.on([tab.opened, choice.change], clean_view, inputs=[choice, uploaded], outputs=[clean_plot, note],
              api_visibility="undocumented", show_progress="hidden")
        gr.on([tab.opened, choice.change, t.change, schedule.change, seed.change], noised_view, inputs=inputs,
              outputs=[live, noised_plot, curves], trigger_mode="always_last", api_visibility="undocumented",
              show_progress="hidden")
        chain_button.click(compare_chain, inputs=inputs, outputs=[chain_plot, chain_text],
                           api_visibility="undocumented")
        gif_button.click(noising_gif, inputs=[choice, uploaded, schedule, seed], outputs=gif,
                         api_visibility="undocumented")
        gr.api(noise_endpoint, api_name="noise")
        return link_box("noising", {"image": choice, "t": t, "schedule": schedule, "seed": seed})
