"""The lines view (bertviz's head view) draws exactly the (query, key) pairs of each weight band: checked against
a brute-force loop over the pattern."""
import numpy as np

from components.attention_figures import lines_view

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
