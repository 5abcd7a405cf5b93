"""The residual stream's figures: the logit lens grid is the cells passed in (the rank on a log scale), each bar is
the number passed in, the attribution's title adds up to the logit, and a token such as '<br>' shows as typed."""
import math

import numpy as np
import pytest

from components.residual_figures import (add_vs_replace_figure, as_typed, attribution_figure, cell_text,
                                         layer_labels, lens_colour, lens_grid_figure, neuron_figure, token_labels,
                                         trace_heatmap, write_norms_figure)
from components.style import COLORS

RNG = np.random.default_rng(4)


def cells(rows: int, columns: int) -> dict[str, np.ndarray]:
    return {"top_probability": RNG.random((rows, columns)), "entropy": RNG.random((rows, columns)) * 8,
            "target_rank": RNG.integers(1, 50_000, (rows, columns)), "target_probability": RNG.random((rows, columns))}


def test_labels_are_unique_and_mark_the_corrupted_subject():
    assert token_labels(["The", "␣Eiffel", "␣Tower", "␣is"], marked=(1, 3)) == ["0·The", "1·␣Eiffel*", "2·␣Tower*",
                                                                               "3·␣is"]
    assert token_labels(["a", "a"]) == ["0·a", "1·a"]
    assert layer_labels(2, with_embedding=True) == ["embedding", "block 0", "block 1"]
    assert layer_labels(2, with_embedding=False) == ["block 0", "block 1"]


@pytest.mark.parametrize("token, columns, shown", [("Paris", 10, "Paris"), ("␣international", 10, "␣intern…"),
                                                   ("␣international", 55, "␣i"), ("abcdefgh", 30, "abc")])
def test_a_token_is_cut_to_its_cell(token, columns, shown):
    assert cell_text(token, columns) == shown


def test_markup_in_a_token_shows_as_typed():
    assert as_typed("<br>") == "&lt;br&gt;" and as_typed("a & b") == "a &amp; b" and as_typed('"') == '"'


def test_the_lens_colours_by_probability_entropy_or_log_rank():
    grid = cells(3, 4)
    probability = lens_colour(grid, "top_probability", "Paris")
    assert probability["z"] is grid["top_probability"] and (probability["zmin"], probability["zmax"]) == (0, 1)
    assert lens_colour(grid, "entropy", "Paris")["z"] is grid["entropy"]
    rank = lens_colour(grid, "target_rank", "<Paris>")
    np.testing.assert_allclose(rank["z"], np.log10(grid["target_rank"]))
    assert rank["zmax"] == math.ceil(np.log10(grid["target_rank"].max())) and "&lt;Paris&gt;" in rank["what"]
    assert lens_colour({"target_rank": np.ones((2, 2))}, "target_rank", "x")["zmax"] == 1.0   # rank 1 everywhere


def test_the_lens_grid_names_each_cells_top_token():
    grid = cells(3, 2)                                                            # embedding + 2 blocks, 2 positions
    top = [["a", "<br>"], ["b", "c"], ["Paris", "␣Paris"]]
    fig = lens_grid_figure(top, grid, ["0·The", "1·␣city"], "Paris", "target_rank")
    heat = fig.data[0]
    np.testing.assert_allclose(np.asarray(heat.z), np.log10(grid["target_rank"]))
    assert list(heat.y) == ["embedding", "block 0", "block 1"] and list(heat.x) == ["0·The", "1·␣city"]
    assert [list(row) for row in heat.text] == [["a", "&lt;br&gt;"], ["b", "c"], ["Paris", "␣Paris"]]
    first = heat.customdata[2][1]
    assert first[0] == "␣Paris" and first[1:] == pytest.approx([grid[n][2, 1] for n in (
        "top_probability", "entropy", "target_rank", "target_probability")])
    ticks = list(heat.colorbar.ticktext)
    assert ticks[:3] == ["1", "10", "100"] and len(ticks) == heat.zmax + 1


def test_write_norms_are_the_sizes_passed_in():
    attention, mlp, stream = RNG.random(4), RNG.random(4), RNG.random(5)
    fig = write_norms_figure(attention, mlp, stream, "the last token")
    np.testing.assert_array_equal(np.asarray(fig.data[0].y), attention)
    np.testing.assert_array_equal(np.asarray(fig.data[1].y), mlp)
    np.testing.assert_array_equal(np.asarray(fig.data[2].y), stream)
    assert list(fig.data[2].x) == [-0.5, 0.5, 1.5, 2.5, 3.5]                      # the stream between the blocks
    assert fig.data[2].yaxis == "y2" and "the last token" in fig.layout.title.text


def test_the_attribution_title_adds_up_to_the_logit():
    attention, mlp = np.array([0.5, -0.25, 1.0]), np.array([2.0, 0.25, -0.5])
    fig = attribution_figure(attention, mlp, embedding=0.75, logit=3.75, target="Paris")
    assert list(fig.data[0].y) == list(attention) and list(fig.data[1].y) == list(mlp)
    assert "embed +0.75, attn +1.25, MLP +1.75: sum 3.75 = logit 3.75" in fig.layout.title.text
    assert fig.layout.yaxis.title.text == "push on logit(Paris)"


def test_each_neuron_bar_is_its_push_and_names_what_it_promotes():
    fig = neuron_figure([7, 3], np.array([0.8, -0.3]), np.array([1.5, -2.0]), [["␣Paris", "␣France"], ["<s>"]],
                        20, "Paris")
    bars = fig.data[0]
    assert list(bars.x) == [0.8, -0.3] and list(bars.marker.color) == [COLORS[0], COLORS[1]]
    assert list(bars.y) == ["neuron 7 (a = +1.5) → ␣Paris, ␣France", "neuron 3 (a = -2.0) → &lt;s&gt;"]
    assert fig.layout.title.text.startswith("Block 20's MLP")


def test_the_causal_trace_is_p_target_with_each_state_restored():
    restored = RNG.random((3, 4)) * 0.5
    fig = trace_heatmap(restored, ["0·The*", "1·a", "2·b", "3·c"], "mlp", clean=0.9, corrupted=0.01, target="Paris")
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), restored)
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 0.9)                     # up to the clean run's p
    assert list(fig.data[0].y) == ["block 0", "block 1", "block 2"]
    title = fig.layout.title.text
    assert "Restoring the MLP output" in title and "clean 0.900, corrupted 0.010" in title
    assert trace_heatmap(np.full((1, 1), 0.95), ["0·a"], "hidden", 0.9, 0.0, "x").data[0].zmax == 0.95


def test_add_vs_replace_draws_both_curves_from_the_embedding_and_marks_the_cut():
    p_add, p_replace = np.linspace(0, 0.7, 31), np.r_[np.linspace(0, 0.1, 11), np.zeros(20)]
    fig = add_vs_replace_figure(p_add, p_replace, 10, "␣Paris")
    adds, replaces = fig.data
    assert list(adds.x) == list(range(-1, 30)) and np.allclose(adds.y, p_add) and np.allclose(replaces.y, p_replace)
    assert "block 10" in replaces.name and fig.layout.shapes[0].x0 == 10 and "p(␣Paris)" in fig.layout.title.text
