"""The CLIP panel's handlers on a tiny random CLIP folder (the same loading code as the committed one and a hub
CLIP): every number shown is the model's own (transformers' CLIPModel logits), and odd input gets a clear message."""
import json

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from components.formatting import significant
from explorers.generation.clip.batch import show_batch
from explorers.generation.clip.endpoint import clip_similarity_endpoint
from explorers.generation.clip.retrieval import show_retrieval
from explorers.generation.clip.zero_shot import (DEFAULT_CAPTIONS, SCENE, UPLOAD, show_upload, show_zero_shot,
                                                 suggested_captions)
from explorers.generation.clip.learn import STEPS, training_run, watch_it_learn
from models.scene_clip import load_scene_clip, pixels
from models.scenes import scene_batch
from models.settings import Settings
from tests.handlers import bound, refuses
from tests.tiny_clip import tiny_clip


@pytest.fixture(scope="module")
def clip_settings(tmp_path_factory):
    return Settings(clip_model=str(tiny_clip(tmp_path_factory.mktemp("clip"))))


@pytest.fixture(scope="module")
def handlers(clip_settings):
    return bound(clip_settings, (show_batch, show_zero_shot, show_retrieval, clip_similarity_endpoint,
                                 watch_it_learn, show_upload))


def reference_logits(clip_settings, images, texts) -> torch.Tensor:
    """transformers' own CLIPModel forward: logits_per_image."""
    clip = load_scene_clip("cpu", clip_settings.clip_model)
    batch = clip.tokenizer(texts, padding="max_length", truncation=True, return_tensors="pt")
    with torch.no_grad():
        return clip.model(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                          pixel_values=pixels(images)).logits_per_image


def matrix_values(fig) -> np.ndarray:
    return np.array(fig.data[0].z, dtype=float).T                      # captions are rows: back to images x texts


def test_the_batch_matrix_and_loss_are_the_models_own(handlers, clip_settings):
    show = handlers[0]
    formula, fig, note, plane = show(6, 3, True, "similarity")
    images, scenes = scene_batch(6, 3, "test")
    reference = reference_logits(clip_settings, images, [s.caption for s in scenes])
    assert np.allclose(matrix_values(fig), reference.numpy(), atol=1e-4)
    loss = 0.5 * (torch.nn.functional.cross_entropy(reference, torch.arange(6))
                  + torch.nn.functional.cross_entropy(reference.T, torch.arange(6)))
    assert f"= {significant(float(loss))} \\\\" in formula                 # the loss, then the next line
    assert len(fig.layout.images) == 6                                 # each image above its column
    assert "held-out" in note and len(plane.data) == 3
    _, per_image, _, _ = show(6, 3, True, "per image")
    assert np.allclose(matrix_values(per_image), reference.softmax(dim=1).numpy(), atol=1e-5)
    _, per_caption, _, _ = show(6, 3, True, "per caption")
    assert np.allclose(matrix_values(per_caption), reference.softmax(dim=0).numpy(), atol=1e-5)


def test_zero_shot_bars_are_the_softmax_over_the_typed_captions(handlers, clip_settings):
    picture, bars, note = handlers[1](SCENE, 7, None, DEFAULT_CAPTIONS)
    from explorers.generation.clip.zero_shot import scene_image

    image, _ = scene_image(7)
    texts = DEFAULT_CAPTIONS.splitlines()
    reference = reference_logits(clip_settings, torch.from_numpy(image.transpose(2, 0, 1).copy())[None], texts)[0]
    shown = dict(zip(bars.data[0].y, bars.data[0].x))
    for text, p in zip(texts, reference.softmax(dim=0).tolist()):
        assert shown[text] == pytest.approx(p, abs=1e-5)
    assert "reads" in note


def test_suggested_captions_change_one_word_each():
    lines = suggested_captions(7).splitlines()
    assert len(lines) == 5 and len(set(lines)) == 5
    first = lines[0].split()[1:]                                       # after the article (a / an)
    assert all(sum(a != b for a, b in zip(first, line.split()[1:])) == 1 for line in lines[1:])


def test_captions_that_leave_a_coloured_background_unsaid_get_a_note(handlers):
    from explorers.generation.clip.zero_shot import scene_image
    from models.scenes import parse_caption

    assert scene_image(1)[1].endswith("on a purple background") and "background" not in scene_image(2)[1]
    *_, note = handlers[1](SCENE, 1, None, "a purple zero\nan orange zero")
    assert "on this purple background it is false" in note
    suggested = suggested_captions(1).splitlines()                     # they say the scene's background...
    assert all(parse_caption(text)[1] == "purple" for text in suggested)
    assert not any(text.startswith("a purple") for text in suggested)   # ...and offer no purple-on-purple digit
    *_, note = handlers[1](SCENE, 1, None, suggested_captions(1))
    assert "false" not in note
    *_, note = handlers[1](SCENE, 2, None, "a red two\na blue two")   # a black background may go unsaid
    assert "false" not in note and "background" not in suggested_captions(2)


def test_an_upload_is_read_whatever_its_mode(handlers, tmp_path):
    rgba = tmp_path / "rgba.png"
    Image.fromarray(np.full((40, 30, 4), 200, np.uint8), "RGBA").save(rgba)
    _, bars, note = handlers[1](UPLOAD, 0, str(rgba), "a red seven\na blue two")
    assert "transparency" in note and len(bars.data[0].x) == 2
    grey = tmp_path / "grey.png"
    Image.fromarray(np.full((20, 20), 90, np.uint8), "L").save(grey)
    assert "grey" in handlers[1](UPLOAD, 0, str(grey), "a red seven")[2]


@pytest.mark.parametrize("args, match", [
    ((SCENE, 7, None, ""), "at least one caption"),
    ((SCENE, 7, None, "\n".join(["a red seven"] * 17)), "At most 16"),
    ((SCENE, 7, None, "x" * 10_000), "at most 200 characters"),
    ((SCENE, float("nan"), None, "a red seven"), "scene seed"),
    ((SCENE, -1, None, "a red seven"), "scene seed"),
    ((UPLOAD, 0, None, "a red seven"), "Upload an image"),
    (("a painting", 0, None, "a red seven"), "Unknown image source"),
])
def test_odd_zero_shot_input_gets_a_message(handlers, args, match):
    refuses(lambda: handlers[1](*args), match)


def test_a_tiny_or_fake_upload_gets_a_message(handlers, tmp_path):
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(tiny)
    refuses(lambda: handlers[1](UPLOAD, 0, str(tiny), "a red seven"), "8 and 4096 pixels")
    fake = tmp_path / "notes.png"
    fake.write_text("not an image")
    refuses(lambda: handlers[1](UPLOAD, 0, str(fake), "a red seven"), "not an image")


def test_uploading_is_choosing_the_upload_and_a_fake_one_is_refused_in_words(handlers, tmp_path):
    """Issue 37, item 6: the upload is compared at once (the source switches to it), whatever the source was."""
    red = tmp_path / "red.png"
    Image.fromarray(np.tile(np.array([220, 30, 30], np.uint8), (32, 32, 1))).save(red)
    source, _, bars, note = handlers[5](7, str(red), "a red seven\na blue two")
    assert source == UPLOAD and "your upload" in note
    expected = handlers[1](UPLOAD, 7, str(red), "a red seven\na blue two")[1]
    assert list(bars.data[0].x) == list(expected.data[0].x)                         # the same comparison
    fake = tmp_path / "notes.png"
    fake.write_text("not an image")
    refuses(lambda: handlers[5](7, str(fake), "a red seven"), "not an image")


def test_unicode_and_unknown_words_still_compare(handlers):
    _, bars, _ = handlers[1](SCENE, 7, None, "a red seven 🙂\nun sept rouge\nÉTÉ")
    assert np.isclose(sum(bars.data[0].x), 1.0)


@pytest.mark.parametrize("args, match", [((1, 0, True, "similarity"), "batch size N"),
                                         ((17, 0, True, "similarity"), "batch size N"),
                                         ((4, 0, True, "cosine"), "Unknown view"),
                                         ((4, 2**31, True, "similarity"), "seed")])
def test_odd_batch_input_gets_a_message(handlers, args, match):
    refuses(lambda: handlers[0](*args), match)


def test_retrieval_returns_the_largest_similarities(handlers, clip_settings):
    from explorers.generation.clip.retrieval import gallery, nearest_images

    clip = load_scene_clip("cpu", clip_settings.clip_model)
    images, scores, captions = nearest_images(clip, "a small green nine")
    _, embeddings, all_captions = gallery(clip)
    from core.clip import similarity

    every = similarity(embeddings, clip.text_embeddings(["a small green nine"]), clip.logit_scale)[:, 0]
    assert scores == pytest.approx(sorted(every.tolist(), reverse=True)[:8], abs=1e-5)
    fig, note = handlers[2]("a small green nine")
    assert captions[0] in note
    refuses(lambda: handlers[2](""), "at least one caption")


def test_the_default_query_finds_the_scene_it_describes_first():
    from explorers.generation.clip.retrieval import DEFAULT_QUERY, gallery, nearest_images

    clip = load_scene_clip()                                          # the CLIP trained here
    assert DEFAULT_QUERY in gallery(clip)[2]                          # the gallery holds that scene...
    assert nearest_images(clip, DEFAULT_QUERY)[2][0] == DEFAULT_QUERY   # ...and CLIP ranks it first


def test_endpoint_matches_the_model_and_refuses_odd_input(handlers, clip_settings):
    endpoint = handlers[3]
    images, scenes = scene_batch(3, 5, "test")
    arrays = [image.permute(1, 2, 0).numpy().tolist() for image in images]
    texts = [s.caption for s in scenes]
    result = json.loads(json.dumps(endpoint(arrays, texts)))
    reference = reference_logits(clip_settings, images, texts)
    assert np.allclose(np.array(result["similarity"]) * result["logit_scale"], reference.numpy(), atol=1e-4)
    assert np.allclose(result["probabilities_per_image"], reference.softmax(dim=1).numpy(), atol=1e-5)
    for bad_images, bad_texts, match in [([], texts, "images must be a list"),
                                         ([[[[0.5, 0.5, 0.5]]]], texts, "8 and 256"),
                                         ([[[0.5]]], texts, "H x W x 3"),
                                         ([np.full((300, 300, 3), 0.5).tolist()], texts, "8 and 256"),
                                         ([np.full((16, 16, 3), np.nan).tolist()], texts, "no NaN"),
                                         ([np.full((16, 16, 3), 2.0).tolist()], texts, "between 0 and 1"),
                                         ([np.zeros((16, 16, 2)).tolist()], texts, "H x W x 3"),
                                         (["a picture"], texts, "H x W x 3"),
                                         (arrays, "a red seven", "texts must be a list"),
                                         (arrays, [], "at least one")]:
        with pytest.raises(gr.Error, match=match):
            endpoint(bad_images, bad_texts)


def test_watch_it_learn_streams_a_falling_loss(handlers, clip_settings):
    views = list(handlers[4](0))
    assert len(views) == STEPS // 10 + 1
    assert "Step **0" in views[0][2] and "Done" in views[-1][2]
    first, last = views[0][1].data[0].y, views[-1][1].data[0].y
    assert len(last) == STEPS + 1 and last[-1] < 0.5 * first[0]
    refuses(lambda: list(handlers[4](-3))[-1], "seed")


def test_watch_it_learn_reports_the_fresh_models_own_loss(clip_settings):
    from explorers.generation.clip.learn import BATCH
    from core.clip import contrastive

    tokenizer = load_scene_clip("cpu", clip_settings.clip_model).tokenizer
    for step, logits, losses, _, _ in training_run(tokenizer, 1, steps=3):
        assert contrastive(logits).loss == pytest.approx(losses[-1], rel=1e-5)
        assert logits.shape == (BATCH, BATCH)


def test_the_opening_captions_are_the_opening_scenes_suggested_ones():
    from explorers.generation.clip.zero_shot import OPENING_CAPTIONS, OPENING_SCENE, suggested_captions

    assert OPENING_CAPTIONS == suggested_captions(OPENING_SCENE)
