"""Text -> tokens -> the model's logits for the next token."""
import torch

MAX_PROMPT_TOKENS = 256   # longer prompts keep their last 256 tokens (the panel says so)
MAX_PROMPT_CHARS = 20_000


def tokenize(tokenizer, prompt: str, max_tokens: int = MAX_PROMPT_TOKENS) -> tuple[list[int], int]:
    """Token ids of the prompt (its last max_tokens), and how many tokens were cut from the front."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("Type a prompt first, for example: The Eiffel Tower is located in the city of")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"The prompt is {len(prompt):,} characters long; at most {MAX_PROMPT_CHARS:,}.")
    ids = tokenizer(prompt, add_special_tokens=False).input_ids
    if not ids:
        raise ValueError("The prompt has no tokens; type some text.")
    cut = max(0, len(ids) - max_tokens)
    return ids[cut:], cut


@torch.inference_mode()
def next_token_logits(model, ids: list[int]) -> torch.Tensor:
    """The last position's logits: the final residual vector times W_U, one score per vocabulary entry (V,)."""
    input_ids = torch.tensor([ids], device=model.device)                         # (1, T)
    return model(input_ids).logits[0, -1].float().cpu()                          # (V,)
