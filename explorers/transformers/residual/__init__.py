"""The residual stream and MLP fact lookup (knowledge map: Residual Stream, Residual Connections, MLP Block: Fact
Storage, Output logits): the logit lens, what each block writes, direct logit attribution, the series' own fact
neuron built by hand, the real model's MLP neurons as keys and values, and causal tracing, on the bundled SmolLM2
(or a hub model when enabled).

Four parts, in the page's order: lens.py (the lens, the writes, the attribution and the real neurons, drawn when the
page opens), replace.py (one block replacing the stream instead of adding to it, on a button), fact_neuron.py (Michael AND Jordan → basketball, folded before the real neurons) and trace.py (causal
tracing, on a button).
"""
import gradio as gr

from components.deeplink import PanelLink, link_box
from components.events import bind
from components.page import panel_frame
from explorers.transformers.residual.fact_neuron import build_fact_neuron_part
from explorers.transformers.residual.lens import (PRESETS, lens_layout, logit_lens_endpoint, real_neurons_layout,
                                                  wire_lens)
from explorers.transformers.residual.replace import build_replace_part
from explorers.transformers.residual.trace import build_trace_part, trace_endpoint
from models.language import language_model_shape
from models.settings import Settings
from server.queue import HEAVY

PANEL = "residual"                    # its page: /residual, and ?panel=residual in a link (once /facts)
TITLE = "Residual stream & facts"
SUMMARY = "the residual stream, the logit lens, MLP neurons and where a fact is recalled"


def build(settings: Settings) -> PanelLink:
    _, first_subject, _ = next(iter(PRESETS.values()))
    with panel_frame(PANEL) as tab:
        shape = language_model_shape(settings)
        view = lens_layout(shape)
        replaced = build_replace_part(settings, view.prompt, view.target, shape.layers)
        fact_links, fact_part = build_fact_neuron_part(tab)           # folded: drawn when unfolded (or linked)
        neurons = real_neurons_layout()
        subject, kind = build_trace_part(settings, view.prompt, view.target, first_subject)
        wire_lens(settings, tab, view, neurons, subject)
        gr.api(bind(logit_lens_endpoint, settings), api_name="logit_lens", **HEAVY)
        gr.api(bind(trace_endpoint, settings), api_name="trace", **HEAVY)
        return link_box(PANEL, {"prompt": view.prompt, "subject": subject, "target": view.target, "layer": view.layer,
                                "kind": kind, "colour": view.colour, "cut": replaced, **fact_links}, folds=(fact_part,))
