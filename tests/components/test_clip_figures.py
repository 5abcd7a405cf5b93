"""CLIP's figures: the similarity matrix is the values passed in with captions as rows and each image above its
column, its row labels keep the words in which the captions differ within a phone's width, the zero-shot bars are
sorted with the winner highlighted, every matching pair is joined, and the words ranked along a difference of images
are drawn in rank order with the skipped ranks counted."""
import base64
import html
import io
import unicodedata

import numpy as np
import pytest
from PIL import Image

from components.clip_figures import (LABEL_LINES, LABEL_WIDTH, SOFTMAX_ALONG, VIEWS, caption_labels, learning_curve,
                                     png_uri, shared_space, short_caption, similarity_matrix, word_bars, zero_shot_bars)
from components.formatting import percent
from components.style import COLORS

RNG = np.random.default_rng(2)


def test_a_picture_goes_into_the_figure_as_its_own_pixels():
    image = RNG.random((6, 5, 3))
    uri = png_uri(image)
    assert uri.startswith("data:image/png;base64,")
    decoded = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    np.testing.assert_array_equal(decoded, (image * 255).astype(np.uint8))
    white = np.asarray(Image.open(io.BytesIO(base64.b64decode(png_uri(np.full((2, 2, 3), 7.0)).split(",")[1]))))
    assert (white == 255).all()                                                 # out of [0, 1]: clipped


def test_a_long_caption_is_cut_with_an_ellipsis():
    assert short_caption("a red seven") == "a red seven"
    assert short_caption("x" * 50, 10) == "x" * 9 + "…" and len(short_caption("y" * 100)) == 44


def lines_of(label: str) -> list[str]:
    return [html.unescape(line) for line in label.split("<br>")]


def shown_text(label: str) -> str:
    """A label as read: its lines joined, without its number."""
    return " ".join(lines_of(label)).split(". ", 1)[1]


def fits(labels: list[str], width: int = LABEL_WIDTH, lines: int = LABEL_LINES) -> bool:
    return all(len(lines_of(label)) <= lines and all(len(line) <= width for line in lines_of(label))
               for label in labels)


def test_short_captions_are_labelled_whole_and_equal_ones_by_their_numbers():
    assert caption_labels(["a red seven", "a red seven", "a blue one"]) == \
        ["1. a red seven", "2. a red seven", "3. a blue one"]
    assert caption_labels(["a large blue zero on a yellow background"]) == \
        ["1. a large blue<br>zero on a yellow<br>background"]                    # wrapped at spaces, not cut


def test_long_captions_that_differ_late_keep_the_differing_word():
    """Cut at 30 characters (the old labels), all three read 'a large purple three on the le…'."""
    colours = ("white", "black", "blue")
    captions = [f"a large purple three on the left and an orange five on the right on a {colour} background"
                for colour in colours]
    labels = caption_labels(captions)
    assert fits(labels) and len({shown_text(label) for label in labels}) == 3
    for label, colour in zip(labels, colours):
        assert colour in shown_text(label) and shown_text(label).startswith("…")     # the shared start left out


def test_long_captions_that_differ_early_are_cut_at_their_end():
    captions = [f"a {c} seven on the left and a small blue one on the right on a white background"
                for c in ("red", "green")]
    labels = caption_labels(captions)
    assert fits(labels)
    assert shown_text(labels[0]).startswith("a red seven") and shown_text(labels[1]).startswith("a green seven")
    assert all(label.endswith("…") for label in labels)


def test_every_batch_of_scene_captions_gets_distinct_labels_that_fit():
    """Captions as the scenes write them (one or two digits, sizes, sides, backgrounds), 300 batches of 16."""
    rng = np.random.default_rng(0)
    digits = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    colours = ["red", "green", "blue", "yellow", "white", "purple", "orange"]

    def thing() -> str:
        words = [str(rng.choice(["", "small", "large"])), str(rng.choice(colours)), str(rng.choice(digits))]
        text = " ".join(word for word in words if word)
        return ("an " if text[0] in "aeiou" else "a ") + text

    for _ in range(300):
        captions = []
        for _ in range(16):
            sides = list(rng.permutation(["left", "right"]))
            text = thing() if rng.random() < 0.5 else f"{thing()} on the {sides[0]} and {thing()} on the {sides[1]}"
            background = f" on a {rng.choice(colours + ['black'])} background" if rng.random() < 0.6 else ""
            captions.append(text + background)
        labels = caption_labels(captions)
        assert fits(labels)
        shown = {}
        for caption, label in zip(captions, labels):
            assert shown.setdefault(shown_text(label), caption) == caption, (caption, label)   # one text, one caption


def test_labels_take_any_text():
    decomposed = unicodedata.normalize("NFD", "un éléphant à gauche")                  # é as e + a combining accent
    assert caption_labels([decomposed]) == ["1. un éléphant à<br>gauche"]            # composed: one letter, one é
    cjk = ["一只红色的七在左边" * 6 + suffix for suffix in ("，背景是白色", "，背景是黑色")]   # no spaces at all
    labels = caption_labels(cjk)
    assert fits(labels) and "白" in shown_text(labels[0]) and "黑" in shown_text(labels[1])
    assert caption_labels(["a <b>red</b> seven & 🙂"]) == ["1. a &lt;b&gt;red&lt;/b&gt;<br>seven &amp; 🙂"]


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_matrix_has_captions_as_rows_and_images_as_columns(view):
    values = RNG.random((3, 4))                                                  # (images, captions)
    images = RNG.random((3, 8, 8, 3))
    captions = ["a red seven", "a blue two on the left and a green nine on the right", "a zero", "a one"]
    fig = similarity_matrix(values, images, captions, view)
    heat = fig.data[0]
    np.testing.assert_array_equal(np.asarray(heat.z), values.T)                  # row j = caption j, column i = image i
    assert list(heat.x) == ["1", "2", "3"] and list(heat.y) == caption_labels(captions)
    assert heat.customdata[1][2] == captions[1] and "%{customdata}" in heat.hovertemplate   # whole in the hover
    assert heat.textfont.size is None                           # the numbers as large as the cells allow: a phone's too
    assert len(fig.layout.images) == 3 and [im.x for im in fig.layout.images] == [0, 1, 2]
    assert fig.layout.xaxis.title.text == f"image · {VIEWS[view][0]}"
    assert heat.colorbar.title.text == VIEWS[view][1]
    if view == "similarity":
        assert heat.zmin is None and heat.texttemplate == "%{z:.1f}"
    else:                                                                         # probabilities: the full range
        assert (heat.zmin, heat.zmax) == (0, 1) and heat.texttemplate == "%{z:.2f}"


def test_zero_shot_bars_are_sorted_with_the_best_caption_on_top_and_highlighted():
    captions = ["a purple zero", "an orange zero", "a seven"]
    logits = np.array([3.0, 5.0, -1.0])
    probabilities = np.exp(logits) / np.exp(logits).sum()
    fig = zero_shot_bars(captions, probabilities, logits)
    bars = fig.data[0]
    assert list(bars.y) == ["a seven", "a purple zero", "an orange zero"]        # ascending: the largest drawn last
    np.testing.assert_allclose(np.asarray(bars.x), np.sort(probabilities))
    assert list(bars.marker.color) == ["#94a3b8", "#94a3b8", COLORS[0]]
    assert bars.text[-1] == f"{percent(float(probabilities[1]))}  (s = 5.0)"
    assert tuple(fig.layout.xaxis.range) == (0, 1)


def test_the_shared_space_joins_each_image_to_its_own_caption():
    image_xy, text_xy = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))
    fig = shared_space(image_xy, text_xy, ["a", "b", "c"], np.array([0.61, 0.2]))
    pairs, images, texts = fig.data
    xs = list(pairs.x)
    for i in range(3):
        assert xs[3 * i:3 * i + 3] == [image_xy[i, 0], text_xy[i, 0], None]
    np.testing.assert_array_equal(np.asarray(images.x), image_xy[:, 0])
    np.testing.assert_array_equal(np.asarray(texts.y), text_xy[:, 1])
    assert list(texts.customdata) == ["a", "b", "c"] and list(images.text) == ["1", "2", "3"]
    assert fig.layout.xaxis.title.text == "component 1 (61 % of the variance)"
    assert fig.layout.yaxis.title.text == "component 2 (20 %)"


def test_the_learning_curve_counts_steps_from_one():
    fig = learning_curve([2.1, 1.5, 0.9], total_steps=10)
    assert list(fig.data[0].x) == [1, 2, 3] and list(fig.data[0].y) == [2.1, 1.5, 0.9]
    assert tuple(fig.layout.xaxis.range) == (0, 10)


def test_each_softmax_view_names_the_side_of_the_figure_it_runs_along():
    """The figure's images are columns: the per-image softmax runs down a column, the per-caption one along a row."""
    assert SOFTMAX_ALONG == {"per image": "column", "per caption": "row"}
    for view, along in SOFTMAX_ALONG.items():
        other = ({"column", "row"} - {along}).pop()
        assert f"over each {along}" in VIEWS[view][0] and other not in VIEWS[view][0]


def test_word_bars_are_in_rank_order_with_the_skipped_ranks_counted_and_the_changed_words_coloured():
    words, cosines, ranks = ["red", "large", "five", "blue"], [0.6, 0.21, -0.01, -0.4], [1, 2, 27, 28]
    fig = word_bars(words, cosines, ranks, 28, marked=["red", "blue"], title="d")
    bars = fig.data[0]
    assert list(bars.y) == ["1. red", "2. large", "⋯ 24 more ⋯", "27. five", "28. blue"]
    assert list(bars.x) == [0.6, 0.21, None, -0.01, -0.4]
    assert list(bars.marker.color) == [COLORS[0], "#94a3b8", "#94a3b8", "#94a3b8", COLORS[1]]
    assert list(bars.text) == ["+0.60", "+0.21", "", "−0.01", "−0.40"]
    assert fig.layout.yaxis.autorange == "reversed"                              # rank 1 on top
    assert "28 caption words" in fig.layout.xaxis.title.text
    no_gap = word_bars(["a", "b"], [0.001, -0.001], [1, 2], 2).data[0]
    assert list(no_gap.y) == ["1. a", "2. b"] and list(no_gap.text) == ["0.00", "0.00"]     # never −0.00
