"""CLIP's figures: the similarity matrix is the values passed in with captions as rows and each image above its
column, the zero-shot bars are sorted with the winner highlighted, and every matching pair is joined."""
import base64
import io

import numpy as np
import pytest
from PIL import Image

from components.clip_figures import (VIEWS, learning_curve, png_uri, shared_space, short_caption, similarity_matrix,
                                     zero_shot_bars)
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


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_matrix_has_captions_as_rows_and_images_as_columns(view):
    values = RNG.random((3, 4))                                                  # (images, captions)
    images = RNG.random((3, 8, 8, 3))
    captions = ["a red seven", "a blue two on the left and a green nine on the right", "a zero", "a one"]
    fig = similarity_matrix(values, images, captions, view)
    heat = fig.data[0]
    np.testing.assert_array_equal(np.asarray(heat.z), values.T)                  # row j = caption j, column i = image i
    assert list(heat.x) == ["1", "2", "3"] and heat.y[1] == "2. " + short_caption(captions[1], 30)
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
