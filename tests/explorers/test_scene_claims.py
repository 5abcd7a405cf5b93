"""Every scene shows what its label says, checked on the live computation with the values the real app's scene
buttons set (read from the app itself, so a changed scene or a retrained model cannot silently break a lecture).
The digit network's, the next-token sampler's, the playground's and the tour's claims have their own tests."""
import math

import gradio as gr
import numpy as np
import pytest
import torch

from core.landscape import descend_surface
from core.neuron import neuron, output_plane


@pytest.fixture(scope="module")
def scenes(settings) -> dict:
    """{elem_id: {label: sample}} of the app's scene buttons."""
    import app

    demo = app.create_app(settings)
    return {block.elem_id: dict(zip(block.sample_labels, block.raw_samples)) for block in demo.blocks.values()
            if isinstance(block, gr.Dataset) and (block.elem_id or "").endswith("-scenes")}


def scene(scenes, panel: str, start: str):
    matches = [sample for label, sample in scenes[panel].items() if label.startswith(start)]
    assert len(matches) == 1, f"{panel}: no single scene starts with {start!r}"
    return matches[0]


def walk(sample):
    name, x, y, eta, mu, steps, _ = sample
    return descend_surface(name, x, y, eta, mu, steps)[1]


def test_descent_scenes(scenes):
    bowl = walk(scene(scenes, "descent-scenes", "Gradient Descent · the bowl"))
    assert not bowl.diverged and float(bowl.costs[-1]) < 0.01                       # rolls to the bottom
    too_far = walk(scene(scenes, "descent-scenes", "Gradient Descent · η = 1.05"))
    assert too_far.diverged or float(too_far.costs[-1]) > float(too_far.costs[0])   # it diverges
    zigzag = walk(scene(scenes, "descent-scenes", "Gradient Descent · ill-conditioned valley"))
    moves = torch.diff(zigzag.points, dim=0)                                         # (steps, 2)
    flips = int((torch.sign(moves[1:]) != torch.sign(moves[:-1])).sum(dim=0).max())
    assert flips >= 0.8 * (len(moves) - 1)                                           # the steep axis flips each step
    momentum = walk(scene(scenes, "descent-scenes", "Gradient Descent · momentum 0.5"))
    moves = torch.diff(momentum.points, dim=0)
    assert int((torch.sign(moves[1:]) != torch.sign(moves[:-1])).sum(dim=0).max()) < 0.6 * flips   # it dies out
    assert float(momentum.costs[20]) < 0.01 * float(zigzag.costs[20])                # and the bottom comes sooner
    sample = scene(scenes, "descent-scenes", "Gradient · at a saddle")
    saddle, k = walk(sample), int(sample[-1])
    assert float(saddle.gradients[k].norm()) < 0.1 * float(saddle.gradients[0].norm())   # almost zero at step k,
    assert float(saddle.points[k].norm()) < 0.15                                          # by the saddle (0, 0)
    name, x, y, eta, mu, steps, _ = scene(scenes, "descent-scenes", "Cost Function · several minima")
    here = descend_surface(name, x, y, eta, mu, steps)[1].points[-1]
    there = descend_surface(name, -x, y, eta, mu, steps)[1].points[-1]               # the mirrored start
    assert float((here - there).norm()) > 1.0                                        # ends in another minimum


def test_neuron_scenes(scenes):
    def fires_on(sample) -> float:
        n, a1, a2, a3, w1, w2, w3, bias, f = sample
        _, grid = output_plane([w1, w2], bias, f)
        return float((np.asarray(grid) > 0.5).mean())                               # the plane's share it fires on

    default = [2, 1.0, 0.5, 0.0, 1.5, -1.0, 0.5, -0.5, "sigmoid"]
    low = scene(scenes, "neuron-scenes", "Weights & Bias · bias −3")
    assert neuron(low[1:3], low[4:6], low[7], low[8])[1] < 0.5 and fires_on(low) < fires_on(default)
    assert fires_on(scene(scenes, "neuron-scenes", "Weights & Bias · bias +3")) > fires_on(default)
    turned = scene(scenes, "neuron-scenes", "Weights & Bias · turn the weights")
    angle = math.degrees(math.atan2(turned[5], turned[4]) - math.atan2(default[5], default[4]))
    assert abs(angle) > 30                                                           # the line rotates
    step = scene(scenes, "neuron-scenes", "Activation Functions · step")
    assert set(np.unique(output_plane(step[4:6], step[7], "step")[1])) <= {0.0, 1.0}   # all or nothing
    relu = scene(scenes, "neuron-scenes", "Activation Functions · ReLU")
    z, a = neuron(relu[1:3], relu[4:6], relu[7], "relu")
    assert z < 0 and a == 0.0                                                        # off below the threshold


def test_noising_scenes(scenes):
    from explorers.generation.noising import noise_endpoint

    def at(start):
        image, t, schedule, seed = scene(scenes, "noising-scenes", start)
        return noise_endpoint(image, t, schedule, seed)

    clean = at("Forward Diffusion · t = 0")
    assert clean["sqrt_alpha_bar"] > 0.999                                           # the clean digit
    assert at("Forward Diffusion · t = 250")["snr"] > 1                              # signal still dominates
    assert 0.4 < at("Forward Diffusion · t = 500")["sqrt_alpha_bar"] ** 2 < 0.6      # half and half
    assert at("Forward Diffusion · t = 999")["sqrt_alpha_bar"] ** 2 < 0.01           # nothing but noise


def test_backprop_scenes(scenes):
    from explorers.learning.backprop import backprop_endpoint

    def factors(start):
        index, activation, layer, j, k = scene(scenes, "backprop-scenes", start)
        return backprop_endpoint(index, layer, j, k, activation)

    wrong = factors("Backpropagation · the wrong output 9")
    right = factors("Backpropagation · the right output 5")
    assert wrong["label"] == right["label"] == 5
    assert wrong["how_wrong"] > 0 and right["how_wrong"] < 0        # dC/da > 0: the 9 must go down; the 5 up
    assert factors("Chain Rule · ReLU's slope")["how_responsive"] in (0.0, 1.0)


@pytest.mark.slow
def test_embedding_scenes(scenes, settings):
    from explorers.transformers.embeddings import analogy_endpoint

    def top(start):
        expression, space, k, exclude = scene(scenes, "embeddings-scenes", start)
        return analogy_endpoint(settings, expression, space, k, exclude)

    assert top("Token → Embedding · king − man + woman")[0][0] == "queen"
    assert top("Token → Embedding · paris − france + italy")[0][0] == "rome"
    assert top("Token → Embedding · berlin − germany + japan")[0][0] == "tokyo"
    assert top("Vectors & Dot Products · not excluded")[0][0] in ("king", "man", "woman")   # the inputs win


def test_denoising_scenes_draw_the_digit_they_name(scenes, settings):
    from explorers.generation.denoising import denoise_endpoint

    for start, digit in (("U-Net Denoising · a 3 out of noise", 3), ("U-Net Denoising · a 7, another noise", 7),
                         ("U-Net Denoising · only 5 steps", 3), ("Classifier-Free Guidance · the same noise", 3)):
        asked, seed, steps, w = scene(scenes, "denoising-scenes", start)
        assert asked == digit
        probabilities = denoise_endpoint(settings, asked, seed, steps, w)["classifier_probabilities"]
        assert int(np.argmax(probabilities)) == digit, start                 # the separate classifier reads it


def test_vector_field_scene_at_t_900_points_to_the_middle(scenes):
    from explorers.generation.vector_field import vector_field_endpoint

    dataset, t, label, w, size = scene(scenes, "vector-field-scenes", "Gradient · at t = 900")
    result = vector_field_endpoint(dataset, t, label, w, size)
    grid, field = np.asarray(result["grid"]), np.asarray(result["field"])
    far = np.linalg.norm(grid, axis=1) > 1.0
    inward = (field[far] * -grid[far]).sum(axis=1) > 0                         # the arrow has a part toward 0
    assert inward.mean() > 0.95


def test_guidance_scenes(scenes):
    from explorers.generation.guidance import checked, sweep

    for start, digit in (("Classifier-Free Guidance · a w sweep 0 … 12 for a 3", 3),
                         ("Classifier-Free Guidance · the same sweep for a 7", 7)):
        asked, weights, samples, steps, seed = checked(*scene(scenes, "guidance-scenes", start))
        assert asked == digit and (min(weights), max(weights)) == (0, 12), start
        assert sweep(asked, weights, samples, steps, seed)["accuracy"][-1] >= 0.75, start   # the judge reads it
    asked, weights, samples, steps, seed = checked(*scene(scenes, "guidance-scenes", "Classifier-Free Guidance · 8"))
    result = sweep(asked, weights, samples, steps, seed)
    assert weights == (0, 3) and samples == 8 and result["table"].shape[:2] == (8, 2)
    assert result["relative_diversity"][1] < result["relative_diversity"][0]      # pushed harder, more alike


def test_clip_scenes(scenes, settings):
    from core.clip import contrastive, recall_at, similarity
    from explorers.generation.clip import held_out_batch
    from models.scene_clip import load_scene_clip

    clip = load_scene_clip()

    def matrix(start):
        n, seed, held_out, view = scene(scenes, "clip-scenes", start)
        images, batch = held_out_batch(n, seed, held_out)
        result = contrastive(similarity(clip.image_embeddings(images), clip.text_embeddings(
            [s.caption for s in batch]), clip.logit_scale))
        return n, held_out, view, result

    n, held_out, view, result = matrix("CLIP · the diagonal")
    assert held_out and view == "similarity" and float(recall_at(result.logits, 1)) >= 0.75   # the diagonal wins
    assert float(result.loss) < 0.5 * math.log(n)                                            # far below chance
    n, held_out, view, result = matrix("Softmax · each row")
    assert view == "per image" and torch.allclose(result.per_image.sum(dim=1), torch.ones(n), atol=1e-5)
    assert float((result.per_image.argmax(dim=1) == torch.arange(n)).float().mean()) >= 0.75  # a classifier per row
    n, held_out, view, result = matrix("Vectors & Dot Products · 16 pairs")
    assert result.logits.shape == (16, 16)


def test_clip_zero_shot_scenes(scenes, settings):
    from explorers.generation.clip import SCENE, scene_image, show_zero_shot

    def read(start) -> tuple[str, str, str]:
        source, seed, captions = scene(scenes, "clip-zero-scenes", start)
        assert source == SCENE
        _, bars, note = show_zero_shot(settings, source, seed, None, captions)
        return bars.data[0].y[int(np.argmax(bars.data[0].x))], note, scene_image(seed)[1]

    best, note, caption = read("CLIP · a bare caption")
    assert caption == "a small orange zero on a purple background"
    assert best == "a purple zero" and "on this purple background it is false" in note   # the background's colour
    best, note, _ = read("CLIP · say the background")
    assert best == "an orange zero on a purple background" and "false" not in note        # the digit's


def test_the_text_sweeps_default_prompt_shows_guidance_trading_diversity_for_faithfulness(settings):
    from explorers.generation.guidance import DEFAULT_STEPS, DEFAULT_WEIGHTS
    from explorers.generation.guidance.text import DEFAULT_PROMPT, text_sweep

    r = text_sweep(settings, DEFAULT_PROMPT, ", ".join(f"{w:g}" for w in DEFAULT_WEIGHTS), 4, DEFAULT_STEPS, 0)
    assert r["accuracy"][0] <= 0.25 and min(r["accuracy"][3:]) == 1.0                 # w = 0 vs w >= 2
    assert max(r["clip_diversity"][3:]) < 0.5 * r["clip_diversity"][0]                   # and less diverse


def test_the_coloured_background_note_says_what_the_model_does(settings):
    from explorers.generation.text_to_image import generate, show_image
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


def test_text_to_image_scenes_draw_what_they_ask(scenes, settings):
    from explorers.generation.text_to_image import generate
    from models.scene_judge import COLOUR_NAMES, SLOTS, load_scene_judge, read_scenes

    judge = load_scene_judge()

    def read(sample) -> dict:
        r = generate(settings, *sample)
        digits, colours = read_scenes(judge, torch.from_numpy(r["image"]).permute(2, 0, 1)[None].float())
        return {slot: (int(digits[0, k]), COLOUR_NAMES[int(colours[0, k])]) for k, slot in enumerate(SLOTS)} | \
            {"maps": r["maps"], "tokens": r["tokens"]}

    pair = scene(scenes, "t2i-scenes", "U-Net Denoising · where is each word")
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
    prompt, negative, w, steps, seed = scene(scenes, "t2i-scenes", "Classifier-Free Guidance · w = 0")
    assert w == 0 and read([prompt, negative, w, steps, seed])["centre"][0] != 3   # only suggests (another digit)...
    assert read([prompt, negative, 7.5, steps, seed])["centre"] == (3, "yellow")            # ...until w pushes
    prompt, negative, w, steps, seed = scene(scenes, "t2i-scenes", "Classifier-Free Guidance · a negative prompt")
    digit, colour = read([prompt, negative, w, steps, seed])["centre"]
    assert negative == "yellow" and digit == 3 and colour != "yellow"
