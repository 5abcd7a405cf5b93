"""From one example's gradient to the gradient (knowledge map: Cost Function, Gradient Descent, SGD — Mini-batch):
the cost C averages the examples' costs L_m, so its gradient averages theirs, ∂C/∂w = (1/n) Σ_m ∂L_m/∂w; one
gradient-descent step with that average moves every weight and bias at once."""
import gradio as gr
import numpy as np
import torch

from components.backprop_figures import example_bars
from components.card import part_opening
from components.errors import keeps_view
from components.formatting import percent, significant
from components.page import PanelFrame
from core.backprop import averaged_step, weight_gradients
from core.checks import in_range, whole
from core.mlp import N_PARAMETERS, accuracy
from explorers.learning.backprop.one_example import (BATCH_SIZE, MAX_LEARNING_RATE, checked_weight, cost_verdict,
                                                     shown)
from models.digit_network import load_digit_network
from models.digits import N_TEST, load_digits_split

MAX_BATCH = 32
SHOWN_TERMS = 6       # a larger batch's sum is written as its five largest terms and the others' sum
SUPERSCRIPT = {1: "¹", 2: "²", 3: "³"}


def training_batch(index, size) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """The batch: n consecutive training examples from #index on (wrapping round to #0): xs (n, 64), labels (n,),
    and their numbers."""
    data = load_digits_split()
    start = whole("example", index, 0, len(data.x_train) - 1)
    n = whole("batch size n", size, 1, MAX_BATCH)
    numbers = [(start + m) % len(data.x_train) for m in range(n)]
    return torch.tensor(data.x_train[numbers]), torch.tensor(data.y_train[numbers]), numbers


def summed(values: np.ndarray, numbers: list[int]) -> str:
    """The sum of the examples' gradients for LaTeX, each term marked with its example's number; past SHOWN_TERMS
    examples, the largest in size are written and the others added up into one term. A real minus sign, never
    '+ −'."""
    n = len(values)
    written = sorted(np.argsort(-np.abs(values), kind="stable")[:SHOWN_TERMS - 1]) if n > SHOWN_TERMS else range(n)
    terms = [(values[m], f"\\#{numbers[m]}") for m in written]
    if n > SHOWN_TERMS:
        others = np.delete(values, list(written))                                  # (n - SHOWN_TERMS + 1,)
        terms.append((float(others.sum()), f"\\text{{the {len(others)} others}}"))
    text = ""
    for i, (value, name) in enumerate(terms):
        sign = ("-" if value < 0 else "") if i == 0 else (" - " if value < 0 else " + ")
        text += f"{sign}\\underbrace{{{significant(abs(value), 2)}}}_{{{name}}}"
    return text


def average_formula(gradients: np.ndarray, numbers: list[int], weight: tuple[int, int, int],
                    values: tuple[float, float], eta: float) -> str:
    """∂C/∂w as the mean of the examples' ∂L_m/∂w, with their numbers, and the step it gives this weight (its
    values before and after the step)."""
    n, average = len(gradients), float(np.mean(gradients))
    layer, j, k = weight
    w = f"w^{{({layer})}}_{{{j}{k}}}"
    gradient = significant(average, 3) if average >= 0 else f"({significant(average, 3)})"
    return (f"$$\\frac{{\\partial C}}{{\\partial {w}}} = \\frac{{1}}{{n}}\\sum_{{m=1}}^{{n}} "
            f"\\frac{{\\partial L_m}}{{\\partial {w}}}$$\n\n"
            f"$$= \\frac{{1}}{{{n}}}\\Big({summed(gradients, numbers)}\\Big) = {significant(average, 3)}$$\n\n"
            f"$${w} \\leftarrow {w} - \\eta\\,\\frac{{\\partial C}}{{\\partial {w}}} = {significant(values[0], 5)} - "
            f"{significant(eta, 3)} \\cdot {gradient} = {significant(values[1], 5)}$$")


def step_text(step, numbers: list[int], gradients: np.ndarray, eta: float, accuracies: tuple[float, float]) -> str:
    """What the step with the average did to the batch's cost C and to the held-out accuracy."""
    before, after = step.gradient.cost, step.cost_after
    verdict = cost_verdict(before, after, "this batch's")
    return (f"**One gradient-descent step with the average**, θ ← θ − η ∂C/∂θ for all {N_PARAMETERS:,} weights and "
            f"biases at once (η = {shown(eta)}; on a copy, the shared network is unchanged): the batch's cost C, "
            f"the mean of its {len(numbers)} costs L_m, {shown(before)} → **{shown(after)}**, {verdict}; "
            f"held-out accuracy ({N_TEST} digits it never trained on) {percent(accuracies[0])} → "
            f"**{percent(accuracies[1])}**.\n\n"
            + (f"With n = 1 the average is example #{numbers[0]}'s own gradient: make n larger to see the examples "
               "disagree. " if len(numbers) == 1 else
               f"Example #{numbers[0]} alone (the one above) says ∂L/∂w = {shown(gradients[0], 3)}; the batch's "
               f"average says ∂C/∂w = {shown(float(np.mean(gradients)), 3)}: one example's gradient is not the "
               "gradient. ")
            + "This is the bridge to SGD: stochastic gradient descent takes this step again and again, each time on "
              "a new small random batch (the Gradient descent panel).")


@keeps_view
def explain_batch(index, activation, layer, to_neuron, from_neuron, batch_size, learning_rate):
    layer, j, k = checked_weight(layer, to_neuron, from_neuron, shrink=True)
    eta = in_range("learning rate", learning_rate, 0.0, MAX_LEARNING_RATE)
    xs, labels, numbers = training_batch(index, batch_size)
    network = load_digit_network(activation)
    step = averaged_step(network.params, xs, labels, activation, eta)
    gradients = weight_gradients(step.gradient, layer, j, k).numpy()                      # (n,) ∂L_m/∂w
    data = load_digits_split()
    x_test, y_test = torch.tensor(data.x_test), torch.tensor(data.y_test)
    accuracies = (accuracy(network.params, x_test, y_test, activation),
                  accuracy(step.params, x_test, y_test, activation))
    names = [f"#{number}: a {int(label)}" for number, label in zip(numbers, labels)]
    values = float(network.params[f"W{layer}"][j, k]), float(step.params[f"W{layer}"][j, k])   # w before, after
    return (average_formula(gradients, numbers, (layer, j, k), values, eta),
            example_bars(gradients, names, f"W{SUPERSCRIPT[layer]}[{j}, {k}]"),
            step_text(step, numbers, gradients, eta, accuracies))


def build_batch_part(tab: PanelFrame, controls: list, batch_size: gr.Slider, learning_rate: gr.Slider) -> None:
    """The average over a batch: its size (batch_size, made by the tab unrendered, for the scenes), the formula with
    every example's number, their bars, and one step with the average (the learning rate of the part above)."""
    formula = part_opening("### From one example to the gradient: average over a batch\n\n"
                           "Everything above is one example's wish. The network's cost C is the average of the "
                           "examples' costs L, so the gradient of C is the average of their gradients: each example "
                           "nudges each weight its own way, and a gradient-descent step follows the average of the "
                           "nudges.", "backprop-batch-formula")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            batch_size.render()
            stepped = gr.Markdown(elem_id="backprop-batch-step")
        with gr.Column(scale=2):
            bars = gr.Plot(label="each example's gradient", elem_id="backprop-batch-bars")
    inputs = [*controls, batch_size, learning_rate]
    gr.on([tab.opened, *[c.change for c in inputs]], explain_batch, inputs=inputs, outputs=[formula, bars, stepped],
          trigger_mode="always_last", api_visibility="undocumented", show_progress="hidden")


def batch_size_slider() -> gr.Slider:
    """Made before the scenes that set it, laid out in the batch part."""
    return gr.Slider(1, MAX_BATCH, BATCH_SIZE, step=1, label="batch size n (examples #i, #i + 1, …)",
                     elem_id="backprop-batch", render=False)
