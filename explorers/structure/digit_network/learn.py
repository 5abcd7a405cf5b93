"""Watch it learn (knowledge map: Gradient Descent, SGD — Mini-batch, Cost Function): the same 64-16-16-10 network
from random weights, trained in the learner's page by plain SGD, with Play, Pause and One step. Folded: drawn when
unfolded. training.py holds the learner's run and its handlers."""
import gradio as gr

from components.card import LATEX
from components.checked_number import CheckedNumber
from components.page import Fold, PanelFrame, drawn_when_unfolded, fold
from components.scenes import scenes
from core.checks import MAX_SEED
from core.mlp import HIDDEN_ACTIVATIONS
from core.mlp_training import MAX_BATCH, MAX_EPOCHS, MAX_LEARNING_RATE, check_rates
from explorers.structure.digit_network.training import Learner, pause, play, reset, set_rates, step_once

PLAYING_AT_ONCE = 8       # Play loops at once in their own queue (they share the cores); a ninth waits for a pause
DEFAULTS = dict(learning_rate=3.0, batch_size=16, epochs=30, seed=0, activation="sigmoid")
# label -> (η, batch size, epochs, seed, activation); what each says was measured (tests/explorers check it)
SCENES = {
    "Gradient Descent · η = 3, B = 16: a plateau, then a fall": [3.0, 16, 30, 0, "sigmoid"],
    "Gradient Descent · η = 0.3: stuck on the plateau": [0.3, 16, 30, 0, "sigmoid"],
    "Gradient Descent · η = 10: too big a step, C jumps up": [10.0, 16, 12, 0, "sigmoid"],
    "SGD · B = 1: 1,347 small steps an epoch": [1.0, 1, 3, 0, "sigmoid"],
    "Activation Functions · ReLU leaves the plateau sooner": [0.3, 16, 12, 0, "relu"],
}


def build_learn_part(tab: PanelFrame) -> tuple[dict, Fold]:
    """The folded part: its controls, buttons and views, wired; returns the link's controls and the fold."""
    with fold("Watch it learn: the same network from random weights, trained in your page", "digit-network-learn") \
            as part:
        controls, buttons, outputs, shown = learn_layout()
        learner = gr.State(Learner(check_rates(*(DEFAULTS[k] for k in ("learning_rate", "batch_size", "epochs")))))
    eta, batch, epochs, seed, activation = controls.values()
    start, training = [learner, activation, seed], [learner, activation, seed, eta, batch, epochs]
    settings = dict(api_visibility="undocumented", show_progress="hidden")
    drawn_when_unfolded(part, tab.opened, reset, start, outputs)
    gr.on([buttons["reset"].click, activation.change, seed.change], reset, start, outputs,
          trigger_mode="always_last", **settings)
    shown.load_input_event.then(reset, start, outputs, **settings)        # a scene starts a new run, always
    gr.on([eta.change, batch.change, epochs.change], set_rates, [learner, eta, batch, epochs], None, **settings)
    buttons["play"].click(play, training, outputs, concurrency_id="digit-network-learn",
                          concurrency_limit=PLAYING_AT_ONCE, **settings)
    buttons["pause"].click(pause, learner, None, queue=False, **settings)
    buttons["step"].click(step_once, training, outputs, **settings)
    return controls, part


def learn_layout() -> tuple[dict, dict, list, gr.Examples]:
    """The part's controls (by link name), its buttons, its outputs and its scenes, laid out."""
    gr.Markdown(
        "The same 64-16-16-10 network, but from **random weights**, trained here in your page by plain stochastic "
        "gradient descent: each step takes B training digits, backpropagation gives the gradient of their cost C, "
        "and all 1,482 weights and biases move a little downhill. The first layer's 16 weight images start as "
        "noise: watch them change. Their edges stay pale: ∂C/∂w_jk carries pixel k's ink, and 4 edge pixels are "
        "blank in every training digit, so their weights keep their random start. The run is yours alone (at most "
        "60 s a press of Play, 10 minutes a visit).",
        elem_classes=["dle-explanation"])
    formula = gr.Markdown(latex_delimiters=LATEX, elem_classes=["dle-formula"], elem_id="digit-network-learn-formula")
    with gr.Row():
        buttons = {"play": gr.Button("▶ Play", variant="primary", elem_id="digit-network-play", min_width=80),
                   "pause": gr.Button("Pause", elem_id="digit-network-pause", min_width=80),
                   "step": gr.Button("One step", elem_id="digit-network-step", min_width=80),
                   "reset": gr.Button("Reset", elem_id="digit-network-reset", min_width=80)}
    status = gr.Markdown(elem_id="digit-network-learn-status")
    with gr.Row():
        eta = gr.Slider(0, MAX_LEARNING_RATE, DEFAULTS["learning_rate"], step=0.1, label="learning rate η",
                        elem_id="digit-network-eta")
        batch = gr.Slider(1, MAX_BATCH, DEFAULTS["batch_size"], step=1, label="batch size B",
                          elem_id="digit-network-batch")
        epochs = gr.Slider(1, MAX_EPOCHS, DEFAULTS["epochs"], step=1, label="epochs (stop after)",
                           elem_id="digit-network-epochs")
        seed = CheckedNumber(DEFAULTS["seed"], precision=0, minimum=0, maximum=MAX_SEED,
                             label="seed (first weights, order of the digits)", elem_id="digit-network-seed")
        activation = gr.Radio(list(HIDDEN_ACTIVATIONS), value=DEFAULTS["activation"], label="hidden activation",
                              elem_id="digit-network-learn-activation")
    controls = {"eta": eta, "batch": batch, "epochs": epochs, "seed": seed, "learn_f": activation}
    shown = scenes(list(controls.values()), SCENES, elem_id="digit-network-learn-scenes")
    with gr.Row():
        weights = gr.Plot(label="first-layer weights", elem_id="digit-network-learn-weights")
        curves = gr.Plot(label="cost and accuracy", elem_id="digit-network-learn-curves")
    followed = gr.Plot(label="five held-out digits", elem_id="digit-network-learn-digits")
    return controls, buttons, [formula, status, weights, curves, followed], shown
