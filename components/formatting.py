"""How numbers and model text read on the page, in a formula (LaTeX), a sentence or a table: fixed decimals or
significant digits with a real minus sign, powers of ten written out, < 0.1 % for tiny probabilities, and a model's
own text shown as written inside Markdown. Plain functions, no gradio."""
import math
import textwrap
from html import escape


def number(value: float, digits: int = 3) -> str:
    """A number for a formula: fixed decimals, a real minus sign, no '-0.000'."""
    text = f"{value:.{digits}f}"
    if float(text) == 0:
        text = f"{0:.{digits}f}"
    return text.replace("-", "−") if text.startswith("-") else text


def plus(value: float, digits: int = 3) -> str:
    """A signed term of a sum: '+ 0.3' or '− 0.3' (never '+ −0.3')."""
    text = number(value, digits)
    return f"− {text[1:]}" if text.startswith("−") else f"+ {text}"


def wrapped(text: str, width: int, max_lines: int = 3) -> str:
    """Text on at most max_lines lines of about `width` characters, joined by plotly's <br> (a figure's title or a
    bar's label is then whole, not cut where two of them differ); '…' ends it only beyond max_lines. Written
    escaped (plotly reads <b>, <br>... as markup), so that it shows as typed."""
    lines = textwrap.wrap(escape(text, quote=False), width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:width - 1] + "…"
    return "<br>".join(lines)


MARKDOWN_SPECIAL = "\\`*_{}[]<>()#+-.!|$~"


def as_plain(text: str) -> str:
    """Model text inside Markdown, shown as written: special characters escaped, newlines as ⏎."""
    escaped = "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in text)
    return escaped.replace("\r", "").replace("\n", " ⏎ ")


def continued(prompt: str, continuation: str) -> str:
    """The prompt, then what the model wrote after it in bold (a leading space kept outside the bold)."""
    words = continuation.lstrip()
    space = continuation[:len(continuation) - len(words)]
    return as_plain(prompt) + as_plain(space) + (f"**{as_plain(words)}**" if words else " *(nothing)*")


def percent(p: float) -> str:
    """A probability for a sentence or a table: 12.3 %, and < 0.1 % rather than 0.0 %."""
    return f"{100 * p:.1f} %" if p >= 0.0005 else "< 0.1 %"


SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def significant(value: float, digits: int = 3, latex: bool = True) -> str:
    r"""A number as a reader writes it, with `digits` significant digits and a real minus sign: 0.846, 1234,
    0.000123, and powers of ten written out from 10⁴ up and below 10⁻⁴ (9.99 \times 10^{10}, 10^{4},
    1.44 \times 10^{-9}; never 9.988e+10 or 1e+04). For LaTeX formulas; latex=False writes the same for a sentence
    or a figure (9.99 × 10¹⁰). Infinity is ∞; NaN says so in words."""
    value = float(value)
    if math.isnan(value):
        return r"\text{not a number}" if latex else "not a number"
    if math.isinf(value) or value == 0:
        text = "0" if value == 0 else (r"\infty" if latex else "∞")
    else:
        mantissa, exponent = f"{abs(value):.{digits - 1}e}".split("e")          # rounded: '9.99', '+10'
        exponent = int(exponent)
        if -4 <= exponent < 4:
            text = f"{abs(value):.{max(0, digits - 1 - exponent)}f}"
            text = text.rstrip("0").rstrip(".") if "." in text else text
        else:
            mantissa = mantissa.rstrip("0").rstrip(".")
            power = f"10^{{{exponent}}}" if latex else "10" + str(exponent).translate(SUPERSCRIPTS)
            text = power if mantissa == "1" else mantissa + (r" \times " if latex else " × ") + power
    return "−" + text if value < 0 else text
