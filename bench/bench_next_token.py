"""Next-token distribution for a 32-token prompt, once the model is loaded: the panel's whole computation
(tokenize, forward pass, softmax with temperature, top-k) against a plain model(input_ids) call, same run."""
from pathlib import Path

import torch

from core.sampling import entropy_bits, softmax_with_temperature, top_k
from core.tokens import next_token_logits, tokenize
from models.language import load_language_model
from bench.timing import median_time

REPO = Path(__file__).resolve().parents[1]
PROMPT = ("The Eiffel Tower, built for the 1889 World's Fair, stands on the Champ de Mars. "
          "Tourists who visit it usually travel to the city of")
REPEATS = 20



def main() -> None:
    lm = load_language_model("smollm2", torch.device("cpu"), REPO / ".cache")
    ids, _ = tokenize(lm.tokenizer, PROMPT)
    ids = ids[-32:]
    input_ids = torch.tensor([ids])

    def plain():
        with torch.inference_mode():
            lm.model(input_ids)

    def panel():
        tokens, _ = tokenize(lm.tokenizer, lm.tokenizer.decode(ids))
        probabilities = softmax_with_temperature(next_token_logits(lm.model, tokens), 0.8)
        top_k(probabilities, 10), entropy_bits(probabilities)

    plain(), panel()
    t_plain, t_panel = median_time(plain, REPEATS), median_time(panel, REPEATS)
    print(f"next-token distribution, {len(ids)}-token prompt, CPU threads {torch.get_num_threads()}: panel "
          f"{t_panel * 1000:.0f} ms, plain forward {t_plain * 1000:.0f} ms; panel / plain = {t_panel / t_plain:.2f} "
          f"(target < 200 ms)")


if __name__ == "__main__":
    main()
