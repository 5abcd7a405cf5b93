"""Ask the U-Net (knowledge map: U-Net Denoising, Forward Diffusion): what it is trained to do. A real digit is
noised to a chosen t with a known noise eps (the shortcut formula); the U-Net's noise prediction eps_hat is set
beside eps, and scored as training scores it, the mean of (eps_hat - eps)^2 over the pixels. Across t, the same loss
for CURVE_POINTS timesteps and N_NOISES noises, in one batch. Folded: drawn when unfolded."""
from functools import lru_cache

import gradio as gr
import numpy as np
import torch

from components.card import LATEX
from components.checked_number import CheckedNumber
from components.diffusion_figures import IMAGE_RANGE, NOISE_RANGE
from components.errors import keeps_view
from components.events import bind
from components.formatting import number
from components.formulas import noising_formula
from components.page import Fold, PanelFrame, drawn_when_unfolded, fold
from components.scenes import scenes
from components.unet_figures import image_table, loss_curve
from core.checks import MAX_SEED, quote, whole
from core.diffusion import T, loss_across_t, noise_schedule, prediction_loss
from models.device import pick_device
from models.digit_diffusion import load_digit_diffusion
from models.images import clean_image
from models.settings import Settings
from server.gpu import gpu
from server.queue import HEAVY

N_NOISES = 8                 # noises averaged on the curve; the first is the example's own eps
CURVE_POINTS = 20            # timesteps on the curve, 0 ... T - 1 evenly
CURVE_TIMESTEPS = tuple(int(t) for t in np.linspace(0, T - 1, CURVE_POINTS).round())


def checked_ask(digit, t, seed, label) -> tuple[int, int, int, bool]:
    if not isinstance(label, bool):
        raise ValueError(f"'tell the U-Net the digit' is on or off, got {quote(label)}.")
    return whole("digit", digit, 0, 9), whole("t", t, 0, T - 1), whole("noise seed", seed, 0, MAX_SEED), label


def predictor(unet, label: int):
    """predict(x_t (B, 1, H, W), t (an int or (B,))) -> eps_hat: the U-Net with one class label for the batch."""
    def predict(x_t, t):
        labels = torch.full((len(x_t),), label, device=x_t.device)
        return unet(x_t, torch.as_tensor(t, device=x_t.device), class_labels=labels).sample
    return predict


def example(digit: int, seed: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The clean digit x0 (1, 1, H, W) in [-1, 1] (the Noising panel's 'digit d') and N_NOISES noises (N, 1, H, W)."""
    x0, _ = clean_image(f"digit {digit}", None)
    noises = torch.randn((N_NOISES, *x0.shape[1:]), generator=torch.Generator().manual_seed(seed))
    return x0.to(device), noises.to(device)


@lru_cache(maxsize=16)
@torch.inference_mode()
def losses_across_t(digit: int, seed: int, label: bool, device: str = "cpu") -> np.ndarray:
    """The training loss at CURVE_TIMESTEPS for the N_NOISES noises: (K, N), read-only, shared."""
    model = load_digit_diffusion(device=device)
    _, alphas_cumprod = noise_schedule(model.schedule)
    x0, noises = example(digit, seed, device)
    predict = predictor(model.unet, digit if label else model.no_label)
    losses = loss_across_t(predict, x0, noises, alphas_cumprod.to(device), CURVE_TIMESTEPS).cpu().numpy()
    losses.setflags(write=False)
    return losses


@torch.inference_mode()
def asked(settings: Settings, digit: int, t: int, seed: int, label: bool) -> dict:
    """One training example: x0, x_t, eps, eps_hat (H, W) each, the loss, and abar_t."""
    device = str(pick_device(settings.device))
    model = load_digit_diffusion(device=device)
    _, alphas_cumprod = noise_schedule(model.schedule)
    x0, noises = example(digit, seed, device)
    predict = predictor(model.unet, digit if label else model.no_label)
    x_t, eps_hat, loss = prediction_loss(predict, x0, noises[:1], alphas_cumprod.to(device), t)
    pictures = {name: value[0, 0].cpu().numpy() for name, value in
                (("x0", x0), ("x_t", x_t), ("eps", noises[:1]), ("eps_hat", eps_hat))}
    return pictures | {"loss": float(loss[0]), "abar": float(alphas_cumprod[t])}


def ask_formula(seen: dict, t: int, digit: int, label: bool) -> str:
    pixels = seen["x0"].size
    condition = str(digit) if label else r"\varnothing"
    return (f"$${noising_formula(seen['abar'], t)}$$\n\n"
            f"$$\\hat\\varepsilon = \\varepsilon_\\theta(x_{{{t}}}, {t}, {condition}),\\qquad "
            f"\\mathcal L = \\frac{{1}}{{{pixels}}}\\sum_{{i=1}}^{{{pixels}}}(\\hat\\varepsilon_i - \\varepsilon_i)^2"
            f" = \\frac{{\\|\\hat\\varepsilon - \\varepsilon\\|^2}}{{{pixels}}}"
            f" = \\frac{{{number(seen['loss'] * pixels, 2)}}}{{{pixels}}} = {number(seen['loss'], 4)}$$\n\n"
            "Training takes the mean of this loss over random digits, random t and random ε, and nudges the "
            "weights to lower it.")


def curve_note(losses: np.ndarray, seed: int, loss: float, t: int) -> str:
    mean = losses.mean(axis=1)                                                          # (K,)
    hard, easy = int(mean.argmax()), int(mean.argmin())
    return (f"**This example:** loss **{loss:.4f}** at t = {t}. **Across t** ({CURVE_POINTS} timesteps from 0 to "
            f"{T - 1}, each the mean over {losses.shape[1]} noises drawn from seed {seed}; the first is this ε): "
            f"hardest at t = {CURVE_TIMESTEPS[hard]} (loss {mean[hard]:.4f}), easiest at t = {CURVE_TIMESTEPS[easy]} "
            f"({mean[easy]:.4f}). Near t = 0 there is little noise to find under a clean digit; near t = {T - 1} "
            "xₜ is almost all noise, and the noise is almost xₜ itself. Guessing ε̂ = 0 would score 1 everywhere.")


@keeps_view
@gpu(duration=60)   # on a ZeroGPU Space: borrow a GPU for this call
def ask_view(settings: Settings, digit, t, seed, label):
    """The formula, the pictures x0 | x_t | eps | eps_hat | eps_hat - eps, the loss across t, and the note."""
    digit, t, seed, label = checked_ask(digit, t, seed, label)
    seen = asked(settings, digit, t, seed, label)
    losses = losses_across_t(digit, seed, label, str(pick_device(settings.device)))
    who = f"told it is a {digit}" if label else "not told which digit"
    pictures = image_table([[seen["x0"], seen["x_t"], seen["eps"], seen["eps_hat"], seen["eps_hat"] - seen["eps"]]],
                           ["x₀ (clean)", f"xₜ at t = {t}", "ε (the true noise)", "ε̂ (the U-Net's)",
                            "ε̂ − ε"],
                           [""], f"A real {digit}, noised with a known ε; the U-Net ({who}) finds ε̂",
                           zranges=[IMAGE_RANGE, IMAGE_RANGE, NOISE_RANGE, NOISE_RANGE, NOISE_RANGE],
                           diverging=[False, False, False, False, True], height=330)
    curve = loss_curve(CURVE_TIMESTEPS, losses, t, seen["loss"],
                       f"The training loss across t (a real {digit}, {losses.shape[1]} noises, {who})")
    return ask_formula(seen, t, digit, label), pictures, curve, curve_note(losses, seed, seen["loss"], t)


def build_ask_part(settings: Settings, tab: PanelFrame) -> tuple[dict, Fold]:
    """The fold; returns its link's controls and the fold."""
    with fold("Ask the U-Net: find the noise in a real digit (what it is trained to do)", "denoising-ask") as part:
        gr.Markdown(
            "Training never asks the U-Net to draw a digit. It takes a real digit x₀, noises it to a random t with a "
            "noise ε it knows (the Noising panel's one-jump formula), and asks the U-Net for that noise. The score is "
            "the mean squared difference between ε̂ and ε. Ask it yourself:")
        with gr.Row():
            digit = gr.Dropdown(list(range(10)), value=3, label="real digit", elem_id="denoising-ask-digit")
            t = gr.Slider(0, T - 1, 500, step=1, label="timestep t (0 … 999)", elem_id="denoising-ask-t")
            seed = CheckedNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="noise seed",
                                 elem_id="denoising-ask-seed")
            label = gr.Checkbox(True, label="tell the U-Net which digit it is (its class label)",
                                elem_id="denoising-ask-label")
        formula = gr.Markdown(latex_delimiters=LATEX, elem_classes=["dle-formula"], elem_id="denoising-ask-formula")
        pictures = gr.Plot(label="x₀, xₜ, ε, ε̂", elem_id="denoising-ask-pictures")
        note = gr.Markdown(elem_id="denoising-ask-note")
        curve = gr.Plot(label="the loss across t", elem_id="denoising-ask-curve")
        controls = [digit, t, seed, label]
        scenes(controls, {
            "U-Net Denoising · t = 500: half image, half noise": [3, 500, 0, True],
            "U-Net Denoising · t = 20: a faint noise to find": [3, 20, 0, True],
            "U-Net Denoising · t = 950: the noise is nearly xₜ": [3, 950, 0, True],
            "U-Net Denoising · not told the digit (∅)": [3, 500, 0, False],
        }, elem_id="denoising-ask-scenes")
    outputs = [formula, pictures, curve, note]
    drawn_when_unfolded(part, tab.opened, bind(ask_view, settings), controls, outputs, **HEAVY)
    gr.on([digit.change, t.release, seed.change, label.change], bind(ask_view, settings), inputs=controls,
          outputs=outputs, trigger_mode="always_last", api_visibility="undocumented", show_progress="hidden", **HEAVY)
    return {"ask_digit": digit, "ask_t": t, "ask_seed": seed, "ask_label": label}, part
