"""Text -> tokens -> the model's logits for the next token."""
import torch

SPACE_MARKER = "Ġ"        # byte-level BPE (SmolLM2, GPT-2) marks a token that starts with a space
MAX_PROMPT_TOKENS = 256   # a longer prompt keeps its last 256 tokens (tokenize says how many were cut)
MAX_PROMPT_CHARS = 20_000


def tokenize(tokenizer, prompt: str, max_tokens: int = MAX_PROMPT_TOKENS,
             keep: str = "last") -> tuple[list[int], int]:
    """Token ids of the prompt, at most max_tokens of them, and how many were cut. keep="last" keeps the end of a long
    prompt (what the model needs to predict the next token); keep="first" keeps its start (to read it from the
    beginning)."""
    if keep not in ("first", "last"):
        raise ValueError(f"keep must be 'first' or 'last', got {keep!r}.")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("Type a prompt first, for example: The Eiffel Tower is located in the city of")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"The prompt is {len(prompt):,} characters long; at most {MAX_PROMPT_CHARS:,}.")
    ids = tokenizer(prompt, add_special_tokens=False).input_ids
    if not ids:
        raise ValueError("The prompt has no tokens; type some text.")
    cut = max(0, len(ids) - max_tokens)
    return (ids[cut:] if keep == "last" else ids[:max_tokens]), cut


@torch.inference_mode()
def next_token_logits(model, ids: list[int]) -> torch.Tensor:
    """The last position's logits: the final residual vector times W_U, one score per vocabulary entry (V,)."""
    input_ids = torch.tensor([ids], device=model.device)                         # (1, T)
    return model(input_ids).logits[0, -1].float().cpu()                          # (V,)


def byte_of_character() -> dict[str, int]:
    """Byte-level BPE (GPT-2, SmolLM2) writes each byte of the text as one printable character (a space as Ġ, a
    newline as Ċ, \\r as č); this undoes that mapping: character -> byte."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [b for b in range(256) if b not in printable]
    return {chr(b): b for b in printable} | {chr(256 + n): b for n, b in enumerate(others)}


BYTE_OF_CHARACTER = byte_of_character()


def shown(piece: str | None) -> str:
    """A token's piece (its vocabulary string) as the app shows it, the one way every panel does: byte-level BPE's
    bytes decoded as UTF-8 ('Ã©' -> 'é', 'Ġ' -> a space), bytes that are not whole characters shown as bytes
    (\\xe2), then visible()."""
    piece = piece or ""
    if all(c in BYTE_OF_CHARACTER for c in piece):                         # byte-level BPE
        piece = bytes(BYTE_OF_CHARACTER[c] for c in piece).decode("utf-8", errors="backslashreplace")
    return visible(piece)


def visible(text: str) -> str:
    """A space as ␣ and other invisible characters escaped (\\n, \\r, \\t, \\u200b)."""
    return "".join("␣" if c == " " else c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def shown_token(tokenizer, token_id: int) -> str:
    """The token with this id as the app shows it: shown(its piece); another tokenizer's piece (SentencePiece's
    '▁Paris') through the tokenizer's own decoding."""
    piece = tokenizer.convert_ids_to_tokens(int(token_id)) or ""
    if all(c in BYTE_OF_CHARACTER for c in piece):
        return shown(piece)
    return visible(tokenizer.decode([int(token_id)]))


def next_word_tokens(tokenizer, prompt: str, word, ask: str) -> list[int]:
    """The tokens of `word` as the prompt's next word (a leading space unless the prompt ends in one). ask is the
    message for an empty word ("Type a target: the word the model should say next, e.g. Paris.")."""
    if not isinstance(word, str) or not word.strip():
        raise ValueError(ask)
    name = ask.split(":")[0].removeprefix("Type ").removeprefix("a ").removeprefix("the ")
    if len(word) > 100:
        raise ValueError(f"The {name} is {len(word):,} characters long; type one word (at most 100 characters).")
    ids = tokenizer(word.strip() if prompt[-1:].isspace() else " " + word.strip(), add_special_tokens=False).input_ids
    if not ids:
        raise ValueError(f"The {name} has no tokens; type a word.")
    return ids
