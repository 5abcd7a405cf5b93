"""The one-jump part of the Noising tab (knowledge map: Forward Diffusion): x_t of a digit, a photo or an upload at
any t in one jump with diffusers' own schedules, the card's formula with that t's numbers, the upload's conversion,
the noising sweep as a GIF, and the /noise endpoint."""
import gradio as gr
import torch

from components.diffusion_figures import image_figure, noising_frame, schedule_curves
from components.errors import keeps_view, user_errors
from components.export import write_gif
from components.formatting import significant
from components.formulas import noising_formula
from core.checks import MAX_SEED, whole
from core.diffusion import T, add_noise, image_for_noising, noise_schedule
from models.images import UPLOAD, clean_image, read_image_file

# the paper numbers the noised images x_1 … x_T; diffusers (and this panel) count t from 0, so t = 0 is x_1
COUNTING = ("t counts from 0 as in diffusers: t = 0 is already one step of noise (the paper's x₁), t = 999 the "
            "last (x₁₀₀₀); x₀ on the right is always the clean image.")
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
    return (f"$${noising_formula()},\\qquad \\bar\\alpha_t = \\prod_{{s \\le t}} (1-\\beta_s)$$\n\n"
            f"$${noising_formula(abar, t, symbolic=False)},\\qquad "
            f"\\bar\\alpha_{{{t}}} = {kept},\\quad \\text{{SNR}} = \\frac{{\\bar\\alpha_t}}{{1-\\bar\\alpha_t}} = "
            f"{significant(snr, 4)}$$\n\n{COUNTING}")


@keeps_view
def noised_view(choice, uploaded, t, schedule, seed):
    """What moves with the slider: the formula's numbers, x_t, and the marked curves."""
    t, _, alphas_cumprod, seed = checked(t, schedule, seed)
    x0, _ = clean_image(choice, uploaded)                                               # (1, 1, h, w)
    x_t = add_noise(x0, fixed_noise(seed, x0.shape), alphas_cumprod, t)                 # (1, 1, h, w)
    return (formula(t, alphas_cumprod), image_figure(x_t[0, 0].numpy(), f"xₜ at t = {t} (colours clip at ±1)"),
            schedule_curves(alphas_cumprod.numpy(), t, schedule))


@keeps_view
def clean_view(choice, uploaded):
    x0, note = clean_image(choice, uploaded)
    h, w = x0.shape[-2:]
    return image_figure(x0[0, 0].numpy(), "x₀: the clean image"), f"**Image:** {w}×{h} pixels. {note}."


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
