"""The playground's left column: the data, the network (features, layers, widths, activation) and the rates, with
their defaults and the scenes that set them all at once."""
import gradio as gr

from components.checked_number import CheckedNumber
from core.checks import MAX_SEED
from core.playground import ACTIVATIONS, FEATURES, MAX_LAYERS, MAX_WIDTH
from core.playground_data import DATASETS
from explorers.learning.playground.handlers import OWN

LEARNING_RATES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]
L2_RATES = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1]
DEFAULTS = dict(dataset="circle", noise=0, train=50, seed=0, features=["x", "y"], layers=2, widths=(4, 2, 4, 4),
                activation="tanh", learning_rate=0.3, batch_size=10, l2=0)
# label -> (data, noise %, training %, seed, features, hidden layers, n1..n4, activation, η, batch, λ)
SCENES = {
    "Layers · no hidden layer cannot separate XOR":
        ["xor", 0, 50, 0, ["x", "y"], 0, 4, 2, 4, 4, "tanh", 0.3, 10, 0],
    "Layers · one hidden layer of 4 and XOR is solved":
        ["xor", 0, 50, 0, ["x", "y"], 1, 4, 2, 4, 4, "tanh", 0.3, 10, 0],
    "Activation Functions · one tanh layer draws the circle":
        ["circle", 0, 50, 0, ["x", "y"], 1, 4, 2, 4, 4, "tanh", 0.3, 10, 0],
    "Activation Functions · linear f: only straight lines":
        ["circle", 0, 50, 0, ["x", "y"], 2, 8, 8, 4, 4, "linear", 0.03, 10, 0],
    "Layers · the spiral needs depth: 2 layers of 8":
        ["spiral", 0, 50, 0, ["x", "y"], 2, 8, 8, 4, 4, "tanh", 0.3, 30, 0],
    "Layers · x² and y² as inputs: no hidden layer needed":
        ["circle", 0, 50, 0, ["x²", "y²"], 0, 4, 2, 4, 4, "tanh", 0.3, 10, 0],
    "Gradient Descent · η = 10 overshoots: the cost goes up":
        ["circle", 0, 50, 0, ["x", "y"], 2, 8, 8, 4, 4, "tanh", 10, 10, 0],
    "Cost Function · over-fitting: the test cost rises":
        ["xor", 50, 10, 0, ["x", "y", "x²", "y²", "xy", "sin x", "sin y"], 3, 8, 8, 8, 4, "tanh", 0.3, 5, 0],
}


def fewer_layers(layers) -> int:
    return max(0, int(layers or 0) - 1)


def more_layers(layers) -> int:
    return min(MAX_LAYERS, int(layers or 0) + 1)


def shown_widths(layers) -> list:
    count = int(layers or 0)
    return [gr.Slider(visible=k < count) for k in range(MAX_LAYERS)]


def build_network_controls(opened):
    features = gr.CheckboxGroup(list(FEATURES), value=DEFAULTS["features"], label="input features",
                                elem_id="playground-features")
    with gr.Row():
        fewer = gr.Button("− layer", size="sm", elem_id="playground-fewer", min_width=60)
        layers = CheckedNumber(DEFAULTS["layers"], label="hidden layers", precision=0, minimum=0, maximum=MAX_LAYERS,
                           elem_id="playground-layers", min_width=80)
        more = gr.Button("+ layer", size="sm", elem_id="playground-more", min_width=60)
    widths = [gr.Slider(1, MAX_WIDTH, width, step=1, label=f"neurons in layer {k + 1}", visible=k < DEFAULTS["layers"],
                        elem_id=f"playground-n{k + 1}") for k, width in enumerate(DEFAULTS["widths"])]
    activation = gr.Radio(list(ACTIVATIONS), value=DEFAULTS["activation"], label="activation f (hidden layers)",
                          elem_id="playground-activation")
    fewer.click(fewer_layers, layers, layers, api_visibility="undocumented", queue=False)
    more.click(more_layers, layers, layers, api_visibility="undocumented", queue=False)
    gr.on([opened, layers.change], shown_widths, layers, widths, api_visibility="undocumented", queue=False)
    return features, layers, widths, activation


def build_data_controls(opened) -> dict:
    """The left column: the data, the network, the rates. Returns them by their deep-link names."""
    dataset = gr.Radio([*DATASETS, OWN], value=DEFAULTS["dataset"], label="data", elem_id="playground-data")
    noise = gr.Slider(0, 50, DEFAULTS["noise"], step=5, label="noise (%)", elem_id="playground-noise")
    train_share = gr.Slider(10, 90, DEFAULTS["train"], step=10, label="training points (%)",
                            elem_id="playground-train")
    seed = CheckedNumber(DEFAULTS["seed"], label="seed (data and first weights)", precision=0, minimum=0,
                     maximum=MAX_SEED, elem_id="playground-seed")
    features, layers, widths, activation = build_network_controls(opened)
    learning_rate = gr.Dropdown(LEARNING_RATES, value=DEFAULTS["learning_rate"], label="learning rate η",
                                elem_id="playground-lr")
    batch_size = gr.Slider(1, 100, DEFAULTS["batch_size"], step=1, label="batch size", elem_id="playground-batch")
    l2 = gr.Dropdown(L2_RATES, value=DEFAULTS["l2"], label="L2 regularisation λ", elem_id="playground-l2")
    return {"data": dataset, "noise": noise, "train": train_share, "seed": seed, "features": features,
            "layers": layers, **{f"n{k + 1}": w for k, w in enumerate(widths)}, "f": activation,
            "lr": learning_rate, "batch": batch_size, "l2": l2}
