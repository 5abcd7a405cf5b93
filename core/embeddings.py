"""Words as vectors: arithmetic on embeddings, nearest neighbours by cosine similarity, and directions.

    cos(a, b) = a·b / (|a| |b|)        king − man + woman ≈ queen

A vector space here is any (V, D) matrix with a word per row; rows are unit-normalized once, so that the cosine
with every word is one matrix-vector product.
"""
import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.checks import quote

MAX_EXPRESSION = 200     # characters in an expression
MAX_TERMS = 10           # words in an expression
MAX_NEIGHBOURS = 50      # k at most
# [+|-] [number [*]] word; '-' is always minus (so 'paris-france+italy' reads as three words)
TERM = re.compile(r"\s*([+-])?\s*(?:(\d+(?:\.\d+)?|\.\d+)\s*\*?\s*)?([^\s+\-*\d][^\s+\-*]*)\s*")


@dataclass(frozen=True)
class Term:
    weight: float     # +1, -1, or the number written before the word
    word: str


def parse_expression(text: str) -> list[Term]:
    """'king - man + woman', '0.5*hot + 0.5*cold', 'paris - france + 2 italy' -> weighted words."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("Type an expression, for example: king - man + woman")
    if len(text) > MAX_EXPRESSION:
        raise ValueError(f"The expression is {len(text)} characters long; at most {MAX_EXPRESSION}.")
    if any(unicodedata.category(c) == "Cc" and not c.isspace() for c in text):
        raise ValueError("The expression contains control characters; use words, numbers, + and -.")
    terms, position = [], 0
    while position < len(text):
        match = TERM.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"Cannot read the expression at {quote(text[position:position + 12])}: write words "
                             "joined by + and -, with an optional weight, like 0.5*hot + 0.5*cold.")
        sign, number, word = match.groups()
        if terms and sign is None:
            raise ValueError(f"Put + or - between the words (before {quote(word)}).")
        weight = (-1.0 if sign == "-" else 1.0) * (float(number) if number else 1.0)
        terms.append(Term(weight, word))
        position = match.end()
    if len(terms) > MAX_TERMS:
        raise ValueError(f"The expression has {len(terms)} words; at most {MAX_TERMS}.")
    return terms


def suggestions(word: str, words: list[str], count: int = 3, search: int = 100_000) -> list[str]:
    """Close spellings among the first `search` words (the most frequent in GloVe's order)."""
    pool = [w for w in words[:search] if w[:1] == word[:1].lower() and abs(len(w) - len(word)) <= 2]
    return difflib.get_close_matches(word.lower(), pool, n=count, cutoff=0.6)


def combine(terms: list[Term], lookup: Callable[[str], int], unit: np.ndarray) -> np.ndarray:
    """sum_i weight_i * v(word_i), with v the unit-normalized rows; lookup raises ValueError for unknown words."""
    vector = np.zeros(unit.shape[1], dtype=np.float64)
    for term in terms:
        vector += term.weight * unit[lookup(term.word)]
    return vector


def nearest(unit: np.ndarray, vector: np.ndarray, k: int, exclude: set[int] = frozenset()) -> list[tuple[int, float]]:
    """The k rows with the highest cosine similarity to `vector` (rows of `unit` have length 1), best first."""
    length = float(np.linalg.norm(vector))
    if length < 1e-12:
        raise ValueError("The expression adds up to the zero vector (the words cancel out): it points nowhere.")
    scores = (vector / length).astype(unit.dtype) @ unit.T                    # (V,) cosine with every word
    take = min(len(scores), k + len(exclude))
    candidates = np.argpartition(-scores, take - 1)[:take]
    ranked = candidates[np.argsort(-scores[candidates])]
    return [(int(i), float(scores[i])) for i in ranked if int(i) not in exclude][:k]


def project_2d(points: np.ndarray) -> np.ndarray:
    """PCA: the (n, D) points onto their two main directions, (n, 2)."""
    centred = points - points.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)            # rows: principal directions
    return centred @ directions[:2].T


def project_on_direction(vectors: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Where each (unit) vector sits along a direction: the cosine between them, in [-1, 1]."""
    length = float(np.linalg.norm(direction))
    if length < 1e-12:
        raise ValueError("The direction is the zero vector: choose two different words or groups.")
    return vectors @ (direction / length)


def cosine_and_dot(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The cosine of the angle between a and b, and their raw dot product."""
    dot = float(np.dot(a, b))
    return dot / float(np.linalg.norm(a) * np.linalg.norm(b)), dot


def embedding_lookup(w_e: np.ndarray, ids: list[int]) -> np.ndarray:
    """x = W_E[id] for each token id: the model's first vector for a token is a row of a table, nothing computed
    (the same as one_hot(id) · W_E). (n, d)"""
    return w_e[np.asarray(ids, dtype=np.int64)]


def tied(w_e: np.ndarray, w_u: np.ndarray) -> bool:
    """Whether the unembedding W_U (V, d) is the embedding W_E itself (logit_t = x · W_E[t]): tied weights."""
    return w_e.shape == w_u.shape and bool(np.array_equal(w_e, w_u))
