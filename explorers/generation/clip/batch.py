"""A batch: N held-out scenes and their N captions as one N x N similarity matrix, the symmetric loss with the live
numbers, and both modalities on one plane (is there a modality gap?)."""
import gradio as gr
import numpy as np
import torch

from components.clip_figures import VIEWS, shared_space, similarity_matrix
from components.checked_number import CheckedNumber
from components.errors import keeps_view
from components.events import bind
from components.formatting import number, significant
from components.scenes import scenes
from core.checks import MAX_SEED, quote, whole
from core.clip import contrastive, recall_at, shared_plane, similarity
from models.scene_clip import app_scene_clip
from models.scenes import scene_batch
from models.settings import Settings

MAX_BATCH = 16


def held_out_batch(n, seed, held_out) -> tuple[torch.Tensor, list]:
    n, seed = whole("batch size N", n, 2, MAX_BATCH), whole("seed", seed, 0, MAX_SEED)
    return scene_batch(n, seed, "test" if held_out else "train")


def batch_formula(result, scale: float) -> str:
    """The similarity, one softmax and the loss with the live numbers, a line each (the loss on three, aligned at '='):
    no line wider than a 1024 px projector's panel in presenter type."""
    s11, p11 = float(result.logits[0, 0]), float(result.per_image[0, 0])
    n = result.logits.shape[0]
    return (f"$$s_{{ij}} = \\tau\\,\\frac{{I_i \\cdot T_j}}{{\\lVert I_i\\rVert\\,\\lVert T_j\\rVert}},\\quad "
            f"\\tau = {number(scale, 1)},\\quad s_{{11}} = {number(s11, 2)}$$\n\n"
            f"$$p(\\text{{caption 1}} \\mid \\text{{image 1}}) = \\frac{{e^{{s_{{11}}}}}}{{\\sum_j e^{{s_{{1j}}}}}} = "
            f"{number(p11)}$$\n\n"
            f"$$\\begin{{aligned}} L &= \\tfrac12\\Big[\\underbrace{{-\\tfrac1N\\sum_i \\log \\mathrm{{softmax}}_j"
            f"(s_{{ij}})_{{i}}}}_{{\\text{{image}}\\to\\text{{caption}}}}\\; \\underbrace{{- \\tfrac1N\\sum_j \\log "
            f"\\mathrm{{softmax}}_i(s_{{ij}})_{{j}}}}_{{\\text{{caption}}\\to\\text{{image}}}}\\Big] \\\\ "
            f"&= \\tfrac12\\,({significant(result.image_loss)} + {significant(result.text_loss)}) = "
            f"{significant(result.loss)} \\\\ "
            f"&\\text{{chance: }} \\log N = \\log {n} = {number(np.log(n))} \\end{{aligned}}$$")


@keeps_view
def show_batch(settings: Settings, n, seed, held_out, view, progress=gr.Progress()):
    """The batch's matrix (in the chosen view), its loss with the live numbers, and the shared plane."""
    if view not in VIEWS:
        raise ValueError(f"Unknown view {quote(view)}; choose one of {', '.join(VIEWS)}.")
    clip = app_scene_clip(settings, progress)
    images, batch = held_out_batch(n, seed, held_out)
    captions = [scene.caption for scene in batch]
    image_embeddings, text_embeddings = clip.image_embeddings(images), clip.text_embeddings(captions)
    result = contrastive(similarity(image_embeddings, text_embeddings, clip.logit_scale))
    shown = {"similarity": result.logits, "per image": result.per_image, "per caption": result.per_text}[view]
    pictures = images.permute(0, 2, 3, 1).numpy()                                       # (N, 64, 64, 3)
    right = recall_at(result.logits, 1)
    note = (f"**{round(right * len(batch))} of {len(batch)}** images give their own caption the largest s (the "
            f"diagonal); the loss is {significant(result.loss, latex=False)} against {number(np.log(len(batch)))} for a CLIP that "
            "has learned nothing. " + ("These scenes use **held-out** digit images: CLIP never saw these writers' "
                                       "strokes." if held_out else "These digit images were in CLIP's training."))
    plane = shared_space(*[a.numpy() for a in shared_plane(image_embeddings, text_embeddings)][:2], captions,
                         shared_plane(image_embeddings, text_embeddings)[2].numpy())
    return batch_formula(result, clip.logit_scale), similarity_matrix(shown.numpy(), pictures, captions, view), \
        note, plane


def build_batch_part(settings: Settings, tab, formula) -> dict:
    """The batch part; its loss is written into the panel's card (`formula`)."""
    gr.Markdown("### A batch: N images, N captions, one N x N matrix")
    with gr.Row():
        n = gr.Slider(2, MAX_BATCH, 8, step=1, label="batch size N", elem_id="clip-n")
        seed = CheckedNumber(0, label="seed (which scenes)", precision=0, minimum=0, maximum=MAX_SEED, elem_id="clip-seed")
        held_out = gr.Checkbox(True, label="held-out digit images (never seen in training)", elem_id="clip-held-out")
        view = gr.Radio(list(VIEWS), value="similarity", label="the matrix shows", elem_id="clip-view")
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
    inputs = [n, seed, held_out, view]
    scenes(inputs, {"CLIP · the diagonal is what training pulls together": [8, 0, True, "similarity"],
                    "Softmax · each row is a zero-shot classifier": [8, 0, True, "per image"],
                    "Vectors & Dot Products · 16 pairs, one matrix": [16, 3, True, "similarity"]},
           elem_id="clip-scenes")
    gr.on([tab.opened, *[control.change for control in inputs]], bind(show_batch, settings), inputs=inputs,
          outputs=[formula, matrix, note, plane], api_visibility="undocumented", trigger_mode="always_last")
    return {"n": n, "seed": seed, "held_out": held_out, "view": view}
