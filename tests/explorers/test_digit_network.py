"""The digit network panel's handlers and its /forward endpoint."""
import gradio as gr
import numpy as np
import pytest
import torch

from core.mlp import forward
from explorers.structure.digit_network import first_layer_weights, forward_endpoint, show_drawing, show_held_out
from models.digit_network import load_digit_network
from tests.handlers import refuses


def test_forward_endpoint_equals_the_networks_own_forward_pass(digits):
    result = forward_endpoint(index=5, activation="relu")
    expected = forward(load_digit_network("relu").params, torch.tensor(digits.x_test[5]), "relu")
    for got, want in zip(result["activations"], expected):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-6)
    assert result["label"] == int(digits.y_test[5]) and result["prediction"] == int(np.argmax(result["outputs"]))
    by_image = forward_endpoint(image=digits.x_test[5].tolist(), activation="relu")
    assert by_image["outputs"] == pytest.approx(result["outputs"]) and by_image["label"] is None


@pytest.mark.parametrize("kwargs, message", [
    ({}, "Give an image"), ({"index": 450}, "between 0 and 449"), ({"index": -1}, "between 0 and 449"),
    ({"image": [0.5] * 63}, "64 numbers"), ({"image": [2.0] * 64}, "between 0 and 1"),
    ({"image": [float("nan")] * 64}, "finite"), ({"index": 1, "activation": "tanh"}, "sigmoid or relu"),
])
def test_forward_endpoint_errors_say_what_is_allowed(kwargs, message):
    with pytest.raises(gr.Error, match=message):
        forward_endpoint(**kwargs)


def test_the_panel_shows_the_formula_with_the_real_numbers(digits):
    formula, image, diagram, outputs, verdict = show_held_out(3, "sigmoid")
    network = load_digit_network("sigmoid")
    activations = forward(network.params, torch.tensor(digits.x_test[3]), "sigmoid")
    j = int(activations[1].argmax())
    assert f"a_{{{j}}} = \\sigma" in formula and f"{activations[1][j].item():.3f}" in formula
    assert f"Prediction: {int(activations[3].argmax())}" in verdict
    np.testing.assert_allclose(outputs.data[0].y, activations[3].numpy(), rtol=1e-6)


@pytest.mark.parametrize("index, activation", [(3, "sigmoid"), (38, "sigmoid"), (38, "relu")])
def test_the_verdict_shows_the_digits_cost_as_the_network_was_trained_on(index, activation, digits):
    from components.formatting import significant
    from core.mlp import cost

    verdict = show_held_out(index, activation)[-1]
    params = load_digit_network(activation).params
    outputs = forward(params, torch.tensor(digits.x_test[index]), activation)[-1].tolist()
    label = int(digits.y_test[index])
    terms = [(a - (1.0 if j == label else 0.0)) ** 2 for j, a in enumerate(outputs)]       # a direct loop
    trained_on = cost(params, torch.tensor(digits.x_test[index:index + 1]), torch.tensor([label]), activation)
    assert sum(terms) == pytest.approx(trained_on.item(), rel=1e-6)                       # the training loss, one digit
    assert f"L = Σⱼ (aⱼ − yⱼ)² = **{significant(sum(terms), 3, latex=False)}**" in verdict
    assert f"({significant(outputs[label], 4, latex=False)} − 1)² = {significant(terms[label], 3, latex=False)}" \
        in verdict
    assert f"(aⱼ − 0)² = {significant(sum(terms) - terms[label], 3, latex=False)}" in verdict


def test_a_blank_drawing_gets_a_message():
    blank = {"background": None, "layers": [], "composite": np.full((280, 280, 4), 255, np.uint8)}
    refuses(lambda: show_drawing(blank, "sigmoid"), "blank")
    refuses(lambda: show_drawing({"composite": None}, "sigmoid"), "blank")


def test_the_canvas_opens_white_with_the_brush_and_a_stroke_on_it_is_read():
    # An empty Sketchpad opened with its image tool selected ("select the draw tool to start"): a learner's first
    # stroke drew nothing. The canvas now opens on a white background (the brush is then selected; the browser test
    # draws without picking a tool) and the bin puts the white background back.
    from explorers.structure.digit_network import blank_canvas, build
    from models.settings import Settings

    with gr.Blocks() as demo:
        build(Settings())
    sketch = next(block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "digit-network-sketch")
    assert sketch.label == "or draw a digit"               # short enough to sit beside the canvas's toolbar
    assert sketch.value["background"] is not None          # not empty: the brush is selected when it opens
    canvas = blank_canvas()
    assert canvas["background"].shape == (280, 280, 3) and canvas["background"].min() == 255
    white = np.dstack([canvas["background"], np.full((280, 280, 1), 255, np.uint8)])     # the composite, RGBA
    refuses(lambda: show_drawing({**canvas, "composite": white}, "sigmoid"), "blank")
    stroke = white.copy()
    stroke[40:240, 130:150, :3] = 0                                                       # a vertical bar: a one
    verdict = show_drawing({**canvas, "composite": stroke}, "sigmoid")[-1]
    assert "Prediction: 1" in verdict and "your drawing" in verdict
    assert "Cost: none for a drawing" in verdict                          # L needs the true label


def test_first_layer_weights_are_the_checkpoints_weights():
    figure = first_layer_weights("relu")
    mosaic = np.asarray(figure.data[0].z, dtype=float)
    W1 = load_digit_network("relu").params["W1"].numpy()
    np.testing.assert_allclose(mosaic[0:8, 0:8], W1[0].reshape(8, 8), rtol=1e-6)
    np.testing.assert_allclose(mosaic[9:17, 9:17], W1[5].reshape(8, 8), rtol=1e-6)


@pytest.mark.parametrize("scene, label, prediction", [
    ("Forward Pass · a clean 0, layer by layer (held-out #1)", 0, 0),
    ("Layers · a 4 it reads as 9 (held-out #38)", 4, 9),
    ("Layers · an 8 it reads as 1 (held-out #43)", 8, 1),
    ("Activation Functions · the same 4, ReLU network (says 8)", 4, 8),
])
def test_every_scene_shows_what_its_label_says(scene, label, prediction):
    """A retrained network or a changed split must not silently break a lecture's scene."""
    from explorers.structure.digit_network import SCENES

    index, activation = SCENES[scene]
    result = forward_endpoint(None, index, activation)
    assert (result["label"], result["prediction"]) == (label, prediction)
    assert set(SCENES) == {"Forward Pass · a clean 0, layer by layer (held-out #1)",
                           "Layers · a 4 it reads as 9 (held-out #38)", "Layers · an 8 it reads as 1 (held-out #43)",
                           "Activation Functions · the same 4, ReLU network (says 8)"}


# Watch it learn: one learner's run, stepped and played within its caps

def learner():
    from explorers.structure.digit_network.training import Learner

    return Learner((3.0, 16, 30))


def test_one_step_twice_is_two_sgd_steps_and_the_formula_says_the_moved_weight():
    from core.mlp_training import start_training, train
    from explorers.structure.digit_network.training import digits_split, reset, step_once

    me = learner()
    formula, status = reset(me, "sigmoid", 4)[:2]
    assert "Epoch 0 of 30" in status and "step 0 " in status and "Press **One step**" in formula
    step_once(me, "sigmoid", 4, 3.0, 16, 30)
    formula, status, weights, curves, followed = step_once(me, "sigmoid", 4, 3.0, 16, 30)
    expected = train(start_training(digits_split(), "sigmoid", 4), digits_split(), 3.0, 16, 2)
    for name, value in expected.params.items():
        torch.testing.assert_close(me.training.params[name], value, rtol=0, atol=0)
    assert "step 2 (32 of 1,347 digits" in status and "Step 2, on a batch of B = 16" in formula
    gradient = expected.last.grads["W1"]
    j, k = divmod(int(gradient.abs().argmax()), 64)
    after = float(expected.params["W1"][j, k])
    assert f"w^{{(1)}}_{{{j},{k}}} \\leftarrow {after + 3 * float(gradient[j, k]):.3f}".replace("-", "−") in formula
    np.testing.assert_allclose(np.asarray(weights.data[0].z, dtype=float)[0:8, 0:8],
                               expected.params["W1"][0].reshape(8, 8).numpy())
    assert len(curves.data[0].x) == 1                                   # no epoch has ended yet


def test_play_trains_in_frames_until_the_epoch_cap_and_says_so(monkeypatch):
    from explorers.structure.digit_network import training
    from explorers.structure.digit_network.training import play, reset

    monkeypatch.setattr(training, "CHUNK_SECONDS", 0.0)
    me = learner()
    reset(me, "sigmoid", 0)
    frames = list(play(me, "sigmoid", 0, 3.0, 64, 2))
    steps = [int(f[1].split("step ")[1].split(" ")[0]) for f in frames]
    assert steps == sorted(steps) and len(frames) >= 4                 # at most half an epoch a frame
    assert me.training.epoch == 2 and "Reached the cap of 2 epochs" in frames[-1][1]
    assert len(frames[-1][3].data[0].x) == 3                            # C at epochs 0, 1, 2
    refuses(lambda: training.step_once(me, "sigmoid", 0, 3.0, 64, 2), "cap of 2 epochs")


def test_pause_another_play_or_one_step_end_the_loop_cleanly(monkeypatch):
    from explorers.structure.digit_network import training
    from explorers.structure.digit_network.training import pause, play, reset, step_once

    monkeypatch.setattr(training, "CHUNK_SECONDS", 0.0)
    me = learner()
    reset(me, "sigmoid", 0)
    first = play(me, "sigmoid", 0, 3.0, 16, 30)
    next(first)
    pause(me)
    assert list(first) == []
    first, second = play(me, "sigmoid", 0, 3.0, 16, 30), play(me, "sigmoid", 0, 3.0, 16, 30)
    next(first), next(second)
    assert list(first) == []                                            # the newer press took over
    step_once(me, "sigmoid", 0, 3.0, 16, 30)
    assert list(second) == []


def test_the_time_caps_pause_play_with_a_message(monkeypatch):
    from explorers.structure.digit_network import training
    from explorers.structure.digit_network.training import play, reset

    monkeypatch.setattr(training, "CHUNK_SECONDS", 0.0)
    monkeypatch.setattr(training, "MAX_PLAY_SECONDS", 0.0)
    me = learner()
    reset(me, "sigmoid", 0)
    frames = list(play(me, "sigmoid", 0, 3.0, 16, 30))
    assert len(frames) == 1 and "Paused after 0 s" in frames[0][1]
    me.seconds = training.SESSION_SECONDS                               # this page has trained its 10 minutes
    frames = list(play(me, "sigmoid", 0, 3.0, 16, 30))
    assert len(frames) == 1 and "trained for 10 minutes in all" in frames[0][1]
    refuses(lambda: training.step_once(me, "sigmoid", 0, 3.0, 16, 30), "10 minutes")


def test_two_learners_each_train_their_own_network():
    import copy

    from explorers.structure.digit_network.training import reset, step_once

    first = learner()
    a, b = copy.deepcopy(first), copy.deepcopy(first)                  # what gr.State does for each browser
    reset(a, "sigmoid", 0), reset(b, "relu", 1)
    for _ in range(3):
        step_once(a, "sigmoid", 0, 3.0, 16, 30)
    assert (a.training.step, b.training.step, b.training.activation, first.training) == (3, 0, "relu", None)


def test_a_reset_while_playing_is_taken_up_at_the_next_frame(monkeypatch):
    from explorers.structure.digit_network import training
    from explorers.structure.digit_network.training import play, reset, set_rates

    monkeypatch.setattr(training, "CHUNK_SECONDS", 0.0)
    me = learner()
    reset(me, "sigmoid", 0)
    running = play(me, "sigmoid", 0, 3.0, 16, 30)
    next(running), next(running)
    reset(me, "relu", 5)                                                # a scene clicked while playing
    next(running)
    assert me.training.activation == "relu" and me.training.seed == 5 and 0 < me.training.step <= 43
    set_rates(me, 0, 16, 30)                                            # η = 0: nothing moves any more
    next(running)
    frozen = me.training.params
    next(running)
    assert all(torch.equal(me.training.params[n], frozen[n]) for n in frozen)
    running.close()


@pytest.mark.parametrize("args, message", [
    (("sigmoid", 0, float("nan"), 16, 30), "learning rate η must be a finite number"),
    (("sigmoid", 0, 1e308, 16, 30), "between 0 and 20"), (("sigmoid", 0, 3.0, 10**9, 30), "batch size"),
    (("sigmoid", 0, 3.0, 16, 0), "epochs must be between 1"), (("sigmoid", -1, 3.0, 16, 30), "seed must be"),
    (("sigmoid", 2**40, 3.0, 16, 30), "seed must be"), (("tanh", 0, 3.0, 16, 30), "sigmoid or relu"),
])
def test_bad_training_settings_are_refused_in_words(args, message):
    from explorers.structure.digit_network.training import play, step_once

    refuses(lambda: step_once(learner(), *args), message)
    with pytest.warns(UserWarning, match=message):
        assert list(play(learner(), *args)) == [gr.skip()]


def test_a_bad_seed_leaves_the_run_as_it_was():
    from explorers.structure.digit_network.training import reset

    me = learner()
    reset(me, "sigmoid", 0)
    run = me.training
    refuses(lambda: reset(me, "sigmoid", float("nan")), "seed must be a finite number")
    refuses(lambda: reset(me, "sigmoid", 1e300), "seed must be between")
    assert me.training is run


def first_epochs(scene: str, epochs: int):
    from core.mlp_training import start_training, train
    from explorers.structure.digit_network.learn import SCENES
    from explorers.structure.digit_network.training import digits_split

    learning_rate, batch_size, _, seed, activation = SCENES[scene]
    split = digits_split()
    return train(start_training(split, activation, seed), split, learning_rate, batch_size, 10**6, epochs)


def test_scene_a_plateau_then_a_fall():
    run = first_epochs("Gradient Descent · η = 3, B = 16: a plateau, then a fall", 8)
    assert all(c > 0.85 for c in run.train_cost[1:4]) and run.test_accuracy[3] < 0.2
    assert run.train_cost[8] < 0.2 and run.test_accuracy[8] > 0.85


def test_scene_a_small_eta_stays_on_the_plateau_and_relu_leaves_it_sooner():
    slow = first_epochs("Gradient Descent · η = 0.3: stuck on the plateau", 10)
    assert all(c > 0.89 for c in slow.train_cost[1:]) and max(slow.test_accuracy) < 0.2
    relu = first_epochs("Activation Functions · ReLU leaves the plateau sooner", 3)
    assert relu.train_cost[3] < 0.75 and relu.test_accuracy[3] > 0.6


def test_scene_too_big_a_step_makes_c_jump_up():
    run = first_epochs("Gradient Descent · η = 10: too big a step, C jumps up", 7)
    assert run.train_cost[7] > run.train_cost[6] + 0.2


@pytest.mark.slow
def test_scene_one_digit_a_step():
    run = first_epochs("SGD · B = 1: 1,347 small steps an epoch", 2)
    assert run.step == 2 * 1347 and run.train_cost[2] < 0.4 and run.test_accuracy[2] > 0.75


# The surprises and break it, on the trained network

def test_pure_noise_gets_a_confident_answer_as_measured_directly(digits):
    from core.mlp_probes import noise_images
    from explorers.structure.digit_network.surprises import N_NOISE, show_surprises

    text, image, bars = show_surprises("sigmoid", 3, False, 0.0, 0)[:3]
    params = load_digit_network("sigmoid").params
    outputs = forward(params, noise_images(N_NOISE, 3), "sigmoid")[-1]                      # (1000, 10)
    top = outputs.max(dim=1).values
    answer = int(outputs[0].argmax())
    subscript = "₀₁₂₃₄₅₆₇₈₉"[answer]
    assert f"read as a {answer}: a{subscript} = {outputs[0, answer].item():.2f}" in text
    assert f"**{(top > 0.5).double().mean().item():.0%}** get a largest output above 0.5" in text
    held = forward(params, torch.tensor(digits.x_test), "sigmoid")[-1].max(dim=1).values
    assert f"of the 450 held-out digits, {(held > 0.5).double().mean().item():.0%} do" in text
    np.testing.assert_allclose(np.asarray(image.data[0].z).ravel(), noise_images(1, 3)[0].numpy())
    np.testing.assert_allclose(bars.data[0].y, outputs[0].numpy(), rtol=1e-5)
    assert (top > 0.5).double().mean().item() > 0.5                   # the surprise holds on the sigmoid network


def test_the_weight_images_are_far_from_the_mean_digits_as_measured_directly(digits):
    from explorers.structure.digit_network.surprises import show_surprises

    text, r_map = show_surprises("relu", 0, False, 0.0, 0)[4:6]
    W1 = load_digit_network("relu").params["W1"].numpy()
    means = np.stack([digits.x_train[digits.y_train == d].mean(axis=0) for d in range(10)])
    r = np.corrcoef(np.vstack([W1, means]))[:16, 16:]                                        # (16, 10)
    np.testing.assert_allclose(np.asarray(r_map.data[0].z), r, rtol=1e-5)
    best = np.abs(r).max(axis=1)
    assert f"best |r| is {best.min():.2f} to {best.max():.2f} (median {np.median(best):.2f})" in text
    assert best.max() < 0.5 and "look like none of the digits" in text


@pytest.mark.parametrize("drop, sigma, zero", [(True, 0.0, 0), (False, 0.5, 0), (False, 0.0, 2), (True, 1.0, 3)])
def test_break_it_accuracies_equal_core_mlp_on_params_changed_by_hand(drop, sigma, zero, digits):
    from core.mlp import accuracy
    from explorers.structure.digit_network.surprises import show_broken

    formula, text, curve = show_broken("sigmoid", 2, drop, sigma, zero)
    params = load_digit_network("sigmoid").params
    generator = torch.Generator().manual_seed(2)
    by_hand = {}
    for l in (1, 2, 3):
        noise = torch.randn(params[f"W{l}"].shape, generator=generator)
        by_hand[f"W{l}"] = torch.zeros_like(noise) if l == zero else params[f"W{l}"] + sigma * noise
        by_hand[f"b{l}"] = torch.zeros(len(params[f"b{l}"])) if drop or l == zero else params[f"b{l}"]
    x, y = torch.tensor(digits.x_test), torch.tensor(digits.y_test)
    intact, after = accuracy(params, x, y, "sigmoid"), accuracy(by_hand, x, y, "sigmoid")
    assert f"intact **{intact:.1%}** → broken **{after:.1%}**" in text
    assert curve.data[1].y[0] == pytest.approx(100 * after) and curve.data[0].x[0] == 0
    assert ("b^{(1)} = b^{(2)} = b^{(3)} = 0" in formula) == drop and (f"W^{{({zero})}} = 0" in formula) == bool(zero)


def test_break_scenes_say_what_they_show():
    from explorers.structure.digit_network.surprises import SCENES, show_broken

    biases = show_broken("sigmoid", 0, *SCENES["Weights & Bias · drop every bias: does it care?"])[1]
    assert "rose by 0.7 points" in biases                     # the sigmoid network does not need its biases here
    assert "fell by" in show_broken("relu", 0, *SCENES["Weights & Bias · drop every bias: does it care?"])[1]
    zeroed = show_broken("sigmoid", 0, *SCENES["Layers · zero layer 2: one answer for every digit"])[1]
    assert "broken **10.2%**" in zeroed                       # one answer for all: the share of that digit
    noisy = show_broken("sigmoid", 0, *SCENES["Weights & Bias · noise σ = 0.5 on every weight"])[1]
    assert "broken **90.2%**" in noisy


@pytest.mark.parametrize("args, message", [
    (("sigmoid", 0, False, float("nan"), 0), "weight noise σ must be a finite number"),
    (("sigmoid", 0, False, 4.0, 0), "between 0 and 3"), (("sigmoid", 0, False, 1e308, 0), "between 0 and 3"),
    (("sigmoid", 0, False, 0.0, 7), "layer to zero"), (("sigmoid", -5, False, 0.0, 0), "seed must be"),
    (("sigmoid", float("inf"), False, 0.0, 0), "seed must be a finite number"),
])
def test_bad_break_settings_are_refused_in_words(args, message):
    from explorers.structure.digit_network.surprises import show_broken, show_surprises

    refuses(lambda: show_broken(*args), message)
    refuses(lambda: show_surprises(*args), message)


def test_the_link_sets_the_new_parts_and_unfolds_them():
    from explorers.structure.digit_network import build
    from models.settings import Settings

    with gr.Blocks():
        link = build(Settings())
    assert link.panel == "digit-network" and {"i", "f", "eta", "batch", "epochs", "seed", "learn_f", "noise_seed",
                                              "nobias", "sigma", "zero"} == set(link.controls)
    learn, surprises = link.folds
    assert learn.holds(link.controls["eta"]) and surprises.holds(link.controls["sigma"])
    assert not learn.holds(link.controls["i"]) and not surprises.holds(link.controls["f"])
