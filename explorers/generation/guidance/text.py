"""The text-prompt part of the Guidance tab (knowledge map: Classifier-Free Guidance, Latent Diffusion), shown only
when a text-to-image model is configured (--image-model; see models/image_pipeline.py): the same w sweep as the
digit grid, asked with a text prompt and sampled in the model's latent space."""
import gradio as gr
import numpy as np
import torch

from components.diffusion_figures import colour_grid
from components.errors import keeps_view, user_errors
from components.events import HEAVY, bind
from core.diffusion import sampling_timesteps
from core.checks import checked_prompt
from core.guidance_sweep import checked_sweep
from core.latent import from_latent, prompt_embeddings, text_sample, to_pixels
from core.sample_quality import mean_pairwise_distance
from models.image_pipeline import app_image_pipeline
from models.settings import Settings
from models.spaces_gpu import gpu

def text_sweep(settings: Settings, prompt, weights, samples, steps, seed) -> dict:
    prompt = checked_prompt(prompt)
    weights, samples, steps, seed = checked_sweep(weights, samples, steps, seed)
    pipe = app_image_pipeline(settings)
    embedded, empty = prompt_embeddings(pipe.tokenizer, pipe.text_encoder, [prompt, ""]).split(1)   # (1, L, d) each
    noise = torch.randn((samples, *pipe.latent_shape), generator=torch.Generator().manual_seed(seed))
    noise = noise.to(pipe.device, pipe.unet.dtype)
    run = text_sample(pipe.unet, embedded, empty, list(weights), noise, pipe.alphas_cumprod, sampling_timesteps(steps))
    images = to_pixels(from_latent(pipe.vae, run.final, pipe.scaling))                  # (K*n, S, S, 3)
    table = images.reshape(len(weights), samples, *images.shape[1:]).transpose(1, 0, 2, 3, 4)   # (n, K, S, S, 3)
    # diversity: the mean RMS pixel distance between a column's samples (Euclidean / sqrt(pixels)); none for one
    diversity = [mean_pairwise_distance(torch.from_numpy(column)) / np.sqrt(column[0].size) if samples > 1
                 else float("nan") for column in table.transpose(1, 0, 2, 3, 4)]
    return {"table": table, "weights": list(weights), "diversity": diversity, "prompt": prompt, "name": pipe.name}


@keeps_view
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

    gr.on([button.click, prompt.submit], bind(run_text_sweep, settings), inputs=[prompt, weights, samples, steps, seed],
          outputs=[figure, status], api_visibility="undocumented", **HEAVY)
    gr.api(bind(text_cfg_sweep_endpoint, settings), api_name="text_cfg_sweep", **HEAVY)
