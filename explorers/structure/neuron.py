"""Neuron sandbox (knowledge map: Weights & Bias, Neuron, Activation Functions)."""
import gradio as gr
import numpy as np

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.errors import keeps_view, user_errors
from components.formatting import number
from components.neuron_figures import activation_curve, input_plane
from components.scenes import scenes
from components.page import panel_frame
from core.neuron import ACTIVATIONS, activation_by_name, boundary_line, neuron, output_plane
from models.settings import Settings

PLANE_EXTENT = 3.0                        # the input plane shown is [-3, 3]^2
CURVE_Z = np.linspace(-8, 8, 321)         # z range of the activation curve
SYMBOL = {"sigmoid": r"\sigma", "relu": r"\mathrm{ReLU}", "tanh": r"\tanh", "step": r"\mathrm{step}"}
DEFAULTS = dict(n_inputs=2, a=(1.0, 0.5, 0.0), w=(1.5, -1.0, 0.5), bias=-0.5, activation="sigmoid")
# label -> (n_inputs, a1, a2, a3, w1, w2, w3, bias, activation), the order of the panel's controls
SCENES = {
    "Weights & Bias · bias −3: it needs strong input to fire": [2, 1.0, 0.5, 0.0, 1.5, -1.0, 0.5, -3.0, "sigmoid"],
    "Weights & Bias · bias +3: the threshold slides the other way": [2, 1.0, 0.5, 0.0, 1.5, -1.0, 0.5, 3.0, "sigmoid"],
    "Weights & Bias · turn the weights: the line rotates": [2, 1.0, 0.5, 0.0, -1.0, 2.0, 0.5, -0.5, "sigmoid"],
    "Activation Functions · step: the all-or-nothing perceptron": [2, 1.0, 0.5, 0.0, 1.5, -1.0, 0.5, -0.5, "step"],
    "Activation Functions · ReLU: off below the threshold": [2, -1.0, 0.5, 0.0, 1.5, -1.0, 0.5, -0.5, "relu"],
}


def formula(inputs, weights, bias, z, a, activation) -> str:
    terms = " + ".join(f"w_{i + 1} a_{i + 1}" for i in range(len(inputs)))
    numbers = " + ".join(f"({number(w, 2)})({number(x, 2)})" for w, x in zip(weights, inputs))
    f = SYMBOL[activation]
    line = " + ".join(f"({number(w, 2)})\\,a_{i + 1}" for i, w in enumerate(weights[:2]))
    if len(weights) == 3:  # the plane is over (a1, a2): a3 is held at its value, like extra bias
        line += f" + ({number(weights[2], 2)})({number(inputs[2], 2)})"
    return (f"$$z = {terms} + b = {numbers} + ({number(bias, 2)}) = {number(z)}$$\n\n"
            f"$$a = {f}(z) = {f}({number(z)}) = {number(a)}$$\n\n"
            f"**Threshold** (the dashed line, where z = 0): ${line} + ({number(bias, 2)}) = 0$")


@user_errors
def neuron_endpoint(inputs: list[float], weights: list[float], bias: float, activation: str) -> dict:
    """z = w·a + b and a = f(z) for one neuron. activation is one of sigmoid, relu, tanh, step."""
    z, a = neuron(inputs, weights, bias, activation)
    return {"z": z, "a": a}


@keeps_view
def update(n_inputs, a1, a2, a3, w1, w2, w3, bias, activation):
    """Everything the panel shows for the current sliders: the formula, the curve, the input plane."""
    count = int(n_inputs)
    inputs, weights = [a1, a2, a3][:count], [w1, w2, w3][:count]
    z, a = neuron(inputs, weights, bias, activation)
    f = activation_by_name(activation)
    # The plane is over (a1, a2); a third input is held at its slider value, so it acts like extra bias.
    held = float(w3) * float(a3) if count == 3 else 0.0
    axis, grid = output_plane(weights[:2], float(bias) + held, activation, PLANE_EXTENT)
    line = boundary_line(weights[:2], float(bias) + held, PLANE_EXTENT)
    zrange = (-1.0, 1.0) if activation == "tanh" else (0.0, max(1.0, float(grid.max())))
    return (formula(inputs, weights, bias, z, a, activation),
            activation_curve(CURVE_Z, f(CURVE_Z), z, a, activation),
            input_plane(axis, grid, line, (float(a1), float(a2)), zrange))


def show_third_input(n_inputs):
    visible = int(n_inputs) == 3
    return gr.update(visible=visible), gr.update(visible=visible)


PANEL = "neuron"                       # its page: /neuron, and ?panel=neuron in a link
TITLE = "Neuron sandbox"
SUMMARY = "z = w·a + b, then a = f(z): the bias slides the threshold, the weights turn it"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:                # drawn when the page opens, in the state it was linked with
        live = explanation_card(
            "A neuron: weights, bias, activation",
            "A neuron holds one number, its **activation**. It multiplies each input by a **weight** (how much "
            "that connection matters), adds a **bias** (which shifts its threshold up or down), and squashes the "
            "sum with an **activation function**: sigmoid squashes into (0, 1), ReLU keeps the positive part.",
            "", "Move the **bias**: the dashed line w·a + b = 0 slides across the plane, so the neuron fires for "
            "more or fewer inputs. Change the **weights**: the line turns. Switch sigmoid to step to see the "
            "all-or-nothing perceptron, or to ReLU to see a neuron that is simply off below its threshold.",
            elem_id="neuron-formula", reserve=138)
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                n_inputs = gr.Radio([2, 3], value=DEFAULTS["n_inputs"], label="number of inputs", elem_id="neuron-n")
                activation = gr.Radio(list(ACTIVATIONS), value=DEFAULTS["activation"], label="activation f",
                                      elem_id="neuron-activation")
                a1 = gr.Slider(-3, 3, DEFAULTS["a"][0], step=0.05, label="input a1", elem_id="neuron-a1")
                a2 = gr.Slider(-3, 3, DEFAULTS["a"][1], step=0.05, label="input a2", elem_id="neuron-a2")
                a3 = gr.Slider(-3, 3, DEFAULTS["a"][2], step=0.05, label="input a3", visible=False, elem_id="neuron-a3")
                w1 = gr.Slider(-5, 5, DEFAULTS["w"][0], step=0.05, label="weight w1", elem_id="neuron-w1")
                w2 = gr.Slider(-5, 5, DEFAULTS["w"][1], step=0.05, label="weight w2", elem_id="neuron-w2")
                w3 = gr.Slider(-5, 5, DEFAULTS["w"][2], step=0.05, label="weight w3", visible=False, elem_id="neuron-w3")
                bias = gr.Slider(-5, 5, DEFAULTS["bias"], step=0.05, label="bias b", elem_id="neuron-bias")
                controls = [n_inputs, a1, a2, a3, w1, w2, w3, bias, activation]
                scenes(controls, SCENES, elem_id="neuron-scenes")
            with gr.Column(scale=2):
                plane = gr.Plot(label="output over the input plane", elem_id="neuron-plane")
                curve = gr.Plot(label="activation curve", elem_id="neuron-curve")
        gr.on([tab.opened, *[c.change for c in controls]], update, inputs=controls, outputs=[live, curve, plane],
              trigger_mode="always_last", api_visibility="undocumented", show_progress="hidden")
        gr.on([tab.opened, n_inputs.change], show_third_input, inputs=n_inputs, outputs=[a3, w3],
              api_visibility="undocumented", queue=False)
        gr.api(neuron_endpoint, api_name="neuron")
        return link_box("neuron", {"n": n_inputs, "f": activation, "a1": a1, "a2": a2, "a3": a3,
                                   "w1": w1, "w2": w2, "w3": w3, "b": bias})
