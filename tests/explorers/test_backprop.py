"""The backprop panel: each number it shows equals torch autograd (one example's, and a batch's looped example by
example and as the mean cost); errors say what is allowed."""
import re

import gradio as gr
import numpy as np
import pytest
import torch

from components.formatting import significant
from core.mlp import cost, forward
from explorers.learning.backprop.batch import explain_batch, training_batch
from explorers.learning.backprop.one_example import backprop_endpoint, explain, neuron_ranges, take_step
from models.digit_network import load_digit_network
from models.digits import load_digits_split
from tests.handlers import refuses


def read_number(text: str) -> float:
    """A number as significant() writes it for a sentence, back to a float."""
    mantissa, _, power = text.partition(" × 10")
    return float(mantissa) * 10.0 ** int(power.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")) or 0)


def autograd(index, activation, digits):
    params = {n: v.double().clone().requires_grad_(True) for n, v in load_digit_network(activation).params.items()}
    loss = cost(params, torch.tensor(digits.x_train[index]).double()[None], torch.tensor([digits.y_train[index]]),
                activation)
    loss.backward()
    return {n: p.grad.numpy() for n, p in params.items()}, loss.item()


@pytest.mark.parametrize("activation, layer, j, k", [("sigmoid", 3, 2, 7), ("relu", 2, 4, 9), ("sigmoid", 1, 6, 36)])
def test_endpoint_factors_multiply_to_autograds_gradient(activation, layer, j, k, digits):
    result = backprop_endpoint(11, layer, j, k, activation)
    grads, loss = autograd(11, activation, digits)
    assert result["gradient"] == pytest.approx(grads[f"W{layer}"][j, k], rel=1e-9, abs=1e-15)
    assert result["how_wrong"] * result["how_responsive"] * result["how_active"] == pytest.approx(result["gradient"])
    assert result["autograd_gradient"] == pytest.approx(result["gradient"], rel=1e-9, abs=1e-15)
    assert result["cost"] == pytest.approx(loss, rel=1e-12)


def test_the_panel_shows_the_autograd_numbers(digits):
    formula, image, gradients, paths, nudges, spread, status = explain(11, "sigmoid", 2, 4, 9)
    grads, loss = autograd(11, "sigmoid", digits)
    assert f"= {significant(grads['W2'][4, 9], 4)}$$" in formula            # the chain rule's product
    assert f"**{significant(grads['W2'][4, 9], 4, latex=False)}**" in formula    # and autograd's
    assert f"**{significant(loss, 4, latex=False)}**" in status
    np.testing.assert_allclose(np.asarray(gradients.data[0].z), grads["W2"], rtol=1e-9, atol=1e-15)
    assert paths["visible"] is True and len(paths["value"].data[0].y) == 10   # layer 2 -> 10 output paths
    _, _, _, no_paths, _, _, _ = explain(11, "sigmoid", 3, 4, 9)
    assert no_paths["visible"] is False


def test_a_layer_change_sends_j_and_k_only_when_they_must_shrink():
    # A link sets layer, j and k at once; the layer's change event may read j and k before they are set, so the
    # update must not carry those values back (that undid the link ?l=2&j=3&k=4 in a browser test).
    to_j, to_k = neuron_ranges(2, 0, 0)
    assert to_j.constructor_args == {"maximum": 15} and to_k.constructor_args == {"maximum": 15}
    to_j, to_k = neuron_ranges(3, 12, 15)                     # layer 1 -> 3: j 12 > 9 shrinks, k 15 fits
    assert to_j.constructor_args == {"maximum": 9, "value": 9} and to_k.constructor_args == {"maximum": 15}


def test_the_panel_shows_the_weight_the_sliders_shrink_to():
    formula = explain(11, "sigmoid", 3, 12, 15)[0]             # layer 3 arrived before j shrank to 9
    assert "w^{(3)}_{915}" in formula


def test_a_too_large_step_is_reported_as_overshooting():
    assert "went **up**" in take_step(940, "sigmoid", 5.0)
    assert "went down" in take_step(940, "sigmoid", 0.3)


def test_a_step_lowers_the_cost_and_leaves_the_network_unchanged():
    before = load_digit_network("sigmoid").params["W3"].clone()
    text = take_step(11, "sigmoid", 1.0)
    number = r"([\d.]+(?: × 10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?)"                   # 1.159 × 10⁻⁵, as the panel writes it
    before_cost, after_cost = map(read_number, re.search(rf"cost L {number} → \*\*{number}", text).groups())
    assert after_cost < before_cost
    torch.testing.assert_close(load_digit_network("sigmoid").params["W3"], before, rtol=0, atol=0)


@pytest.mark.parametrize("args, message", [
    ((11, 4, 0, 0, "sigmoid"), "layer must be between 1 and 3"),
    ((11, 3, 10, 0, "sigmoid"), "to-neuron j must be between 0 and 9"),
    ((11, 1, 0, 64, "sigmoid"), "from-neuron k must be between 0 and 63"),
    ((1347, 3, 0, 0, "sigmoid"), "example must be between 0 and 1,346"),
    ((11, 3, 0, 0, "tanh"), "sigmoid or relu"),
    ((float("nan"), 3, 0, 0, "sigmoid"), "finite"),
])
def test_endpoint_errors(args, message):
    with pytest.raises(gr.Error, match=message):
        backprop_endpoint(*args)


@pytest.mark.parametrize("eta, message", [(-1, "between 0 and 10"), (1e9, "between 0 and 10"), (float("nan"), "finite")])
def test_step_refuses_bad_learning_rates(eta, message):
    refuses(lambda: take_step(0, "sigmoid", eta), message)


def test_the_panel_opens_on_the_example_the_network_gets_most_wrong():
    from explorers.learning.backprop.one_example import MOST_WRONG, most_wrong_example

    assert most_wrong_example("sigmoid") == MOST_WRONG


def test_the_step_sentence_follows_the_shown_numbers():
    from explorers.learning.backprop.one_example import cost_verdict

    assert cost_verdict(1.02641, 1.02643).startswith("the cost did not change at the digits shown")
    assert cost_verdict(1.026, 1.016) == "the cost went down"
    assert "went **up**" in cost_verdict(1.016, 1.026)


def test_the_panel_opens_on_a_weight_whose_three_factors_are_all_visible():
    # It opened on W^(3)[0, 0], whose gradient was 1.4e-09: every factor but one was about 1e-5.
    from core.backprop import backprop, chain_rule, steepest_weight
    from explorers.learning.backprop.one_example import MOST_WRONG, OPENING_WEIGHT

    params = load_digit_network("sigmoid").params
    x, label = torch.tensor(load_digits_split().x_train[MOST_WRONG]), int(load_digits_split().y_train[MOST_WRONG])
    result = backprop(params, x, label, "sigmoid")
    layer, j, k = OPENING_WEIGHT
    assert steepest_weight(result, layer) == (j, k)
    factors = chain_rule(result, params, layer, j, k)
    assert min(abs(factors.how_wrong), abs(factors.how_responsive), abs(factors.how_active)) > 1e-3
    assert f"w^{{({layer})}}_{{{j}{k}}}" in explain(MOST_WRONG, "sigmoid", layer, j, k)[0]


def test_the_opening_weight_is_what_the_built_panel_shows():
    from explorers.learning.backprop import build
    from explorers.learning.backprop.one_example import OPENING_WEIGHT
    from models.settings import Settings

    with gr.Blocks():
        link = build(Settings())
    shown = tuple(int(link.controls[name].value) for name in ("l", "j", "k"))
    assert shown == OPENING_WEIGHT


def test_a_tiny_gradient_is_written_as_a_power_of_ten():
    # W^(3)[0, 0] of the most wrong example: its gradient is 1.443e-09, which the formula showed as 1.4430e-09.
    formula = explain(940, "sigmoid", 3, 0, 0)[0]
    assert r"= 1.443 \times 10^{-9}$$" in formula and "**1.443 × 10⁻⁹**" in formula
    assert "e-0" not in formula


def test_an_unchanged_cost_is_reported_with_its_tiny_change_in_words():
    from explorers.learning.backprop.one_example import cost_verdict

    assert "(by +2 × 10⁻⁷)" in cost_verdict(1.0264, 1.0264002)


def test_the_paths_figure_writes_their_sum_as_the_formula_does():
    factors = backprop_endpoint(940, 2, 4, 9, "sigmoid")
    paths = explain(940, "sigmoid", 2, 4, 9)[3]["value"]
    [note] = [a.text for a in paths.layout.annotations]
    assert note == f"sum = ∂L/∂a = {significant(factors['how_wrong'], 4, latex=False)}" and "e-" not in note


def test_backprop_scenes(app_scene, digits):
    def factors(start):
        index, activation, layer, j, k, _ = app_scene("backprop-scenes", start)
        return backprop_endpoint(index, layer, j, k, activation)

    wrong = factors("Backpropagation · the wrong output 9")
    right = factors("Backpropagation · the right output 5")
    assert wrong["label"] == right["label"] == 5
    assert wrong["how_wrong"] > 0 and right["how_wrong"] < 0        # dC/da > 0: the 9 must go down; the 5 up
    assert factors("Chain Rule · ReLU's slope")["how_responsive"] in (0.0, 1.0)

    # the batch scene: the largest nudges for one weight have opposite signs and cancel in the average
    index, activation, layer, j, k, n = app_scene("backprop-scenes", "Cost Function · ∂C/∂w averages")
    per_example = np.array(autograd_per_example(index, n, activation, digits, layer, j, k))
    up, down = per_example.max(), -per_example.min()
    assert 0.5 < up / down < 2 and abs(per_example.mean()) < 0.1 * max(up, down)
    labels = digits.y_train[index:index + n]
    assert labels[per_example.argmax()] == 5 and labels[per_example.argmin()] == 8


def autograd_per_example(index, n, activation, digits, layer, j, k) -> list[float]:
    """dL_m/dW^(layer)[j, k] of the examples #index, #index + 1, ... by torch autograd, one example at a time."""
    return [float(autograd(m % len(digits.x_train), activation, digits)[0][f"W{layer}"][j, k])
            for m in range(index, index + n)]


def test_one_examples_formula_writes_dl_and_the_slope_of_the_chosen_activation():
    sigmoid, relu = explain(940, "sigmoid", 1, 3, 11)[0], explain(940, "relu", 1, 3, 11)[0]
    assert r"\frac{\partial L}{\partial w^{(1)}_{311}}" in sigmoid and r"\partial C" not in sigmoid
    assert r"\sigma'(z_i)" in sigmoid and "ReLU" not in sigmoid
    assert r"\mathrm{ReLU}'(z_i)" in relu and r"\sigma'" not in relu       # hidden layer 2 is a ReLU here
    assert r"$\mathrm{ReLU}'(z) = 1$ if $z > 0$, else $0$" in relu
    layer_2 = explain(940, "relu", 2, 3, 4)[0]                                  # its paths end at the sigmoid outputs
    assert r"\sigma'(z_i)" in layer_2 and r"\mathrm{ReLU}'(z_{3})" in layer_2
    assert "θ ← θ − η∇L" in take_step(940, "sigmoid", 0.3)


@pytest.mark.parametrize("activation, layer, j, k", [("sigmoid", 3, 9, 11), ("relu", 1, 6, 11)])
def test_the_batch_shows_each_examples_autograd_gradient_and_their_mean(activation, layer, j, k, digits):
    formula, bars, stepped = explain_batch(940, activation, layer, j, k, 8, 0.3)
    np.testing.assert_allclose(np.asarray(bars.data[0].x), autograd_per_example(940, 8, activation, digits, layer,
                                                                                j, k), rtol=1e-9, atol=1e-15)
    assert list(bars.data[0].y)[:2] == ["#940: a 5", "#941: a 3"]
    params = {n: v.double().clone().requires_grad_(True) for n, v in load_digit_network(activation).params.items()}
    xs, ys = torch.tensor(digits.x_train[940:948]).double(), torch.tensor(digits.y_train[940:948])
    before = cost(params, xs, ys, activation)                                       # C, the mean of the 8 L_m
    before.backward()
    gradient = params[f"W{layer}"].grad[j, k].item()
    assert r"\frac{1}{8}\Big(" in formula and f"= {significant(gradient, 3)}$$" in formula
    with torch.no_grad():
        stepped_params = {n: p - 0.3 * p.grad for n, p in params.items()}          # the manual torch update
        after = cost(stepped_params, xs, ys, activation).item()
    w_before, w_after = params[f"W{layer}"][j, k].item(), stepped_params[f"W{layer}"][j, k].item()
    assert f"= {significant(w_before, 5)} - 0.3" in formula and formula.endswith(f"= {significant(w_after, 5)}$$")
    assert f"{significant(before.item(), 4, latex=False)} → **{significant(after, 4, latex=False)}**" in stepped
    test_x, test_y = torch.tensor(digits.x_test), digits.y_test
    for network in (params, stepped_params):                                          # held-out accuracy, by a loop
        with torch.no_grad():
            right = sum(int(forward(network, x.double(), activation)[-1].argmax()) == y for x, y in zip(test_x, test_y))
        assert f"{100 * right / len(test_y):.1f} %" in stepped
    assert "bridge to SGD" in stepped and f"∂L/∂w = {significant(autograd(940, activation, digits)[0][f'W{layer}'][j, k], 3, latex=False)}" in stepped


def test_a_large_batch_writes_its_largest_terms_and_the_others_sum():
    formula = explain_batch(940, "relu", 1, 6, 11, 16, 0.3)[0]
    for number in (940, 945, 947, 948, 949):                                         # the five largest in size
        assert f"_{{\\#{number}}}" in formula
    assert r"_{\text{the 11 others}}" in formula and r"\frac{1}{16}" in formula


def test_a_batch_of_one_is_the_one_example_above():
    formula, bars, stepped = explain_batch(940, "sigmoid", 3, 9, 11, 1, 0.3)
    one = backprop_endpoint(940, 3, 9, 11, "sigmoid")["autograd_gradient"]
    assert list(bars.data[0].x) == pytest.approx([one], rel=1e-9)
    assert r"\frac{1}{1}" in formula and "With n = 1 the average is example #940's own gradient" in stepped
    assert "not the gradient" not in stepped


def test_the_batch_wraps_round_after_the_last_training_example():
    _, labels, numbers = training_batch(1345, 4)
    assert numbers == [1345, 1346, 0, 1] and len(labels) == 4


@pytest.mark.parametrize("args, message", [
    ((940, "sigmoid", 3, 9, 11, 0, 0.3), "batch size n must be between 1 and 32"),
    ((940, "sigmoid", 3, 9, 11, 33, 0.3), "batch size n must be between 1 and 32"),
    ((940, "sigmoid", 3, 9, 11, 2.5, 0.3), "batch size n must be a whole number"),
    ((940, "sigmoid", 3, 9, 11, float("nan"), 0.3), "batch size n must be a finite number"),
    ((940, "sigmoid", 3, 9, 11, 8, float("inf")), "learning rate must be a finite number"),
    ((1347, "sigmoid", 3, 9, 11, 8, 0.3), "example must be between 0 and 1,346"),
    ((940, "tanh", 3, 9, 11, 8, 0.3), "sigmoid or relu"),
])
def test_the_batch_refuses_bad_input_in_words(args, message):
    refuses(lambda: explain_batch(*args), message)
