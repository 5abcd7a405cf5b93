"""CLIP (knowledge map: CLIP (Text + Image Bridge), Vectors & Dot Products, Softmax): the small CLIP trained here on
captioned scenes of real handwritten digits. A batch's N x N similarity matrix and its loss, zero-shot
classification with captions the learner types, retrieval from a gallery, the shared space, and a fresh copy
learning the diagonal (learn.py).
"""
import gradio as gr
import numpy as np
import torch

from components.card import explanation_card
from components.clip_figures import VIEWS, shared_space, similarity_matrix, zero_shot_bars
from components.deeplink import PanelLink, link_box
from components.diffusion_figures import colour_grid
from components.errors import keeps_view, user_errors
from components.events import bind
from components.checked_number import CheckedNumber
from components.formatting import number, percent, significant
from components.scenes import scenes
from components.upload import ImageUpload
from components.page import panel_frame
from core.checks import MAX_SEED, quote, whole
from core.clip import contrastive, recall_at, shared_plane, similarity
from explorers.generation.clip import learn
from explorers.generation.clip.gallery import GALLERY_SIZE, TOP, nearest_images
from models.images import MAX_CLIP_SIDE, colour_array, read_image_file
from models.scene_clip import app_scene_clip
from models.scenes import COLOURS, Scene, Thing, random_scene, render, scene_batch, short_caption
from models.settings import Settings

MAX_BATCH, MAX_TEXTS, MAX_TEXT = 16, 16, 200
SCENE, UPLOAD = "a held-out scene", "your upload"
DEFAULT_CAPTIONS = "a red seven\na red one\na red four\na blue seven\na green seven"
DEFAULT_QUERY = "a yellow four on a blue background"     # one scene of the gallery has this caption (tested)


def checked_texts(texts, name: str = "captions") -> list[str]:
    if isinstance(texts, str):
        texts = texts.splitlines()
    texts = [str(t).strip() for t in texts if str(t).strip()]
    if not texts:
        raise ValueError(f"Write at least one caption ({name}: one per line), e.g. 'a red seven'.")
    if len(texts) > MAX_TEXTS:
        raise ValueError(f"At most {MAX_TEXTS} {name} at once; got {len(texts)}.")
    long = [t for t in texts if len(t) > MAX_TEXT]
    if long:
        raise ValueError(f"A caption may have at most {MAX_TEXT} characters; {quote(long[0])} has {len(long[0])}.")
    return texts


def held_out_batch(n, seed, held_out) -> tuple[torch.Tensor, list]:
    n, seed = whole("batch size N", n, 2, MAX_BATCH), whole("seed", seed, 0, MAX_SEED)
    return scene_batch(n, seed, "test" if held_out else "train")


def batch_formula(result, scale: float) -> str:
    s11, p11 = float(result.logits[0, 0]), float(result.per_image[0, 0])
    n = result.logits.shape[0]
    return (f"$$s_{{ij}} = \\tau\\,\\frac{{I_i \\cdot T_j}}{{\\lVert I_i\\rVert\\,\\lVert T_j\\rVert}},\\quad "
            f"\\tau = {number(scale, 1)},\\quad s_{{11}} = {number(s11, 2)},\\quad "
            f"p(\\text{{caption 1}} \\mid \\text{{image 1}}) = \\frac{{e^{{s_{{11}}}}}}{{\\sum_j e^{{s_{{1j}}}}}} = "
            f"{number(p11)}$$\n\n"
            f"$$L = \\tfrac12\\Big[\\underbrace{{-\\tfrac1N\\sum_i \\log \\mathrm{{softmax}}_j(s_{{ij}})_{{i}}}}"
            f"_{{\\text{{image}}\\to\\text{{caption}}}} \\underbrace{{- \\tfrac1N\\sum_j \\log \\mathrm{{softmax}}_i"
            f"(s_{{ij}})_{{j}}}}_{{\\text{{caption}}\\to\\text{{image}}}}\\Big] = \\tfrac12\\,({significant(result.image_loss)}"
            f" + {significant(result.text_loss)}) = {significant(result.loss)},\\quad N = {n},\\ \\text{{chance}}: \\log N = "
            f"{number(np.log(n))}$$")


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


def held_out_scene(seed) -> tuple[Scene, np.random.Generator]:
    """The lone-digit held-out scene a seed names, and the generator that then draws its picture."""
    rng = np.random.default_rng(whole("scene seed", seed, 0, MAX_SEED))
    return random_scene(rng, "test", n_things=1), rng


def scene_image(seed) -> tuple[np.ndarray, str]:
    scene, rng = held_out_scene(seed)
    return render(scene, rng), scene.caption


def unsaid_background(source, seed, texts: list[str]) -> str:
    """A note when a held-out scene's background is not black and some caption leaves it unsaid."""
    if source != SCENE:
        return ""
    background = held_out_scene(seed)[0].background
    if background == "black" or all("background" in text for text in texts):
        return ""
    return (f" A caption without a background describes a black one (that is how the captions CLIP learned from "
            f"are written), so on this {background} background it is false whatever its colour word, and CLIP "
            f"may pick the colour that covers most of the picture: say the background, as CLIP's authors wrote "
            f"'a photo of a ...' around their labels.")


def chosen_image(source, seed, upload) -> tuple[np.ndarray, str]:
    if source == SCENE:
        image, caption = scene_image(seed)
        return image, f"held-out scene {int(seed)} (its own caption: '{caption}')"
    if source != UPLOAD:
        raise ValueError(f"Unknown image source {quote(source)}; choose '{SCENE}' or '{UPLOAD}'.")
    if upload is None:
        raise ValueError("Upload an image first (PNG or JPEG), or choose a held-out scene.")
    image, note = colour_array(read_image_file(upload), "your upload")
    return image, "your upload" + (f" ({note})" if note else "")


@keeps_view
def show_zero_shot(settings: Settings, source, seed, upload, captions):
    texts = checked_texts(captions)
    image, what = chosen_image(source, seed, upload)
    clip = app_scene_clip(settings)
    pixels = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]    # (1, 3, H, W)
    logits = similarity(clip.image_embeddings(pixels), clip.text_embeddings(texts), clip.logit_scale)[0]
    p = logits.softmax(dim=0).numpy()
    best = int(p.argmax())
    note = (f"CLIP reads {what} as **{texts[best]}** ({percent(float(p[best]))}). No caption list was fixed at "
            "training: any text you write becomes a class, through the same text encoder."
            + unsaid_background(source, seed, texts))
    return colour_grid(image[None, None], [""], [""], "the image (resized to 64 x 64 for CLIP)", height=330), \
        zero_shot_bars(texts, p, logits.numpy()), note


def suggested_captions(seed) -> str:
    """The scene's own short caption and four that differ from it in one word: two digits, two colours. Each says
    the scene's background (unless black): in the captions CLIP learned from, an unsaid background is black."""
    scene = held_out_scene(seed)[0]
    thing = scene.things[0]
    other_digits = [d for d in range(10) if d != thing.digit][:2]
    other_colours = [c for c in COLOURS if c not in (thing.colour, scene.background)][:2]
    things = [thing] + [Thing(d, thing.colour, "medium", "centre", 0) for d in other_digits] + \
        [Thing(thing.digit, c, "medium", "centre", 0) for c in other_colours]
    return "\n".join(short_caption(t, scene.background) for t in things)


@keeps_view
def show_retrieval(settings: Settings, query):
    text = checked_texts([query], "query")[0]
    clip = app_scene_clip(settings)
    images, scores, captions = nearest_images(clip, text)
    titles = [f"{i + 1}. s = {s:.1f}" for i, s in enumerate(scores)]
    fig = colour_grid(images.reshape(2, TOP // 2, *images.shape[1:]), titles[:TOP // 2], ["", ""],
                      f"The {TOP} of {GALLERY_SIZE} held-out scenes nearest to '{text[:40]}'", height=520)
    fig.update_layout(annotations=[*fig.layout.annotations])
    hits = "; ".join(f"{i + 1}. {c}" for i, c in enumerate(captions))
    return fig, f"Their own captions (CLIP never read them here): {hits}"


def as_array(value, name: str) -> np.ndarray:
    """A client's nested list as numbers, or a ValueError that says what an image must be."""
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an H x W x 3 array of numbers in 0..1 (nested lists).") from None
    if array.ndim != 3:
        raise ValueError(f"{name} must be an H x W x 3 array of colours (got shape {array.shape}).")
    return array


@user_errors
def clip_similarity_endpoint(settings: Settings, images: list, texts: list) -> dict:
    """The scenes' CLIP on images (a list of H x W x 3 arrays of colours in 0..1, 8 to 256 pixels a side, resized
    to 64 x 64) and texts (a list of strings): cosine similarities (images x texts), each image's softmax of
    logit_scale x cosine over the texts, and logit_scale (CLIP's learned temperature τ)."""
    if not isinstance(images, (list, tuple)) or not images or len(images) > MAX_TEXTS:
        raise ValueError(f"images must be a list of 1 to {MAX_TEXTS} H x W x 3 arrays.")
    if not isinstance(texts, (list, tuple)):
        raise ValueError("texts must be a list of strings.")
    texts = checked_texts(texts, "texts")
    arrays = [colour_array(as_array(image, f"image {i}"), f"image {i}", MAX_CLIP_SIDE)[0]
              for i, image in enumerate(images)]
    clip = app_scene_clip(settings)
    image_embeddings = torch.cat([clip.image_embeddings(torch.from_numpy(a.transpose(2, 0, 1).copy())[None])
                                  for a in arrays])
    cosine = similarity(image_embeddings, clip.text_embeddings(texts), 1.0)
    return {"similarity": cosine.tolist(), "probabilities_per_image":
            (clip.logit_scale * cosine).softmax(dim=1).tolist(), "logit_scale": clip.logit_scale}


def build_batch_part(settings: Settings, tab) -> dict:
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
    return {"n": n, "seed": seed, "held_out": held_out, "view": view, "_outputs": [note, matrix, plane]}


OPENING_SCENE = 7
# suggested_captions(OPENING_SCENE), written out so that building the page draws no scene (drawing one loads the
# digits, and scikit-learn with them: 1.5 s of every start); a test checks that the two agree
OPENING_CAPTIONS = ("an orange five on a white background\nan orange zero on a white background\n"
                    "an orange one on a white background\na red five on a white background\n"
                    "a green five on a white background")


def build_zero_shot_part(settings: Settings) -> dict:
    gr.Markdown("### Zero-shot: your captions become the classes")
    with gr.Row():
        source = gr.Radio([SCENE, UPLOAD], value=SCENE, label="image", elem_id="clip-source")
        scene_seed = CheckedNumber(OPENING_SCENE, label="held-out scene (seed)", precision=0, minimum=0, maximum=MAX_SEED,
                               elem_id="clip-scene-seed")
        upload = ImageUpload(type="filepath", sources=["upload"], label="your image (PNG or JPEG)", height=160,
                             elem_id="clip-upload")
    with gr.Row():
        captions = gr.Textbox(OPENING_CAPTIONS, lines=5, label="captions, one per line", elem_id="clip-captions", scale=2)
        with gr.Column():
            suggest = gr.Button("Captions for this scene (one word changed each)", elem_id="clip-suggest")
            compare = gr.Button("Compare", variant="primary", elem_id="clip-compare")
    zero_note = gr.Markdown(elem_id="clip-zero-note")
    with gr.Row():
        picture = gr.Plot(label="image", elem_id="clip-picture", scale=2)
        bars = gr.Plot(label="zero-shot", elem_id="clip-bars", scale=3)
    inputs, outputs = [source, scene_seed, upload, captions], [picture, bars, zero_note]
    bare = "a purple zero\nan orange zero\na red zero\na green zero"           # scene 1: an orange zero on purple
    scenes([source, scene_seed, captions], {
        "CLIP · a bare caption: it names the background": [SCENE, 1, bare],
        "CLIP · say the background and it reads the digit": [SCENE, 1, "\n".join(
            f"{line} on a purple background" for line in bare.splitlines())]}, elem_id="clip-zero-scenes")
    suggest.click(suggested_captions, inputs=scene_seed, outputs=captions, api_visibility="undocumented").then(
        bind(show_zero_shot, settings), inputs=inputs, outputs=outputs, api_visibility="undocumented")
    gr.on([compare.click, scene_seed.change, source.change, upload.upload, captions.change],
          bind(show_zero_shot, settings),
          inputs=inputs, outputs=outputs, api_visibility="undocumented", trigger_mode="always_last")
    return {"scene_seed": scene_seed, "captions": captions, "_zero": (inputs, outputs)}


def build_retrieval_part(settings: Settings) -> dict:
    gr.Markdown(f"### Retrieval: a caption finds its images among {GALLERY_SIZE} held-out scenes")
    with gr.Row():
        query = gr.Textbox(DEFAULT_QUERY, label="caption", scale=3,
                           elem_id="clip-query")
        search = gr.Button("Search", elem_id="clip-search")
    found = gr.Plot(label="nearest images", elem_id="clip-found")
    found_note = gr.Markdown(elem_id="clip-found-note")
    gr.on([search.click, query.change], bind(show_retrieval, settings), inputs=query, outputs=[found, found_note],
          api_visibility="undocumented", trigger_mode="always_last")
    return {"query": query, "_retrieval": (query, [found, found_note])}


PANEL = "clip"                       # its page: /clip, and ?panel=clip in a link
TITLE = "CLIP"
SUMMARY = "two encoders, one space: the N x N similarity matrix, zero-shot and retrieval"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:
        formula = explanation_card(
            "CLIP: one space for images and words",
            "Two encoders, one for images (a ViT over 8 x 8-pixel patches) and one for text (a transformer whose "
            "end-of-text vector is the caption's embedding), each end in the same 64-dimensional space. Training "
            "shows them a batch of N scenes with their N captions and asks every image to point the same way as "
            "its own caption and away from the other N − 1: a softmax over each row and each column of the "
            "similarity matrix, with the diagonal as the right answers. This CLIP was trained here, on scenes of "
            "real handwritten digits; the same text encoder steers the text-to-image model.",
            "", "Look at the diagonal, then switch the view to the softmax per image: each row of numbers is a "
            "zero-shot classifier. In the zero-shot part, change one word of a caption (seven → one, red → blue) "
            "and watch which word CLIP is sure of. Search for 'a small green nine': are the nearest images small, "
            "green and nines?", elem_id="clip-formula")
        batch = build_batch_part(settings, tab)
        inputs = [batch["n"], batch["seed"], batch["held_out"], batch["view"]]
        outputs = [formula, batch["_outputs"][1], batch["_outputs"][0], batch["_outputs"][2]]
        scenes(inputs, {"CLIP · the diagonal is what training pulls together": [8, 0, True, "similarity"],
                        "Softmax · each row is a zero-shot classifier": [8, 0, True, "per image"],
                        "Vectors & Dot Products · 16 pairs, one matrix": [16, 3, True, "similarity"]},
               elem_id="clip-scenes")
        gr.on([tab.opened, *[control.change for control in inputs]], bind(show_batch, settings), inputs=inputs,
              outputs=outputs, api_visibility="undocumented", trigger_mode="always_last")
        zero = build_zero_shot_part(settings)
        retrieval = build_retrieval_part(settings)
        learn.build_learn_part(settings)
        zero_inputs, zero_outputs = zero["_zero"]
        tab.opened(bind(show_zero_shot, settings), inputs=zero_inputs, outputs=zero_outputs,
                   api_visibility="undocumented")
        tab.opened(bind(show_retrieval, settings), inputs=retrieval["_retrieval"][0],
                   outputs=retrieval["_retrieval"][1], api_visibility="undocumented")
        gr.api(bind(clip_similarity_endpoint, settings), api_name="clip_similarity")
        controls = {k: v for part in (batch, zero, retrieval) for k, v in part.items() if not k.startswith("_")}
        return link_box("clip", controls)
