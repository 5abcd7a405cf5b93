"""Editing's figures: each prompt's probability before and after the edit, one panel a group; the top next tokens
without and with the steering vector."""
import pytest

from components.editing_figures import BEFORE, edit_effect_figure, steered_bars
from components.style import COLORS


def test_each_group_shows_its_prompts_before_and_after():
    groups = [("p(Rome): the edit and its paraphrases", ["The Eiffel Tower is in", "It stands in"], [0.01, 0.0004],
               [0.93, 0.71]),
              ("p(the true object): facts that must not move", ["The Colosseum is in"], [0.88], [0.86])]
    fig = edit_effect_figure(groups)
    assert [a.text for a in fig.layout.annotations] == [title for title, *_ in groups]     # subplot titles
    for row, (_, labels, before, after) in enumerate(groups):
        old, new = fig.data[2 * row], fig.data[2 * row + 1]
        assert list(old.y) == list(new.y) == labels
        assert list(old.x) == before and list(new.x) == after
        assert (old.marker.color, new.marker.color) == (BEFORE, COLORS[0])
        assert old.showlegend == new.showlegend == (row == 0)                    # one legend for both panels
    assert list(fig.data[0].text) == ["1.0%", "< 0.1%"]
    assert tuple(fig.layout.xaxis.range) == tuple(fig.layout.xaxis2.range) == (0, 1)
    assert fig.layout.xaxis2.title.text == "probability of the next token" and fig.layout.xaxis.title.text is None
    assert fig.layout.height == 200 + 70 * 3


def test_steered_bars_put_both_distributions_side_by_side():
    fig = steered_bars(["␣the", "␣a"], [0.4, 0.2], ["␣wedding", "␣the"], [0.5, 0.1], 6.0)
    without, steered = fig.data
    assert list(without.y) == ["␣the", "␣a"] and list(without.x) == [0.4, 0.2]
    assert list(steered.y) == ["␣wedding", "␣the"] and list(steered.x) == [0.5, 0.1]
    assert [a.text for a in fig.layout.annotations] == ["without steering", "steered, α = 6"]
    # one axis for both charts (a learner compares the bars across them: 0.4 must not look as long as 0.5)
    assert tuple(fig.layout.xaxis.range) == tuple(fig.layout.xaxis2.range) == pytest.approx((0, 0.5 * 1.15))
    tiny = steered_bars(["a"], [0.01], ["b"], [0.02], 1.0)
    assert tuple(tiny.layout.xaxis.range) == pytest.approx((0, 0.05 * 1.15))     # a readable axis for tiny bars
