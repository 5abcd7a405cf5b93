"""Attention viewer, 32-token prompt: the forward pass that records every head's scores, pattern and |v|
(output_attentions + hooked Q/K/V) against a plain forward pass of the same model, same run; then switching
layer or head, which reads the cache (no forward pass)."""
from pathlib import Path

import torch

from core.attention import record_attention
from components.events import bind
from explorers.transformers.attention import cached_record, view as attention_view
from models.language import load_language_model
from models.settings import Settings
from bench.timing import median_time

REPO = Path(__file__).resolve().parents[1]
PROMPT = ("The cat sat on the mat and the dog ran to the park. The cat sat on the mat and the dog ran to the "
          "park. The cat sat on the mat and")
REPEATS = 20



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

    plain(), record()
    t_plain, t_record = median_time(plain, REPEATS), median_time(record, REPEATS)
    print(f"attention record, {len(ids)} tokens, {lm.n_layers} layers x {lm.n_heads} heads, CPU threads "
          f"{torch.get_num_threads()}: record {t_record * 1000:.0f} ms, plain forward {t_plain * 1000:.0f} ms; "
          f"record / plain = {t_record / t_plain:.2f} (target <= 1.1)")

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
