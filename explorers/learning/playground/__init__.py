"""Playground (knowledge map: Layers, Activation Functions, Cost Function, Gradient Descent): build a small network,
press Play, and watch it learn 2-D data neuron by neuron, as in TensorFlow Playground."""

import gradio as gr

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.checked_number import CheckedNumber
from components.scenes import scenes
from components.page import panel_frame
from core.checks import MAX_SEED
from core.playground import ACTIVATIONS, FEATURES, MAX_LAYERS, MAX_WIDTH
from core.playground_data import DATASETS, EXTENT
from explorers.learning.playground import handlers
from explorers.learning.playground.desk import Desk, checked_rates
from explorers.learning.playground.handlers import OWN
from models.settings import Settings

# Play loops (and API trainings) that run at once, in their own queue: the model panels' queue and the light panels
# never wait for them; a learner beyond this many waits for a loop to pause (at most 60 s). They share the cores.
PLAYING_AT_ONCE = 16
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
    fewer.click(handlers.fewer_layers, layers, layers, api_visibility="undocumented", queue=False)
    more.click(handlers.more_layers, layers, layers, api_visibility="undocumented", queue=False)
    gr.on([opened, layers.change], handlers.shown_widths, layers, widths, api_visibility="undocumented", queue=False)
    return features, layers, widths, activation


def build_own_points(own, dataset, reset_inputs, reset_outputs) -> None:
    with gr.Accordion("Your own points: click the plane, or upload a CSV (x, y, label)", open=False):
        with gr.Row():
            canvas = gr.Image(handlers.own_points_view([])[1], label=f"click to add a point ([−{EXTENT:g}, "
                              f"{EXTENT:g}]², x to the right, y up)", interactive=False, elem_id="playground-canvas",
                              height=360, width=360, buttons=[])
            with gr.Column():
                label = gr.Radio([("orange (0)", 0), ("blue (1)", 1), ("green (2)", 2)], value=0,
                                 label="class of the next point", elem_id="playground-class")
                note = gr.Markdown(handlers.own_points_note([]), elem_id="playground-own-note")
                with gr.Row():
                    undo = gr.Button("Undo last point", size="sm")
                    clear = gr.Button("Clear", size="sm")
                use = gr.Button("Train on these points", variant="primary", elem_id="playground-use")
                upload = gr.File(label="or upload a CSV (at most 2,000 rows)", file_types=[".csv", ".txt"],
                                 elem_id="playground-csv")
    shown = [own, canvas, note]
    canvas.select(handlers.add_point, [own, label], shown, api_visibility="undocumented")
    undo.click(handlers.undo_point, own, shown, api_visibility="undocumented")
    clear.click(handlers.clear_points, own, shown, api_visibility="undocumented")
    upload.upload(handlers.upload_points, upload, [*shown, dataset], api_visibility="undocumented")
    use.click(handlers.use_points, None, dataset, api_visibility="undocumented", queue=False).then(
        handlers.reset, reset_inputs, reset_outputs, api_visibility="undocumented")


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


PANEL = "playground"                       # its page: /playground, and ?panel=playground in a link
TITLE = "Playground"
SUMMARY = "TensorFlow Playground with the series' formulas: train a network live on the plane"


def build(settings: Settings) -> PanelLink:
    first_session = handlers.new_session(DEFAULTS["dataset"], DEFAULTS["noise"], DEFAULTS["train"], DEFAULTS["seed"],
                                         DEFAULTS["features"], DEFAULTS["layers"], DEFAULTS["widths"],
                                         DEFAULTS["activation"])
    with panel_frame(PANEL) as tab:          # drawn when the page opens, from the controls as the page carries them
        live = explanation_card(
            "Playground: build a network, watch it learn",
            "Pick some points, stack a few **layers** of neurons, and press Play: gradient descent moves every "
            "weight a little, step after step, and the colour over the plane (what the network answers there) "
            "bends around the points. Each small square is one neuron: its own activation over the same plane.",
            "", "Start with **XOR and no hidden layer**: one neuron draws one straight line, so the cost stays "
            "high. Add a hidden layer and press Play again. Then try the spiral, and a linear activation.",
            elem_id="playground-formula")
        rates = checked_rates(DEFAULTS["learning_rate"], DEFAULTS["batch_size"], DEFAULTS["l2"])
        desk = gr.State(Desk(first_session, rates))           # per user: this learner's data, network and rates
        with gr.Row():                                        # above the controls: on a phone, right under the formula
            play = gr.Button("▶ Play", variant="primary", elem_id="playground-play", min_width=80)
            pause = gr.Button("Pause", elem_id="playground-pause", min_width=80)
            one = gr.Button("One step", elem_id="playground-step", min_width=80)
            again = gr.Button("Reset", elem_id="playground-reset", min_width=80)
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                controls = build_data_controls(tab.opened)
            with gr.Column(scale=3):
                with gr.Row():
                    plane = gr.Plot(label="the output over the plane", elem_id="playground-plane", scale=2)
                    curves = gr.Plot(label="cost", elem_id="playground-curves", scale=2)
                net = gr.Plot(label="the network", elem_id="playground-network")
                with gr.Row():
                    export = gr.Button("Export the weights (JSON) and the network (PNG)", size="sm",
                                       elem_id="playground-export")
                    files = gr.File(label="exported", file_count="multiple", elem_id="playground-files", visible=False)
        data_controls = list(controls.values())[:-3]          # all but η, batch size and λ: a change is a new network
        training = [desk, *list(controls.values())[-3:]]
        outputs = [live, plane, net, curves]
        own = gr.State([])                                    # per user: the points they added [[x, y, class], ...]
        build_own_points(own, controls["data"], [desk, *data_controls, own], outputs)
        scenes(list(controls.values()), SCENES, elem_id="playground-scenes")
        play.click(handlers.play, training, outputs, api_visibility="undocumented", concurrency_id="playground",
                   concurrency_limit=PLAYING_AT_ONCE)
        pause.click(handlers.pause, desk, None, api_visibility="undocumented", queue=False)
        one.click(handlers.step_once, training, outputs, api_visibility="undocumented")
        gr.on([tab.opened, *[c.change for c in data_controls], again.click], handlers.reset, [desk, *data_controls, own], outputs,
              trigger_mode="always_last", api_visibility="undocumented", show_progress="hidden")
        gr.on([tab.opened, *[c.change for c in training[1:]]], handlers.set_rates, training, None, api_visibility="undocumented",
              show_progress="hidden")
        export.click(handlers.export_files, desk, files, api_visibility="undocumented")
        gr.api(handlers.train_endpoint, api_name="playground_train", concurrency_id="playground",
               concurrency_limit=PLAYING_AT_ONCE)
        return link_box("playground", controls)
