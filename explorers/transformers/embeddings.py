"""Embedding arithmetic probe (knowledge map: Token -> Embedding, Vectors & Dot Products) on GloVe 6B 50d and on
the language model's own input embeddings W_E."""

import gradio as gr
import numpy as np

from components.card import explanation_card
from components.deeplink import PanelLink, link_box
from components.embedding_figures import arithmetic_picture, direction_strip
from components.errors import keeps_view, user_errors
from components.events import bind
from components.scenes import scenes
from components.page import panel_frame
from core.checks import whole
from core.embeddings import (MAX_NEIGHBOURS, combine, cosine_and_dot, nearest, parse_expression, project_2d,
                             project_on_direction)
from models.language import app_language_model
from models.settings import Settings
from models.vector_spaces import glove_space, token_space

SPACES = ("GloVe", "language model W_E")
MAX_DIRECTION_WORDS = 40


def space_for(settings: Settings, name: str, progress=None):
    if name == "GloVe":
        return glove_space()
    if name != SPACES[1]:
        raise ValueError(f"Unknown space {name!r:.40}; choose GloVe or {SPACES[1]}.")
    return token_space(app_language_model(settings, progress))


def analogy(settings: Settings, expression: str, space_name: str, k, exclude_inputs: bool, progress=None):
    """The nearest words to the expression's vector: [(row, cosine)], the space, the terms and the vector."""
    k = whole("k", k, 1, MAX_NEIGHBOURS)
    space = space_for(settings, space_name, progress)
    terms = parse_expression(expression)
    vector = combine(terms, space.lookup, space.unit)
    excluded = set().union(*[space.variants(t.word) for t in terms]) if exclude_inputs else set()
    return nearest(space.unit, vector, k, excluded), space, terms, vector


def formula(terms, hits, space) -> str:
    written = " ".join(f"{'-' if t.weight < 0 else '+'} {'' if abs(t.weight) == 1 else f'{abs(t.weight):g}'}"
                       f"\\,\\text{{{t.word}}}" for t in terms).lstrip("+ ")
    best_row, best = hits[0]
    word = space.display[best_row].replace("␣", "")
    return (f"$$\\vec v = {written}$$\n\n"
            f"$$\\cos\\theta = \\frac{{\\vec v \\cdot \\vec w}}{{|\\vec v|\\,|\\vec w|}}: \\quad "
            f"\\text{{nearest}} = \\text{{{word}}},\\ \\cos\\theta = {best:.3f}$$")


def picture(terms, hits, space, vector):
    rows = [space.lookup(t.word) for t in terms]
    neighbours = [row for row, _ in hits[:6]]
    points = np.vstack([space.unit[rows], (vector / np.linalg.norm(vector))[None], space.unit[neighbours]])
    labels = [t.word for t in terms] + ["result"] + [space.display[r] for r in neighbours]
    kinds = ["input"] * len(rows) + ["result"] + ["neighbour"] * len(neighbours)
    arrows = []
    if len(terms) == 3 and [np.sign(t.weight) for t in terms] == [1, -1, 1]:   # a - b + c: the parallelogram
        arrows = [(1, 0), (2, 3)]                                              # b -> a is parallel to c -> result
    return arithmetic_picture(project_2d(points), labels, kinds, arrows)


@keeps_view
def probe(settings: Settings, expression, space_name, k, exclude_inputs, progress=gr.Progress()):
    hits, space, terms, vector = analogy(settings, expression, space_name, k, exclude_inputs, progress)
    table = [[rank + 1, space.display[row], round(cos, 4)] for rank, (row, cos) in enumerate(hits)]
    note = ("" if exclude_inputs else " With the input words included, the top answer is often an input word "
            "itself: the result vector stays close to the words it was built from.")
    return formula(terms, hits, space), table, picture(terms, hits, space, vector), \
        f"Searched {space.name}.{note}"

@keeps_view
def direction(settings: Settings, direction_expression, words_text, space_name, progress=gr.Progress()):
    space = space_for(settings, space_name, progress)
    terms = parse_expression(direction_expression)
    words = [w.strip() for w in str(words_text).replace("\n", ",").split(",") if w.strip()]
    if not words or len(words) > MAX_DIRECTION_WORDS:
        raise ValueError(f"List 1 to {MAX_DIRECTION_WORDS} words, separated by commas.")
    axis = combine(terms, space.lookup, space.unit)
    rows, placed, left_out = [], [], []
    for word in words:                      # a word the space lacks is left out and named; the rest are placed
        try:
            rows.append(space.lookup(word))
            placed.append(word)
        except ValueError as error:
            left_out.append((word, str(error)))
    if not rows:
        raise ValueError(left_out[0][1])
    title = f"Words along the direction {direction_expression}" + (
        f" (left out, not in this space: {', '.join(repr(w) for w, _ in left_out)})" if left_out else "")
    return direction_strip(project_on_direction(space.unit[rows], axis), placed, title)

@keeps_view
def dot(settings: Settings, word_a, word_b, space_name, progress=gr.Progress()):
    space = space_for(settings, space_name, progress)
    rows = space.lookup(str(word_a).strip()), space.lookup(str(word_b).strip())
    cosine, raw = cosine_and_dot(space.raw[rows[0]], space.raw[rows[1]])
    return (f"$$\\cos\\theta = {cosine:.3f}, \\qquad \\vec a \\cdot \\vec b = {raw:.3f}$$\n\n"
            "Aligned vectors (cosine near 1) point the same way: the words are used in similar contexts. "
            "Near 0: unrelated; negative: opposite directions. The raw dot product also grows with the "
            "vectors' lengths, which is why word similarity uses the cosine. Inside the transformer it is the raw "
            "dot products that count: a logit is the last vector · a row of W_U, an attention score is q · k / √d, "
            "so a longer vector speaks louder there.")

@user_errors
def analogy_endpoint(settings: Settings, expression: str, space: str = "GloVe", k: int = 10,
                     exclude_inputs: bool = True) -> list:
    """Nearest words to a word expression by cosine similarity: [[word, cosine], ...]."""
    hits, vector_space, _, _ = analogy(settings, expression, space, k, exclude_inputs)
    return [[vector_space.display[row], cos] for row, cos in hits]



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
            elem_id="embeddings-formula")
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
        gr.api(bind(analogy_endpoint, settings), api_name="analogy")
        return link_box("embeddings", {"expr": expression, "space": space, "k": k, "exclude": exclude})
