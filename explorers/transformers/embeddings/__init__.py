"""Embeddings (knowledge map: Token -> Embedding, Vectors & Dot Products): words as vectors on GloVe 6B 50d and on
the language model's own input embeddings W_E.

Two parts, in the page's order: arithmetic.py (king - man + woman, directions, the dot product; drawn when the page
opens) and lookup.py (W_E is a lookup table: a token's id picks its row, and W_U = W_E^T where the model ties them).
"""
import gradio as gr

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.events import bind
from components.page import panel_frame
from components.scenes import scenes
from core.embeddings import MAX_NEIGHBOURS
from explorers.transformers.embeddings.arithmetic import SPACES, analogy_endpoint, direction, dot, probe
from explorers.transformers.embeddings.lookup import build_lookup_part
from models.settings import Settings

__all__ = ["PANEL", "TITLE", "SUMMARY", "build", "analogy_endpoint", "direction", "dot", "probe"]

PANEL = "embeddings"                       # its page: /embeddings, and ?panel=embeddings in a link
TITLE = "Embedding arithmetic"
SUMMARY = "words as vectors: king − man + woman ≈ queen in GloVe and in SmolLM2"


INTRO = ("Each word is a vector; words used in similar contexts point in similar directions. Differences between "
         "words are directions too: king − man points roughly the same way as queen − woman, so king − man + woman "
         "lands near queen. Similarity here is the cosine of the angle between two vectors; inside the model, logits "
         "and attention scores are raw dot products, where length counts too.")


def build(settings: Settings) -> PanelLink:
    with panel_frame(PANEL) as tab:
        live = explanation_card(
            "Words as vectors: directions carry meaning", INTRO, "", "Try paris − france + italy, berlin − germany + japan, 0.5\\*hot + 0.5\\*cold. Untick *exclude "
            "the input words* and see the inputs win. Switch to the language model's W_E: its first-layer token "
            "embeddings are a rougher space than GloVe's (they only have to get the next layers started), and "
            "a word there is a token such as ␣queen (with its leading space).",
            elem_id="embeddings-formula", reserve=113)
        with gr.Row():
            expression = gr.Textbox("king - man + woman", label="expression (words joined by + and -, weights "
                                    "like 0.5*hot)", scale=3, elem_id="embeddings-expression")
            space = gr.Radio(list(SPACES), value="GloVe", label="embedding space", scale=2, elem_id="embeddings-space")
        with gr.Row():
            k = gr.Slider(1, MAX_NEIGHBOURS, 10, step=1, label="how many neighbours k", elem_id="embeddings-k")
            exclude = gr.Checkbox(True, label="exclude the input words (and their case variants)",
                                  elem_id="embeddings-exclude")
            run = gr.Button("Find the nearest words", variant="primary", elem_id="embeddings-run")
        note = gr.Markdown(elem_id="embeddings-note")
        with gr.Row():
            table = gr.Dataframe(headers=["rank", "word", "cosine"], label="nearest by cosine",
                                 interactive=False, elem_id="embeddings-table", scale=1)
            plot = gr.Plot(label="2-D picture", elem_id="embeddings-plot", scale=2)
        with gr.Accordion("A direction: where do words fall along woman − man?", open=True):
            with gr.Row():
                axis = gr.Textbox("woman - man", label="direction (an expression)", elem_id="embeddings-axis")
                words = gr.Textbox("king, queen, prince, princess, actor, actress, doctor, nurse, boy, girl, uncle, aunt",
                                   label="words to place on it (commas)", scale=3, elem_id="embeddings-words")
                place = gr.Button("Place them", elem_id="embeddings-place")
            strip = gr.Plot(label="direction", elem_id="embeddings-strip")
        with gr.Accordion("Dot product of two words", open=False):
            with gr.Row():
                word_a = gr.Textbox("cat", label="word a", elem_id="embeddings-a")
                word_b = gr.Textbox("dog", label="word b", elem_id="embeddings-b")
                compare = gr.Button("Compare", elem_id="embeddings-compare")
            aligned = gr.Markdown(latex_delimiters=[{"left": "$$", "right": "$$", "display": True}],
                                  elem_id="embeddings-dot")
        inputs = [expression, space, k, exclude]
        scenes(inputs, {
            "Token → Embedding · king − man + woman ≈ queen": ["king - man + woman", "GloVe", 10, True],
            "Token → Embedding · paris − france + italy ≈ rome": ["paris - france + italy", "GloVe", 10, True],
            "Token → Embedding · berlin − germany + japan ≈ tokyo": ["berlin - germany + japan", "GloVe", 10, True],
            "Vectors & Dot Products · not excluded, the inputs win": ["king - man + woman", "GloVe", 10, False],
            "Token → Embedding · the same sum in SmolLM2's W_E": ["king - man + woman", "language model W_E", 10,
                                                                     True],
            "Vectors & Dot Products · 0.5·hot + 0.5·cold, a mean": ["0.5*hot + 0.5*cold", "GloVe", 10, True],
        }, fn=bind(probe, settings), outputs=[live, table, plot, note], elem_id="embeddings-scenes")
        # The vectors load when the tab is first opened (lazily), not when the app starts.
        gr.on([tab.opened, run.click, expression.submit, space.change, exclude.change, k.release], bind(probe, settings),
              inputs=inputs,
              outputs=[live, table, plot, note], api_visibility="undocumented")
        gr.on([tab.opened, place.click, axis.submit, words.submit], bind(direction, settings), inputs=[axis, words, space], outputs=strip,
              api_visibility="undocumented")
        gr.on([compare.click, word_a.submit, word_b.submit], bind(dot, settings), inputs=[word_a, word_b, space], outputs=aligned,
              api_visibility="undocumented")
        build_lookup_part(settings)
        gr.api(bind(analogy_endpoint, settings), api_name="analogy")
        return link_box("embeddings", {"expr": expression, "space": space, "k": k, "exclude": exclude})
