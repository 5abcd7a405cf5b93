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


def in_range(name: str, value: float, low: float, high: float) -> float:
    number = finite(name, value)
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {number:g}.")
    return number


def whole(name: str, value, low: int, high: int) -> int:
    """An integer in [low, high] (a float such as 3.0 is accepted)."""
    number = finite(name, value)
    if number != int(number):
        raise ValueError(f"{name} must be a whole number, got {quote(value)}.")
    return int(in_range(name, int(number), low, high))
