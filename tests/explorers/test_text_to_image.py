"""The Text to image panel on a tiny random Stable Diffusion pipeline: the image is diffusers' own pipeline's for
the same noise and guidance_scale = w + 1, the negative prompt replaces the empty one, the maps are the recorded
cross-attention, and odd input gets a clear message."""
import json

import gradio as gr
import numpy as np
import pytest
import torch
from diffusers import StableDiffusionPipeline

from explorers.generation.text_to_image import generate, show_image, text_to_image_endpoint
from models.image_pipeline import load_image_pipeline
from models.scene_pipeline import build_scheduler
from tests.handlers import bound, refuses
from tests.tiny_pipeline import PROMPT


def diffusers_image(folder, prompt, negative, w, steps, seed) -> np.ndarray:
    """diffusers' own StableDiffusionPipeline with the app's scheduler spacing (models.scene_pipeline)."""
    pipe = StableDiffusionPipeline.from_pretrained(folder, safety_checker=None, requires_safety_checker=False)
    pipe.scheduler = type(build_scheduler()).from_config({**pipe.scheduler.config, **build_scheduler().config})
    ours = load_image_pipeline(str(folder), "cpu")
    noise = torch.randn((1, *ours.latent_shape), generator=torch.Generator().manual_seed(seed))
    out = pipe(prompt, negative_prompt=negative or None, guidance_scale=w + 1, num_inference_steps=steps,
               latents=noise, output_type="np")
    return out.images[0]


@pytest.mark.parametrize("negative, w", [("", 0.0), ("", 3.0), ("a dog", 3.0)])
def test_the_image_is_diffusers_own_for_the_same_noise(sd_settings, folder, negative, w):
    r = generate(sd_settings, PROMPT, negative, w, 20, 4)
    reference = diffusers_image(folder, PROMPT, negative, w, 20, 4)
    assert np.allclose(r["image"], reference, atol=2e-4)


def test_the_negative_prompt_changes_the_image(sd_settings):
    plain = generate(sd_settings, PROMPT, "", 5.0, 10, 0)["image"]
    pushed = generate(sd_settings, PROMPT, "a dog", 5.0, 10, 0)["image"]
    assert np.abs(plain - pushed).max() > 1e-3


def test_maps_cover_every_token_and_sum_to_one(sd_settings):
    r = generate(sd_settings, PROMPT, "", 3.0, 5, 0)
    assert r["maps"].shape == (12, 8, 8)                                   # the tokenizer's 12 positions
    assert np.allclose(r["maps"].sum(axis=0), 1.0, atol=1e-5)
    assert [t for _, t in r["tokens"]] and all(0 < i < 12 for i, _ in r["tokens"])


def test_the_panel_and_the_endpoint(sd_settings):
    show, endpoint = bound(sd_settings, (show_image, text_to_image_endpoint))
    formula, picture, overlays, note = show(PROMPT, "", 3.0, 5, 0)
    assert "softmax" in formula and "16\\times16\\times 3" in formula and "(3\\times)" in formula
    assert "empty prompt" in note and overlays is not None
    long = "a large red seven on the left and a yellow one on the right"
    title = show(long, "", 3.0, 5, 0)[1].layout.title.text
    assert title.replace("<br>", " ") == f"“{long}”, w = 3"         # whole (it was cut after 'the left and…')
    result = json.loads(json.dumps(endpoint(PROMPT, "a dog", 3.0, 5, 0)))
    assert np.array(result["image"]).shape == (16, 16, 3)
    assert set(result["cross_attention"]) >= set(result["tokens"]) - {""}
    for value in result["cross_attention"].values():
        assert np.array(value).shape == (8, 8)


@pytest.mark.parametrize("args, match", [(("", "", 3.0, 5, 0), "Type a prompt"),
                                         (("x" * 10_000, "", 3.0, 5, 0), "under 300"),
                                         ((PROMPT, "n" * 400, 3.0, 5, 0), "under 300"),
                                         ((PROMPT, "", float("nan"), 5, 0), "finite"),
                                         ((PROMPT, "", 25.0, 5, 0), "between 0 and 20"),
                                         ((PROMPT, "", 3.0, 0, 0), "steps"),
                                         ((PROMPT, "", 3.0, 5, -1), "seed")])
def test_odd_input_gets_a_message(sd_settings, args, match):
    show, endpoint = bound(sd_settings, (show_image, text_to_image_endpoint))
    refuses(lambda: show(*args), match)
    with pytest.raises(gr.Error, match=match):
        endpoint(*args)


def test_emoji_and_unknown_words_still_draw(sd_settings):
    show, = bound(sd_settings, (show_image,))
    _, picture, _, note = show("a 🙂 zebra", "", 3.0, 3, 0)
    assert picture is not None and "split into pieces" in note and "zebra" in note   # the byte-only tokenizer


def test_the_coloured_background_note_is_only_for_the_scenes_model(sd_settings):
    show, = bound(sd_settings, (show_image,))
    note = show("a red seven on a white background", "", 7.5, 3, 0)[3]   # another pipeline: not what we measured
    assert "overshoot" not in note


def test_the_default_w_is_the_scenes_models_own_and_the_cards_for_another(settings, sd_settings):
    from models.image_pipeline import default_w

    assert default_w(settings) == 3.0 and default_w(sd_settings) == 6.5   # guidance_scale 7.5
    unset = text_to_image_endpoint(sd_settings, "a red seven", steps=2, seed=1)
    assert unset == text_to_image_endpoint(sd_settings, "a red seven", w=6.5, steps=2, seed=1)
    assert unset != text_to_image_endpoint(sd_settings, "a red seven", w=3.0, steps=2, seed=1)


def test_the_step_timing_names_both_sizes_and_a_ratio(sd_settings):
    from explorers.generation.text_to_image import time_steps

    text, = [time_steps(sd_settings, 3)]
    assert "8×8×4" in text and "16×16×3" in text and "× faster" in text and "median of 3 runs" in text
    for runs, words in ((0, "timed runs must be between 3 and 15"), (float("nan"), "timed runs"), ("x", "timed runs")):
        refuses(lambda: time_steps(sd_settings, runs), words)


def test_the_coloured_background_note_says_what_the_model_does(settings):
    from models.scene_judge import COLOUR_NAMES, load_scene_judge, read_scenes

    def colour(w):
        image = generate(settings, "a green nine on a yellow background", "", w, 30, 0)["image"]
        _, colours = read_scenes(load_scene_judge(), torch.from_numpy(image).permute(2, 0, 1)[None].float())
        return COLOUR_NAMES[int(colours[0, 0])]

    note = show_image(settings, "a green nine on a yellow background", "", 7.5, 30, 0)[3]
    assert "a green nine on yellow often comes out teal, which the judge reads as blue" in note
    assert colour(7.5) == "blue"                                     # what the note says, on this seed...
    assert colour(3.0) == "green"                                    # ...and at the default w, no overshoot
    assert "overshoot" not in show_image(settings, "a green nine on a yellow background", "", 3.0, 30, 0)[3]
    for prompt in ("a red seven", "a red seven on a black background"):
        assert "overshoot" not in show_image(settings, prompt, "", 7.5, 30, 0)[3]


def test_text_to_image_scenes_draw_what_they_ask(app_scene, settings):
    from models.scene_judge import COLOUR_NAMES, SLOTS, load_scene_judge, read_scenes

    judge = load_scene_judge()

    def read(sample) -> dict:
        r = generate(settings, *sample)
        digits, colours = read_scenes(judge, torch.from_numpy(r["image"]).permute(2, 0, 1)[None].float())
        return {slot: (int(digits[0, k]), COLOUR_NAMES[int(colours[0, k])]) for k, slot in enumerate(SLOTS)} | \
            {"maps": r["maps"], "tokens": r["tokens"]}

    pair = app_scene("t2i-scenes", "U-Net Denoising · where is each word")
    drawn = read(pair)
    assert (drawn["left"], drawn["right"]) == ((7, "red"), (2, "blue"))       # the image is what the prompt says
    half = drawn["maps"].shape[-1] // 2
    sides = {"red": True, "seven": True, "left": True, "blue": False, "two": False, "right": False}
    for i, word in drawn["tokens"]:                                    # each word is read where its digit is drawn
        if word in sides:
            on_left = drawn["maps"][i, :, :half].sum() > drawn["maps"][i, :, half:].sum()
            assert on_left == sides[word], word
    swapped = read(["a blue two on the left and a red seven on the right", *pair[1:]])   # the hint's experiment:
    assert (swapped["left"], swapped["right"]) == ((2, "blue"), (7, "red"))             # swap the sides in the
    for i, word in swapped["tokens"]:                                                  # prompt, and the picture
        if word in sides:                                                              # and the maps follow
            on_left = swapped["maps"][i, :, :half].sum() > swapped["maps"][i, :, half:].sum()
            assert on_left == (sides[word] if word in ("left", "right") else not sides[word]), word
    prompt, negative, w, steps, seed = app_scene("t2i-scenes", "Classifier-Free Guidance · w = 0")
    assert w == 0 and read([prompt, negative, w, steps, seed])["centre"][0] != 3   # only suggests (another digit)...
    assert read([prompt, negative, 7.5, steps, seed])["centre"] == (3, "yellow")            # ...until w pushes
    prompt, negative, w, steps, seed = app_scene("t2i-scenes", "Classifier-Free Guidance · a negative prompt")
    digit, colour = read([prompt, negative, w, steps, seed])["centre"]
    assert negative == "yellow" and digit == 3 and colour != "yellow"
