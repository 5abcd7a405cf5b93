"""The text the fact editor reads to estimate an MLP's key statistics C = E[k kᵀ]: SmolLM2's own seeded
generations, written by training/generate_key_corpus.py and committed (ROME used Wikipedia; none installs offline)."""
import json
from functools import lru_cache
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus" / "smollm2_generations.json"


@lru_cache(maxsize=1)
def key_corpus_texts() -> tuple[str, ...]:
    return tuple(json.loads(CORPUS.read_text())["texts"])
