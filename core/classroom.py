"""Class mode's rules, as plain functions: a room's code (short, read aloud, typed on a phone), how a student's
answer is normalised so that the room's answers group, and the room's tally of one question.

A code uses 31 symbols with no look-alikes (no 0/O, 1/I/L): 5 of them give 31⁵ ≈ 28.6 million codes, so a guessed
code hits one of 50 open rooms about once in 570,000 tries.
"""
import secrets
import unicodedata
from collections import Counter

CODE_SYMBOLS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"      # no 0/O, 1/I/L
CODE_LENGTH = 5
MAX_ANSWER = 60                                        # characters a student may type


def new_code() -> str:
    return "".join(secrets.choice(CODE_SYMBOLS) for _ in range(CODE_LENGTH))


def new_secret() -> str:
    """The lecturer's key: only the lecturer's link carries it (128 bits)."""
    return secrets.token_urlsafe(16)


def read_code(text) -> str:
    """A code as typed (any case, with spaces or dashes) in its one spelling, or a ValueError in words."""
    if not isinstance(text, str):
        raise ValueError("Type the room's code (5 letters and digits, shown on the lecturer's screen).")
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_SYMBOLS for c in code):
        raise ValueError(f"A room's code is {CODE_LENGTH} letters and digits, without 0, O, 1, I or L, "
                         f"e.g. K7PQ2; got {text[:20]!r}.")
    return code


def normalised_answer(text) -> str:
    """A student's answer as the room's tally groups it: NFC, spaces collapsed, case folded, and a token's leading
    space (␣ or Ġ, as the panels show tokens) dropped, so ' Paris', 'paris' and '␣Paris' are one answer. A
    ValueError in words when it is empty or longer than MAX_ANSWER."""
    if not isinstance(text, str):
        raise ValueError("Type an answer.")
    answer = " ".join(unicodedata.normalize("NFC", text).split()).lstrip("␣Ġ ").casefold()
    if not answer:
        raise ValueError("Type an answer (a word or a few).")
    if len(answer) > MAX_ANSWER:
        raise ValueError(f"An answer is at most {MAX_ANSWER} characters; this one has {len(answer)}.")
    return answer


def tally(answers) -> list[tuple[str, int]]:
    """The room's answers (one per student, normalised) as [(answer, count)], the most given first, ties in
    alphabetical order (so the picture is the same on every screen)."""
    return sorted(Counter(answers).items(), key=lambda item: (-item[1], item[0]))


def share_of(rows: list[tuple[str, int]], answer: str) -> float:
    """The share of the room that gave `answer` (normalised the same way), 0 when nobody answered."""
    total = sum(count for _, count in rows)
    return dict(rows).get(normalised_answer(answer), 0) / total if total else 0.0
