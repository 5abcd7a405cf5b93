"""The guidance panel: the batched sweep equals one run per weight, the grid and curves show the sweep's numbers,
the text sweep (a tiny random Stable Diffusion pipeline, conftest.py) measures diversity by brute force, bad
weights and caps are refused; its scenes show guidance trading diversity for faithfulness."""
import gradio as gr
import numpy as np
import pytest
import torch

from core.diffusion import noise_schedule, sample, sampling_timesteps
from explorers.generation.guidance import digit_sweep
from explorers.generation.guidance.text import run_text_sweep, text_cfg_sweep_endpoint
from models.digit_classifier import load_digit_classifier
from models.digit_diffusion import load_digit_diffusion
from tests.handlers import refuses


@pytest.mark.slow
def test_batched_sweep_equals_separate_runs_with_the_trained_weights(settings):
    """Over the full 50 DDIM steps with the trained U-Net, one batched call per step = one run per weight."""
    weights = [0.0, 2.0, 8.0]
    result = digit_sweep.cfg_sweep_endpoint(settings, 6, weights, 2, 50, 4)
    model = load_digit_diffusion()
    _, alphas_cumprod = noise_schedule(model.schedule)
    noise = torch.randn((2, 1, 16, 16), generator=torch.Generator().manual_seed(4))
    for k, w in enumerate(weights):
        alone = sample(model.unet, 6, [w], noise, alphas_cumprod, sampling_timesteps(50), model.no_label).final
        np.testing.assert_allclose(result["images"][k], alone[:, 0].numpy(), atol=1e-3)
        probabilities = load_digit_classifier().probabilities(alone)
        assert result["accuracy"][k] == pytest.approx(float((probabilities.argmax(-1) == 6).float().mean()))
        assert result["confidence"][k] == pytest.approx(float(probabilities[:, 6].mean()), abs=1e-5)
    assert result["guidance_scale"] == [1.0, 3.0, 9.0]


def test_sweep_panel_draws_one_column_per_weight(settings):
    formula, grid_figure, curves, status = digit_sweep.run_sweep(settings, 2, "0, 3", 2, 5, 0)
    assert list(grid_figure.layout.xaxis.ticktext) == ["w=0", "w=3"]
    assert np.asarray(grid_figure.data[0].z).shape == (2 * 18 - 2, 2 * 18 - 2)
    assert list(curves.data[0].x) == [0.0, 3.0] and "guidance\\_scale" in formula and "w=3" in status
    table = digit_sweep.sweep(2, (0.0, 3.0), 2, 5, 0)["table"]
    endpoint = digit_sweep.cfg_sweep_endpoint(settings, 2, [0, 3], 2, 5, 0)
    np.testing.assert_allclose(endpoint["images"], table.transpose(1, 0, 2, 3))


@pytest.mark.parametrize("weights, accuracy, confidence, expected", [
    ([0, 0.5, 1, 3], [0.75, 1.0, 1.0, 1.0], [0.8, 0.995, 0.999, 1.0], 1),   # ties: the smallest w within 0.01
    ([0, 0.5, 1, 3], [0.75, 1.0, 1.0, 1.0], [0.8, 0.95, 0.999, 1.0], 2),    # 0.95 is not within 0.01 of 1.0
    ([3, 0, 1], [1.0, 0.5, 1.0], [0.99, 0.6, 0.995], 2),                      # unsorted weights: w = 1 < w = 3
    ([0, 2], [0.0, 0.0], [0.1, 0.3], 1),                                      # nothing right: the most confident
])
def test_the_headline_weight_is_the_smallest_with_the_best_result(weights, accuracy, confidence, expected):
    assert digit_sweep.smallest_best(weights, accuracy, confidence) == expected
    result = {"weights": weights, "accuracy": accuracy, "confidence": confidence, "relative_diversity": [1.0] * 4}
    assert f"**w = {weights[expected]:g}**" in digit_sweep.formula(result, 7)


@pytest.mark.parametrize("text, words", [("0, 1, x", "numbers separated by commas"), ("", "1 to 10"),
                                         (", ".join(["1"] * 11), "1 to 10"), ("0, 21", "between 0 and 20"),
                                         ("nan", "finite")])
def test_weights_text_is_checked(settings, text, words):
    refuses(lambda: digit_sweep.run_sweep(settings, 3, text, 2, 5, 0), words)


@pytest.mark.parametrize("args, words", [((3, [1.0], 9, 5, 0), "between 1 and 8"), ((3, [1.0], 2, 51, 0), "1 and 50"),
                                         ((3, [1.0] * 11, 2, 5, 0), "1 to 10"), ((3, [float("inf")], 2, 5, 0), "finite")])
def test_sweep_caps_are_enforced(settings, args, words):
    with pytest.raises(gr.Error, match=words):
        digit_sweep.cfg_sweep_endpoint(settings, *args)


def test_the_text_sweep_has_a_column_per_weight_and_brute_force_diversity(sd_settings):
    result = text_cfg_sweep_endpoint(sd_settings, "a lighthouse ☀", [0, 2, 6], 3, 4, 1)
    images = np.array(result["images"])                                   # (K, n, S, S, 3)
    assert images.shape == (3, 3, 16, 16, 3) and 0 <= images.min() and images.max() <= 1
    for column, diversity in zip(images, result["diversity"]):
        pairs = [np.sqrt(np.mean((column[i] - column[j]) ** 2)) for i in range(3) for j in range(i + 1, 3)]
        assert diversity == pytest.approx(np.mean(pairs), abs=2e-3)       # images were rounded to 3 decimals
    figure, status = run_text_sweep(sd_settings, "a lighthouse", "", "0, 2, 6", 2, 3, 0)
    assert figure.data[0].type == "image" and "w=6: " in status and "guidance_scale" in status
    assert result["accuracy"] is None and "No judge reads this prompt" in status      # a hub model: no judge
    assert result["clip_diversity"] is None and "what they show" not in status        # nor the scenes' CLIP


def test_the_bundled_models_sweep_also_measures_diversity_in_the_scenes_clip_space(settings):
    from models.scene_clip import load_scene_clip

    result = text_cfg_sweep_endpoint(settings, "a red seven", [0, 4], 3, 4, 2)
    images = torch.tensor(result["images"]).permute(0, 1, 4, 2, 3)                     # (K, n, 3, S, S)
    clip = load_scene_clip()
    for column, diversity in zip(images, result["clip_diversity"]):
        e = clip.image_embeddings(column)
        pairs = [1 - float(torch.cosine_similarity(e[i], e[j], dim=0)) for i in range(3) for j in range(3) if i != j]
        assert diversity == pytest.approx(np.mean(pairs), abs=2e-3)       # images were rounded to 3 decimals
    _, status = run_text_sweep(settings, "a red seven", "", "0, 4", 2, 4, 2)
    assert "Diversity of what they show" in status and "Pixel distance" in status


def test_a_negative_prompt_replaces_the_empty_one(sd_settings):
    plain = np.array(text_cfg_sweep_endpoint(sd_settings, "a lighthouse", [0, 4], 2, 4, 1)["images"])
    pushed = np.array(text_cfg_sweep_endpoint(sd_settings, "a lighthouse", [0, 4], 2, 4, 1, "a storm")["images"])
    assert np.allclose(plain[0], pushed[0])                    # w = 0 never reads the unconditional branch
    assert np.abs(plain[1] - pushed[1]).max() > 1e-3           # w = 4 reads the negative prompt instead of ""
    _, status = run_text_sweep(sd_settings, "a lighthouse", "a storm", "0, 4", 2, 3, 0)
    assert "negative prompt **a storm**" in status


@pytest.mark.parametrize("prompt, weights, message", [
    ("", [0, 1], "Type a prompt"),
    ("x" * 5000, [0, 1], "keep it under 300"),
    ("a cat", [float("nan")], "finite"),
    ("a cat", [0, 99], "between 0 and 20"),
])
def test_bad_text_sweep_inputs_get_a_short_message(sd_settings, prompt, weights, message):
    with pytest.raises(gr.Error, match=message):
        text_cfg_sweep_endpoint(sd_settings, prompt, weights, 2, 3, 0)


def test_guidance_scenes(app_scene):
    from explorers.generation.guidance.digit_sweep import checked, sweep

    for start, digit in (("Classifier-Free Guidance · a w sweep 0 … 12 for a 3", 3),
                         ("Classifier-Free Guidance · the same sweep for a 7", 7)):
        asked, weights, samples, steps, seed = checked(*app_scene("guidance-scenes", start))
        assert asked == digit and (min(weights), max(weights)) == (0, 12), start
        assert sweep(asked, weights, samples, steps, seed)["accuracy"][-1] >= 0.75, start   # the judge reads it
    asked, weights, samples, steps, seed = checked(*app_scene("guidance-scenes", "Classifier-Free Guidance · 8"))
    result = sweep(asked, weights, samples, steps, seed)
    assert weights == (0, 3) and samples == 8 and result["table"].shape[:2] == (8, 2)
    assert result["relative_diversity"][1] < result["relative_diversity"][0]      # pushed harder, more alike


def test_the_text_scenes_show_faithfulness_growing_with_w_and_a_negative_prompt_pushing_away(app_scene, settings):
    """The digit model reads as the digit at w = 0 already (its sweep shows only the cost); the default prompt's
    faithfulness grows with w: 0 of 4 samples of seed 0 right at w = 0, 3 of 4 at w = 0.5 and 1, all 4 from w = 2
    on, and the diversity of what they show falls with it, then levels off (it does not keep falling). With the
    negative prompt 'red', no seven at w = 3 is red or orange (4 of 8 at w = 0, which never reads it)."""
    from explorers.generation.guidance.text import DEFAULT_PROMPT, text_sweep
    from models.scene_judge import COLOUR_NAMES, SLOTS, load_scene_judge, read_scenes

    def sweep(start):
        prompt, negative, weights, samples, steps, seed = app_scene("guidance-text-scenes", start)
        return text_sweep(settings, prompt, weights, samples, steps, seed, negative)

    r = sweep("Classifier-Free Guidance · a prompt")
    assert r["prompt"] == DEFAULT_PROMPT and r["negative"] == ""
    faithful, diversity = dict(zip(r["weights"], r["accuracy"])), dict(zip(r["weights"], r["clip_diversity"]))
    assert faithful[0] <= 0.25 < 0.75 <= faithful[1] and all(faithful[w] == 1.0 for w in r["weights"] if w >= 2)
    assert max(diversity[w] for w in r["weights"] if w >= 2) < 0.5 * diversity[0]       # faithful and alike
    assert min(diversity[w] for w in r["weights"] if w >= 2) > 0.5 * diversity[2]       # then level, not falling
    assert digit_sweep.sweep(3, (0.0,), 4, 50, 0)["accuracy"] == [1.0]                   # the digit: right at w = 0

    r = sweep("Classifier-Free Guidance · a seven, negative")
    assert (r["prompt"], r["negative"], r["weights"]) == ("a seven", "red", [0.0, 3.0])
    warm = [COLOUR_NAMES.index("red"), COLOUR_NAMES.index("orange")]
    warm_samples = []
    for k in range(2):
        images = torch.from_numpy(np.ascontiguousarray(r["table"][:, k].transpose(0, 3, 1, 2)))   # (n, 3, S, S)
        _, colours = read_scenes(load_scene_judge(), images)
        warm_samples.append(int(np.isin(colours[:, SLOTS.index("centre")].numpy(), warm).sum()))
    assert warm_samples[0] >= 3 and warm_samples[1] == 0                # 4 of 8 at w = 0, none at w = 3


def test_a_link_that_sets_the_prompt_opens_the_text_part_drawn(settings):
    """/guidance?prompt=...&weights=0,1,2,4: the text part is a fold the link opens (and draws, components/page.py);
    its prompt and negative prompt are in the link, the weights shared with the digit part."""
    from components.page import Page, linked_state
    from explorers.generation.guidance import build

    with gr.Blocks():
        link = build(settings)
        presenter, bar = gr.Checkbox(False), gr.HTML("")
    (part,) = link.folds
    prompt, negative, weights = (link.controls[name] for name in ("prompt", "negative", "weights"))
    assert part.accordion.open is False and part.holds(prompt) and part.holds(negative) and not part.holds(weights)
    state = linked_state({"guidance": Page(link, presenter, bar)}, {})
    opened = state("guidance", {"prompt": "a yellow three on the left and a blue eight on the right",
                                "weights": "0,1,2,4"})
    assert opened[part.accordion._id] == {"open": True} and opened[part.unfolded._id] == {"value": True}
    assert opened[prompt._id]["value"].startswith("a yellow three") and opened[weights._id] == {"value": "0,1,2,4"}
    assert part.accordion._id not in state("guidance", {"digit": "7"})                  # the digit part alone


def test_the_card_says_stable_diffusions_typical_scales_in_this_apps_w(settings):
    """A real checkpoint's 7-15 are guidance_scale values (w + 1): w = 6-14 here, below the app's largest w."""
    from core.diffusion import MAX_GUIDANCE
    from explorers.generation.guidance import build

    with gr.Blocks() as demo:
        build(settings)
    texts = " ".join(str(b.value) for b in demo.blocks.values() if isinstance(b, gr.Markdown))
    assert "`guidance_scale` is w + 1" in texts and "7-15" in texts and "w = 6-14 here" in texts
    assert f"w goes up to {MAX_GUIDANCE:g}" in texts and 14 < MAX_GUIDANCE
