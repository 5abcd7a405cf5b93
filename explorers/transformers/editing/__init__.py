"""Edit & steer (knowledge map: MLP Block (Fact Storage), Residual Stream, Token → Embedding): change what the
language model knows and where its stream points, and watch it follow. The edit and the steering act on this
session's requests only, through hooks (core/transformer.py); the shared weights never change.

Two parts: fact_part.py (ROME's rank-one edit of one MLP, computed in fact.py) and steer.py (adding a direction to
the residual stream).
"""
import gradio as gr

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.events import bind
from components.page import panel_frame
from explorers.transformers.editing.fact_part import build_fact_part, edit_fact_endpoint
from explorers.transformers.editing.steer import build_steer_part, steer_endpoint
from models.language import language_model_shape
from models.settings import Settings
from server.queue import HEAVY

PANEL = "editing"                     # its page: /editing, and ?panel=editing in a link (once /edit)
TITLE = "Edit & steer"
SUMMARY = "ROME's rank-one edit of a fact, and steering the residual stream"


def build(settings: Settings) -> PanelLink:
    layers = language_model_shape(settings).layers
    with panel_frame(PANEL) as tab:
        explanation_card(
            "Change what the model knows, and where its stream points",
            "If an MLP is a key/value memory, a fact can be rewritten: find the key the subject's last token "
            "produces in one MLP (k*), find the value that makes the model say the new object (v*), and change "
            "that MLP's down-projection W↓ by the smallest rank-one matrix that maps k* to v* (ROME, Meng et al. "
            "2022). Paraphrases should follow the edit; unrelated facts should not move. Steering shows the other "
            "half of 'directions = meaning': the difference between the streams of two prompts is a direction "
            "inside the model, and adding it to the stream pushes every next token that way.",
            "", "Edit the Eiffel Tower to Rome: the prompt and its paraphrases now say Rome, while the Louvre stays in "
            "Paris. Then ask the edited model about the tower in your own words. In the steering part, the love − "
            "hate direction at α = 0.3 makes the movie 'a dream come true'; at α = −0.3 'a nightmare'. Past α ≈ "
            "0.5 the added vector drowns the stream and the text breaks down.",
            elem_id="editing-card")
        fact_links = build_fact_part(settings, layers)
        steer_links = build_steer_part(settings, tab, layers)
        gr.api(bind(edit_fact_endpoint, settings), api_name="edit_fact", **HEAVY)
        gr.api(bind(steer_endpoint, settings), api_name="steer", **HEAVY)
        return link_box(PANEL, {**fact_links, **steer_links})
