"""Classifier-free guidance (knowledge map: Classifier-Free Guidance): one grid, a column per guidance weight w,
the same starting noise along each row; beside it the trade-off, measured by a separate digit classifier.

One part per module: digit_sweep.py (the digit model's sweep, judged), text.py (the same sweep with a text prompt,
folded; a link that sets its prompt opens it drawn)."""
import gradio as gr

from components.card import explanation_card
from components.checked_number import CheckedNumber
from components.deeplink import PanelLink, link_box
from components.events import bind
from components.formulas import GUIDANCE_LABEL, guidance_formula
from components.page import panel_frame
from components.scenes import scenes
from core.checks import MAX_SEED
from core.diffusion import MAX_GUIDANCE
from core.guidance_sweep import MAX_SAMPLES, MAX_STEPS, MAX_WEIGHTS
from explorers.generation.guidance.digit_sweep import DEFAULT_WEIGHTS, cfg_sweep_endpoint, run_sweep
from explorers.generation.guidance.text import build_text_sweep
from models.digit_diffusion import DEFAULT_STEPS
from models.settings import Settings
from server.queue import HEAVY


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
            "how far: w = 0 is plain conditional sampling. Stable Diffusion's `guidance_scale` is w + 1, so "
            f"the typical 7-15 of a real checkpoint are w = 6-14 here (w goes up to {MAX_GUIDANCE:g}).",
            guidance_formula(),
            "Read a row left to right: the same noise, pushed harder. This small model draws a digit the "
            "classifier reads even at w = 0; what guidance changes is how alike the samples are: diversity falls "
            "until about w = 3, then climbs again as the strokes saturate. Try a 7 or a 9, a single row with many "
            "weights, and a text prompt (below), where guidance is what makes the samples follow the words.",
            elem_id="guidance-formula", reserve=138)
        with gr.Row():
            digit = gr.Dropdown(list(range(10)), value=3, label="digit to ask for (the prompt)",
                                elem_id="guidance-digit")
            weights = gr.Textbox(", ".join(f"{w:g}" for w in DEFAULT_WEIGHTS), elem_id="guidance-weights",
                                 label=f"{GUIDANCE_LABEL}: up to {MAX_WEIGHTS} values, 0 … {MAX_GUIDANCE:g}")
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
        text_links, text_part = build_text_sweep(settings, tab, weights, samples, steps, seed)   # folded
        return link_box(PANEL, {"digit": digit, "weights": weights, "samples": samples, "steps": steps, "seed": seed,
                                **text_links}, folds=(text_part,) if text_part else ())
