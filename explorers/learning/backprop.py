"""Backpropagation and the chain rule (knowledge map: Backpropagation, Chain Rule, Gradient Descent) on the trained
digit network, for one training example, with every factor's number."""
import gradio as gr
import numpy as np
import torch

from components.backprop_figures import gradient_heatmap, nudge_bars, passed_back, path_bars
from components.card import explanation_card
from components.deeplink import PanelLink, bounded_slider, link_box
from components.errors import keeps_view, user_errors
from components.formatting import number, significant
from components.scenes import scenes
from components.network_figures import digit_image
from components.page import panel_frame
from core.backprop import backprop, chain_rule, desired_nudges, gradient_step
from core.checks import in_range, whole
from core.mlp import HIDDEN_ACTIVATIONS, LAYER_SIZES, cost, forward, one_hot
from models.digit_network import load_digit_network
from models.digits import N_TRAIN, load_digits_split
from models.settings import Settings

SLOPE = {"sigmoid": r"\sigma'", "relu": r"\mathrm{ReLU}'"}
MAX_LEARNING_RATE = 10.0


def training_example(index) -> tuple[torch.Tensor, int]:
    data = load_digits_split()
    i = whole("example", index, 0, len(data.x_train) - 1)
    return torch.tensor(data.x_train[i]), int(data.y_train[i])


MOST_WRONG = 940   # most_wrong_example("sigmoid"), a 5 read as 9 (a test checks it): the panel opens on it, and the
                   # slider is built before the data and the network are loaded (fast start)
OPENING_WEIGHT = (3, 9, 11)   # (layer, j, k): steepest_weight() of MOST_WRONG in layer 3, the wrong output 9 fed by
                              # an active neuron; all three factors are visible (a test checks it; (3, 0, 0) was 1e-9)


def most_wrong_example(activation: str) -> int:
    """The training example with the largest cost: the default, so that the blame has visible numbers."""
    data = load_digits_split()
    params = load_digit_network(activation).params
    with torch.inference_mode():
        outputs = forward(params, torch.tensor(data.x_train), activation)[-1]                  # (N, 10)
        losses = ((outputs - one_hot(torch.tensor(data.y_train))) ** 2).sum(dim=-1)
    return int(losses.argmax())


def checked_weight(layer, to_neuron, from_neuron, shrink: bool = False) -> tuple[int, int, int]:
    """(layer, j, k) of a weight W^(layer)[j, k]. shrink: a j or k past the layer's last neuron becomes that neuron
    instead of an error (the panel: a new layer can arrive before neuron_ranges has shrunk its j and k sliders)."""
    layer = whole("layer", layer, 1, 3)
    tops = LAYER_SIZES[layer] - 1, LAYER_SIZES[layer - 1] - 1
    j, k = (min(whole(name, value, 0, max(LAYER_SIZES) - 1 if shrink else top), top)
            for name, value, top in (("to-neuron j", to_neuron, tops[0]), ("from-neuron k", from_neuron, tops[1])))
    return layer, j, k


def autograd_gradient(params, x, label, activation, layer, j, k) -> float:
    """The trusted reference, computed beside the chain rule: torch autograd on the same cost."""
    leaves = {name: value.double().clone().requires_grad_(True) for name, value in params.items()}
    cost(leaves, x.double()[None], torch.tensor([label]), activation).backward()
    return float(leaves[f"W{layer}"].grad[j, k])


def chain_formula(factors, activation: str, label: int, output: float, reference: float) -> str:
    l, j, k = factors.layer, factors.to_neuron, factors.from_neuron
    slope = SLOPE["sigmoid" if l == 3 else activation]
    if l == 3:
        wrong = f"2(a_{{{j}}} - y_{{{j}}}) = 2({number(output)} - {1 if j == label else 0})"
    else:
        wrong = f"\\sum_i w^{{({l + 1})}}_{{i{j}}}\\, \\sigma'(z_i)\\, \\frac{{\\partial C}}{{\\partial a_i}}"
    return (f"$$\\frac{{\\partial C}}{{\\partial w^{{({l})}}_{{{j}{k}}}}} = "
            f"\\underbrace{{\\frac{{\\partial C}}{{\\partial a_{{{j}}}}}}}_{{\\text{{how wrong}}}} \\cdot "
            f"\\underbrace{{\\frac{{\\partial a_{{{j}}}}}{{\\partial z_{{{j}}}}}}}_{{\\text{{how responsive}}}} \\cdot "
            f"\\underbrace{{\\frac{{\\partial z_{{{j}}}}}{{\\partial w}}}}_{{\\text{{how active}}}}$$\n\n"
            f"$$= \\underbrace{{{wrong}}}_{{{significant(factors.how_wrong)}}} \\cdot "
            f"\\underbrace{{{slope}(z_{{{j}}})}}_{{{significant(factors.how_responsive)}}} \\cdot "
            f"\\underbrace{{a^{{({l - 1})}}_{{{k}}}}}_{{{significant(factors.how_active)}}} = "
            f"{significant(factors.gradient, 4)}$$\n\n"
            f"Torch autograd on the same cost gives **{significant(reference, 4, latex=False)}** (the chain rule "
            "above is written out by hand)."
            + ("" if l == 3 else f" The first factor is the sum over the {LAYER_SIZES[l + 1]} paths from this neuron "
               "to the next layer, drawn below."))


@keeps_view
def explain(index, activation, layer, to_neuron, from_neuron):
    layer, j, k = checked_weight(layer, to_neuron, from_neuron, shrink=True)
    network = load_digit_network(activation)
    x, label = training_example(index)
    result = backprop(network.params, x, label, activation)
    factors = chain_rule(result, network.params, layer, j, k)
    reference = autograd_gradient(network.params, x, label, activation, layer, j, k)
    wanted, per_output = desired_nudges(result, network.params)
    outputs = result.activations[-1].numpy()
    paths = path_bars(factors.paths, layer, j) if factors.paths else None
    return (chain_formula(factors, activation, label, float(outputs[j]) if layer == 3 else 0.0, reference),
            digit_image(x.numpy(), f"training example #{int(index)}: a {label}"),
            gradient_heatmap(result.grads[f"W{layer}"].numpy(), layer, (j, k)),
            gr.update(value=paths, visible=paths is not None), nudge_bars(wanted.numpy(), label),
            passed_back(per_output.numpy()),
            f"Cost of this example L = Σ(a − y)² = **{shown(result.cost)}**; the network predicts "
            f"**{int(np.argmax(outputs))}**, the label is **{label}**.")


def shown(value: float, digits: int = 4) -> str:
    """A cost or an output in the panel's sentences."""
    return significant(value, digits, latex=False)


def cost_verdict(before: float, after: float) -> str:
    """The sentence after a step, following the numbers as they are shown (four significant digits)."""
    if shown(after) == shown(before):
        change = ("+" if after >= before else "") + significant(after - before, 2, latex=False)
        return (f"the cost did not change at the digits shown (by {change}): this example's gradient is tiny here, "
                "whatever η")
    if after < before:
        return "the cost went down"
    return ("the cost went **up**: the step overshot, the gradient only holds near the current weights; try a "
            "smaller η")


@keeps_view
def take_step(index, activation, learning_rate):
    eta = in_range("learning rate", learning_rate, 0.0, MAX_LEARNING_RATE)
    network = load_digit_network(activation)
    x, label = training_example(index)
    before = backprop(network.params, x, label, activation)
    after = backprop(gradient_step(network.params, before.grads, eta), x, label, activation)
    verdict = cost_verdict(float(before.cost), float(after.cost))
    return (f"**One step θ ← θ − η∇C with η = {shown(eta)}** on this example alone (a copy; the shared network is "
            f"unchanged): cost {shown(before.cost)} → **{shown(after.cost)}**; output for the label {label}: "
            f"{shown(float(before.activations[-1][label]), 3)} → {shown(float(after.activations[-1][label]), 3)}; "
            f"{verdict}.")


def neuron_ranges(layer, to_neuron, from_neuron):
    """The j and k sliders' ranges for a new layer."""
    layer = int(layer)
    return bounded_slider(to_neuron, LAYER_SIZES[layer] - 1), bounded_slider(from_neuron, LAYER_SIZES[layer - 1] - 1)


@user_errors
def backprop_endpoint(index: int, layer: int, to_neuron: int, from_neuron: int, activation: str = "sigmoid") -> dict:
    """The chain-rule factors of dC/dW^(layer)[to_neuron, from_neuron] for a training example, and autograd's value."""
    layer, j, k = checked_weight(layer, to_neuron, from_neuron)
    network = load_digit_network(activation)
    x, label = training_example(index)
    result = backprop(network.params, x, label, activation)
    factors = chain_rule(result, network.params, layer, j, k)
    return {"how_wrong": factors.how_wrong, "how_responsive": factors.how_responsive,
            "how_active": factors.how_active, "gradient": factors.gradient, "cost": result.cost, "label": label,
            "autograd_gradient": autograd_gradient(network.params, x, label, activation, layer, j, k)}


PANEL = "backprop"                       # its page: /backprop, and ?panel=backprop in a link
TITLE = "Backpropagation"
SUMMARY = "every weight's gradient for one example: how wrong × how responsive × how active"


def build(settings: Settings) -> PanelLink:
    start, (opening_layer, opening_j, opening_k) = MOST_WRONG, OPENING_WEIGHT
    with panel_frame(PANEL) as tab:   # drawn when opened
        live = explanation_card(
            "Backpropagation: passing the blame backward",
            "Start at the output error and pass blame backward, layer by layer. Each weight's share of the blame "
            "is three factors multiplied: how wrong its neuron's output was, how responsive that neuron is, and "
            "how active the neuron feeding it was. A weight in an earlier layer reaches the output by many paths; "
            "its blame is the sum over all of them.",
            "", "Pick a weight in the last layer, then one in layer 1: see the blame become a sum over paths. "
            "Find a weight whose 'how active' is 0 (a blank pixel): its gradient is 0, whatever the error. Take "
            "a gradient step and watch the cost of this example drop; try a huge learning rate.",
            elem_id="backprop-formula")
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                activation = gr.Radio(list(HIDDEN_ACTIVATIONS), value="sigmoid", label="hidden activation",
                                      elem_id="backprop-activation")
                index = gr.Slider(0, N_TRAIN - 1, start, step=1, label="training example #",
                                  elem_id="backprop-index")
                layer = gr.Radio([1, 2, 3], value=opening_layer, label="weight layer l (3 = into the outputs)",
                                 elem_id="backprop-layer")
                to_neuron = gr.Slider(0, LAYER_SIZES[opening_layer] - 1, opening_j, step=1,
                                      label="to neuron j (in layer l)", elem_id="backprop-j")
                from_neuron = gr.Slider(0, LAYER_SIZES[opening_layer - 1] - 1, opening_k, step=1,
                                        label="from neuron k (in layer l − 1)", elem_id="backprop-k")
                # label -> (example, activation, layer, j, k); the example the network gets most wrong is a 5 read as 9
                scenes([index, activation, layer, to_neuron, from_neuron], {
                    "Backpropagation · the wrong output 9 must go down": [start, "sigmoid", 3, 9, 0],
                    "Backpropagation · the right output 5 must go up": [start, "sigmoid", 3, 5, 0],
                    "Chain Rule · a layer-1 weight: blame summed over paths": [start, "sigmoid", 1, 3, 11],
                    "Chain Rule · ReLU's slope is 0 or 1 (layer 2)": [start, "relu", 2, 0, 0],
                }, elem_id="backprop-scenes")
                image = gr.Plot(label="example", elem_id="backprop-image")
            with gr.Column(scale=2):
                status = gr.Markdown(elem_id="backprop-status")
                gradients = gr.Plot(label="gradients", elem_id="backprop-gradients")
                paths = gr.Plot(label="paths", visible=False, elem_id="backprop-paths")
        with gr.Row():
            nudges = gr.Plot(label="desired nudges", elem_id="backprop-nudges")
            spread = gr.Plot(label="passed back", elem_id="backprop-spread")
        with gr.Row():
            learning_rate = gr.Slider(0.01, MAX_LEARNING_RATE, 0.3, step=0.01, label="learning rate η",
                                      elem_id="backprop-eta")
            step = gr.Button("Take one gradient-descent step on this example", elem_id="backprop-step")
        stepped = gr.Markdown(elem_id="backprop-stepped")
        controls = [index, activation, layer, to_neuron, from_neuron]
        gr.on([tab.opened, layer.change], neuron_ranges, inputs=[layer, to_neuron, from_neuron], outputs=[to_neuron, from_neuron],
                     api_visibility="undocumented", queue=False)
        gr.on([tab.opened, *[c.change for c in controls]], explain, inputs=controls,
              outputs=[live, image, gradients, paths, nudges, spread, status], trigger_mode="always_last",
              api_visibility="undocumented", show_progress="hidden")
        step.click(take_step, inputs=[index, activation, learning_rate], outputs=stepped, api_visibility="undocumented")
        gr.api(backprop_endpoint, api_name="backprop")
        return link_box("backprop", {"i": index, "f": activation, "l": layer, "j": to_neuron, "k": from_neuron,
                                     "eta": learning_rate})
