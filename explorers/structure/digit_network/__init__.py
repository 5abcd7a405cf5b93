"""Digit network (knowledge map: Layers, Forward Pass, Weights & Bias, Gradient Descent, SGD — Mini-batch): the
series' classic network, small (64 pixels -> 16 -> 16 -> 10), on real handwritten 8x8 digits.

One part per concept: view.py (the trained network's forward pass and its first layer's weights), learn.py with
training.py (the same network from random weights, trained live in the learner's page), surprises.py (noise gets a
confident answer, the weight images look like no digit, and a break-it row).
"""
import gradio as gr

from components.deeplink import PanelLink, link_box
from components.page import panel_frame
from explorers.structure.digit_network.learn import build_learn_part
from explorers.structure.digit_network.surprises import build_surprises_part
from explorers.structure.digit_network.view import (SCENES, blank_canvas, build_view_part, first_layer_weights,
                                                    forward_endpoint, show_drawing, show_held_out)
from models.settings import Settings

__all__ = ["SCENES", "blank_canvas", "build", "first_layer_weights", "forward_endpoint", "show_drawing",
           "show_held_out"]

PANEL = "digit-network"             # its page: /digit-network, and ?panel=digit-network in a link (once /digits)
TITLE = "Digit network"
SUMMARY = "a 64-16-16-10 network on real handwritten digits: its forward pass, and watch it learn from noise"


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:   # drawn when opened (fast start); the two folds when unfolded
        view_links, activation = build_view_part(tab)
        learn_links, learn_part = build_learn_part(tab)
        surprise_links, surprises_part = build_surprises_part(tab, activation)
        gr.api(forward_endpoint, api_name="forward")
        return link_box(PANEL, {**view_links, **learn_links, **surprise_links}, folds=(learn_part, surprises_part))
