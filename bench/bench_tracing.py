"""Causal trace of "The Eiffel Tower is located in the city of" (10 tokens x 30 blocks of SmolLM2): the batched
restorations of core/tracing.py against the reference implementation's one forward pass per (layer, position),
measured in the same run; the two matrices must be equal. Run: python -m bench.bench_tracing"""
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from core.residual import target_token  # noqa: E402
from core.tracing import CHUNK, causal_trace, subject_span  # noqa: E402
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
    causal_trace(lm.model, ids, span, target, "hidden", chunk=8)                     # warm-up
    reference, reference_s = timed(lambda: causal_trace(lm.model, ids, span, target, "hidden", chunk=1))
    batched, batched_s = timed(lambda: causal_trace(lm.model, ids, span, target, "hidden", chunk=CHUNK))
    torch.testing.assert_close(batched.restored, reference.restored, atol=2e-5, rtol=0)
    cells = batched.restored.shape[0] * (len(ids) - span[0])
    print(f"causal trace, {len(ids)} tokens x {batched.restored.shape[0]} blocks ({cells} restorations, "
          f"{os.cpu_count()} cores, torch threads {torch.get_num_threads()})")
    print(f"baseline  one forward pass per (layer, position): {reference_s:6.2f} s")
    print(f"ours      batched, {CHUNK} restored copies per forward pass: {batched_s:6.2f} s "
          f"(target < {TARGET_SECONDS:g} s)")
    print(f"ratio     {reference_s / batched_s:.1f}x faster (target >= {TARGET_RATIO:g}x); matrices equal "
          f"(max difference {float((batched.restored - reference.restored).abs().max()):.1e})")


if __name__ == "__main__":
    main()
