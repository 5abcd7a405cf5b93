"""The lines view (bertviz's head view) draws exactly the (query, key) pairs of each weight band: checked against
a brute-force loop over the pattern. The relation ranking, the write's promoted and suppressed tokens and the query's
key shares are drawn in the order and sign they are given."""
import numpy as np
import pytest

from components.attention_figures import lines_view, query_bars, relation_bars, write_bars
from components.style import NEGATIVE, POSITIVE

BANDS = ((0.05, 0.2), (0.2, 0.5), (0.5, 1.01))


def test_each_band_draws_exactly_its_query_key_pairs():
    rng = np.random.default_rng(3)
    T = 9
    pattern = np.tril(rng.random((T, T)) ** 3)
    pattern /= pattern.sum(axis=1, keepdims=True)                        # rows sum to 1, causal
    fig = lines_view({4: pattern}, [f"t{i}" for i in range(T)])
    lines = [trace for trace in fig.data if trace.mode == "lines"]
    expected_bands = [b for b in BANDS if any(b[0] <= pattern[i, j] < b[1] for i in range(T) for j in range(i + 1))]
    assert len(lines) == len(expected_bands)
    for trace, (lo, hi) in zip(lines, expected_bands):
        drawn = set()
        x, y = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
        for k in range(0, len(x), 3):                                   # (1, y_query) -> (0, y_key), NaN
            assert (x[k], x[k + 1]) == (1.0, 0.0) and np.isnan(x[k + 2]) and np.isnan(y[k + 2])
            drawn.add((int(-y[k]), int(-y[k + 1])))
        brute = {(i, j) for i in range(T) for j in range(i + 1) if lo <= pattern[i, j] < hi}
        assert drawn == brute, (lo, hi)
        assert trace.line.width == 1 + 4 * hi


def test_the_relation_bars_draw_the_top_heads_in_rank_order_and_the_mean_of_all():
    ranking = [(16, 3, 0.56), (13, 8, 0.51), (16, 5, 0.37), (4, 8, 0.26), (0, 0, 0.0)]
    fig = relation_bars(ranking, "10·␣it", "1·␣trophy", top=3)
    bars = fig.data[0]
    assert list(bars.y) == ["L16 h3", "L13 h8", "L16 h5"] and list(bars.x) == [0.56, 0.51, 0.37]
    assert fig.layout.shapes[0].x0 == pytest.approx(np.mean([w for *_, w in ranking]))   # the mean of all 5 heads
    assert "10·␣it to 1·␣trophy" in fig.layout.title.text


def test_the_write_bars_put_the_promoted_on_top_and_the_most_suppressed_at_the_bottom():
    fig = write_bars([("␣on", 18.8), ("is", 14.6)], [("␣affili", -20.1), ("staking", -19.0)], 0.4, "what it writes")
    bars = fig.data[0]
    assert list(bars.y) == ["␣on", "is", "staking", "␣affili"] and list(bars.x) == [18.8, 14.6, -19.0, -20.1]
    assert list(bars.marker.color[:2]) == [POSITIVE] * 2 and list(bars.marker.color[2:]) == [NEGATIVE] * 2
    twice = write_bars([("␣Mary", 3.0)], [("␣Mary", -2.0)], 0.0, "")      # two tokens shown alike stay two bars
    assert list(twice.data[0].y) == ["␣Mary", "␣Mary (2)"]


def test_the_query_bars_show_the_weights_and_each_keys_signed_share_of_the_write():
    weights = np.array([0.5, 0.3, 0.2, 0.0])
    shares = np.array([4.0, -1.0, 2.0, 0.0])
    fig = query_bars(weights, shares, ["0·a", "1·b", "2·c", "3·d"], query=2)
    np.testing.assert_allclose(fig.data[0].y, weights[:3])
    np.testing.assert_allclose(fig.data[1].y, shares[:3])                  # signed: not a size
    assert "share of |o| = 5.0" == fig.layout.yaxis2.title.text
    (low, high), (low2, high2) = fig.layout.yaxis.range, fig.layout.yaxis2.range
    assert low / high == pytest.approx(low2 / high2) and low2 < -1          # one zero line for both axes
