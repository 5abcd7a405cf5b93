"""A guidance sweep's settings: weights read from text or a list, each setting checked, the bad one named."""
import math

import pytest

from core.checks import MAX_SEED
from core.guidance_sweep import MAX_SAMPLES, MAX_STEPS, MAX_W, MAX_WEIGHTS, checked_sweep, checked_weights


@pytest.mark.parametrize("text, weights", [("0, 0.5, 1", (0.0, 0.5, 1.0)), ("0 3 7.5", (0.0, 3.0, 7.5)),
                                           ("1;2; 4", (1.0, 2.0, 4.0)), (" 12 ", (12.0,)), ("8,,0", (8.0, 0.0))])
def test_weights_text_is_read_as_numbers_in_order(text, weights):
    assert checked_weights(text) == weights


def test_a_list_of_weights_is_kept_as_floats():
    assert checked_weights([0, 2, MAX_W]) == (0.0, 2.0, MAX_W)
    assert checked_weights(range(MAX_WEIGHTS)) == tuple(float(w) for w in range(MAX_WEIGHTS))


@pytest.mark.parametrize("weights, message", [
    ("0, 1, x", "^Weights are numbers separated by commas, e.g. 0, 1, 3; got '0, 1, x'.$"),
    ("", f"^Give 1 to {MAX_WEIGHTS} guidance weights, got 0.$"),
    ([], f"^Give 1 to {MAX_WEIGHTS} guidance weights, got 0.$"),
    (", ".join(["1"] * (MAX_WEIGHTS + 1)), f"^Give 1 to {MAX_WEIGHTS} guidance weights, got {MAX_WEIGHTS + 1}.$"),
    ([1.0] * (MAX_WEIGHTS + 2), f"^Give 1 to {MAX_WEIGHTS} guidance weights, got {MAX_WEIGHTS + 2}.$"),
    (f"0, {MAX_W + 1:g}", f"^Each guidance weight w must be between 0 and {MAX_W:g}, got {MAX_W + 1:g}.$"),
    ([-0.5], f"^Each guidance weight w must be between 0 and {MAX_W:g}, got -0.5.$"),
    ("nan", r"^weights\[0\] must be a finite number, got nan.$"),
    ([1.0, math.inf], r"^weights\[1\] must be a finite number, got inf.$"),
    (3, "^weights must be a list of numbers, got 3.$"),
])
def test_bad_weights_are_refused_in_words(weights, message):
    with pytest.raises(ValueError, match=message):
        checked_weights(weights)


def test_a_very_long_weights_text_is_counted_without_reading_it_all():
    text = ", ".join(["1"] * 10_000)
    with pytest.raises(ValueError, match=f"got {MAX_WEIGHTS + 1}"):          # reads MAX_WEIGHTS + 1, then stops
        checked_weights(text)


def test_checked_sweep_returns_every_setting_checked():
    assert checked_sweep("0, 3", 2.0, 5, 7) == ((0.0, 3.0), 2, 5, 7)
    assert checked_sweep([1], MAX_SAMPLES, MAX_STEPS, MAX_SEED) == ((1.0,), MAX_SAMPLES, MAX_STEPS, MAX_SEED)


@pytest.mark.parametrize("args, message", [
    (("1", 0, 5, 0), f"^samples per weight must be between 1 and {MAX_SAMPLES}, got 0.$"),
    (("1", MAX_SAMPLES + 1, 5, 0), f"^samples per weight must be between 1 and {MAX_SAMPLES}, got {MAX_SAMPLES + 1}.$"),
    (("1", 1.5, 5, 0), "^samples per weight must be a whole number, got 1.5.$"),
    (("1", 2, MAX_STEPS + 1, 0), f"^steps must be between 1 and {MAX_STEPS}, got {MAX_STEPS + 1}.$"),
    (("1", 2, 5, -1), "^seed must be between 0 and 2,147,483,647, got -1.$"),
    ((f"{MAX_W + 1:g}", 2, 5, 0), f"between 0 and {MAX_W:g}"),
])
def test_checked_sweep_names_the_bad_setting(args, message):
    with pytest.raises(ValueError, match=message):
        checked_sweep(*args)
