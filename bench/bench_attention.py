"""Attention viewer, 32-token prompt: the forward pass that records every head's scores, pattern and |v|
(output_attentions + hooked Q/K/V, the transformer body only: the view reads no logits) against a plain forward pass
of the same model (with its logits), same run; then switching layer or head, which reads the cache (no forward
pass)."""
import time
from pathlib import Path

import numpy as np
import torch

from core.attention import record_attention
from components.events import bind
from explorers.transformers.attention.heads import cached_record, view as attention_view
from models.language import load_language_model
from models.settings import Settings
from bench.timing import median_time

REPO = Path(__file__).resolve().parents[1]
PROMPT = ("The cat sat on the mat and the dog ran to the park. The cat sat on the mat and the dog ran to the "
          "park. The cat sat on the mat and")
REPEATS = 20


def interleaved_medians(fns: dict, repeats: int) -> dict[str, float]:
    """Seconds, the median of `repeats` calls of each fn, taken in turn (a, b, a, b, ...): on a shared machine a load
    that comes and goes slows every fn alike, so their ratio holds where two separate runs could differ by 2x."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def main() -> None:
    settings = Settings(cache_dir=str(REPO / ".cache"))
    lm = load_language_model(settings.language_model, torch.device("cpu"), Path(settings.cache_dir))
    ids = lm.tokenizer(PROMPT, add_special_tokens=False).input_ids[:32]
    prompt = lm.tokenizer.decode(ids)
    input_ids = torch.tensor([ids])

    def plain():
        with torch.inference_mode():
            lm.model(input_ids)

    def record():
        record_attention(lm.model, ids)

    def plain_body():                                         # the same body record_attention runs, no hooks
        with torch.inference_mode():
            lm.model.base_model(input_ids)

    plain(), record(), plain_body()
    t = interleaved_medians({"plain": plain, "record": record, "body": plain_body}, REPEATS)
    t_plain = t["plain"]
    print(f"attention record, {len(ids)} tokens, {lm.n_layers} layers x {lm.n_heads} heads, CPU threads "
          f"{torch.get_num_threads()}: record {t['record'] * 1000:.0f} ms, plain forward {t_plain * 1000:.0f} ms; "
          f"record / plain = {t['record'] / t_plain:.2f} (target <= 1.1); the hooks' own cost: record / the plain "
          f"body without W_U ({t['body'] * 1000:.0f} ms) = {t['record'] / t['body']:.2f}")

    view = bind(attention_view, settings)
    cached_record.cache_clear()
    view(prompt, 0, 0, len(ids) - 1, [])                      # the one forward pass, then cached
    choices = iter([(layer, head) for layer in range(lm.n_layers) for head in range(lm.n_heads)] * 2)

    def switch():
        layer, head = next(choices)
        view(prompt, layer, head, len(ids) - 1, [])

    t_switch = median_time(switch, REPEATS)
    assert cached_record.cache_info().misses == 1
    print(f"switching layer/head from the cache (scores, pattern, bars and lines figures): {t_switch * 1000:.1f} ms "
          f"per switch = {t_switch / t_plain:.2f} x a plain forward pass (target < 50 ms)")


if __name__ == "__main__":
    main()
