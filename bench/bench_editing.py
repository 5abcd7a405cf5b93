"""Editing and steering SmolLM2 (explorers/transformers/editing): how fast, against named baselines in the same run,
and how well, on the five preset facts.

- the key statistics C = E[k kᵀ] of one MLP over the committed corpus: padded batches that stop at the edited block
  (core.editing.keys_at) against one whole forward pass per text, the same keys to 1e-4;
- /edit_fact end to end (the trace's block, C cached per block, v* by 25 Adam steps at most), target < 20 s;
- /steer for 20 tokens against the model's own greedy `generate` of 20 tokens (its floor), target < 1 s;
- the quality table of docs/benchmarks.md: p(true) before, the new object's p after, paraphrases that follow, the largest
  move of a neighbouring fact. Run: python -m bench.bench_editing
"""
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from core import editing  # noqa: E402
from explorers.transformers.editing import fact, steer  # noqa: E402
from explorers.transformers.editing.fact import FACTS  # noqa: E402
from explorers.transformers.editing.fact_part import fact_fields  # noqa: E402
from explorers.transformers.editing.steer import STEERS  # noqa: E402
from models.key_corpus import key_corpus_texts  # noqa: E402
from models.language import load_language_model  # noqa: E402

LAYER = 16


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def keys_one_text_a_pass(model, layer: int, texts: list[list[int]]) -> torch.Tensor:
    """The baseline: every text through the whole model, one at a time, the keys read by a hook."""
    found = []
    for ids in texts:
        seen = {}
        with torch.inference_mode(), editing.hooks(model, {f"blocks.{layer}.mlp.hook_post":
                                                           lambda k: seen.setdefault("k", k[0].float())}):
            model(torch.tensor([ids]))
        found.append(seen["k"])
    return torch.cat(found)


def main() -> None:
    cache = os.environ.get("DLE_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".cache"))
    lm = load_language_model("smollm2", torch.device("cpu"), Path(cache))
    texts = [lm.tokenizer(t, add_special_tokens=False).input_ids[:256] for t in key_corpus_texts()]
    plain, plain_s = timed(lambda: keys_one_text_a_pass(lm.model, LAYER, texts))
    ours, ours_s = timed(lambda: editing.keys_at(lm.model, LAYER, texts))
    torch.testing.assert_close(ours, plain, atol=1e-4, rtol=1e-4)
    print(f"keys of block {LAYER} over {len(ours):,} corpus tokens: one whole pass a text {plain_s:.2f} s, "
          f"batched and stopped at the block {ours_s:.2f} s: {plain_s / ours_s:.1f}x faster")

    rows = []
    for name, f in FACTS.items():
        fact.key_statistics.cache_clear()
        fact.cached_edit.cache_clear()
        prompt, subject, new_object, paraphrases, neighbours = fact_fields(f)
        result, seconds = timed(lambda: fact.edit_fact(lm, prompt, subject, new_object, -1, paraphrases, neighbours))
        rows.append((name, result, seconds))
    print("\n| fact | block | p(true) before | p(new) after, top | paraphrases following | largest neighbour move "
          "| /edit_fact (C computed) |\n|---|---|---|---|---|---|---|")
    for name, r, seconds in rows:
        followed = sum(p["top_after"] == r["new_object"] for p in r["paraphrases"])
        moved = max(abs(n["after"] - n["before"]) for n in r["neighbours"])
        print(f"| {name} | {r['layer']} | {r['before']['old_object']:.2f} | {r['after']['new_object']:.2f}, "
              f"{r['after']['top'].strip()} | {followed} of {len(r['paraphrases'])} | {moved:.3f} | {seconds:.1f} s |")
    worst = max(seconds for *_, seconds in rows)
    print(f"slowest /edit_fact: {worst:.1f} s (target < 20 s: {'met' if worst < 20 else 'MISSED'})")

    prompt, positive, negative, layer, alpha = next(iter(STEERS.values()))
    ids = torch.tensor([lm.tokenizer(prompt, add_special_tokens=False).input_ids])
    steer.steer(lm, prompt, positive, negative, layer, alpha, 20)                          # warm-up
    _, generate_s = timed(lambda: lm.model.generate(ids, max_new_tokens=20, do_sample=False, pad_token_id=2))
    steer.unsteered.cache_clear()
    _, first_s = timed(lambda: steer.steer(lm, prompt, positive, negative, layer, alpha, 20))
    _, move_s = timed(lambda: steer.steer(lm, prompt, positive, negative, layer, -alpha, 20))
    print(f"/steer, 20 tokens: a new prompt (both texts) {first_s:.2f} s, an α move (the unsteered text cached per "
          f"prompt) {move_s:.2f} s; the model's own greedy generate of 20 tokens: {generate_s:.2f} s: "
          f"{move_s / generate_s:.2f}x (target < 1 s: {'met' if move_s < 1 else 'MISSED'})")


if __name__ == "__main__":
    main()
