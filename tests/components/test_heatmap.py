"""The one heatmap builder: the cells are the matrix passed in, NaN stays empty, a diverging scale is symmetric about
0, and the axes read as asked (categories or numbers, rows downward)."""
import numpy as np
import pytest

from components.heatmap import heatmap
from components.style import DIVERGING, SEQUENTIAL


def test_the_cells_are_the_matrix_and_nan_stays_empty():
    values = np.array([[0.5, np.nan, -2.0], [1.0, 3.0, 0.0]])                   # (rows, cols)
    fig = heatmap(values, title="weights", height=300)
    trace = fig.data[0]
    np.testing.assert_array_equal(np.asarray(trace.z, dtype=float), values)       # NaN compared equal to NaN
    assert list(trace.x) == [0, 1, 2] and list(trace.y) == [0, 1]                 # default labels: the indices
    assert trace.hoverongaps is False
    assert fig.layout.title.text == "weights" and fig.layout.height == 300


def test_labels_make_category_axes_and_rows_run_downward():
    fig = heatmap([[1, 2], [3, 4]], ["key 0", "key 1"], ["query 0", "query 1"], x_title="key", y_title="query")
    assert list(fig.data[0].x) == ["key 0", "key 1"] and list(fig.data[0].y) == ["query 0", "query 1"]
    assert fig.layout.xaxis.type == fig.layout.yaxis.type == "category"
    assert fig.layout.xaxis.title.text == "key" and fig.layout.yaxis.title.text == "query"
    assert fig.layout.yaxis.autorange == "reversed"                              # row 0 at the top, like a matrix
    numeric = heatmap([[1, 2], [3, 4]], [0.5, 1.5], [0.0, 1.0], categorical=False, reverse_y=False, square=True)
    assert numeric.layout.xaxis.type is None and numeric.layout.yaxis.autorange is True
    assert numeric.layout.yaxis.scaleanchor == "x"


@pytest.mark.parametrize("values, bound", [([[0.5, -2.0], [np.nan, 1.0]], 2.0), ([[0.0, 0.0]], 1.0),
                                           ([[np.nan, np.nan]], 1.0), ([[3.0, 0.1]], 3.0)])
def test_a_diverging_scale_is_symmetric_about_zero(values, bound):
    trace = heatmap(values, diverging=True).data[0]
    assert (trace.zmin, trace.zmax) == (-bound, bound)
    assert [list(stop) for stop in trace.colorscale] == DIVERGING


def test_a_given_range_and_scale_are_kept():
    trace = heatmap([[0.2, 0.7]], diverging=True, zmin=0, zmax=1, colorscale="gray", colorbar_title="p").data[0]
    assert (trace.zmin, trace.zmax) == (0, 1) and trace.colorbar.title.text == "p"
    assert trace.colorscale[0][1] != DIVERGING[0][1]                              # 'gray', not the diverging scale
    plain = heatmap([[0.2, 0.7]]).data[0]
    assert plain.zmin is None and plain.zmax is None and plain.colorbar.title.text is None
    assert plain.colorscale == heatmap([[0.0]], colorscale=SEQUENTIAL).data[0].colorscale


def test_small_matrices_can_write_their_values_in_the_cells():
    trace = heatmap([[0.123, 4.5]], text_format=".2f", hover="%{z}").data[0]
    assert trace.texttemplate == "%{z:.2f}" and trace.hovertemplate == "%{z}<extra></extra>"
    assert heatmap([[0.123, 4.5]]).data[0].texttemplate is None


@pytest.mark.parametrize("values", [[1.0, 2.0], np.zeros((2, 2, 2))])
def test_only_a_matrix_is_drawn(values):
    with pytest.raises(ValueError, match="heatmap needs a 2-D array, got shape"):
        heatmap(values)
