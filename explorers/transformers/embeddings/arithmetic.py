"""The arithmetic part of the Embeddings tab (knowledge map: Token -> Embedding, Vectors & Dot Products): the
nearest words to an expression such as king - man + woman, words placed along a direction, the dot product of two
words, on GloVe 6B 50d or the language model's own W_E; its handlers and /analogy."""

import gradio as gr
import numpy as np

from components.embedding_figures import arithmetic_picture, direction_strip
from components.errors import keeps_view, user_errors
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
