"""Causal trace of "The Eiffel Tower is located in the city of" (10 tokens x 30 blocks of SmolLM2): the batched
restorations of core/tracing.py (each starts from the corrupted run at its block and position) against the
reference implementation's one whole forward pass per (layer, position), measured in the same run; the matrices
must be equal. The plain batched way (whole passes, CHUNK per batch) is printed too. Run: python -m bench.bench_tracing"""
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from core.residual import target_token  # noqa: E402
from core.tracing import CHUNK, TILE_TOKENS, causal_trace, subject_span  # noqa: E402
from models.language import load_language_model  # noqa: E402

PROMPT, SUBJECT, TARGET = "The Eiffel Tower is located in the city of", "Eiffel Tower", "Paris"
TARGET_SECONDS, TARGET_RATIO = 4.0, 6.0


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    cache = os.environ.get("DLE_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".cache"))
    lm = load_language_model("smollm2", torch.device("cpu"), Path(cache))
    ids = lm.tokenizer(PROMPT, add_special_tokens=False).input_ids
    span = subject_span(lm.tokenizer, PROMPT, SUBJECT)
    target, _ = target_token(lm.tokenizer, PROMPT, TARGET)
    causal_trace(lm.model, ids, span, target, "hidden")                               # warm-up
    reference, reference_s = timed(lambda: causal_trace(lm.model, ids, span, target, "hidden", plain_chunk=1))
    plain, plain_s = timed(lambda: causal_trace(lm.model, ids, span, target, "hidden", plain_chunk=CHUNK))
    ours, ours_s = timed(lambda: causal_trace(lm.model, ids, span, target, "hidden"))
    for trace in (plain, ours):
        torch.testing.assert_close(trace.restored, reference.restored, atol=2e-5, rtol=0)
    cells = ours.restored.shape[0] * (len(ids) - span[0])
    print(f"causal trace, {len(ids)} tokens x {ours.restored.shape[0]} blocks ({cells} restorations, "
          f"{os.cpu_count()} cores, torch threads {torch.get_num_threads()})")
    print(f"baseline  one whole forward pass per (layer, position): {reference_s:6.2f} s")
    print(f"plain     whole passes, {CHUNK} restored copies per batch: {plain_s:6.2f} s "
          f"({reference_s / plain_s:.1f}x)")
    print(f"ours      from the corrupted run at each block and position, tiles of ~{TILE_TOKENS} token rows: "
          f"{ours_s:6.2f} s (target < {TARGET_SECONDS:g} s)")
    print(f"ratio     {reference_s / ours_s:.1f}x faster than the baseline (target >= {TARGET_RATIO:g}x); matrices "
          f"equal (max difference {float((ours.restored - reference.restored).abs().max()):.1e})")

if __name__ == "__main__":
    main()
