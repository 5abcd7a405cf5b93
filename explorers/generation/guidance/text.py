"""The text-prompt part of the Guidance tab (knowledge map: Classifier-Free Guidance, Latent Diffusion): the same w
sweep as the digit grid, asked with a text prompt (and a negative prompt in place of the empty one) and sampled in
the latent space of the text-to-image model (by default the one trained here; see models/image_pipeline.py). For
a prompt in the scenes' grammar ("a red seven", "a yellow three on the left and a blue eight on the right"), the
scenes' judge says how many samples per w show the asked digits and colours. Folded: drawn when unfolded, or when a
link sets its prompt (/guidance?prompt=a+red+seven&weights=0,1,2,4)."""
import gradio as gr
import numpy as np
import torch

from components.diffusion_figures import colour_grid
from components.errors import keeps_view, user_errors
from components.events import bind
from components.page import Fold, PanelFrame, drawn_when_unfolded, fold
from components.scenes import scenes
from components.formulas import guidance_note
from core.diffusion import sampling_timesteps
from core.checks import checked_prompt
from core.guidance_sweep import checked_sweep
from core.latent import from_latent, prompt_embeddings, text_sample, to_pixels
from core.sample_quality import mean_pairwise_cosine_distance, mean_pairwise_distance
from models.image_pipeline import app_image_pipeline, image_model_name, shown_name
from models.settings import Settings
from server.gpu import gpu
from server.queue import HEAVY

def judged_accuracy(settings: Settings, prompt: str, table: np.ndarray) -> list[float] | None:
    """Per w, the share of samples whose every asked digit and colour the scenes' judge reads; None when the model
    is not the bundled one or the prompt is outside the scenes' grammar (no judge can read it then)."""
    from models.scene_judge import faithfulness, load_scene_judge
    from models.scenes import parse_caption

    if settings.image_model or parse_caption(prompt) is None:
        return None
    judge = load_scene_judge()
    columns = torch.from_numpy(np.ascontiguousarray(table.transpose(1, 0, 4, 2, 3)))   # (K, n, 3, S, S)
    return [float(np.mean(np.logical_and(*faithfulness(judge, column, prompt)))) for column in columns]


def clip_diversity(settings: Settings, table: np.ndarray) -> list[float] | None:
    """Per w, the samples' diversity in the scenes' CLIP image space (mean 1 − cos over pairs): what the pictures
    show, not how contrasted they are. None with --image-model (that CLIP knows only the scenes) or one sample."""
    from models.scene_clip import load_scene_clip

    if settings.image_model or len(table) < 2:
        return None
    clip = load_scene_clip()
    columns = torch.from_numpy(np.ascontiguousarray(table.transpose(1, 0, 4, 2, 3)))   # (K, n, 3, S, S)
    return [mean_pairwise_cosine_distance(clip.image_embeddings(column)) for column in columns]


def text_sweep(settings: Settings, prompt, weights, samples, steps, seed, negative_prompt="") -> dict:
    prompt = checked_prompt(prompt)
    negative_prompt = "" if negative_prompt is None else str(negative_prompt)
    negative_prompt = checked_prompt(negative_prompt, "negative prompt") if negative_prompt.strip() else ""
    weights, samples, steps, seed = checked_sweep(weights, samples, steps, seed)
    pipe = app_image_pipeline(settings)
    embedded, empty = prompt_embeddings(pipe.tokenizer, pipe.text_encoder, [prompt, negative_prompt]).split(1)
    noise = torch.randn((samples, *pipe.latent_shape), generator=torch.Generator().manual_seed(seed))
    noise = noise.to(pipe.device, pipe.unet.dtype)
    run = text_sample(pipe.unet, embedded, empty, list(weights), noise, pipe.alphas_cumprod, sampling_timesteps(steps))
    images = to_pixels(from_latent(pipe.vae, run.final, pipe.scaling))                  # (K*n, S, S, 3)
    table = images.reshape(len(weights), samples, *images.shape[1:]).transpose(1, 0, 2, 3, 4)   # (n, K, S, S, 3)
    # diversity: the mean RMS pixel distance between a column's samples (Euclidean / sqrt(pixels)); none for one
    diversity = [mean_pairwise_distance(torch.from_numpy(column)) / np.sqrt(column[0].size) if samples > 1
                 else float("nan") for column in table.transpose(1, 0, 2, 3, 4)]
    return {"table": table, "weights": list(weights), "diversity": diversity, "prompt": prompt, "name": pipe.name,
            "accuracy": judged_accuracy(settings, prompt, table), "negative": negative_prompt,
            "clip_diversity": clip_diversity(settings, table)}


@keeps_view
@gpu(duration=120)
def run_text_sweep(settings: Settings, prompt, negative_prompt, weights, samples, steps, seed,
                   progress=gr.Progress()):
    progress(0.05, desc="Sampling all weights together…")
    r = text_sweep(settings, prompt, weights, samples, steps, seed, negative_prompt)
    figure = colour_grid(r["table"], [f"w={w:g}" for w in r["weights"]],
                         [f"noise {i + 1}" for i in range(len(r["table"]))],
                         f"“{r['prompt'][:60]}”: a column per w, a row per noise ({r['name']})")
    return figure, "\n\n".join(sweep_notes(r))


def per_weight(weights, values, form: str) -> str:
    return " · ".join(f"w={w:g}: {v:{form}}" for w, v in zip(weights, values))


def sweep_notes(r: dict) -> list[str]:
    """The status's paragraphs: faithfulness (when the judge can read the prompt), the diversity of what the samples
    show (CLIP) and of their pixels, per w, and what the unconditional branch read."""
    w = r["weights"]
    judged = ("**Faithful** (the scenes' judge reads every asked digit and colour): "
              f"{per_weight(w, r['accuracy'], '.0%')}." if r["accuracy"] is not None else
              "No judge reads this prompt (it is outside the scenes' grammar, or the model is not the bundled one).")
    seen = ([] if r["clip_diversity"] is None else [
        "**Diversity of what they show** (mean 1 − cos between the samples' CLIP image embeddings): "
        f"{per_weight(w, r['clip_diversity'], '.3f')}."])
    pixels = per_weight(w, r["diversity"], ".3f") if len(r["table"]) > 1 else "needs 2 samples per weight"
    return [judged, *seen, f"**Pixel distance** (mean RMS between the samples of a column; it also counts contrast and "
                           f"brightness, which guidance changes too): {pixels}.", guidance_note(r["negative"])]


@user_errors
def text_cfg_sweep_endpoint(settings: Settings, prompt: str, weights: list[float], samples_per_weight: int = 2,
                            steps: int = 25, seed: int = 0, negative_prompt: str = "") -> dict:
    """A text prompt's guidance sweep (the negative prompt, if any, replaces the empty one): images per w, the
    diversity per w (pixels; and in the scenes' CLIP space, null with --image-model or one sample), and the judge's
    accuracy per w (null outside the scenes' grammar or with --image-model)."""
    r = text_sweep(settings, prompt, weights, samples_per_weight, steps, seed, negative_prompt)
    return {"weights": r["weights"], "diversity": r["diversity"], "clip_diversity": r["clip_diversity"],
            "accuracy": r["accuracy"],
            "images": np.round(r["table"].transpose(1, 0, 2, 3, 4), 3).tolist()}


# a pair: at w = 0 none of the 4 samples of seed 0 has all four attributes right, from w = 2 on every one has (a
# scene test); "a red seven on a white background", the old default, the judge read as orange at almost every w
DEFAULT_PROMPT = "a yellow three on the left and a blue eight on the right"
SWEEP = "0, 0.5, 1, 2, 3, 5, 8"     # the scenes' weights: past w = 8 this model only saturates

INTRO = ("The digit model above draws a recognisable digit even at w = 0, so its sweep shows only what guidance "
         "costs. A prompt that names two digits, their colours and their sides is harder: at w = 0 this model rarely "
         "gets all four right, and guidance is what makes it follow the words. The scenes' judge (a separate "
         "network) reads each sample's digits and colours; read the columns left to right: the samples become "
         "faithful, and alike.")


def build_text_sweep(settings: Settings, tab: PanelFrame, weights, samples, steps, seed) -> tuple[dict, Fold | None]:
    """Inside the Guidance tab, folded: the same weights, samples, steps and seed, asked with a text prompt. Returns
    the link's controls (prompt, negative) and the fold; none without a text-to-image model."""
    name = image_model_name(settings)
    if not name:
        return {}, None
    view = bind(run_text_sweep, settings)
    with fold(f"A text prompt instead of a digit ({shown_name(name)})", "guidance-text") as part:
        gr.Markdown(INTRO, elem_id="guidance-text-intro")
        with gr.Row():
            prompt = gr.Textbox(DEFAULT_PROMPT, label="prompt", max_lines=2, elem_id="guidance-prompt")
            negative = gr.Textbox("", label="negative prompt (replaces the empty one)", max_lines=2,
                                  elem_id="guidance-negative")
            button = gr.Button("Sample the sweep for this prompt", elem_id="guidance-text-run", scale=0,
                               min_width=160)
        status = gr.Markdown(elem_id="guidance-text-status")
        figure = gr.Plot(label="text prompt samples", elem_id="guidance-text-grid")
        controls, outputs = [prompt, negative, weights, samples, steps, seed], [figure, status]
        scenes(controls, {
            "Classifier-Free Guidance · a prompt is followed from w = 2": [DEFAULT_PROMPT, "", SWEEP, 4, 50, 0],
            "Classifier-Free Guidance · a seven, negative prompt: red": ["a seven", "red", "0, 3", 8, 50, 0],
        }, fn=view, outputs=outputs, elem_id="guidance-text-scenes", **HEAVY)
    drawn_when_unfolded(part, tab.opened, view, controls, outputs, **HEAVY)
    gr.on([button.click, prompt.submit, negative.submit], view, inputs=controls, outputs=outputs,
          api_visibility="undocumented", **HEAVY)
    gr.api(bind(text_cfg_sweep_endpoint, settings), api_name="text_cfg_sweep", **HEAVY)
    return {"prompt": prompt, "negative": negative}, part
