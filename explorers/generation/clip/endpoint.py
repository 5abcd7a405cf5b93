"""/clip_similarity: the scenes' CLIP on a client's images and texts."""
import numpy as np
import torch

from components.errors import user_errors
from core.clip import similarity
from explorers.generation.clip.zero_shot import MAX_TEXTS, checked_texts
from models.images import MAX_CLIP_SIDE, colour_array
from models.scene_clip import app_scene_clip
from models.settings import Settings


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
