"""Attention head viewer (knowledge map: Attention Block: Query, Key, Value; score = Q·K/√d -> softmax -> weights
-> Σ weight × V; many heads in parallel, each learning a different type of relationship) on the bundled SmolLM2 or a
hub model. This module composes the page; its parts: heads.py (one recorded forward pass per prompt; one head's
scores, pattern and write; every head scored) and relations.py (the relation finder's ranking of all heads for a
chosen query and key)."""

import gradio as gr

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.events import bind
from components.page import panel_frame
from core.attention import MAX_TOKENS
from models.language import language_model_shape
from models.settings import Settings
from server.queue import HEAVY

from .heads import (PRESETS, STATISTICS, attention_endpoint, choose_preset, open_panel, run, run_new_prompt, shape_text,
                    view)
from .relations import find_relation, inspect_head, new_relation, relation_layout, show_relations

PANEL = "attention"                       # its page: /attention, and ?panel=attention in a link
TITLE = "Attention heads"
SUMMARY = "every head of SmolLM2: the scores q·k/√d, the pattern, which heads link two tokens and what one writes"


def build(settings: Settings) -> PanelLink:
    shape = language_model_shape(settings)
    with panel_frame(PANEL) as tab:
        live = explanation_card(
            "Attention: every token asks, every earlier token answers",
            "Each token makes a query ('what am I looking for?'), a key ('what do I contain?') and a value ('what "
            "do I send if selected?'). A query's scores against the keys, softmaxed, say how much of each value it "
            "takes. Many heads do this in parallel, each learning its own kind of relation. "
            + shape_text(shape),
            "", "Pick the repeated-text preset and look for heads with a high induction score: at the second copy "
            "they look at the token that followed the first copy. The relation finder ranks every head for one "
            "query and one key: pick 'it' and 'trophy' in the pronoun preset, then see what the top head really "
            "writes. The Names preset finds a head that copies 'Mary' and one that suppresses it.",
            elem_id="attention-formula", reserve=124)
        with gr.Row():
            preset = gr.Dropdown(list(PRESETS), value=next(iter(PRESETS)), label="preset", elem_id="attention-preset")
            prompt = gr.Textbox(next(iter(PRESETS.values())), label=f"prompt (first {MAX_TOKENS} tokens are used)",
                                scale=3, elem_id="attention-prompt")
        with gr.Row():
            # opens on an induction head of SmolLM2 for the default preset (measured: layer 18 head 6 scores 0.504,
            # layer 17 head 5 0.501; the next is 17/4 at 0.44)
            layer = gr.Slider(0, shape.layers - 1, min(18, shape.layers - 1), step=1, label="layer",
                              elem_id="attention-layer")
            head = gr.Slider(0, shape.heads - 1, min(6, shape.heads - 1), step=1, label="head",
                             elem_id="attention-head")
            # 16 is the second 'sat' of the default preset: head 18/6 looks at the 'on' that followed the first one
            query = gr.Slider(0, MAX_TOKENS - 1, 16, step=1, label="query token", elem_id="attention-query")
        note = gr.Markdown(elem_id="attention-note")
        with gr.Row():
            scores = gr.Plot(label="scores", elem_id="attention-scores")
            pattern = gr.Plot(label="pattern", elem_id="attention-pattern")
        with gr.Row():
            bars = gr.Plot(label="one query", elem_id="attention-bars")
            with gr.Column():
                overlay = gr.CheckboxGroup([str(h) for h in range(shape.heads)], label="overlay more heads of this layer",
                                           elem_id="attention-overlay")
                lines = gr.Plot(label="lines", elem_id="attention-lines")
        relation = relation_layout()
        with gr.Row():
            statistic = gr.Radio(STATISTICS, value=STATISTICS[0][1], label="score every head by",
                                 elem_id="attention-statistic")
        with gr.Row():
            stats = gr.Plot(label="head scores", elem_id="attention-stats")
            thumbnails = gr.Plot(label="all heads", elem_id="attention-overview")
        wire(settings, tab, dict(preset=preset, prompt=prompt, layer=layer, head=head, query=query, overlay=overlay,
                                 statistic=statistic), [live, scores, pattern, bars, lines], [thumbnails, stats, note],
             relation)
        gr.api(bind(attention_endpoint, settings), api_name="attention", **HEAVY)
        return link_box("attention", {"prompt": prompt, "layer": layer, "head": head, "query": query,
                                      "relation_query": relation["query"], "relation_key": relation["key"]})


def wire(settings: Settings, tab, controls: dict, head_outputs: list, overview_outputs: list, relation: dict) -> None:
    """The panel's events. controls by name; what view draws (then the write); the overview; the relation finder."""
    prompt, layer, head, query = (controls[name] for name in ("prompt", "layer", "head", "query"))
    views, asked = [prompt, layer, head, query, controls["overlay"]], [prompt, controls["statistic"], layer, head, query]
    shown = [*head_outputs, relation["write"], relation["write_note"]]
    drawn = [*overview_outputs, query, layer, head, controls["overlay"]]
    relations = [relation[name] for name in ("query", "key", "ranking", "note", "heads")]
    moved = [layer, head, query]                                     # a relation's head, shown at its query
    redraw = dict(fn=bind(view, settings), inputs=views, outputs=shown, api_visibility="undocumented")
    new_prompt = dict(fn=bind(run_new_prompt, settings), inputs=asked, outputs=drawn,
                      api_visibility="undocumented", **HEAVY)
    relate = dict(fn=bind(new_relation, settings), inputs=[prompt, layer, head], outputs=[*relations, *moved],
                  api_visibility="undocumented")
    gr.on([tab.opened], bind(open_panel, settings), inputs=[*asked, controls["overlay"]], outputs=[*drawn, *shown],
          api_visibility="undocumented", **HEAVY).then(
        bind(show_relations, settings), inputs=[prompt, relation["query"], relation["key"], layer, head],
        outputs=relations,
        api_visibility="undocumented")
    controls["statistic"].change(bind(run, settings), inputs=asked, outputs=drawn, api_visibility="undocumented",
                                 **HEAVY).then(**redraw)
    prompt.submit(**new_prompt).then(**relate).then(**redraw)
    controls["preset"].select(choose_preset, inputs=controls["preset"], outputs=prompt,
                              api_visibility="undocumented").then(**new_prompt).then(**relate).then(**redraw)
    gr.on([layer.change, head.change, query.change, controls["overlay"].change], **redraw,
          trigger_mode="always_last", show_progress="hidden")
    gr.on([relation["query"].input, relation["key"].input], bind(find_relation, settings),
          inputs=[prompt, relation["query"], relation["key"]], outputs=[*relations, *moved],
          api_visibility="undocumented", trigger_mode="always_last")
    relation["heads"].select(inspect_head, inputs=[relation["heads"], relation["query"]], outputs=moved,
                             api_visibility="undocumented")
