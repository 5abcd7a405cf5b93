"""The CLIP panel's handlers on a tiny random CLIP folder (the same loading code as the committed one and a hub
CLIP): every number shown is the model's own (transformers' CLIPModel logits), every text says which way each
softmax runs in the figure, and odd input gets a clear message. The arithmetic's claim (a red seven − a blue seven
points at 'red') is measured on the CLIP trained here."""
import json
import re

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from components.formatting import significant
from explorers.generation.clip.arithmetic import (VOCABULARY, paired_renderings, paired_things, scene_pair,
                                                  show_arithmetic)
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
                                 watch_it_learn, show_upload, show_arithmetic))


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


def test_a_temperature_divides_s_before_each_softmax_and_the_loss(handlers, clip_settings):
    """T as in next-token sampling: the softmax views and the loss are torch's on s / T; the similarity view is s."""
    show = handlers[0]
    images, scenes = scene_batch(6, 3, "test")
    reference = reference_logits(clip_settings, images, [s.caption for s in scenes]).double()
    for temperature in (0.01, 0.5, 3.0, 100.0):
        formula, per_image, note, _ = show(6, 3, True, "per image", temperature)
        assert np.allclose(matrix_values(per_image), (reference / temperature).softmax(dim=1).numpy(), atol=1e-5)
        _, per_caption, _, _ = show(6, 3, True, "per caption", temperature)
        assert np.allclose(matrix_values(per_caption), (reference / temperature).softmax(dim=0).numpy(), atol=1e-5)
        loss = 0.5 * (torch.nn.functional.cross_entropy(reference / temperature, torch.arange(6))
                      + torch.nn.functional.cross_entropy(reference.T / temperature, torch.arange(6)))
        assert f"= {significant(float(loss))} \\\\" in formula
        assert f"T = {temperature:.2f}" in formula and "Next-token sampling" in note
    _, similarity_view, _, _ = show(6, 3, True, "similarity", 3.0)
    assert np.allclose(matrix_values(similarity_view), reference.numpy(), atol=1e-4)


def test_every_text_says_which_way_each_softmax_runs_in_the_figure(handlers):
    """Issue 39: the figure draws images as columns, so the per-image softmax is a column (what is drawn sums to 1
    down each column) and the per-caption one a row; the figure's title, the formula, the card and the scenes say so."""
    from components.clip_figures import SOFTMAX_ALONG
    from explorers.generation.clip import INTUITION, TRY_THIS
    from explorers.generation.clip.batch import SCENES

    for view, along in SOFTMAX_ALONG.items():
        formula, fig, _, _ = handlers[0](6, 3, True, view)
        drawn = np.array(fig.data[0].z, dtype=float)                    # as drawn: caption rows, image columns
        assert np.allclose(drawn.sum(axis=0 if along == "column" else 1), 1.0, atol=1e-5)
        assert f"over each {along}" in fig.layout.xaxis.title.text
    formula, fig, _, _ = handlers[0](6, 3, True, "per image")
    p11 = np.array(fig.data[0].z, dtype=float)[0, 0]                    # caption 1's row, image 1's column
    assert "image 1's column" in formula and f"= {p11:.3f}" in formula
    assert "caption: columns" in formula and "image: rows" in formula  # the loss's two halves
    sides = re.compile(r"\b(column|row)s?\b")
    for label, (_, _, _, view, _) in SCENES.items():
        said = set(sides.findall(label))
        assert not said or said == {SOFTMAX_ALONG[view]}, label
    for text in (INTUITION, TRY_THIS):
        assert "image's row" not in text and "caption's column" not in text
    assert "image's column" in INTUITION and "caption's row" in INTUITION
    assert re.search(r"softmax per image: each image's column", TRY_THIS)


@pytest.mark.parametrize("temperature, match", [(float("nan"), "temperature T must be a finite number"),
                                                (0.0, "temperature T must be between 0.01 and 100"),
                                                (101, "temperature T must be between 0.01 and 100"),
                                                ("hot", "temperature T must be a number")])
def test_an_odd_temperature_gets_a_message(handlers, temperature, match):
    refuses(lambda: handlers[0](4, 0, True, "per image", temperature), match)


def test_the_two_scenes_are_held_out_and_differ_only_in_what_was_chosen():
    from models.scenes import samples_of

    red, blue = scene_pair("seven", "red", "seven", "blue")
    pairs = paired_things(red, blue, seed=2, k=6)
    for a, b, _ in pairs:
        assert a.sample == b.sample and a.size == b.size and a.sample in samples_of("test")[7]
        assert (a.colour, b.colour) == ("red", "blue")
    images_a, images_b = paired_renderings(red, blue, seed=2, k=6)                    # (6, 3, 64, 64) each
    assert images_a.shape == images_b.shape == (6, 3, 64, 64)
    assert torch.equal(images_a.sum(dim=1) > 0, images_b.sum(dim=1) > 0)             # the same ink, in other colours
    seven, one = scene_pair("seven", "red", "one", "red")
    assert all(b.sample in samples_of("test")[1] for _, b, _ in paired_things(seven, one, 0, 4))


def test_the_arithmetic_shows_each_words_cosine_with_d_as_a_loop_computes_it(handlers, clip_settings):
    clip = load_scene_clip("cpu", clip_settings.clip_model)
    formula, pictures, bars, note = handlers[6]("seven", "red", "seven", "blue", 1, 4, "large")
    images_a, images_b = paired_renderings(*scene_pair("seven", "red", "seven", "blue"), seed=1, k=4)
    ia, ib = clip.image_embeddings(images_a).double().numpy(), clip.image_embeddings(images_b).double().numpy()
    d = np.mean([ia[k] / np.linalg.norm(ia[k]) - ib[k] / np.linalg.norm(ib[k]) for k in range(4)], axis=0)
    words = clip.text_embeddings(VOCABULARY).double().numpy()
    cosines = {w: float(t @ d / (np.linalg.norm(t) * np.linalg.norm(d))) for w, t in zip(VOCABULARY, words)}
    ranked = sorted(VOCABULARY, key=lambda w: -cosines[w])
    shown = {label: x for label, x in zip(bars.data[0].y, bars.data[0].x) if x is not None}
    assert len(shown) >= 10 and "1. " + ranked[0] in shown and f"{len(ranked)}. {ranked[-1]}" in shown
    for label, x in shown.items():
        rank, word = label.split(". ")
        assert ranked[int(rank) - 1] == word and x == pytest.approx(cosines[word], abs=1e-5)
    assert "K = 4" in formula and f"\\lVert d\\rVert = {np.linalg.norm(d):.2f}" in formula
    assert f"**large** ranks {ranked.index('large') + 1} of 28" in note
    assert len(pictures.data) == 1 and "4 of the 4 held-out renderings" in pictures.layout.title.text


@pytest.mark.parametrize("args, match", [
    (("seven", "red", "seven", "red", 0, 8, ""), "both 'a red seven'"),
    (("seven", "pink", "seven", "red", 0, 8, ""), "Unknown colour 'pink'"),
    (("seven", "red", "eleven", "red", 0, 8, ""), "Unknown digit 'eleven'"),
    (("seven", "red", "seven", "blue", 0, 0, ""), "renderings K"),
    (("seven", "red", "seven", "blue", 0, 17, ""), "renderings K"),
    (("seven", "red", "seven", "blue", float("nan"), 8, ""), "seed"),
    (("seven", "red", "seven", "blue", 0, 8, "crimson"), "not one of the 28 caption words"),
    (("seven", "red", "seven", "blue", 0, 8, "rde"), "did you mean 'red'"),
])
def test_odd_arithmetic_input_gets_a_message(handlers, args, match):
    refuses(lambda: handlers[6](*args), match)


def test_red_minus_blue_points_at_red_and_away_from_blue_on_held_out_renderings():
    """Measured on the CLIP trained here, over four seeds of held-out renderings (K = 8): 'red' leads and 'blue'
    trails the 28 caption words (measured: rank 1 and 28, cos about +0.60 and −0.43, on every seed)."""
    from models.settings import Settings

    for seed in range(4):
        _, _, bars, note = show_arithmetic(Settings(), "seven", "red", "seven", "blue", seed, 8, "")
        labels = list(bars.data[0].y)
        assert labels[0] in ("1. red", "2. red") or labels[1] in ("1. red", "2. red")
        assert {"28. blue", "27. blue"} & set(labels[-2:])
        assert "points from scene b's word to scene a's" in note


def test_a_seven_minus_a_one_is_a_weaker_direction_and_the_panel_says_so():
    """Measured: for a red seven − a red one the colour words lead; 'seven' ranks about 7th and 'one' about 24th of
    28, while the captions' own difference still points along d (cos about 0.65). The note says what it measures."""
    from models.settings import Settings

    formula, _, bars, note = show_arithmetic(Settings(), "seven", "red", "one", "red", 0, 8, "")
    ranks = {label.split(". ")[1]: int(label.split(". ")[0]) for label in bars.data[0].y if "more" not in label}
    said = dict(re.findall(r"\*\*(\w+)\*\* ranks (\d+) of 28", note))
    assert int(said["seven"]) <= 10 and int(said["one"]) >= 19
    assert "not both at the ends" in note
    caption_cosine = float(re.search(r"d\\Big\) = (−?[\d.]+)\$\$", formula).group(1).replace("−", "-"))
    assert caption_cosine > 0.5 and set(ranks) - {"seven", "one"}                    # other words hold the ends


def test_a_link_sets_the_temperature_and_the_arithmetic_and_opens_the_fold(clip_settings):
    """The new controls are in the panel's link (the arithmetic's inside its fold, so a link to them unfolds it)."""
    from components.deeplink import parse_setting
    from explorers.generation.clip import build

    with gr.Blocks():
        link = build(clip_settings)
    arithmetic = ["a_digit", "a_colour", "b_digit", "b_colour", "arithmetic_seed", "K", "word"]
    assert {"n", "seed", "held_out", "view", "T", "scene_seed", "captions", "query", *arithmetic} == set(link.controls)
    [part] = link.folds
    assert all(part.holds(link.controls[name]) for name in arithmetic) and not part.holds(link.controls["T"])
    assert parse_setting(link.controls["b_colour"], "green") == "green"
    assert parse_setting(link.controls["T"], "20") == 20.0
    with pytest.raises(ValueError, match="between 0.01 and 100"):
        parse_setting(link.controls["T"], "500")
