"""Backpropagation and the chain rule (knowledge map: Backpropagation, Chain Rule, Cost Function, Gradient Descent)
on the trained digit network: every factor of one training example's gradient, then the average of a batch of
examples' gradients (the gradient of the cost C) and one gradient-descent step with it; then backprop on a
computational graph of the learner's own expression, micrograd style.

One part per concept: one_example.py (the chain rule for one example's cost L), batch.py (the average over a batch),
graph.py (a typed expression's graph, stepped forward and backward; folded).
"""
import gradio as gr

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.page import panel_frame
from explorers.learning.backprop.batch import batch_size_slider, build_batch_part
from explorers.learning.backprop.graph import build_graph_part, graph_endpoint
from explorers.learning.backprop.one_example import backprop_endpoint, build_one_example_part
from models.settings import Settings

PANEL = "backprop"                       # its page: /backprop, and ?panel=backprop in a link
TITLE = "Backpropagation"
SUMMARY = "every weight's gradient for one example: how wrong × how responsive × how active; a batch averages them"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:   # drawn when opened
        formula = explanation_card(
            "Backpropagation: passing the blame backward",
            "Start at the output error and pass blame backward, layer by layer. Each weight's share of the blame "
            "is three factors multiplied: how wrong its neuron's output was, how responsive that neuron is, and "
            "how active the neuron feeding it was. A weight in an earlier layer reaches the output by many paths; "
            "its blame is the sum over all of them. That is one example's blame; the gradient averages it over "
            "the examples.",
            "", "Pick a weight in the last layer, then one in layer 1: see the blame become a sum over paths. "
            "Find a weight whose 'how active' is 0 (a blank pixel): its gradient is 0, whatever the error. Take "
            "a gradient step and watch the cost of this example drop; try a huge learning rate. Below, change the "
            "batch size n: each example's nudge for the same weight, and their average, the gradient. Last, type a "
            "formula of your own and step through its graph, forward then backward.",
            elem_id="backprop-formula", reserve=249)
        batch_size = batch_size_slider()
        controls, learning_rate = build_one_example_part(tab, formula, batch_size)
        build_batch_part(tab, controls, batch_size, learning_rate)
        graph_links, graph_part = build_graph_part(tab)          # folded: drawn when unfolded (or linked)
        gr.api(backprop_endpoint, api_name="backprop")
        gr.api(graph_endpoint, api_name="compute_graph")
        index, activation, layer, to_neuron, from_neuron = controls
        return link_box(PANEL, {"i": index, "f": activation, "l": layer, "j": to_neuron, "k": from_neuron,
                                "eta": learning_rate, "n": batch_size, **graph_links}, folds=(graph_part,))
