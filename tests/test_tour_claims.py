"""What the series tour's narration and reveals claim, checked on the live computations (a retrained model or a
changed default must not leave a lecture saying something the view contradicts)."""
import numpy as np
import pytest
import torch

from components.tour import bundled_tours
from core.landscape import descend_surface

SERIES = bundled_tours()["series"]


def stop(card: str, panel: str):
    return next(s for s in SERIES.stops if s.card == card and s.panel == panel)


def toy_path(settings: dict):
    _, path = descend_surface(settings["s"], float(settings["x"]), float(settings["y"]), float(settings["eta"]),
                              float(settings["mu"]), int(settings["n"]))
    return path


def test_cost_stop_the_revealed_start_reaches_a_lower_valley():
    s = stop("Cost Function", "descent")
    here, there = toy_path(s.settings), toy_path({**s.settings, **s.reveal})
    assert float(there.costs[-1]) < float(here.costs[-1]) - 0.5


def test_gradient_stop_lingers_at_step_13_leaves_later_and_never_leaves_from_y_0():
    s = stop("Gradient / ∇", "descent")
    path = toy_path(s.settings)
    k = int(s.settings["k"])
    assert abs(path.points[k]).max() < 0.15 and abs(float(path.points[-1][1])) > 1.0     # by the saddle, then off
    assert float(toy_path({**s.settings, **s.reveal}).points[-1][1]) == 0.0              # y = 0: never leaves
    assert s.answer == "no"


def test_gradient_descent_stop_reaches_the_bottom_and_the_reveal_diverges():
    s = stop("Gradient Descent", "descent")
    assert float(toy_path(s.settings).costs[-1]) < 1e-3
    assert toy_path({**s.settings, **s.reveal}).diverged or float(toy_path({**s.settings, **s.reveal}).costs[-1]) > 100
    assert s.answer == "no"                                                 # the class's answer: it does not


def titled(title: str):
    return next(s for s in SERIES.stops if s.title == title)


def sweep_of(settings, stop_settings: dict) -> dict:
    from explorers.generation.guidance.text import text_sweep

    s = stop_settings
    return text_sweep(settings, s["prompt"], s["weights"], int(s["samples"]), int(s["steps"]), int(s["seed"]),
                      s["negative"])


@pytest.mark.slow
def test_guidance_stop_no_sample_is_faithful_at_w_0_and_every_one_is_from_the_answer_on(settings):
    s = titled("Guidance: (w+1)·ε_cond − w·ε_uncond")
    assert sweep_of(settings, s.settings)["accuracy"] == [0.0]                  # none of the four at w = 0
    r = sweep_of(settings, {**s.settings, **s.reveal})
    faithful = dict(zip(r["weights"], r["accuracy"]))
    first = float(s.answer.removeprefix("w = "))
    assert all(faithful[w] == 1.0 for w in r["weights"] if w >= first)          # every sample from w = 2 on
    assert all(faithful[w] < 1.0 for w in r["weights"] if w < first)            # and not before
    assert s.answer in s.choices


@pytest.mark.slow
def test_negative_prompt_stop_some_sevens_are_warm_at_w_3_and_none_after_the_reveal(settings):
    from models.scene_judge import COLOUR_NAMES, SLOTS, load_scene_judge, read_scenes

    def warm_at_w_3(stop_settings: dict) -> int:
        r = sweep_of(settings, stop_settings)
        column = r["table"][:, r["weights"].index(3.0)]                          # (n, S, S, 3)
        images = torch.from_numpy(np.ascontiguousarray(column.transpose(0, 3, 1, 2)))           # (n, 3, S, S)
        _, colours = read_scenes(load_scene_judge(), images)
        warm = [COLOUR_NAMES.index("red"), COLOUR_NAMES.index("orange")]
        return int(np.isin(colours[:, SLOTS.index("centre")].numpy(), warm).sum())

    s = titled("A negative prompt is what the push points away from")
    assert warm_at_w_3(s.settings) >= 2                                         # "some ... red or orange"
    assert warm_at_w_3({**s.settings, **s.reveal}) == 0 and s.answer == "none"


def test_clip_stop_every_held_out_image_picks_its_own_caption_and_the_reveal_is_sure(settings):
    from explorers.generation.clip.batch import show_batch

    s = stop("CLIP (Text + Image Bridge)", "clip")
    _, matrix, note, _ = show_batch(settings, **s.settings)
    assert note.startswith("**8 of 8**")
    _, revealed, _, _ = show_batch(settings, **{**s.settings, **s.reveal})
    import numpy as np

    assert np.diag(np.array(revealed.data[0].z, dtype=float)).min() > 0.5


def test_playground_stop_xor_stays_at_chance_without_a_hidden_layer_and_is_learned_with_one():
    from core.playground import accuracy, feature_matrix, train
    from explorers.learning.playground.handlers import new_session

    s = stop("Layers", "playground")

    def test_accuracy(settings: dict) -> float:
        widths = [int(settings.get(f"n{k}", 4)) for k in range(1, 5)]
        session = new_session(settings["data"], float(settings["noise"]), float(settings["train"]),
                              int(settings["seed"]), settings["features"].split(","), int(settings["layers"]),
                              widths, settings["f"])
        run = train(session.run, session.data, float(settings["lr"]), int(settings["batch"]), float(settings["l2"]),
                    3000)
        return accuracy(run.params, run.net, feature_matrix(session.data.test_points, run.net.features),
                        session.data.test_labels)

    assert abs(test_accuracy(s.settings) - 0.5) < 0.1                   # "hovers near 50 %"
    assert test_accuracy({**s.settings, **s.reveal}) > 0.95


def test_text_to_image_stop_follows_the_prompt_and_the_reveal_does_not(settings):
    import torch

    from explorers.generation.text_to_image import generate
    from models.image_pipeline import app_image_pipeline
    from models.scene_judge import COLOUR_NAMES, SLOTS, load_scene_judge, read_scenes

    s = stop("Latent Diffusion (Speed)", "text-to-image")
    judge = load_scene_judge()

    maps = {}

    def sides(settings_: dict) -> tuple:
        r = generate(settings, settings_["prompt"], settings_["negative"], float(settings_["w"]),
                     int(settings_["steps"]), int(settings_["seed"]))
        half = r["maps"].shape[-1] // 2
        maps.update({word: r["maps"][i, :, :half].sum() > r["maps"][i, :, half:].sum() for i, word in r["tokens"]})
        digits, colours = read_scenes(judge, torch.from_numpy(r["image"]).permute(2, 0, 1)[None].float())
        return tuple((int(digits[0, SLOTS.index(side)]), COLOUR_NAMES[int(colours[0, SLOTS.index(side)])])
                     for side in ("left", "right"))

    assert sides(s.settings) == ((7, "red"), (2, "blue"))                 # the stop's image is what it asks for
    assert "'red' and 'seven' on the left" in s.narration                 # ... and its maps are where it says
    assert [maps[w] for w in ("red", "seven", "blue", "two")] == [True, True, False, False]
    pipe = app_image_pipeline(settings)
    c, h, w = pipe.latent_shape
    pixels, latent = 3 * pipe.image_side ** 2, c * h * w
    assert f"= {pixels:,} numbers become" in s.narration and f"= {latent}." in s.narration
    assert f"{pixels:,}" in s.question and f"{latent}-number" in s.question
    assert s.reveal == {"runs": "5"}                      # the reveal times one step (a link that sets it unfolds it)


def test_batch_stop_the_5_and_the_8_pull_apart_and_one_example_alone_is_far_larger():
    """The stop says #940 (a 5) wants the weight smaller and #948 (an 8) larger by almost as much, so the batch's
    average is far smaller than either; its reveal (n = 1) leaves #940's own gradient."""
    from core.backprop import batch_backprop, weight_gradients
    from explorers.learning.backprop.batch import training_batch
    from models.digit_network import load_digit_network

    s = stop("SGD — Mini-batch", "backprop")
    activation, weight = s.settings["f"], (int(s.settings["l"]), int(s.settings["j"]), int(s.settings["k"]))

    def gradients(n):
        xs, labels, numbers = training_batch(int(s.settings["i"]), n)
        batch = batch_backprop(load_digit_network(activation).params, xs, labels, activation)
        return dict(zip(numbers, weight_gradients(batch, *weight).tolist())), labels.tolist()

    each, labels = gradients(int(s.settings["n"]))
    assert labels[0] == 5 and labels[8] == 8 and each[940] > 0 > each[948]       # smaller, larger
    assert 0.5 < each[940] / -each[948] < 2                                      # by almost as much
    average = sum(each.values()) / len(each)
    assert abs(average) < 0.1 * min(each[940], -each[948])                        # far smaller than either
    alone, _ = gradients(int(s.reveal["n"]))
    assert alone == {940: pytest.approx(each[940])} and abs(alone[940]) > 10 * abs(average)


def test_fact_neuron_stop_fires_for_michael_jordan_and_not_for_michael_phelps():
    from core.fact_neuron import fact_mlp, fire, stream

    s = stop("MLP Block (Fact Storage)", "residual")
    mlp = fact_mlp(float(s.settings["bias"]))

    def read(settings):
        return fire(mlp, stream(mlp, {name.capitalize(): float(settings[name])
                                      for name in ("michael", "jordan", "phelps")})).read

    assert read(s.settings) == pytest.approx(1.0) and read({**s.settings, **s.reveal}) == 0.0 and s.answer == "no"


def test_clip_arithmetic_stop_red_leads_blue_trails_and_seven_minus_one_does_not_lead_with_seven():
    from explorers.generation.clip.arithmetic import show_arithmetic
    from models.settings import Settings

    s = next(x for x in SERIES.stops if x.panel == "clip" and "a_digit" in x.settings)

    def labels(settings):
        _, _, bars, _ = show_arithmetic(Settings(), settings["a_digit"], settings["a_colour"], settings["b_digit"],
                                        settings["b_colour"], int(settings["arithmetic_seed"]), int(settings["K"]),
                                        settings.get("word", ""))
        return list(bars.data[0].y)

    shown = labels(s.settings)
    assert shown[0] == "1. red" and shown[-1] == "28. blue"
    assert "1. seven" not in labels({**s.settings, **s.reveal}) and s.answer == "no"


def test_relation_stop_16_3_looks_hardest_from_it_to_trophy_and_does_not_write_trophy(language_model):
    """The question's premise and its answer, on the live model: head 16/3 ranks first for 'it' -> 'trophy', and the
    tokens its write promotes (its logit lens) do not include trophy."""
    from core.attention import head_write, record_attention, relation_ranking

    s = next(x for x in SERIES.stops if x.panel == "attention" and "relation_query" in x.settings)
    ids = language_model.tokenizer(s.settings["prompt"], add_special_tokens=False).input_ids
    query, key = int(s.settings["relation_query"]), int(s.settings["relation_key"])
    assert language_model.tokenizer.decode(ids[query]).strip() == "it"
    assert language_model.tokenizer.decode(ids[key]).strip() == "trophy"
    record = record_attention(language_model.model, ids)
    layer, head, weight = relation_ranking(record.pattern, query, key)[0]
    assert (layer, head) == (int(s.reveal["layer"]), int(s.reveal["head"])) and weight > 0.5
    promoted = head_write(language_model.model, record, layer, head, query).logits.topk(20).indices.tolist()
    assert not {t for t in promoted if "trophy" in language_model.tokenizer.decode([t]).lower()}
    assert s.answer == "no"


def test_digit_learning_stop_a_plateau_near_0_9_then_a_fall_past_95_percent():
    from core.mlp_training import start_training, train
    from explorers.structure.digit_network.training import digits_split

    s = next(x for x in SERIES.stops if x.panel == "digit-network" and "eta" in x.settings)
    split = digits_split()
    run = train(start_training(split, s.settings["learn_f"], int(s.settings["seed"])), split,
                float(s.settings["eta"]), int(s.settings["batch"]), 10**6, int(s.settings["epochs"]))
    assert all(0.8 < c < 1.0 for c in run.train_cost[1:4]) and run.train_cost[-1] < 0.1
    assert run.test_accuracy[-1] > 0.95


def test_noise_stop_the_network_picks_a_digit_often_confidently():
    from core.mlp_probes import noise_images, top_outputs
    from models.digit_network import load_digit_network

    s = next(x for x in SERIES.stops if x.panel == "digit-network" and "noise_seed" in x.settings)
    sure, _ = top_outputs(load_digit_network(s.settings["f"]).params, noise_images(1000, int(s.settings["noise_seed"])),
                          s.settings["f"])
    assert float((sure > 0.5).float().mean()) > 0.5 and float(sure.max()) > 0.9


def test_no_noise_stop_ddpm_without_its_noise_piles_up_where_ddpm_spreads():
    import re

    from explorers.generation.vector_field.sampling import sampling_view

    s = next(x for x in SERIES.stops if x.panel == "vector-field" and "samplers" in x.settings)
    args = (s.settings["data"], -1, 0.0, int(s.settings["steps"]), int(s.settings["n"]), int(s.settings["seed"]))
    note = sampling_view(*args, s.reveal["samplers"].split(","))[3]
    spread = {name: float(value) for name, value in re.findall(r"^\| ([^|]+) \|[^|]+\|[^|]+\| ([\d.]+) \|$", note, re.M)}
    assert spread["DDPM without its noise"] < 0.05 < 1.0 < spread["DDPM (fresh noise each step)"]
    assert "DDPM without its noise" not in sampling_view(*args, s.settings["samplers"].split(","))[3]


def denoising_stop(title_starts: str):
    return next(x for x in SERIES.stops if x.panel == "denoising" and x.title.startswith(title_starts))


def test_ask_stop_the_noise_is_easier_to_find_at_t_950_than_at_t_20(settings):
    from explorers.generation.denoising.ask import asked

    s = denoising_stop("What it is trained to do")
    loss = {t: asked(settings, int(s.settings["ask_digit"]), int(t), int(s.settings["ask_seed"]), True)["loss"]
            for t in (s.settings["ask_t"], s.reveal["ask_t"])}
    assert loss[s.reveal["ask_t"]] < loss[s.settings["ask_t"]] / 10          # smaller, by far (0.0008 vs 0.09)
    assert s.answer == "smaller"


def final_reading(settings_: dict, cuts: tuple = ()) -> tuple:
    """The last x0_hat of the stepper's run and the digit classifier's reading of it."""
    import torch

    from explorers.generation.denoising.unet import checked_cuts, trajectory
    from models.digit_classifier import load_digit_classifier
    from models.digit_diffusion import load_digit_diffusion

    skips, bottleneck = checked_cuts(list(cuts), load_digit_diffusion(device="cpu").config)
    run = trajectory(int(settings_["digit"]), int(settings_["seed"]), int(settings_["steps"]), float(settings_["w"]),
                     settings_["sampler"], "cpu", skips, bottleneck)
    final = run["x0_hat"][-1]
    return final, load_digit_classifier().probabilities(torch.tensor(final)[None, None]).numpy()[0]


def test_two_samplers_stop_ddpm_draws_another_3_from_the_same_noise():
    import numpy as np

    s = denoising_stop("Same noise, two samplers")
    assert s.settings["step"] == s.settings["steps"]                               # the last step is shown
    ddim, read_ddim = final_reading(s.settings)
    ddpm, read_ddpm = final_reading({**s.settings, **s.reveal})
    assert read_ddim.argmax() == read_ddpm.argmax() == 3 and min(read_ddim[3], read_ddpm[3]) > 0.9
    assert np.sqrt(np.mean((ddim - ddpm) ** 2)) > 0.1                              # another picture, not the same
    assert s.answer == "another 3"


def test_skips_stop_cutting_4x4_keeps_the_3_and_cutting_16x16_loses_it():
    s = denoising_stop("A U-Net's skips concatenate")
    _, kept = final_reading(s.settings, s.settings["cut"].split(","))
    _, lost = final_reading(s.settings, s.reveal["cut"].split(","))
    assert kept.argmax() == 3 and kept[3] > 0.9 and "still read as a 3" in s.narration
    assert lost.argmax() != 3 and lost[3] < 0.5 and s.answer == "no"


def test_field_arithmetic_stop_the_classifier_arrows_are_half_at_t_150_and_almost_nothing_at_t_900():
    import torch

    from explorers.generation.vector_field.field import field_at, grid_points, load_toy_diffusion, score

    s = next(x for x in SERIES.stops if x.panel == "vector-field" and x.title == "Guidance is field arithmetic")
    model = load_toy_diffusion(s.settings["data"])
    grid, _ = grid_points(int(s.settings["grid"]))

    def classifier_share(t: int) -> float:
        """The mean length of the classifier's arrows over the grid, over that of the no-class arrows."""
        at = field_at(model.network, torch.from_numpy(grid), t, int(s.settings["class"]), float(s.settings["w"]),
                      model.no_label, model.alphas_cumprod)
        uncond, cond = (score(at[k], model.alphas_cumprod[t]) for k in ("uncond", "cond"))
        return float((cond - uncond).norm(dim=1).mean() / uncond.norm(dim=1).mean())

    assert 0.3 < classifier_share(int(s.settings["t"])) < 0.7 and "about half as long" in s.narration
    assert classifier_share(int(s.reveal["t"])) < 0.05 and s.answer == "almost nothing"


def test_two_paths_stop_x_grad_is_one_paths_product_then_the_sum_of_both_and_flips_sign():
    from core.compute_graph import compute_graph, path_product, paths_to, snapshot

    s = next(x for x in SERIES.stops if x.panel == "backprop" and x.title.startswith("Two paths"))
    graph = compute_graph(s.settings["expr"], s.settings["vals"])
    x = next(i for i in graph.variables if graph.nodes[i].name == "x")
    products = [path_product(graph, path) for path in paths_to(graph, x)]
    before, after = (snapshot(graph, int(k)).grads[x] for k in (s.settings["step"], s.reveal["step"]))
    assert len(products) == 2 and before == pytest.approx(0.0645, abs=5e-5) and "0.0645" in s.narration
    assert sorted(round(p, 3) for p in products) == [-0.111, 0.064] and "−0.111" in s.narration
    assert after == pytest.approx(sum(products)) == pytest.approx(graph.grads[x]) and after < 0
    assert s.answer == "below 0: its sign flips"
