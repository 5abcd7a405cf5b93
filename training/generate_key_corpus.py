"""Write the text the fact editor reads to estimate its key statistics: SmolLM2's own generations.

    .venv/bin/python -m training.generate_key_corpus            # about 30 s on a 2-core CPU

ROME (Meng et al. 2022) estimates C = E[k kᵀ], the second moment of an MLP's keys, on Wikipedia text. No such text
installs offline here, so the model writes its own: 32 openings on everyday topics, each continued for 96 tokens by
seeded sampling at T = 1. The text (about 3,000 tokens) is committed; the app never generates it at start-up.
"""
import argparse
import json
from pathlib import Path

import torch

from models.language import load_language_model

CORPUS = Path(__file__).resolve().parents[1] / "models" / "corpus" / "smollm2_generations.json"
OPENINGS = [
    "The history of the city", "My favourite recipe for dinner is", "In physics, energy is", "The football match",
    "When I was a child, I", "The new phone has", "Scientists have discovered", "The river flows through",
    "To learn a language, you should", "The president said that", "In the forest there lived", "The museum opened",
    "Here is a short story about a cat.", "The stock market fell", "How to repair a bicycle:", "The weather today",
    "Music is", "The ancient Romans built", "A healthy breakfast", "The train to London", "Mathematics teaches us",
    "She opened the letter and", "The best way to sleep well is", "Computers work by", "The village festival",
    "During the war,", "The company announced", "Birds migrate because", "The film tells the story of",
    "Water boils at", "The painter Vincent van Gogh", "On the island of",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache-dir", default=".cache")
    parser.add_argument("--tokens", type=int, default=96, help="new tokens per opening")
    args = parser.parse_args()
    lm = load_language_model("smollm2", torch.device("cpu"), Path(args.cache_dir))
    torch.manual_seed(0)
    lm.tokenizer.padding_side = "left"                             # all openings in one batch, padded on the left
    batch = lm.tokenizer(OPENINGS, return_tensors="pt", padding=True)
    with torch.inference_mode():                                   # a step reads the weights once for all 32 rows
        out = lm.model.generate(**batch, max_new_tokens=args.tokens, do_sample=True, temperature=1.0, top_k=0,
                                top_p=1.0, pad_token_id=lm.tokenizer.eos_token_id)
    texts = lm.tokenizer.batch_decode(out, skip_special_tokens=True)
    CORPUS.parent.mkdir(parents=True, exist_ok=True)
    CORPUS.write_text(json.dumps({"model": "SmolLM2-135M-Instruct", "seed": 0, "temperature": 1.0,
                                  "texts": texts}, indent=1, ensure_ascii=False))
    n = sum(len(lm.tokenizer(t).input_ids) for t in texts)
    print(f"{len(texts)} texts, {n:,} tokens -> {CORPUS}")


if __name__ == "__main__":
    main()
