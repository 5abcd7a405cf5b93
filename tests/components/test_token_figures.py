"""The next-token bars: p at temperature T (or, with top-k / top-p on, q for the kept tokens and p for the cut ones,
hatched), the model's own T = 1 marked beside each bar, the most likely first."""
import numpy as np
import pytest

from components.token_figures import CUT, next_token_bars

TOKENS = ["␣Paris", "␣London", "␣the", "␣Rome"]
P = [0.6, 0.2, 0.15, 0.05]                     # at T
AT_ONE = [0.7, 0.15, 0.1, 0.05]


def test_without_a_cut_every_bar_is_p_at_t():
    fig = next_token_bars(TOKENS, P, AT_ONE, 0.7)
    bars, marks = fig.data
    assert list(bars.y) == TOKENS and list(bars.x) == P and bars.name == "T = 0.7"
    assert list(bars.text) == ["60.0%", "20.0%", "15.0%", "5.0%"]
    assert list(marks.x) == AT_ONE and list(marks.y) == TOKENS
    assert list(fig.layout.yaxis.categoryarray) == TOKENS and fig.layout.yaxis.autorange == "reversed"
    assert tuple(fig.layout.xaxis.range) == pytest.approx((0, 0.7 * 1.25))
    assert fig.layout.title.text == "Next-token distribution: softmax(logits / T)"


def test_with_a_cut_kept_bars_are_renormalised_and_cut_bars_keep_their_p():
    kept = [True, True, False, False]
    q = [0.75, 0.25, 0.0, 0.0]                                                   # p / 0.8 for the kept tokens
    fig = next_token_bars(TOKENS, P, AT_ONE, 1.0, kept, q)
    kept_bars, cut_bars, _ = fig.data
    assert list(kept_bars.y) == TOKENS[:2] and list(kept_bars.x) == q[:2]
    assert list(cut_bars.y) == TOKENS[2:] and list(cut_bars.x) == P[2:]
    assert cut_bars.marker.pattern.shape == CUT["pattern"]["shape"] and cut_bars.name.startswith("cut")
    assert np.isclose(sum(kept_bars.x), 1.0)
    assert fig.layout.title.text.endswith(", then top-k / top-p")
    assert tuple(fig.layout.xaxis.range) == pytest.approx((0, 0.75 * 1.25))


def test_the_axis_never_goes_past_one():
    fig = next_token_bars(["a", "b"], [0.99, 0.01], [0.9, 0.1], 0.1)
    assert tuple(fig.layout.xaxis.range) == (0, 1.0)
