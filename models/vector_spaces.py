"""The two embedding spaces the probe can search: GloVe's 400,000 words, and a language model's own input
embedding matrix W_E (one row per token). Both look the same to the science in core/embeddings.py."""
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np

from core.checks import quote
from core.embeddings import suggestions
from core.tokens import SPACE_MARKER, shown
from models.glove import load_glove, unit_rows
from models.language import LanguageModel



@dataclass(frozen=True)
class VectorSpace:
    name: str
    display: list[str]                       # what the app shows for row i
    unit: np.ndarray = field(repr=False)     # (V, D) float32, rows of length 1
    raw: np.ndarray = field(repr=False)      # (V, D) the vectors as trained (for raw dot products)
    lookup: Callable[[str], int]             # a word -> its row, or ValueError naming it and close spellings
    variants: Callable[[str], set[int]]      # every row that is "the same word" (case, leading space): excluded


@lru_cache(maxsize=1)
def glove_space() -> VectorSpace:
    glove = load_glove()

    def lookup(word: str) -> int:
        row = glove.index.get(word.lower())
        if row is None:
            close = suggestions(word, glove.words)
            hint = f"; did you mean {', '.join(repr(w) for w in close)}?" if close else "."
            raise ValueError(f"{quote(word)} is not in GloVe's 400,000-word vocabulary{hint}")
        return row

    def variants(word: str) -> set[int]:
        row = glove.index.get(word.lower())
        return set() if row is None else {row}

    return VectorSpace("GloVe 6B 50d (400,000 words)", glove.words, glove.unit, glove.vectors, lookup, variants)


@lru_cache(maxsize=2)
def token_space(lm: LanguageModel) -> VectorSpace:
    """W_E of the language model: its token strings, with the leading-space marker handled."""
    tokens = lm.tokenizer.convert_ids_to_tokens(list(range(lm.vocab_size)))
    index = {token: i for i, token in enumerate(tokens) if token is not None}
    matrix = lm.model.get_input_embeddings().weight.detach().float().cpu().numpy()        # (V, d_model), shared

    def forms(word: str) -> list[str]:
        cases = dict.fromkeys([word, word.lower(), word.capitalize(), word.upper()])
        return [SPACE_MARKER + c for c in cases] + list(cases)

    def lookup(word: str) -> int:
        for form in forms(word):
            if form in index:
                return index[form]
        pieces = lm.tokenizer.tokenize(" " + word)
        bare = list(dict.fromkeys(t.lstrip(SPACE_MARKER) for t in tokens[:20_000] if t))
        close = suggestions(word, bare)
        hint = f" Close single tokens: {', '.join(repr(w) for w in close)}." if close else ""
        raise ValueError(f"{quote(word)} is not a single token of {lm.name}: it splits into "
                         f"{[shown(p) for p in pieces][:6]}.{hint}")

    def variants(word: str) -> set[int]:
        return {index[form] for form in forms(word) if form in index}

    display = [shown(t) for t in tokens]
    return VectorSpace(f"{lm.name} input embeddings W_E ({lm.vocab_size:,} tokens)", display, unit_rows(matrix),
                       matrix, lookup, variants)
