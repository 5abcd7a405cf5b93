"""The shared input checks: what they let through (as the number the science uses) and the words they refuse with."""
import math

import pytest
import torch

from core.checks import (MAX_PROMPT, MAX_SEED, checked_prompt, finite, finite_list, in_range, quote, shown,
                         whole)


def test_the_largest_seed_is_the_largest_torch_takes_everywhere():
    assert MAX_SEED == 2_147_483_647
    torch.Generator().manual_seed(MAX_SEED)                                 # accepted as it is


def test_a_quoted_value_is_its_repr_cut_to_the_limit():
    assert quote("queen") == "'queen'"
    long = quote("x" * 100)
    assert len(long) == 40 and long == repr("x" * 100)[:39] + "…"
    assert quote([1, 2], limit=4) == "[1,…"
    assert quote("x" * 38) == repr("x" * 38)                                # exactly 40 characters: kept whole


@pytest.mark.parametrize("value, expected", [(3, 3.0), (-0.25, -0.25), ("1.5", 1.5), (True, 1.0)])
def test_finite_returns_the_float(value, expected):
    number = finite("bias", value)
    assert number == expected and type(number) is float


@pytest.mark.parametrize("value, message", [
    (None, "bias must be a number, got None."),
    ("abc", "bias must be a number, got 'abc'."),
    ([1.0], r"bias must be a number, got \[1.0\]."),
    (float("nan"), "bias must be a finite number, got nan."),
    (float("-inf"), "bias must be a finite number, got -inf."),
    ("inf", "bias must be a finite number, got 'inf'."),
])
def test_finite_refuses_what_is_not_a_real_number(value, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        finite("bias", value)


def test_finite_list_names_the_bad_element():
    assert finite_list("weights", (1, "2", 3.5)) == [1.0, 2.0, 3.5]
    assert finite_list("weights", []) == []
    with pytest.raises(ValueError, match=r"^weights\[2\] must be a finite number, got nan.$"):
        finite_list("weights", [0.0, 1.0, math.nan])
    for not_a_list in ("1, 2", b"12", 7, None):
        with pytest.raises(ValueError, match="weights must be a list of numbers"):
            finite_list("weights", not_a_list)


@pytest.mark.parametrize("number, text", [(2**31 - 1, "2,147,483,647"), (-1000.0, "-1,000"), (0, "0"),
                                          (0.5, "0.5"), (1e-7, "1e-07"), (2.5e15, "2.5e+15")])
def test_bounds_are_written_out_whole_with_separators(number, text):
    assert shown(number) == text


def test_in_range_includes_both_ends_and_says_the_bounds():
    assert in_range("noise", 0, 0, 0.5) == 0.0 and in_range("noise", 0.5, 0, 0.5) == 0.5
    with pytest.raises(ValueError, match=r"^noise must be between 0 and 0.5, got 0.6.$"):
        in_range("noise", 0.6, 0, 0.5)
    with pytest.raises(ValueError, match=r"^seed must be between 0 and 2,147,483,647, got -1.$"):
        in_range("seed", -1, 0, MAX_SEED)
    with pytest.raises(ValueError, match="finite"):
        in_range("noise", math.nan, 0, 0.5)


def test_whole_takes_integers_and_integral_floats_only():
    assert whole("steps", 3.0, 1, 50) == 3 and type(whole("steps", 3.0, 1, 50)) is int
    assert whole("seed", MAX_SEED, 0, MAX_SEED) == MAX_SEED
    with pytest.raises(ValueError, match=r"^steps must be a whole number, got 2.5.$"):
        whole("steps", 2.5, 1, 50)
    with pytest.raises(ValueError, match=r"^steps must be between 1 and 50, got 51.$"):
        whole("steps", 51, 1, 50)
    with pytest.raises(ValueError, match="seed must be between 0 and 2,147,483,647, got 2,147,483,648"):
        whole("seed", MAX_SEED + 1, 0, MAX_SEED)
    with pytest.raises(ValueError, match="steps must be a finite number"):
        whole("steps", math.inf, 1, 50)


def test_a_prompt_is_stripped_and_kept_short():
    assert checked_prompt("  a red seven \n") == "a red seven"
    assert checked_prompt("x" * MAX_PROMPT) == "x" * MAX_PROMPT
    with pytest.raises(ValueError, match=f"^The prompt is 301 characters long; keep it under {MAX_PROMPT}.$"):
        checked_prompt("x" * (MAX_PROMPT + 1))
    for empty in ("", "   \n", None, 7):
        with pytest.raises(ValueError, match="^Type a prompt, e.g. 'a red seven on a white background'.$"):
            checked_prompt(empty)
    with pytest.raises(ValueError, match="^Type a negative prompt"):
        checked_prompt("", "negative prompt")
