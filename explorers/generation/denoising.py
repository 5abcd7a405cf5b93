"""The reverse process (knowledge map: U-Net Denoising): the trained digit U-Net predicts the noise in x_t, DDIM
turns that into a guess of the clean image x_0_hat and a slightly less noisy x_t', step after step."""
import time
from functools import lru_cache

import gradio as gr
import numpy as np
import torch

from components.card import explanation_card
from components.deeplink import PanelLink, bounded_slider, link_box
from components.diffusion_figures import NOISE_RANGE, denoising_frame, image_figure
from components.errors import keeps_view, user_errors
from components.events import bind
from components.checked_number import CheckedNumber
from components.formatting import number
from components.formulas import GUIDANCE_LABEL, guidance_formula, noising_formula
from components.scenes import scenes
from components.export import write_gif
from components.page import panel_frame
from core.checks import MAX_SEED, in_range, whole
from core.diffusion import MAX_GUIDANCE, noise_schedule, sample, sampling_timesteps
from core.guidance_sweep import MAX_STEPS
from models.device import pick_device
from models.digit_diffusion import DEFAULT_GUIDANCE, load_digit_diffusion
from models.digit_classifier import load_digit_classifier
from models.settings import Settings
from server.gpu import gpu
from server.queue import HEAVY

PLAY_DELAY_S = 0.35   # between frames of "play"


def checked(digit, seed, steps, w) -> tuple[int, int, int, float]:
    return (whole("digit", digit, 0, 9), whole("seed", seed, 0, MAX_SEED), whole("steps", steps, 1, MAX_STEPS),
            in_range("guidance weight w", w, 0.0, MAX_GUIDANCE))


@lru_cache(maxsize=32)
def trajectory(digit: int, seed: int, steps: int, w: float, device: str = "cpu") -> dict:
    """One guided DDIM run for one sample, every step recorded (read-only numpy arrays, shared)."""
    model = load_digit_diffusion(device=device)
    _, alphas_cumprod = noise_schedule(model.schedule)
    size = model.config.image_size
    noise = torch.randn((1, 1, size, size), generator=torch.Generator().manual_seed(seed))   # (1, 1, H, W)
    timesteps = sampling_timesteps(steps)
    run = sample(model.unet, digit, [w], noise.to(device), alphas_cumprod, timesteps, model.no_label, record=True)
    x_t, eps, x0_hat = (values[:, 0].cpu() for values in (run.x_t, run.eps, run.x0_hat))  # (S, 1, H, W) each
    guesses = load_digit_classifier().probabilities(x0_hat)                               # (S, 10), on the CPU
    abar = alphas_cumprod[timesteps].tolist()
    result = {"x_t": x_t[:, 0].numpy(), "eps": eps[:, 0].numpy(),                         # (S, H, W) each
              "x0_hat": x0_hat[:, 0].numpy(), "guesses": guesses.numpy(),                 # (S, 10)
              "timesteps": timesteps, "abar": abar, "abar_prev": [*abar[1:], 1.0]}
    for value in result.values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return result


def formula(run: dict, i: int, digit: int, w: float) -> str:
    t, abar, abar_prev = run["timesteps"][i], run["abar"][i], run["abar_prev"][i]
    last = i + 1 == len(run["timesteps"])
    t_prev = "\\text{end}" if last else run["timesteps"][i + 1]
    renoised = noising_formula(abar_prev, t_prev, x0=r"\hat x_0", noise=r"\hat\varepsilon")   # the forward formula
    return (guidance_formula(w, condition=str(digit)) + "\n\n"
            f"$$\\hat x_0 = \\frac{{x_{{{t}}} - \\sqrt{{1-\\bar\\alpha_{{{t}}}}}\\,\\hat\\varepsilon}}"
            f"{{\\sqrt{{\\bar\\alpha_{{{t}}}}}}} = \\frac{{x_{{{t}}} - {number((1 - abar) ** 0.5)}\\,\\hat\\varepsilon}}"
            f"{{{number(abar ** 0.5)}}}$$\n\n"
            f"$$\\hat x_0 \\leftarrow \\operatorname{{clip}}(\\hat x_0, -1, 1), \\qquad \\hat\\varepsilon \\leftarrow "
            f"\\frac{{x_{{{t}}} - {number(abar ** 0.5)}\\,\\hat x_0}}{{{number((1 - abar) ** 0.5)}}}"
            f"\\quad\\text{{(the noise this }}\\hat x_0\\text{{ implies)}}$$\n\n"
            f"$${renoised}$$"
            + ("\n\nLast step: $\\bar\\alpha_\\text{end} = 1$, no noise is left, the sample is $\\hat x_0$." if last else ""))


@keeps_view
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def step_view(settings: Settings, digit, seed, steps, w, step):
    digit, seed, steps, w = checked(digit, seed, steps, w)
    run = trajectory(digit, seed, steps, w, str(pick_device(settings.device)))
    i = whole("step", step, 1, steps) - 1
    t, guess = run["timesteps"][i], run["guesses"][i]
    status = (f"**Step {i + 1} of {steps}** (t = {t} → "
              f"{run['timesteps'][i + 1] if i + 1 < steps else 0}). The separate digit classifier reads x̂₀ as a "
              f"**{int(guess.argmax())}** (p = {guess.max():.2f}; p({digit}) = {guess[digit]:.2f})."
              + (" This x̂₀ is the final sample." if i + 1 == steps else ""))
    return (formula(run, i, digit, w), image_figure(run["x_t"][i], f"xₜ: the input at t = {t}"),
            image_figure(run["eps"][i], "ε̂: the U-Net's (guided) noise", zrange=NOISE_RANGE, value_name="noise"),
            image_figure(run["x0_hat"][i], "x̂₀: its guess of the clean image"), status)


def step_range(steps, step):
    """The step slider's range follows the number of steps."""
    return bounded_slider(step, int(min(max(steps or 1, 1), MAX_STEPS)))


def step_back(step):
    return max(1, int(step) - 1)


def step_forward(steps, step):
    return min(int(steps), int(step) + 1)


def play(steps, step):
    """Walk the step slider to the end (from the start if it is already there); each move redraws the view."""
    steps, start = int(steps), int(step)
    start = 1 if start >= steps else start
    for i in range(start, steps + 1):
        yield i
        time.sleep(PLAY_DELAY_S)


@keeps_view
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def denoising_gif(settings: Settings, digit, seed, steps, w):
    run = trajectory(*checked(digit, seed, steps, w), str(pick_device(settings.device)))
    frames = [denoising_frame(x_t, x0_hat) for x_t, x0_hat in zip(run["x_t"], run["x0_hat"])]
    return write_gif(frames, duration_ms=250, name=f"denoising-digit-{int(digit)}")


@user_errors
@gpu(duration=120)   # on a ZeroGPU Space: borrow a GPU for this call
def denoise_endpoint(settings: Settings, digit: int, seed: int = 0, steps: int = 20,
                     w: float = DEFAULT_GUIDANCE) -> dict:
    """The reverse process for one sample of a digit: each step's timestep, x_t and predicted clean image x0_hat."""
    digit, seed, steps, w = checked(digit, seed, steps, w)
    run = trajectory(digit, seed, steps, w, str(pick_device(settings.device)))
    return {"timesteps": run["timesteps"], "x_t": run["x_t"].tolist(), "x0_hat": run["x0_hat"].tolist(),
            "final": run["x0_hat"][-1].tolist(), "classifier_probabilities": run["guesses"][-1].tolist()}


PANEL = "denoising"                       # its page: /denoising, and ?panel=denoising in a link
TITLE = "Denoising"
SUMMARY = "a diffusion U-Net trained here, step by step: xₜ, the noise it predicts, x̂₀"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:
        live = explanation_card(
            "Denoising: the U-Net at work, one step at a time",
            "Start from pure noise. At each step a U-Net looks at the noisy image and predicts the noise in it; "
            "subtracting that prediction gives a guess of the clean image x̂₀, and the next, slightly less noisy "
            "image mixes that guess with a little of the predicted noise. The noisy images are hard to read; "
            "the guesses x̂₀ show what the network believes at each step.",
            "Press a step: the formula fills in with that step's numbers.", "Step from 1 to the end and watch x̂₀: "
            "blurry average digit first, details last. Try guidance w = 0 and w = 8 with the same seed. Try 5 "
            "steps instead of 20: fewer, bigger jumps.", elem_id="denoising-formula")
        with gr.Row():
            digit = gr.Dropdown(list(range(10)), value=3, label="digit to ask for", elem_id="denoising-digit")
            seed = CheckedNumber(0, precision=0, minimum=0, maximum=MAX_SEED, label="noise seed", elem_id="denoising-seed")
            steps = gr.Slider(2, MAX_STEPS, 20, step=1, label="DDIM steps", elem_id="denoising-steps")
            w = gr.Slider(0, MAX_GUIDANCE, DEFAULT_GUIDANCE, step=0.5, label=GUIDANCE_LABEL, elem_id="denoising-w")
        with gr.Row():
            step = gr.Slider(1, 20, 1, step=1, label="step", elem_id="denoising-step", scale=3)
            back = gr.Button("◀ step", elem_id="denoising-back", scale=0, min_width=90)
            forward = gr.Button("step ▶", elem_id="denoising-forward", scale=0, min_width=90)
            play_button = gr.Button("▶ play", elem_id="denoising-play", scale=0, min_width=90)
            gif_button = gr.Button("GIF", elem_id="denoising-gif-button", scale=0, min_width=70)
        status = gr.Markdown(elem_id="denoising-status")
        with gr.Row():
            x_t = gr.Plot(label="xₜ", elem_id="denoising-x-t")
            eps = gr.Plot(label="predicted noise", elem_id="denoising-eps")
            x0_hat = gr.Plot(label="predicted clean image", elem_id="denoising-x0")
        gif = gr.File(label="GIF of the steps (xₜ | x̂₀)", height=70, elem_id="denoising-gif")
        run_inputs = [digit, seed, steps, w]
        scenes(run_inputs, {
            "U-Net Denoising · a 3 out of noise in 20 steps": [3, 0, 20, 0.5],
            "U-Net Denoising · a 7, another noise": [7, 1, 20, 0.5],
            "U-Net Denoising · only 5 steps: coarser jumps": [3, 0, 5, 0.5],
            "Classifier-Free Guidance · the same noise at w = 8": [3, 0, 20, 8.0],
        }, elem_id="denoising-scenes")
        outputs = [live, x_t, eps, x0_hat, status]
        gr.on([tab.opened, steps.change], step_range, inputs=[steps, step], outputs=step, api_visibility="undocumented", queue=False)
        gr.on([tab.opened, step.change, digit.change, seed.change, steps.release, w.release],
              bind(step_view, settings),
              inputs=[*run_inputs, step], outputs=outputs, trigger_mode="always_last", api_visibility="undocumented",
              show_progress="hidden", **HEAVY)
        back.click(step_back, inputs=step, outputs=step, api_visibility="undocumented", queue=False)
        forward.click(step_forward, inputs=[steps, step], outputs=step, api_visibility="undocumented", queue=False)
        play_button.click(play, inputs=[steps, step], outputs=step, api_visibility="undocumented")
        gif_button.click(bind(denoising_gif, settings), inputs=run_inputs, outputs=gif,
                         api_visibility="undocumented", **HEAVY)
        gr.api(bind(denoise_endpoint, settings), api_name="denoise", **HEAVY)
        return link_box("denoising", {"digit": digit, "seed": seed, "steps": steps, "w": w, "step": step})
