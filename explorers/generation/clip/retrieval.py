"""Retrieval: a caption -> the nearest images of a gallery of held-out scenes, by CLIP's cosine similarity. The
gallery's images and embeddings are computed once per loaded CLIP."""
from functools import lru_cache

import gradio as gr
import numpy as np
import torch

from components.diffusion_figures import colour_grid
from components.errors import keeps_view
from components.events import bind
from core.clip import similarity
from explorers.generation.clip.zero_shot import checked_texts
from models.scene_clip import app_scene_clip
from models.scenes import scene_batch
from models.settings import Settings

GALLERY_SIZE, GALLERY_SEED, TOP = 256, 4242, 8
DEFAULT_QUERY = "a yellow four on a blue background"     # one scene of the gallery has this caption (tested)


@lru_cache(maxsize=2)
def gallery(clip) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    """(GALLERY_SIZE, 3, 64, 64) held-out scenes, their image embeddings, and their captions."""
    images, scenes = scene_batch(GALLERY_SIZE, GALLERY_SEED, "test")
    return images, clip.image_embeddings(images), tuple(scene.caption for scene in scenes)


def nearest_images(clip, text: str, k: int = TOP) -> tuple[np.ndarray, list[float], list[str]]:
    """The k gallery images with the largest s = τ cos(image, text): (k, 64, 64, 3), their s, their captions."""
    images, embeddings, captions = gallery(clip)
    scores = similarity(embeddings, clip.text_embeddings([text]), clip.logit_scale)[:, 0]     # (GALLERY_SIZE,)
    best = scores.topk(k).indices
    return images[best].permute(0, 2, 3, 1).numpy(), scores[best].tolist(), [captions[i] for i in best]


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


def build_retrieval_part(settings: Settings, tab) -> dict:
    gr.Markdown(f"### Retrieval: a caption finds its images among {GALLERY_SIZE} held-out scenes")
    with gr.Row():
        query = gr.Textbox(DEFAULT_QUERY, label="caption", scale=3,
                           elem_id="clip-query")
        search = gr.Button("Search", elem_id="clip-search")
    found = gr.Plot(label="nearest images", elem_id="clip-found")
    found_note = gr.Markdown(elem_id="clip-found-note")
    gr.on([search.click, query.change], bind(show_retrieval, settings), inputs=query, outputs=[found, found_note],
          api_visibility="undocumented", trigger_mode="always_last")
    tab.opened(bind(show_retrieval, settings), inputs=query, outputs=[found, found_note], api_visibility="undocumented")
    return {"query": query}
