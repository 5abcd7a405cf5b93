"""A batch: N held-out scenes and their N captions as one N x N similarity matrix, the symmetric loss with the live
numbers, a temperature T that divides s before each softmax (the same T as in next-token sampling), and both
modalities on one plane (is there a modality gap?)."""
import gradio as gr
import numpy as np
import torch

from components.clip_figures import SOFTMAX_ALONG, VIEWS, shared_space, similarity_matrix
from components.checked_number import CheckedNumber
from components.errors import keeps_view
from components.events import bind
from components.formatting import number, significant
from components.scenes import scenes
from core.checks import MAX_SEED, in_range, quote, whole
from core.clip import contrastive, recall_at, shared_plane, similarity
from core.sampling import MIN_TEMPERATURE
from models.scene_clip import app_scene_clip
from models.scenes import scene_batch
from models.settings import Settings

MAX_BATCH = 16
MAX_TEMPERATURE = 100.0                 # T from next-token sampling's 0.01 up to CLIP's cap on τ: this CLIP's τ is
                                        # 74, so only a T near τ brings the softmax down to the bare cosines
COLUMN = SOFTMAX_ALONG["per image"]     # the figure draws each image as a column: its softmax runs down it,
ROW = SOFTMAX_ALONG["per caption"]      # and each caption as a row: its softmax runs along it
SCENES = {                              # presets: label -> [N, seed, held-out, view, T]
    "CLIP · the diagonal is what training pulls together": [8, 0, True, "similarity", 1.0],
    f"Softmax · each image's {COLUMN} is a zero-shot classifier": [8, 0, True, "per image", 1.0],
    f"Softmax · T = 20: each {COLUMN} flattens (the same T as DL5)": [8, 0, True, "per image", 20.0],
    "Vectors & Dot Products · 16 pairs, one matrix": [16, 3, True, "similarity", 1.0],
}


def held_out_batch(n, seed, held_out) -> tuple[torch.Tensor, list]:
    n, seed = whole("batch size N", n, 2, MAX_BATCH), whole("seed", seed, 0, MAX_SEED)
    return scene_batch(n, seed, "test" if held_out else "train")


def batch_formula(logits, result, scale: float, temperature: float) -> str:
    """The similarity, one softmax (image 1's column in the figure) and the loss with the live numbers, a line each
    (the loss on three, aligned at '='): no line wider than a 1024 px projector's panel in presenter type."""
    s11, p11 = float(logits[0, 0]), float(result.per_image[0, 0])
    n = logits.shape[0]
    return (f"$$s_{{ij}} = \\tau\\,\\cos(\\text{{image}}_i, \\text{{caption}}_j),\\quad "
            f"\\tau = {number(scale, 1)},\\quad T = {number(temperature, 2)}$$\n\n"
            f"$$\\underbrace{{p(\\text{{caption 1}} \\mid \\text{{image 1}})}}_{{\\text{{image 1's {COLUMN}}}}} = "
            f"\\frac{{e^{{s_{{11}}/T}}}}{{\\sum_j e^{{s_{{1j}}/T}}}} = {number(p11)},\\quad "
            f"s_{{11}} = {number(s11, 2)}$$\n\n"
            f"$$\\begin{{aligned}} L &= \\tfrac12\\Big[\\underbrace{{-\\tfrac1N\\sum_i \\log \\mathrm{{softmax}}_j"
            f"(s_{{ij}}/T)_{{i}}}}_{{\\text{{image}}\\to\\text{{caption: {COLUMN}s}}}}\\; "
            f"\\underbrace{{- \\tfrac1N\\sum_j \\log "
            f"\\mathrm{{softmax}}_i(s_{{ij}}/T)_{{j}}}}_{{\\text{{caption}}\\to\\text{{image: {ROW}s}}}}\\Big] \\\\ "
            f"&= \\tfrac12\\,({significant(result.image_loss)} + {significant(result.text_loss)}) = "
            f"{significant(result.loss)} \\\\ "
            f"&\\text{{chance: }} \\log N = \\log {n} = {number(np.log(n))} \\end{{aligned}}$$")


def temperature_note(scale: float, temperature: float) -> str:
    if temperature == 1:
        return ""
    return (f" At **T = {number(temperature, 2)}** every softmax reads s/T, as if CLIP's τ were "
            f"{number(scale / temperature, 1)}: the same T as in Next-token sampling, "
            + ("sharper: each softmax gives nearly everything to its largest s." if temperature < 1 else
               "flatter: the wrong captions get a share, and the loss rises toward log N."))


@keeps_view
def show_batch(settings: Settings, n, seed, held_out, view, temperature=1.0, progress=gr.Progress()):
    """The batch's matrix (in the chosen view), its loss with the live numbers, and the shared plane. The
    temperature T divides s before each softmax (T = 1: CLIP's own)."""
    if view not in VIEWS:
        raise ValueError(f"Unknown view {quote(view)}; choose one of {', '.join(VIEWS)}.")
    temperature = in_range("temperature T", temperature, MIN_TEMPERATURE, MAX_TEMPERATURE)
    clip = app_scene_clip(settings, progress)
    images, batch = held_out_batch(n, seed, held_out)
    captions = [scene.caption for scene in batch]
    image_embeddings, text_embeddings = clip.image_embeddings(images), clip.text_embeddings(captions)
    logits = similarity(image_embeddings, text_embeddings, clip.logit_scale)          # (N, N) s_ij, images as rows
    result = contrastive(logits / temperature)                                       # softmax(s / T), as in DL5
    shown = {"similarity": logits, "per image": result.per_image, "per caption": result.per_text}[view]
    pictures = images.permute(0, 2, 3, 1).numpy()                                       # (N, 64, 64, 3)
    right = recall_at(logits, 1)
    note = (f"**{round(right * len(batch))} of {len(batch)}** images give their own caption the largest s (the "
            f"diagonal); the loss is {significant(result.loss, latex=False)} against {number(np.log(len(batch)))} for a CLIP that "
            "has learned nothing. " + ("These scenes use **held-out** digit images: CLIP never saw these writers' "
                                       "strokes." if held_out else "These digit images were in CLIP's training.")
            + temperature_note(clip.logit_scale, temperature))
    plane = shared_space(*[a.numpy() for a in shared_plane(image_embeddings, text_embeddings)][:2], captions,
                         shared_plane(image_embeddings, text_embeddings)[2].numpy())
    matrix = similarity_matrix(shown.numpy(), pictures, captions, view)
    return batch_formula(logits, result, clip.logit_scale, temperature), matrix, note, plane


def build_batch_part(settings: Settings, tab, formula) -> dict:
    """The batch part; its loss is written into the panel's card (`formula`)."""
    gr.Markdown("### A batch: N images, N captions, one N x N matrix")
    with gr.Row():
        n = gr.Slider(2, MAX_BATCH, 8, step=1, label="batch size N", elem_id="clip-n")
        seed = CheckedNumber(0, label="seed (which scenes)", precision=0, minimum=0, maximum=MAX_SEED, elem_id="clip-seed")
        held_out = gr.Checkbox(True, label="held-out digit images (never seen in training)", elem_id="clip-held-out")
        view = gr.Radio(list(VIEWS), value="similarity", label="the matrix shows", elem_id="clip-view")
        temperature = gr.Slider(MIN_TEMPERATURE, MAX_TEMPERATURE, 1.0, step=0.01, elem_id="clip-temperature",
                                label="temperature T: softmax(s/T), as in Next-token (1 = CLIP's own)")
    note = gr.Markdown(elem_id="clip-note")
    matrix = gr.Plot(label="similarity matrix", elem_id="clip-matrix")
    with gr.Row():
        plane = gr.Plot(label="shared space", elem_id="clip-plane", scale=3)
        with gr.Column(scale=2, min_width=280):                    # below the plane on a phone, beside it on a screen
            gr.Markdown("**The shared space.** Each square is an image, each dot a caption, and a line joins each image "
                        "to its own caption: short lines mean matching pairs sit together. Large CLIPs show a "
                        "*modality gap*: images and captions in two clouds apart, which the loss never has to close, "
                        "since it only compares directions within each row and each column. Does this small CLIP "
                        "show one? Change the seed and N.",
                        elem_id="clip-gap")
    inputs = [n, seed, held_out, view, temperature]
    scenes(inputs, SCENES, elem_id="clip-scenes")
    gr.on([tab.opened, *[control.change for control in inputs]], bind(show_batch, settings), inputs=inputs,
          outputs=[formula, matrix, note, plane], api_visibility="undocumented", trigger_mode="always_last")
    return {"n": n, "seed": seed, "held_out": held_out, "view": view, "T": temperature}
