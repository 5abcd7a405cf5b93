"""The CLIP panel's scenes show what their labels say (they belong in test_clip.py, which is being edited for the
panel-id renames: move them there after). Every other panel's scene claims are in that panel's own test file."""
import math

import numpy as np
import torch


def test_clip_scenes(app_scene, settings):
    from core.clip import contrastive, recall_at, similarity
    from explorers.generation.clip.batch import held_out_batch
    from models.scene_clip import load_scene_clip

    clip = load_scene_clip()

    def matrix(start):
        n, seed, held_out, view, temperature = app_scene("clip-scenes", start)
        images, batch = held_out_batch(n, seed, held_out)
        result = contrastive(similarity(clip.image_embeddings(images), clip.text_embeddings(
            [s.caption for s in batch]), clip.logit_scale) / temperature)
        return n, held_out, view, result

    n, held_out, view, result = matrix("CLIP · the diagonal")
    assert held_out and view == "similarity" and float(recall_at(result.logits, 1)) >= 0.75   # the diagonal wins
    assert float(result.loss) < 0.5 * math.log(n)                                            # far below chance
    n, held_out, view, result = matrix("Softmax · each image's")
    assert view == "per image" and torch.allclose(result.per_image.sum(dim=1), torch.ones(n), atol=1e-5)
    assert float((result.per_image.argmax(dim=1) == torch.arange(n)).float().mean()) >= 0.75  # one per image
    sure = float(result.per_image.diagonal().mean())
    n, held_out, view, flat = matrix("Softmax · T = 20")
    assert float(flat.per_image.diagonal().mean()) < 0.8 * sure                               # T = 20 flattens it
    n, held_out, view, result = matrix("Vectors & Dot Products · 16 pairs")
    assert result.logits.shape == (16, 16)


def test_clip_zero_shot_scenes(app_scene, settings):
    from explorers.generation.clip.zero_shot import SCENE, scene_image, show_zero_shot

    def read(start) -> tuple[str, str, str]:
        source, seed, captions = app_scene("clip-zero-scenes", start)
        assert source == SCENE
        _, bars, note = show_zero_shot(settings, source, seed, None, captions)
        return bars.data[0].y[int(np.argmax(bars.data[0].x))], note, scene_image(seed)[1]

    best, note, caption = read("CLIP · a bare caption")
    assert caption == "a small orange zero on a purple background"
    assert best == "a purple zero" and "on this purple background it is false" in note   # the background's colour
    best, note, _ = read("CLIP · say the background")
    assert best == "an orange zero on a purple background" and "false" not in note        # the digit's
