"""The backprop panel: each number it shows equals torch autograd; errors say what is allowed."""
import re

import gradio as gr
import numpy as np
import pytest
import torch

from core.mlp import cost
from explorers.learning.backprop import backprop_endpoint, explain, neuron_ranges, take_step
from models.digit_network import load_digit_network
from tests.handlers import refuses


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
    assert f"{grads['W2'][4, 9]:.4e}" in formula                          # both the chain rule and autograd
    assert f"{loss:.4g}" in status
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
    number = r"([\d.]+(?:e-?\d+)?)"
    before_cost, after_cost = map(float, re.search(rf"cost {number} → \*\*{number}", text).groups())
    assert after_cost < before_cost
    torch.testing.assert_close(load_digit_network("sigmoid").params["W3"], before, rtol=0, atol=0)


@pytest.mark.parametrize("args, message", [
    ((11, 4, 0, 0, "sigmoid"), "layer must be between 1 and 3"),
    ((11, 3, 10, 0, "sigmoid"), "to-neuron j must be between 0 and 9"),
    ((11, 1, 0, 64, "sigmoid"), "from-neuron k must be between 0 and 63"),
    ((1347, 3, 0, 0, "sigmoid"), "example must be between 0 and 1346"),
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
    from explorers.learning.backprop import MOST_WRONG, most_wrong_example

    assert most_wrong_example("sigmoid") == MOST_WRONG


def test_the_step_sentence_follows_the_shown_numbers():
    from explorers.learning.backprop import cost_verdict

    assert cost_verdict(1.02641, 1.02643).startswith("the cost did not change at the digits shown")
    assert cost_verdict(1.026, 1.016) == "the cost went down"
    assert "went **up**" in cost_verdict(1.016, 1.026)
