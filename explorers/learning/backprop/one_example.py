"""One example's gradient, factor by factor (knowledge map: Backpropagation, Chain Rule): the cost of one training
example is L = Σ(a − y)² (the series' C₀), and every weight's ∂L/∂w is how wrong × how responsive × how active."""
import gradio as gr
import numpy as np
import torch

from components.backprop_figures import gradient_heatmap, nudge_bars, passed_back, path_bars
from components.deeplink import bounded_slider
from components.errors import keeps_view, user_errors
from components.formatting import number, significant
from components.network_figures import digit_image
from components.page import PanelFrame
from components.scenes import scenes
from core.backprop import N_LAYERS, backprop, chain_rule, desired_nudges, gradient_step
from core.checks import in_range, whole
from core.mlp import HIDDEN_ACTIVATIONS, LAYER_SIZES, cost, cost_terms, forward
from models.digit_network import load_digit_network
from models.digits import N_TRAIN, load_digits_split

SLOPE = {"sigmoid": r"\sigma'", "relu": r"\mathrm{ReLU}'"}
MAX_LEARNING_RATE = 10.0
MOST_WRONG = 940   # most_wrong_example("sigmoid"), a 5 read as 9 (a test checks it): the panel opens on it, and the
                   # slider is built before the data and the network are loaded (fast start)
OPENING_WEIGHT = (3, 9, 11)   # (layer, j, k): steepest_weight() of MOST_WRONG in layer 3, the wrong output 9 fed by
                              # an active neuron; all three factors are visible (a test checks it; (3, 0, 0) was 1e-9)
BATCH_SIZE = 8                # the batch part opens on examples #940 … #947
# label -> (example, activation, layer, j, k, batch size n); the example the network gets most wrong is a 5 read as
# 9; in the last, a 5 (#940) and an 8 (#948) pull one ReLU weight opposite ways and their nudges cancel (tested)
SCENES = {
    "Backpropagation · the wrong output 9 must go down": [MOST_WRONG, "sigmoid", 3, 9, 0, BATCH_SIZE],
    "Backpropagation · the right output 5 must go up": [MOST_WRONG, "sigmoid", 3, 5, 0, BATCH_SIZE],
    "Chain Rule · a layer-1 weight: blame summed over paths": [MOST_WRONG, "sigmoid", 1, 3, 11, BATCH_SIZE],
    "Chain Rule · ReLU's slope is 0 or 1 (layer 2)": [MOST_WRONG, "relu", 2, 0, 0, BATCH_SIZE],
    "Cost Function · ∂C/∂w averages: a 5 and an 8 disagree": [MOST_WRONG, "relu", 1, 6, 11, 16],
}


def training_example(index) -> tuple[torch.Tensor, int]:
    data = load_digits_split()
    i = whole("example", index, 0, len(data.x_train) - 1)
    return torch.tensor(data.x_train[i]), int(data.y_train[i])


def most_wrong_example(activation: str) -> int:
    """The training example with the largest cost: the default, so that the blame has visible numbers."""
    data = load_digits_split()
    params = load_digit_network(activation).params
    with torch.inference_mode():
        outputs = forward(params, torch.tensor(data.x_train), activation)[-1]                  # (N, 10)
        losses = cost_terms(outputs, torch.tensor(data.y_train)).sum(dim=-1)                   # (N,) L of each
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


def slope(layer: int, activation: str) -> str:
    """The derivative of layer `layer`'s activation, as written: the output layer is always a sigmoid."""
    return SLOPE["sigmoid" if layer == N_LAYERS else activation]


def chain_formula(factors, activation: str, label: int, output: float, reference: float) -> str:
    l, j, k = factors.layer, factors.to_neuron, factors.from_neuron
    if l == N_LAYERS:
        wrong = f"2(a_{{{j}}} - y_{{{j}}}) = 2({number(output)} - {1 if j == label else 0})"
    else:
        wrong = (f"\\sum_i w^{{({l + 1})}}_{{i{j}}}\\, {slope(l + 1, activation)}(z_i)\\, "
                 f"\\frac{{\\partial L}}{{\\partial a_i}}")
    relu = activation == "relu" and (l < N_LAYERS)           # a ReLU' is written in this formula
    return (f"$$\\frac{{\\partial L}}{{\\partial w^{{({l})}}_{{{j}{k}}}}} = "
            f"\\underbrace{{\\frac{{\\partial L}}{{\\partial a_{{{j}}}}}}}_{{\\text{{how wrong}}}} \\cdot "
            f"\\underbrace{{\\frac{{\\partial a_{{{j}}}}}{{\\partial z_{{{j}}}}}}}_{{\\text{{how responsive}}}} \\cdot "
            f"\\underbrace{{\\frac{{\\partial z_{{{j}}}}}{{\\partial w}}}}_{{\\text{{how active}}}}$$\n\n"
            f"$$= \\underbrace{{{wrong}}}_{{{significant(factors.how_wrong)}}} \\cdot "
            f"\\underbrace{{{slope(l, activation)}(z_{{{j}}})}}_{{{significant(factors.how_responsive)}}} \\cdot "
            f"\\underbrace{{a^{{({l - 1})}}_{{{k}}}}}_{{{significant(factors.how_active)}}} = "
            f"{significant(factors.gradient, 4)}$$\n\n"
            f"Torch autograd on the same cost gives **{significant(reference, 4, latex=False)}** (the chain rule "
            "above is written out by hand)."
            + ("" if l == N_LAYERS else f" The first factor is the sum over the {LAYER_SIZES[l + 1]} paths from this "
               "neuron to the next layer, drawn below.")
            + (r" Here $\mathrm{ReLU}'(z) = 1$ if $z > 0$, else $0$." if relu else "")
            + " L is the cost of this one example (the series' C₀); the network's cost C averages L over the "
              "examples, so ∂C/∂w is the average of their ∂L/∂w: the batch below.")


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


def cost_verdict(before: float, after: float, whose: str = "this example's") -> str:
    """The sentence after a step, following the numbers as they are shown (four significant digits)."""
    if shown(after) == shown(before):
        change = ("+" if after >= before else "") + significant(after - before, 2, latex=False)
        return (f"the cost did not change at the digits shown (by {change}): {whose} gradient is tiny here, "
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
    return (f"**One step θ ← θ − η∇L with η = {shown(eta)}** on this example alone (a copy; the shared network is "
            f"unchanged): its cost L {shown(before.cost)} → **{shown(after.cost)}**; output for the label {label}: "
            f"{shown(float(before.activations[-1][label]), 3)} → {shown(float(after.activations[-1][label]), 3)}; "
            f"{verdict}.")


def neuron_ranges(layer, to_neuron, from_neuron):
    """The j and k sliders' ranges for a new layer."""
    layer = int(layer)
    return bounded_slider(to_neuron, LAYER_SIZES[layer] - 1), bounded_slider(from_neuron, LAYER_SIZES[layer - 1] - 1)


@user_errors
def backprop_endpoint(index: int, layer: int, to_neuron: int, from_neuron: int, activation: str = "sigmoid") -> dict:
    """The chain-rule factors of dL/dW^(layer)[to_neuron, from_neuron] for a training example (L its cost), and
    autograd's value."""
    layer, j, k = checked_weight(layer, to_neuron, from_neuron)
    network = load_digit_network(activation)
    x, label = training_example(index)
    result = backprop(network.params, x, label, activation)
    factors = chain_rule(result, network.params, layer, j, k)
    return {"how_wrong": factors.how_wrong, "how_responsive": factors.how_responsive,
            "how_active": factors.how_active, "gradient": factors.gradient, "cost": result.cost, "label": label,
            "autograd_gradient": autograd_gradient(network.params, x, label, activation, layer, j, k)}


def one_example_layout(batch_size: gr.Slider) -> tuple[list, list]:
    """The controls (example, activation, weight; the scenes also set the batch part's batch_size) and the views."""
    start, (opening_layer, opening_j, opening_k) = MOST_WRONG, OPENING_WEIGHT
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            activation = gr.Radio(list(HIDDEN_ACTIVATIONS), value="sigmoid", label="hidden activation",
                                  elem_id="backprop-activation")
            index = gr.Slider(0, N_TRAIN - 1, start, step=1, label="training example #", elem_id="backprop-index")
            layer = gr.Radio([1, 2, 3], value=opening_layer, label="weight layer l (3 = into the outputs)",
                             elem_id="backprop-layer")
            to_neuron = gr.Slider(0, LAYER_SIZES[opening_layer] - 1, opening_j, step=1,
                                  label="to neuron j (in layer l)", elem_id="backprop-j")
            from_neuron = gr.Slider(0, LAYER_SIZES[opening_layer - 1] - 1, opening_k, step=1,
                                    label="from neuron k (in layer l − 1)", elem_id="backprop-k")
            scenes([index, activation, layer, to_neuron, from_neuron, batch_size], SCENES, elem_id="backprop-scenes")
            image = gr.Plot(label="example", elem_id="backprop-image")
        with gr.Column(scale=2):
            status = gr.Markdown(elem_id="backprop-status")
            gradients = gr.Plot(label="gradients", elem_id="backprop-gradients")
            paths = gr.Plot(label="paths", visible=False, elem_id="backprop-paths")
    with gr.Row():
        nudges = gr.Plot(label="desired nudges", elem_id="backprop-nudges")
        spread = gr.Plot(label="passed back", elem_id="backprop-spread")
    return [index, activation, layer, to_neuron, from_neuron], [image, gradients, paths, nudges, spread, status]


def build_one_example_part(tab: PanelFrame, formula: gr.Markdown, batch_size: gr.Slider) -> tuple[list, gr.Slider]:
    """One example's chain rule and one step on it; returns the controls (example, activation, layer, j, k) and the
    learning rate (shared with the batch part)."""
    controls, views = one_example_layout(batch_size)
    index, activation, layer, to_neuron, from_neuron = controls
    with gr.Row():
        learning_rate = gr.Slider(0.01, MAX_LEARNING_RATE, 0.3, step=0.01, label="learning rate η",
                                  elem_id="backprop-eta")
        step = gr.Button("Take one gradient-descent step on this example", elem_id="backprop-step")
    stepped = gr.Markdown(elem_id="backprop-stepped")
    gr.on([tab.opened, layer.change], neuron_ranges, inputs=[layer, to_neuron, from_neuron],
          outputs=[to_neuron, from_neuron], api_visibility="undocumented", queue=False)
    gr.on([tab.opened, *[c.change for c in controls]], explain, inputs=controls, outputs=[formula, *views],
          trigger_mode="always_last", api_visibility="undocumented", show_progress="hidden")
    step.click(take_step, inputs=[index, activation, learning_rate], outputs=stepped, api_visibility="undocumented")
    return controls, learning_rate
