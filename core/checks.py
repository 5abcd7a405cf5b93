"""Input checks shared by the science functions. They raise ValueError with a message a learner can act on."""
import math
from typing import Iterable

MAX_SEED = 2**31 - 1     # seeds are whole numbers 0 … 2³¹ − 1 (what torch.Generator.manual_seed takes everywhere)


def quote(value, limit: int = 40) -> str:
    """A user's value for an error message, shortened: messages must stay short whatever was typed."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def finite(name: str, value: float) -> float:
    """A real, finite number, or a ValueError that names the input."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {quote(value)}.") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {quote(value)}.")
    return number


def finite_list(name: str, values: Iterable[float]) -> list[float]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a list of numbers, got {quote(values)}.")
    return [finite(f"{name}[{i}]", v) for i, v in enumerate(values)]


def shown(number: float) -> str:
    """A bound or a value in a message: whole numbers written out with separators (2,147,483,647, not 2.14748e+09)."""
    return f"{int(number):,}" if float(number).is_integer() and abs(number) < 1e15 else f"{number:g}"


def in_range(name: str, value: float, low: float, high: float) -> float:
    number = finite(name, value)
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {shown(low)} and {shown(high)}, got {shown(number)}.")
    return number


def whole(name: str, value, low: int, high: int) -> int:
    """An integer in [low, high] (a float such as 3.0 is accepted)."""
    number = finite(name, value)
    if number != int(number):
        raise ValueError(f"{name} must be a whole number, got {quote(value)}.")
    return int(in_range(name, int(number), low, high))


MAX_PROMPT = 300         # characters; a text encoder reads at most its own number of tokens (77 for CLIP, 32 here)


def checked_prompt(prompt, name: str = "prompt") -> str:
    """A text-to-image prompt: some text, at most MAX_PROMPT characters, stripped."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError(f"Type a {name}, e.g. 'a red seven on a white background'.")
    if len(prompt) > MAX_PROMPT:
        raise ValueError(f"The {name} is {len(prompt):,} characters long; keep it under {MAX_PROMPT}.")
    return prompt.strip()
