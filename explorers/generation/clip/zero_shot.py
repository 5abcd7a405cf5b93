"""Zero-shot: the captions a learner types become the classes. An image (a held-out scene or an upload) against
each caption, softmax over CLIP's similarities; and the captions a learner or a client may give CLIP, checked."""
import gradio as gr
import numpy as np
import torch

from components.clip_figures import zero_shot_bars
from components.checked_number import CheckedNumber
from components.diffusion_figures import colour_grid
from components.errors import keeps_view
from components.events import bind
from components.formatting import percent
from components.scenes import scenes
from components.upload import ImageUpload
from core.checks import MAX_SEED, quote, whole
from core.clip import similarity
from models.images import colour_array, read_image_file
from models.scene_clip import app_scene_clip
from models.scenes import COLOURS, Scene, Thing, random_scene, render, short_caption
from models.settings import Settings

MAX_TEXTS, MAX_TEXT = 16, 200
SCENE, UPLOAD = "a held-out scene", "your upload"
DEFAULT_CAPTIONS = "a red seven\na red one\na red four\na blue seven\na green seven"
OPENING_SCENE = 7
# suggested_captions(OPENING_SCENE), written out so that building the page draws no scene (drawing one loads the
# digits, and scikit-learn with them: 1.5 s of every start); a test checks that the two agree
OPENING_CAPTIONS = ("an orange five on a white background\nan orange zero on a white background\n"
                    "an orange one on a white background\na red five on a white background\n"
                    "a green five on a white background")


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


@keeps_view
def show_upload(settings: Settings, seed, upload, captions):
    """A file uploaded is the image chosen: the source switches to it (unless the file is not an image: said)."""
    return UPLOAD, *show_zero_shot.__wrapped__(settings, UPLOAD, seed, upload, captions)


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


def build_zero_shot_part(settings: Settings, tab) -> dict:
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
    gr.on([compare.click, scene_seed.change, source.input, captions.change], bind(show_zero_shot, settings),
          inputs=inputs, outputs=outputs, api_visibility="undocumented", trigger_mode="always_last")
    upload.upload(bind(show_upload, settings), inputs=[scene_seed, upload, captions], outputs=[source, *outputs],
                  api_visibility="undocumented", trigger_mode="always_last")
    tab.opened(bind(show_zero_shot, settings), inputs=inputs, outputs=outputs, api_visibility="undocumented")
    return {"scene_seed": scene_seed, "captions": captions}
