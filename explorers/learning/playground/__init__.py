"""Playground (knowledge map: Layers, Activation Functions, Cost Function, Gradient Descent): build a small network,
press Play, and watch it learn 2-D data neuron by neuron, as in TensorFlow Playground.

controls.py lays out the data, the network and the rates; own_points.py the learner's own points; handlers.py is
what one learner's network is and how it trains and is drawn; desk.py shares it between Play and the other events.
"""

import gradio as gr

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.scenes import scenes
from components.page import panel_frame
from explorers.learning.playground import handlers
from explorers.learning.playground.controls import DEFAULTS, SCENES, build_data_controls
from explorers.learning.playground.desk import Desk, checked_rates
from explorers.learning.playground.own_points import build_own_points
from models.settings import Settings

# Play loops (and API trainings) that run at once, in their own queue: the model panels' queue and the light panels
# never wait for them; a learner beyond this many waits for a loop to pause (at most 60 s). They share the cores.
PLAYING_AT_ONCE = 16

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
            elem_id="playground-formula", reserve=200)
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
        return link_box(PANEL, controls)
