"""Retrieval: a caption -> the nearest images of a gallery of held-out scenes, by CLIP's cosine similarity. The
gallery's images and embeddings are computed once per loaded CLIP."""
from functools import lru_cache

import numpy as np
import torch

from core.clip import similarity
from models.scenes import scene_batch

GALLERY_SIZE, GALLERY_SEED, TOP = 256, 4242, 8


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
