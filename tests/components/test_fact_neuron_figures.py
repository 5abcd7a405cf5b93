"""The fact neuron's figures show the numbers passed in: the stream's bars, z and ReLU(z), what the neuron adds on top
of the stream; the AND-gate map with its corners and the sliders' point; the angles as a density beside the curve."""
import numpy as np
import pytest

from components.fact_neuron_figures import WRITES, and_gate_map, angle_histogram, fact_neuron_figure
from components.style import NEGATIVE, POSITIVE

NAMES = ["Michael", "Jordan", "Phelps", "basketball", "swimming"]


def test_the_neuron_figure_draws_the_stream_the_gate_and_the_write():
    on_names, written = np.array([1.0, 1.0, 0.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.0, 1.0, 0.0])
    fig = fact_neuron_figure(NAMES, on_names, 1.0, 1.0, written)
    stream, neuron, before, added = fig.data
    assert list(stream.x) == NAMES and list(stream.y) == [1, 1, 0, 0, 0]
    assert list(neuron.y) == [1.0, 1.0] and neuron.marker.color[0] == POSITIVE
    assert list(before.y) == list(on_names) and list(added.y) == list(written) and added.marker.color == WRITES
    assert list(added.text) == ["", "", "", "+1.00", ""]                        # basketball lights up, swimming not
    assert fig.layout.barmode == "relative"                                     # x + out: the write stacks on x
    assert list(stream.text) == ["1.00", "1.00", "", "", ""]
    assert list(fig.layout.yaxis.range) == list(fig.layout.yaxis3.range) == [-1.2, 1.5]     # the usual axes
    assert list(fig.layout.yaxis2.range) == [-1.2, 1.5]
    assert "fires" in fig.layout.title.text and "basketball written: 1.00" in fig.layout.title.text


def test_a_silent_neuron_is_drawn_off():
    fig = fact_neuron_figure(NAMES, np.array([1.0, 0, 1.0, 0, 0]), -0.0, 0.0, np.zeros(5))
    assert fig.data[1].marker.color[0] == NEGATIVE and "stays off" in fig.layout.title.text
    assert list(fig.data[3].text) == [""] * 5


def test_the_axes_grow_only_to_fit_a_larger_bar():
    fig = fact_neuron_figure(NAMES, np.array([-1.0, -1.0, 0, 0, 0]), -4.0, 0.0, np.zeros(5))
    assert list(fig.layout.yaxis2.range) == [-4.4, 1.5] and list(fig.layout.yaxis.range) == [-1.4, 1.5]
    fig = fact_neuron_figure(NAMES, np.array([1.0, 1.0, 0, 0, 0]), 2.5, 2.5, np.array([0, 0, 0, 2.5, 0]))
    assert fig.layout.yaxis3.range[1] == pytest.approx(3.0) and fig.layout.yaxis2.range[1] == pytest.approx(3.0)


def test_the_gate_map_is_the_reads_with_the_corners_and_the_sliders():
    amounts = np.linspace(-1, 1, 5)
    reads = np.maximum(0, amounts[None, :] + amounts[:, None] - 1)               # [jordan, michael]
    corners = [(0, 0, 0.0), (0, 1, 0.0), (1, 0, 0.0), (1, 1, 1.0)]
    fig = and_gate_map(amounts, reads, corners, (0.25, 1.0))
    heat, point, marks = fig.data                                              # the corners drawn over the sliders
    np.testing.assert_array_equal(heat.z, reads)
    assert list(heat.x) == list(amounts) and heat.zmin == 0 and heat.zmax == 1
    assert list(marks.text) == ["0", "0", "0", "1"] and list(marks.x) == [0, 0, 1, 1] and list(marks.y) == [0, 1, 0, 1]
    assert (point.x[0], point.y[0]) == (0.25, 1.0)


def test_the_angle_histogram_is_a_density_beside_the_expected_curve():
    edges = np.linspace(0, 180, 19)
    counts = np.zeros(18)
    counts[8], counts[9] = 30, 15
    expected = np.full(18, 1 / 180)
    fig = angle_histogram(edges, counts, expected, 10, 3)
    bars, curve = fig.data
    assert float(np.sum(bars.y) * 10) == pytest.approx(1.0)                      # a share per degree
    assert bars.y[8] == pytest.approx(30 / 45 / 10) and list(curve.y) == list(expected)
    assert "the angles of all 45 pairs" in fig.layout.title.text
