"""2-D diffusion's figures: each arrow runs from its grid point to point + vector with a head of the stated size,
every field shares one fixed scale that the title states, the paths and samples are the arrays passed in, and the
marginals are numpy's own histograms."""
import numpy as np
import pytest

from components.vector_field_figures import (DATA_COLOUR, FIELD_COLOURS, FULL_CELL, HEAD, arrow_lengths,
                                             arrow_segments, class_traces, cloud_figure, drawn, field_figure,
                                             guidance_figure, marginals_figure, paths_figure)

RNG = np.random.default_rng(5)
LIMITS = (-3.0, 3.0)


def test_each_arrow_is_a_shaft_and_a_two_stroke_head():
    points, vectors = RNG.normal(size=(4, 2)), RNG.normal(size=(4, 2))
    x, y = arrow_segments(points, vectors)
    strokes = np.stack([x, y], axis=1).reshape(4, 7, 2)          # start, tip, gap, left, tip, right, gap
    np.testing.assert_array_equal(strokes[:, 0], points)
    np.testing.assert_allclose(strokes[:, 1], points + vectors)
    assert np.isnan(strokes[:, 2]).all() and np.isnan(strokes[:, 6]).all()
    for side in (3, 5):
        stroke = strokes[:, 4] - strokes[:, side]                                 # from the barb to the tip
        np.testing.assert_allclose(np.linalg.norm(stroke, axis=1), HEAD * np.linalg.norm(vectors, axis=1))
        cos = (stroke * vectors).sum(axis=1) / (np.linalg.norm(stroke, axis=1) * np.linalg.norm(vectors, axis=1))
        np.testing.assert_allclose(cos, np.cos(0.5))                              # 0.5 rad off the shaft


def test_the_arrow_scale_is_fixed_as_the_title_says():
    lengths = arrow_lengths(np.array([0.0, 1.0, 5.0, FULL_CELL, 10 * FULL_CELL]), 0.4)
    np.testing.assert_allclose(lengths[:4], [0.0, 0.1, 0.2, 0.4])              # none, ¼, ½, one grid spacing
    assert 0.4 < lengths[4] < 0.7                                              # ten times more: not 4 spacings
    vectors = np.array([[3.0, 4.0], [0.0, 0.0], [-30.0, 0.0]])
    five, thirty = arrow_lengths(np.array([5.0, 30.0]), 0.4)
    np.testing.assert_allclose(drawn(vectors, 0.4), [[0.6 * five, 0.8 * five], [0, 0], [-thirty, 0]])   # own directions


def test_the_field_figure_draws_every_field_with_the_same_stated_scale():
    grid = np.array([[0.0, 0.0], [1.0, 1.0]])
    fields = {"cond": np.array([[1.0, 0.0], [0.0, 2.0]]), "guided": np.array([[0.5, 0.5], [60.0, 0.0]])}
    data = RNG.normal(size=(10, 2))
    fig = field_figure(grid, fields, {"cond": "ε(x, c)", "guided": "guided"}, data, "the field", LIMITS, 0.5)
    np.testing.assert_array_equal(np.asarray(fig.data[0].x), data[:, 0])
    for trace, name in zip(fig.data[1:], fields):
        x, y = arrow_segments(grid, drawn(fields[name], 0.5))
        np.testing.assert_array_equal(np.asarray(trace.x, dtype=float), x)
        assert trace.line.color == FIELD_COLOURS[name]
    assert [t.name for t in fig.data[1:]] == ["ε(x, c)", "guided"]
    assert tuple(fig.layout.xaxis.range) == tuple(fig.layout.yaxis.range) == LIMITS
    assert fig.layout.yaxis.scaleanchor == "x"
    assert lines_of(fig.layout.title.text) == ["the field", "Arrows on one log scale for every t:",
                                               f"|s| = {FULL_CELL:g} is 1 grid cell, 5 is ½, 1 is ¼",
                                               "mean |s| here: ε(x, c): 1.5 · guided: 30.4"]   # (1 + 2) / 2, (0.71 + 60) / 2
    named = {"cond": "the upper moon", "guided": "guided, w = 3"}
    long = lines_of(field_figure(grid, fields, named, data, "Three fields at t = 150: guided = past the class's",
                                 LIMITS, 0.5).layout.title.text)
    assert long[:2] == ["Three fields at t = 150: guided =", "past the class's"]   # every line fits a phone
    assert long[4:] == ["mean |s| here: the upper moon: 1.5", "· guided, w = 3: 30.4"]  # broken between fields


def test_the_implicit_classifier_has_its_own_colour_and_the_probe_is_marked():
    grid, data = np.array([[0.0, 0.0], [1.0, 0.0]]), RNG.normal(size=(5, 2))
    fields = {name: RNG.normal(size=(2, 2)) for name in ("uncond", "classifier", "guided")}
    fig = field_figure(grid, fields, {name: name for name in fields}, data, "arithmetic", LIMITS, 0.5,
                       probe=(1.0, 0.5))
    assert [t.line.color for t in fig.data[1:4]] == [FIELD_COLOURS[name] for name in fields]
    assert len(set(FIELD_COLOURS.values())) == len(FIELD_COLOURS)                  # every field its own colour
    probe = fig.data[-1]
    assert (probe.x, probe.y, probe.marker.symbol) == ((1.0,), (0.5,), "diamond")
    assert "◆" in probe.name


def lines_of(title: str) -> list[str]:
    return [line.removeprefix("<sup>").removesuffix("</sup>") for line in title.split("<br>")]


def test_a_labelled_cloud_has_a_trace_per_class_over_the_faint_data():
    data, noised = RNG.normal(size=(6, 2)), RNG.normal(size=(6, 2))
    labels = np.array([0, 1, 0, 1, 1, 0])
    fig = cloud_figure(data, noised, labels, ["upper moon", "lower moon"], 400, LIMITS)
    faint, upper, lower = fig.data
    assert faint.marker.color == DATA_COLOUR and len(faint.x) == 6
    np.testing.assert_array_equal(np.asarray(upper.x), noised[labels == 0, 0])
    np.testing.assert_array_equal(np.asarray(lower.y), noised[labels == 1, 1])
    assert upper.name == "xₜ at t = 400: upper moon" and fig.layout.title.text.endswith("t = 400")
    (unlabelled,) = class_traces(noised, labels, (), "samples")
    assert len(unlabelled.x) == 6 and unlabelled.name == "samples"


def test_paths_start_at_the_noise_and_end_at_the_samples():
    path = RNG.normal(size=(5, 3, 2))                                             # (S + 1, n, 2)
    fig = paths_figure({"DDPM": path, "DDIM": path * 0.5}, RNG.normal(size=(4, 2)), 2, LIMITS)
    data, lines, starts, samples = fig.data[:4]
    drawn = np.stack([np.asarray(lines.x, dtype=float), np.asarray(lines.y, dtype=float)], axis=1).reshape(2, 6, 2)
    np.testing.assert_array_equal(drawn[:, :5], path[:, :2].transpose(1, 0, 2))   # the first 2 paths, whole
    assert np.isnan(drawn[:, 5]).all()
    np.testing.assert_array_equal(np.asarray(starts.x), path[0, :2, 0])
    np.testing.assert_array_equal(np.asarray(samples.y), path[-1, :, 1])          # every sample's end
    assert [a.text for a in fig.layout.annotations] == ["DDPM", "DDIM"]
    assert fig.data[4].showlegend is False                                        # one legend for both panels


def test_three_samplers_side_by_side_with_two_line_titles_get_room_for_them():
    path = RNG.normal(size=(4, 6, 2))
    titles = [f"{name}<br><sup>nearest 0.020 · SW₁ 0.082</sup>" for name in ("DDPM", "DDIM", "no noise")]
    fig = paths_figure(dict(zip(titles, [path, path, path[:, :1].repeat(6, 1)])), RNG.normal(size=(4, 2)), 3, LIMITS)
    assert [a.text for a in fig.layout.annotations] == titles and len(fig.data) == 12
    one_line = paths_figure({"DDPM": path}, RNG.normal(size=(4, 2)), 3, LIMITS)
    assert fig.layout.margin.t == 2 * one_line.layout.margin.t                     # a line more for the distances
    assert fig.layout.height - one_line.layout.height == one_line.layout.margin.t  # the panels keep their size
    assert fig.layout.yaxis3.scaleanchor == "x3" and tuple(fig.layout.xaxis3.range) == LIMITS


def test_the_marginals_are_numpys_histograms_over_the_plotted_range():
    data, ddim = RNG.normal(size=(200, 2)), RNG.normal(1, 0.5, size=(100, 2))
    fig = marginals_figure({"DDIM": ddim}, data, LIMITS)
    edges = np.linspace(*LIMITS, 41)
    for trace, (points, column) in zip(fig.data, [(data, 0), (data, 1), (ddim, 0), (ddim, 1)]):
        density, _ = np.histogram(points[:, column], bins=edges, density=True)
        np.testing.assert_allclose(np.asarray(trace.y), density)
        np.testing.assert_allclose(np.asarray(trace.x), (edges[:-1] + edges[1:]) / 2)
    assert fig.data[0].line.color == DATA_COLOUR and fig.data[0].line.width == 5
    assert fig.data[2].name == "DDIM"                                             # on the scale: its own name


def test_a_pile_runs_off_the_marginals_scale_and_says_how_high():
    data, pile = RNG.normal(size=(400, 2)), np.full((50, 2), 0.1)
    fig = marginals_figure({"no noise": pile}, data, LIMITS)
    top = 3 * max(np.histogram(data[:, c], bins=np.linspace(*LIMITS, 41), density=True)[0].max() for c in (0, 1))
    assert tuple(fig.layout.yaxis.range) == tuple(fig.layout.yaxis2.range) == (0, pytest.approx(top))
    assert fig.data[2].name == "no noise (peak 6.7, off the scale)"              # all in one bin 0.15 wide


def test_guided_samples_get_a_panel_per_weight():
    samples = {0.0: RNG.normal(size=(5, 2)), 4.0: RNG.normal(size=(5, 2))}
    fig = guidance_figure(samples, RNG.normal(size=(8, 2)), "the upper moon", LIMITS)
    assert [a.text for a in fig.layout.annotations] == ["w = 0", "w = 4"]
    np.testing.assert_array_equal(np.asarray(fig.data[3].x), samples[4.0][:, 0])
    assert fig.data[1].name == "samples asked for the upper moon"
    assert tuple(fig.layout.xaxis2.range) == LIMITS and fig.layout.yaxis2.scaleanchor == "x2"
