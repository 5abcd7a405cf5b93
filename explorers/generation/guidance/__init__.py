"""Classifier-free guidance (knowledge map: Classifier-Free Guidance): one grid, a column per guidance weight w,
the same starting noise along each row; beside it the trade-off, measured by a separate digit classifier."""
from functools import lru_cache

import gradio as gr
import torch

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.diffusion_figures import guidance_grid, tradeoff_curves
from components.errors import keeps_view, user_errors
from components.checked_number import CheckedNumber
from components.formatting import number, significant
from components.scenes import scenes
from components.events import bind
from components.page import panel_frame
from core.checks import MAX_SEED, whole
from core.diffusion import grid, noise_schedule, sample, sampling_timesteps
from core.guidance_sweep import MAX_SAMPLES, MAX_STEPS, MAX_W, MAX_WEIGHTS, checked_sweep
from explorers.generation.guidance.text import build_text_sweep
from models.device import pick_device
from models.digit_classifier import judge
from models.digit_diffusion import DEFAULT_STEPS, load_digit_diffusion
from models.settings import Settings
from server.gpu import gpu
from server.queue import HEAVY

DEFAULT_WEIGHTS = (0, 0.5, 1, 2, 3, 5, 8, 12)


def checked(digit, weights, samples, steps, seed):
    return whole("digit", digit, 0, 9), *checked_sweep(weights, samples, steps, seed)


@lru_cache(maxsize=16)
def sweep(digit: int, weights: tuple[float, ...], samples: int, steps: int, seed: int, device: str = "cpu") -> dict:
    """All weights sampled together (one batched U-Net call per step), then judged weight by weight."""
    model = load_digit_diffusion(device=device)
    _, alphas_cumprod = noise_schedule(model.schedule)
    size = model.config.image_size
    noise = torch.randn((samples, 1, size, size), generator=torch.Generator().manual_seed(seed))   # (n, 1, H, W)
    run = sample(model.unet, digit, list(weights), noise.to(device), alphas_cumprod, sampling_timesteps(steps),
                 model.no_label)
    table = grid(run.final.cpu(), len(weights))                                               # (n, K, H, W)
    verdicts = [judge(table[:, k, None], digit) for k in range(len(weights))]
    table = table.numpy()
    table.setflags(write=False)
    return {"table": table, "weights": list(weights),
            **{key: [v[key] for v in verdicts] for key in ("accuracy", "confidence", "relative_diversity")}}


def smallest_best(weights, accuracy, confidence, tolerance: float = 0.01) -> int:
    """The index of the smallest w whose accuracy is the best and whose confidence is within tolerance of the best
    such: past it, more guidance buys no faithfulness here and costs diversity."""
    top = max(accuracy)
    faithful = [k for k in range(len(weights)) if accuracy[k] == top]
    most_sure = max(confidence[k] for k in faithful)
    return min((k for k in faithful if confidence[k] >= most_sure - tolerance), key=lambda k: weights[k])


def formula(result: dict, digit: int) -> str:
    weights, accuracy = result["weights"], result["accuracy"]
    best = smallest_best(weights, accuracy, result["confidence"])
    w = weights[best]
    return (f"$$\\hat\\varepsilon = (w+1)\\,\\varepsilon_\\text{{cond}} - w\\,\\varepsilon_\\text{{uncond}}"
            f"\\qquad(\\text{{diffusers: guidance\\_scale}} = w+1)$$\n\n"
            f"$$w = {significant(w, 4)}:\\quad \\hat\\varepsilon = "
            f"{number(w + 1, 2)}\\,\\varepsilon_\\theta(x_t, t, {digit}) - "
            f"{number(w, 2)}\\,\\varepsilon_\\theta(x_t, t, \\varnothing)$$\n\n"
            f"The smallest w with the best result is **w = {significant(w, 4, latex=False)}**: the classifier reads "
            f"**{accuracy[best]:.0%}** "
            f"of the samples as a {digit} "
            f"(mean p({digit}) = {result['confidence'][best]:.2f}); diversity is "
            f"{result['relative_diversity'][best]:.2f}× the real digits'.")


@keeps_view
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def run_sweep(settings: Settings, digit, weights_text, samples, steps, seed):
    digit, weights, samples, steps, seed = checked(digit, weights_text, samples, steps, seed)
    result = sweep(digit, weights, samples, steps, seed, str(pick_device(settings.device)))
    summary = " · ".join(f"w={w:g}: {a:.0%}, div {d:.2f}" for w, a, d in
                         zip(weights, result["accuracy"], result["relative_diversity"]))
    note = "" if samples > 1 else " (diversity needs at least 2 samples per weight)"
    return (formula(result, digit), guidance_grid(result["table"], weights, digit),
            tradeoff_curves(weights, result["accuracy"], result["confidence"], result["relative_diversity"], digit),
            f"**Per weight** (accuracy as a {digit}, diversity ÷ real){note}: {summary}")


@user_errors
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def cfg_sweep_endpoint(settings: Settings, digit: int, weights: list[float], samples_per_weight: int = 4,
                       steps: int = DEFAULT_STEPS, seed: int = 0) -> dict:
    """Samples of a digit for each guidance weight w (same starting noise), with the classifier's accuracy,
    mean confidence and the relative diversity per weight. images[k][i] is sample i at weights[k]."""
    digit, weights, samples, steps, seed = checked(digit, weights, samples_per_weight, steps, seed)
    result = sweep(digit, weights, samples, steps, seed, str(pick_device(settings.device)))
    return {"weights": list(weights), "guidance_scale": [w + 1 for w in weights],
            "images": result["table"].transpose(1, 0, 2, 3).tolist(), "accuracy": result["accuracy"],
            "confidence": result["confidence"], "relative_diversity": result["relative_diversity"]}


PANEL = "guidance"                       # its page: /guidance, and ?panel=guidance in a link
TITLE = "Guidance"
SUMMARY = "classifier-free guidance: one column per w from the same noise"


def build(settings: Settings) -> PanelLink:
    sweep_view = bind(run_sweep, settings)
    with panel_frame(PANEL) as tab:
        live = explanation_card(
            "Classifier-free guidance: how hard to push toward the prompt",
            "Run the U-Net twice per step, once told which digit to draw and once told nothing, then "
            "extrapolate past the conditional prediction, away from the unconditional one. The weight w sets "
            "how far: w = 0 is plain conditional sampling.",
            "$$\\hat\\varepsilon = (w+1)\\,\\varepsilon_\\text{cond} - w\\,\\varepsilon_\\text{uncond}$$",
            "Read a row left to right: the same noise, pushed harder. Where does the digit become reliable, and "
            "where do the samples start to look alike (diversity falling) and the strokes saturate? Try a 7 or a "
            "9, and a single row with many weights.", elem_id="guidance-formula")
        with gr.Row():
            digit = gr.Dropdown(list(range(10)), value=3, label="digit to ask for (the prompt)",
                                elem_id="guidance-digit")
            weights = gr.Textbox(", ".join(f"{w:g}" for w in DEFAULT_WEIGHTS), label=f"guidance weights w "
                                 f"(up to {MAX_WEIGHTS}, 0 … {MAX_W:g})", elem_id="guidance-weights")
            samples = gr.Slider(1, MAX_SAMPLES, 4, step=1, label="samples per weight", elem_id="guidance-samples")
            steps = gr.Slider(5, MAX_STEPS, DEFAULT_STEPS, step=1, label="DDIM steps", elem_id="guidance-steps")
            seed = CheckedNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="seed", elem_id="guidance-seed")
            button = gr.Button("Sample the sweep", variant="primary", elem_id="guidance-run", scale=0, min_width=140)
        status = gr.Markdown(elem_id="guidance-status")
        with gr.Row():
            with gr.Column(scale=3):
                grid_plot = gr.Plot(label="samples", elem_id="guidance-grid")
            with gr.Column(scale=2):
                curves = gr.Plot(label="trade-off", elem_id="guidance-curves")
        build_text_sweep(settings, weights, samples, steps, seed)          # only with --image-model
        inputs = [digit, weights, samples, steps, seed]
        scenes(inputs, {
            "Classifier-Free Guidance · a w sweep 0 … 12 for a 3": [3, "0, 0.5, 1, 2, 3, 5, 8, 12", 4, 50, 0],
            "Classifier-Free Guidance · the same sweep for a 7": [7, "0, 0.5, 1, 2, 3, 5, 8, 12", 4, 50, 0],
            "Classifier-Free Guidance · 8 samples at w = 0 and w = 3": [3, "0, 3", 8, 50, 0],
        }, fn=sweep_view, outputs=[live, grid_plot, curves, status], elem_id="guidance-scenes", **HEAVY)
        gr.on([tab.opened, button.click, digit.change, weights.submit], sweep_view, inputs=inputs,
              outputs=[live, grid_plot, curves, status], trigger_mode="always_last", api_visibility="undocumented",
              **HEAVY)
        gr.api(bind(cfg_sweep_endpoint, settings), api_name="cfg_sweep", **HEAVY)
        return link_box("guidance", {"digit": digit, "weights": weights, "samples": samples, "steps": steps,
                                     "seed": seed})
