"""The digit network's first part (knowledge map: Layers, Forward Pass, Weights & Bias): the forward pass of the
trained 64-16-16-10 network on a held-out digit or a drawing, and what its first layer's neurons look for."""
import gradio as gr
import numpy as np
import torch

from components.card import explanation_card
from components.errors import keeps_view, user_errors
from components.formatting import number, significant
from components.scenes import scenes
from components.network_figures import digit_image, network_diagram, output_bars, weight_images
from components.page import PanelFrame
from core.checks import finite_list, whole
from core.mlp import HIDDEN_ACTIVATIONS, cost_terms, forward_with_z
from core.sketch import drawing_to_digit
from models.digit_network import load_digit_network
from models.digits import N_TEST, N_TRAIN, load_digits_split

LAYER_NAMES = ["input (64 pixels)", "hidden 1 (16)", "hidden 2 (16)", "output (10)"]
SYMBOL = {"sigmoid": r"\sigma", "relu": r"\mathrm{ReLU}"}
CANVAS_SIDE = 280     # the drawing canvas, in pixels
BRUSH_RADIUS = 10     # pixels: strokes about 1/14 of the canvas, like the data set's pen on its 32x32 bitmaps


def held_out(index) -> tuple[np.ndarray, int]:
    data = load_digits_split()
    i = whole("index", index, 0, len(data.x_test) - 1)
    return data.x_test[i], int(data.y_test[i])


def run_network(pixels: np.ndarray, activation: str):
    network = load_digit_network(activation)
    with torch.inference_mode():
        zs, activations = forward_with_z(network.params, torch.tensor(pixels, dtype=torch.float32), activation)
    return network, [z.numpy() for z in zs], [a.numpy() for a in activations]


def neuron_formula(network, zs, activations, activation: str) -> str:
    """The forward pass with numbers, for the most active neuron of the first hidden layer."""
    j = int(np.argmax(activations[1]))
    W, b, a0 = network.params["W1"][j].numpy(), float(network.params["b1"][j]), activations[0]
    terms = W * a0
    top = np.argsort(-np.abs(terms))[:3]
    shown = " + ".join(f"({number(W[k], 2)})({number(a0[k], 2)})" for k in top)
    rest = float(terms.sum() - terms[top].sum())
    f = SYMBOL[activation]
    return (f"$$a^{{(l+1)}} = {f}\\left(W a^{{(l)}} + b\\right)$$\n\n"
            f"Hidden neuron {j} of layer 1 (the most active one here): its 64 weighted inputs, the three largest shown,\n\n"
            f"$$z_{{{j}}} = {shown} + \\underbrace{{({number(rest, 2)})}}_{{\\text{{61 more}}}} + ({number(b, 2)}) = "
            f"{number(float(zs[0][j]))}, \\quad a_{{{j}}} = {f}({number(float(zs[0][j]))}) = {number(float(activations[1][j]))}$$")


def cost_line(outputs: np.ndarray, label: int | None) -> str:
    """The cost of this digit, L = Σ_j (a_j − y_j)² with y the one-hot label: the cost the network was trained to
    lower (core.mlp.cost averages it over the training digits). The label's term and the nine others' sum."""
    if label is None:
        return "Cost: none for a drawing (L compares the outputs with the true label y, and a drawing has none)."
    terms = cost_terms(torch.tensor(outputs), torch.tensor(label)).numpy()                  # (10,) (a_j − y_j)²
    others = float(terms.sum() - terms[label])
    return (f"Cost of this digit L = Σⱼ (aⱼ − yⱼ)² = **{significant(float(terms.sum()), 3, latex=False)}**: the "
            f"label's output ({significant(float(outputs[label]), 4, latex=False)} − 1)² = "
            f"{significant(float(terms[label]), 3, latex=False)}, plus the nine others' (aⱼ − 0)² = "
            f"{significant(others, 3, latex=False)}. Training lowered C, the average of L over the {N_TRAIN:,} "
            "training digits.")


def show(pixels: np.ndarray, label: int | None, activation: str, source: str):
    network, zs, activations = run_network(pixels, activation)
    outputs = activations[-1]
    prediction = int(np.argmax(outputs))
    share = outputs / outputs.sum()
    verdict = (f"**Prediction: {prediction}** (output {outputs[prediction]:.2f}; "
               f"{share[prediction]:.0%} of the total output activation)" +
               (f" · true label {label}" if label is not None else "") + f" · {source}\n\n" +
               cost_line(outputs, label))
    weights = [network.params[f"W{l}"].numpy() for l in (1, 2, 3)]
    return (neuron_formula(network, zs, activations, activation), digit_image(pixels, "the input, 8x8"),
            network_diagram(activations, weights, LAYER_NAMES),
            output_bars(outputs, label, "Outputs a^(3): one per digit"), verdict)


@keeps_view
def show_held_out(index, activation):
    pixels, label = held_out(index)
    return show(pixels, label, activation, f"held-out digit #{int(index)}")


@keeps_view
def show_drawing(editor_value, activation):
    composite = editor_value.get("composite") if isinstance(editor_value, dict) else editor_value
    if composite is None:
        raise ValueError("The drawing is blank: draw a digit with the pen first.")
    return show(drawing_to_digit(np.asarray(composite)), None, activation, "your drawing, scaled like the data set")


def blank_canvas() -> dict:
    """The canvas as it opens and after the bin is pressed: a white picture to draw on. An empty Sketchpad opens
    with its image tool selected in this Gradio version ("select the draw tool to start"); one with a background
    opens with the brush selected, so that drawing first and then pressing Read my drawing just works."""
    return {"background": np.full((CANVAS_SIDE, CANVAS_SIDE, 3), 255, np.uint8), "layers": [], "composite": None}


@keeps_view
def first_layer_weights(activation):
    network = load_digit_network(activation)
    return weight_images(network.params["W1"].numpy(),
                         f"What each hidden-1 neuron looks for ({activation} network; held-out accuracy "
                         f"{network.test_accuracy:.1%})")


@user_errors
def forward_endpoint(image: list[float] | None = None, index: int | None = None, activation: str = "sigmoid") -> dict:
    """The activations of every layer for an 8x8 image (64 numbers in 0..1) or a held-out index (0..449)."""
    if image is not None and image != []:
        pixels = np.asarray(finite_list("image", image), dtype=np.float64)
        if pixels.shape != (64,) or pixels.min() < 0 or pixels.max() > 1:
            raise ValueError("image must be 64 numbers between 0 and 1 (an 8x8 digit, row by row).")
        pixels = pixels.astype(np.float32)
        label = None
    elif index is not None:
        pixels, label = held_out(index)
    else:
        raise ValueError("Give an image (64 numbers) or a held-out index (0..449).")
    _, _, activations = run_network(pixels, activation)
    outputs = activations[-1]
    return {"activations": [a.tolist() for a in activations], "outputs": outputs.tolist(),
            "prediction": int(np.argmax(outputs)), "label": label}


# label -> (held-out digit #, hidden activation); the wrong answers were measured on the committed checkpoints
SCENES = {
    "Forward Pass · a clean 0, layer by layer (held-out #1)": [1, "sigmoid"],
    "Layers · a 4 it reads as 9 (held-out #38)": [38, "sigmoid"],
    "Layers · an 8 it reads as 1 (held-out #43)": [43, "sigmoid"],
    "Activation Functions · the same 4, ReLU network (says 8)": [38, "relu"],
}


def build_view_part(tab: PanelFrame) -> tuple[dict, gr.Radio]:
    """The forward pass and the first layer's weights, drawn when the page opens; returns the link's controls and the
    hidden activation radio (the surprises below read the same network)."""
    live = explanation_card(
        "Layers: pixels in, a digit out",
        "A network is layers of neurons. Each layer's activations are computed from the previous layer's: "
        "weight every input, add a bias, squash. This one was trained here on 1,347 handwritten 8x8 digits "
        "(64 pixels → 16 → 16 → 10, like the series' 784-16-16-10) and reads the 450 it never saw at about 97%.",
        "", "Slide through held-out digits and watch which hidden neurons light up; find one it gets wrong. "
        "Draw your own digit and press *Read my drawing*. Switch to the ReLU network. Below, look at what the "
        "first layer's neurons respond to: judge for yourself whether they look like edges. Then unfold *Watch it "
        "learn* and train the same network from random weights.",
        elem_id="digit-network-formula", reserve=172)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            activation = gr.Radio(list(HIDDEN_ACTIVATIONS), value="sigmoid", label="hidden activation",
                                  elem_id="digit-network-activation")
            index = gr.Slider(0, N_TEST - 1, 0, step=1, label="held-out digit #",
                              elem_id="digit-network-index")
            scenes([index, activation], SCENES, elem_id="digit-network-scenes")
            image = gr.Plot(label="input", elem_id="digit-network-image")
            sketch = gr.Sketchpad(blank_canvas(), label="or draw a digit", type="numpy", image_mode="RGBA",
                                  canvas_size=(CANVAS_SIDE, CANVAS_SIDE), transforms=(), layers=False,
                                  brush=gr.Brush(default_size=BRUSH_RADIUS, colors=["#000000"],
                                                 color_mode="fixed"), elem_id="digit-network-sketch")
            read = gr.Button("Read my drawing", elem_id="digit-network-read")
        with gr.Column(scale=2):
            verdict = gr.Markdown(elem_id="digit-network-verdict")
            diagram = gr.Plot(label="layers", elem_id="digit-network-diagram")
            outputs = gr.Plot(label="outputs", elem_id="digit-network-outputs")
    weights = gr.Plot(label="first-layer weights", elem_id="digit-network-weights")
    gr.Markdown(
        "**What the first layer really learned.** Each tile is one hidden-1 neuron's 64 incoming weights, laid "
        "out as the 8x8 image they multiply (blue: ink on this pixel raises the neuron, red: lowers it). On this "
        "small trained network most tiles are scattered blotches of blue and red; a few follow part of a "
        "stroke. They are not clean edge detectors: the tidy 'pixels → edges → shapes' story is an "
        "idealization, and a network keeps whatever features lower its cost.",
        elem_classes=["dle-explanation"])
    shown = [live, image, diagram, outputs, verdict]
    gr.on([tab.opened, index.change, activation.change], show_held_out, inputs=[index, activation], outputs=shown,
          trigger_mode="always_last", api_visibility="undocumented", show_progress="hidden")
    read.click(show_drawing, inputs=[sketch, activation], outputs=shown, api_visibility="undocumented")
    sketch.clear(blank_canvas, outputs=sketch, api_visibility="undocumented", queue=False)
    gr.on([tab.opened, activation.change], first_layer_weights, inputs=activation, outputs=weights,
          api_visibility="undocumented")
    return {"i": index, "f": activation}, activation
